//! OATH login (`POST /nevisidm/api/auth/v1/{c}/users/{u}/oath-credentials/{extId}/login`,
//! an extension): TOTP window and replay, HOTP look-ahead and counter, the lock engine,
//! the preconditions' 4xx and permissions. (Concurrency: `login_race`.)

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use idm_credentials::domain::oath::HashAlgorithm;
use idm_credentials::domain::otp;
use idm_credentials::fixtures::{self, Syntax};
use serde_json::{Value, json};
use totp_rs::Secret;

use crate::support::{Reply, TestApp, user_path};

/// Locks switched off: only the codes' own rules decide.
pub fn no_locks() -> Value {
    json!({"tmpLockingThreshold": -1, "maxCredFailureCount": -1})
}

/// An OATH credential `o-1` of jdoe in acme and what a test needs to log in with it.
pub struct Oath {
    pub login: String,
    pub view: String,
    pub secret: Vec<u8>,
    pub algorithm: HashAlgorithm,
    pub digits: u8,
    pub period: u64,
}

impl Oath {
    /// The code for moving factor `factor` (HOTP counter, TOTP step).
    pub fn code(&self, factor: u64) -> String {
        otp::hotp(self.algorithm, &self.secret, factor, self.digits)
    }

    /// The TOTP step now.
    pub fn step(&self) -> u64 {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        now.as_secs() / self.period
    }

    /// A code that is none of those accepted around `factor`.
    pub fn wrong(&self, factor: u64) -> String {
        let near: Vec<String> = (factor.saturating_sub(2)..factor + 12)
            .map(|f| self.code(f))
            .collect();
        (0..)
            .map(|n: u32| format!("{n:0width$}", width = usize::from(self.digits)))
            .find(|c| !near.contains(c))
            .unwrap()
    }
}

/// Client acme, user jdoe, an active OATH credential `o-1` on an `OathPolicy` with
/// `parameters` (TOTP steps of an hour unless they say otherwise, so that no test runs
/// across a step).
pub async fn with_oath(app: &TestApp, parameters: Value) -> Oath {
    app.client_with_user("acme", "jdoe").await;
    let mut parameters = parameters;
    if parameters.get("initialPeriod").is_none() {
        parameters["initialPeriod"] = json!(3600);
    }
    let period = parameters["initialPeriod"].as_u64().unwrap();
    app.add_policy("acme", "oath", "OathPolicy", parameters)
        .await;
    let body =
        json!({"extId": "o-1", "label": "jdoe@acme", "policyExtId": "oath", "stateName": "active"});
    let created = app
        .post(
            &user_path("acme", "jdoe", "oath-credentials"),
            &app.root(),
            body,
        )
        .await
        .expect(201)
        .body;
    let uri = created["uri"].as_str().unwrap();
    let b32 = uri
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret="))
        .unwrap();
    let algorithm = match created["hashingAlgorithm"].as_str().unwrap() {
        "SHA256" => HashAlgorithm::Sha256,
        "SHA512" => HashAlgorithm::Sha512,
        _ => HashAlgorithm::Sha1,
    };
    Oath {
        login: "/nevisidm/api/auth/v1/acme/users/jdoe/oath-credentials/o-1/login".into(),
        view: user_path("acme", "jdoe", "oath-credentials/o-1"),
        secret: Secret::try_from_base32(b32).unwrap().as_bytes().to_vec(),
        algorithm,
        digits: created["digits"].as_str().unwrap().parse().unwrap(),
        period,
    }
}

pub async fn login(app: &TestApp, oath: &Oath, code: &str) -> Reply {
    app.post(&oath.login, &app.root(), json!({"code": code}))
        .await
}

/// The statusCode of a processed (200) login.
async fn status(app: &TestApp, oath: &Oath, code: &str) -> i64 {
    let reply = login(app, oath, code).await.expect(200);
    reply.body["statusCode"].as_i64().unwrap()
}

async fn view(app: &TestApp, oath: &Oath) -> Value {
    app.get(&oath.view, &app.root()).await.expect(200).body
}

fn counts(v: &Value) -> (i64, i64) {
    (
        v["successfulLoginCount"].as_i64().unwrap(),
        v["failedLoginCount"].as_i64().unwrap(),
    )
}

both_stores! {
    /// TOTP: the steps now - 1, now and now + 1 are accepted, each once and only after the
    /// last accepted one; steps further away fail. The answer is the login status alone.
    async fn totp_accepts_one_step_around_now_and_no_step_twice(app) {
        let oath = with_oath(&app, no_locks()).await;
        let step = oath.step();
        assert_eq!(status(&app, &oath, &oath.code(step - 2)).await, 2, "too old");
        assert_eq!(status(&app, &oath, &oath.code(step + 2)).await, 2, "too new");
        let ok = login(&app, &oath, &oath.code(step - 1)).await.expect(200);
        assert_eq!(ok.body, json!({"statusCode": 5, "description": "Login Ok"}));
        assert_eq!(ok.header("cache-control"), Some("no-store"));
        assert_eq!(status(&app, &oath, &oath.code(step - 1)).await, 2, "replay");
        assert_eq!(status(&app, &oath, &oath.code(step)).await, 5);
        assert_eq!(status(&app, &oath, &oath.code(step)).await, 2, "replay");
        assert_eq!(status(&app, &oath, &oath.code(step + 1)).await, 5);
        assert_eq!(status(&app, &oath, &oath.code(step)).await, 2, "behind the last accepted step");
        let after = view(&app, &oath).await;
        assert_eq!(counts(&after), (3, 1));
        assert_eq!((after["version"].as_i64(), after["counter"].as_i64()), (Some(1), Some(0)));
    }

    /// The RFC 6238 parameters of the policy are the ones checked: 8 digits, SHA256,
    /// 30-second steps.
    async fn totp_codes_follow_the_policy(app) {
        let oath = with_oath(&app, json!({"initialDigits": 8, "initialAlgorithm": "SHA256", "initialPeriod": 30})).await;
        assert_eq!((oath.digits, oath.algorithm), (8, HashAlgorithm::Sha256));
        let code = oath.code(oath.step());
        assert_eq!(code.len(), 8);
        assert_eq!(status(&app, &oath, &code).await, 5);
        assert_eq!(status(&app, &oath, &code[..6]).await, 3, "a 6-digit code of an 8-digit credential is wrong");
    }

    /// HOTP: the expected counter value and up to 10 ahead are accepted; an accepted
    /// code moves `counter` past it; a code behind it, or a replay, fails.
    async fn hotp_looks_ahead_and_advances_the_counter(app) {
        let mut parameters = no_locks();
        parameters["initialType"] = json!("hotp");
        let oath = with_oath(&app, parameters).await;
        assert_eq!(status(&app, &oath, &oath.code(0)).await, 5);
        assert_eq!(view(&app, &oath).await["counter"], 1);
        assert_eq!(status(&app, &oath, &oath.code(0)).await, 2, "replay");
        assert_eq!(status(&app, &oath, &oath.code(5)).await, 5, "look-ahead");
        assert_eq!(view(&app, &oath).await["counter"], 6);
        assert_eq!(status(&app, &oath, &oath.code(3)).await, 2, "behind the counter");
        assert_eq!(status(&app, &oath, &oath.code(17)).await, 2, "beyond the look-ahead of 10");
        assert_eq!(status(&app, &oath, &oath.code(16)).await, 5);
        let after = view(&app, &oath).await;
        assert_eq!(after["counter"], 17);
        assert_eq!(counts(&after), (3, 0));
        assert_eq!(after["version"], 1, "a login moves counters, not the version");
        // A PATCH of the label writes the attributes back: the counter stays where logins put it.
        app.patch(&oath.view, &app.root(), json!({"label": "renamed"})).await.expect(200);
        assert_eq!(view(&app, &oath).await["counter"], 17);
        assert_eq!(status(&app, &oath, &oath.code(16)).await, 2, "replay after a PATCH");
        // The export carries the last accepted code, so an import does not reopen it.
        let exported = fixtures::render(&fixtures::export(&app.store).await.unwrap(), Syntax::Json).unwrap();
        let exported: Value = serde_json::from_str(&exported).unwrap();
        let user = exported["users"].as_array().unwrap().iter().find(|u| u["extId"] == "jdoe").unwrap();
        let o1 = user["credentials"].as_array().unwrap().iter().find(|c| c["extId"] == "o-1").unwrap();
        assert_eq!(o1["lastOtp"], 16, "{o1}");
    }

    /// The lock engine of the password login, driven by the `OathPolicy`: warning (3),
    /// temporary lock (9), and during the lock even the right code is refused (423).
    async fn failures_lock_the_credential(app) {
        let oath = with_oath(&app, json!({})).await;
        let step = oath.step();
        assert_eq!(status(&app, &oath, &oath.wrong(step)).await, 3);
        assert_eq!(status(&app, &oath, &oath.wrong(step)).await, 9);
        login(&app, &oath, &oath.code(step)).await.expect_error(423, "errors.credentialLocked");
        let after = view(&app, &oath).await;
        assert_eq!((after["stateName"].as_str(), after["stateChangeReason"].as_str()),
            (Some("tmp-locked"), Some("too-many-login-failures")));
        assert_eq!(counts(&after), (0, 2));
        assert_eq!(app.history_len("acme", "jdoe", "o-1").await, 2, "create, lock");
    }

    /// `{"code": 6 to 8 digits}`, nothing else; bad bodies are 422 and count nothing.
    async fn bad_bodies_are_422(app) {
        let oath = with_oath(&app, json!({})).await;
        let code = oath.code(oath.step());
        for body in [json!({}), json!({"code": ""}), json!({"code": null}), json!({"code": 123456}),
            json!({"code": "12345"}), json!({"code": "123456789"}), json!({"code": "12a456"}),
            json!({"code": code, "extra": 1}), json!([code])] {
            app.post(&oath.login, &app.root(), body).await.expect_error(422, "errors.invalidData");
        }
        assert_eq!(counts(&view(&app, &oath).await), (0, 0));
    }

    /// No credential (404), a state other than active (403), outside the validity (403):
    /// nothing counted. Permissions as the password login: not a view-only caller, not
    /// the user in self-admin mode, not another client's helpdesk.
    async fn impossible_logins_and_permissions(app) {
        let oath = with_oath(&app, json!({})).await;
        let code = oath.code(oath.step());
        let view_only = app.mint(&idm_credentials::auth::Claims {
            sub: "viewer".into(),
            exp: idm_credentials::auth::jwt::expiry_in(Duration::from_secs(600)),
            permissions: vec!["AccessControl.CredentialView".into()],
            client_ext_id: Some("acme".into()),
            ..Default::default()
        });
        let other = app.token("other", &["nevisIdm.Helpdesk"], Some("other"));
        let own = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        for token in [&view_only, &other, &own] {
            app.post(&oath.login, token, json!({"code": code})).await.expect_error(403, "errors.permissionDenied");
        }
        let missing = oath.login.replace("/o-1/", "/o-2/");
        app.post(&missing, &app.root(), json!({"code": code})).await.expect_error(404, "errors.noRecord");
        assert_eq!(counts(&view(&app, &oath).await), (0, 0));
        let helpdesk = app.token("hd", &["nevisIdm.Helpdesk"], Some("acme"));
        let ok = app.post(&oath.login, &helpdesk, json!({"code": code})).await.expect(200);
        assert_eq!(ok.body["statusCode"], 5);

        app.patch(&oath.view, &app.root(), json!({"stateName": "disabled"})).await.expect(200);
        login(&app, &oath, &oath.code(oath.step() + 1)).await.expect_error(403, "errors.permissionDenied");
        assert_eq!(counts(&view(&app, &oath).await), (1, 0));

        // An OATH credential's validity comes from its policy's credentialLifetime.
        app.add_user("acme", "old").await;
        app.add_policy("acme", "short-lived", "OathPolicy", json!({"credentialLifetime": 1})).await;
        let body = json!({"extId": "o-old", "label": "old", "policyExtId": "short-lived", "stateName": "active"});
        app.post(&user_path("acme", "old", "oath-credentials"), &app.root(), body).await.expect(201);
        tokio::time::sleep(Duration::from_millis(20)).await;
        let old = "/nevisidm/api/auth/v1/acme/users/old/oath-credentials/o-old/login";
        app.post(old, &app.root(), json!({"code": "123456"})).await.expect_error(403, "errors.permissionDenied");
    }
}
