//! The Principal REST API (`/nevisidm/api/principal/v1`): X-Tokens from a re-entered
//! password (a failed one counts as a failed login), and nothing else serving as one;
//! the caller's user and permissions.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idm_credentials::auth::Keys;
use serde_json::{Value, json};

use crate::support::{BASE, Reply, SECRET, TestApp, request, user_path};
use crate::world::{assert_unchanged, fingerprint, populate};

const PRINCIPAL: &str = "/nevisidm/api/principal/v1";
const PLAIN: &str = "S3cure-Passw0rd";

fn self_admin(app: &TestApp, client: &str, user: &str) -> String {
    app.token(user, &["nevisIdm.SelfAdmin"], Some(client))
}

/// POST /token with `body` as a form (`form` = true) or as JSON.
async fn ask_token(app: &TestApp, bearer: &str, body: Value, form: bool) -> Reply {
    let path = format!("{PRINCIPAL}/token");
    if !form {
        return app.post(&path, bearer, body).await;
    }
    let encoded: Vec<String> = body
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap().replace('-', "%2D")))
        .collect();
    let request = Request::post(path)
        .header("authorization", format!("Bearer {bearer}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(encoded.join("&")))
        .unwrap();
    app.send(request).await
}

fn credentials(password: &str) -> Value {
    json!({"username": "jdoe", "password": password, "grant_type": "password"})
}

/// The claims of a JWT, unverified.
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn password(app: &TestApp) -> Value {
    app.get(&user_path("acme", "jdoe", "password"), &app.root())
        .await
        .expect(200)
        .body
}

fn with_x(method: Method, path: &str, bearer: &str, x: &str, body: Option<Value>) -> Request<Body> {
    request(method, path, bearer, &[("x-token", x)], body)
}

both_stores! {
    /// The four tokens that served as X-Tokens before are refused with 401 and change
    /// nothing: the self-admin's own Bearer token, a Helpdesk token naming the user, the
    /// user's token of another client, and (with iss/aud configured) a token without
    /// them. A real X-Token does the same requests.
    async fn only_an_x_token_serves_as_one(app) {
        populate(&app).await;
        let root = app.root();
        app.add_user("globex", "jdoe").await;
        app.post(&user_path("globex", "jdoe", "mtans"), &root, json!({"extId": "g-1", "mobileNumber": "+41791234567"})).await.expect(201);
        let me = self_admin(&app, "acme", "jdoe");
        let oath = user_path("acme", "jdoe", "oath-credentials/o-1");
        let mtan = user_path("acme", "jdoe", "mtans/m-1");
        let globex_mtan = user_path("globex", "jdoe", "mtans/g-1");
        let before = fingerprint(&app).await;

        // 1. The self-admin's own Bearer token, sent again as X-Token.
        let reply = app.send(with_x(Method::PATCH, &oath, &me, &me, Some(json!({"label": "hijacked"})))).await;
        reply.expect_error(401, "errors.unauthenticated");
        // 2. A Helpdesk token whose sub is the user.
        let helpdesk = app.token("jdoe", &["nevisIdm.Helpdesk"], Some("acme"));
        app.send(with_x(Method::DELETE, &mtan, &me, &helpdesk, None)).await.expect_error(401, "errors.unauthenticated");
        // 3. Client acme's user token (Bearer, and a real X-Token) for the same extId in globex.
        let globex_me = self_admin(&app, "globex", "jdoe");
        app.send(with_x(Method::DELETE, &globex_mtan, &globex_me, &me, None)).await.expect_error(401, "errors.unauthenticated");
        let acme_x = app.x_token("acme", "jdoe");
        app.send(with_x(Method::DELETE, &globex_mtan, &globex_me, &acme_x, None)).await.expect_error(401, "errors.unauthenticated");
        // 4. iss/aud configured: an X-Token without them, or with another issuer.
        let mut state = app.state.clone();
        let scoped_keys = || Keys::new(SECRET.as_bytes()).with_issuer(Some("https://idp".into())).with_audience(Some("idm".into()));
        state.keys = Arc::new(scoped_keys());
        let scoped = app.sibling(state);
        let scoped_me = scoped.mint(&idm_credentials::auth::Claims {
            iss: Some("https://idp".into()),
            aud: Some("idm".into()),
            ..claims_of_bearer("jdoe", "acme")
        });
        scoped.send(with_x(Method::DELETE, &mtan, &scoped_me, &acme_x, None)).await.expect_error(401, "errors.unauthenticated");
        let other_issuer = Keys::new(SECRET.as_bytes()).with_issuer(Some("https://evil".into())).with_audience(Some("idm".into()));
        let wrong_iss = other_issuer.mint_x_token("acme", "jdoe").unwrap();
        scoped.send(with_x(Method::DELETE, &mtan, &scoped_me, &wrong_iss, None)).await.expect_error(401, "errors.unauthenticated");
        let other_audience = Keys::new(SECRET.as_bytes()).with_issuer(Some("https://idp".into())).with_audience(Some("other".into()));
        let wrong_aud = other_audience.mint_x_token("acme", "jdoe").unwrap();
        scoped.send(with_x(Method::DELETE, &mtan, &scoped_me, &wrong_aud, None)).await.expect_error(401, "errors.unauthenticated");
        assert_unchanged(&before, &fingerprint(&app).await, "refused X-Tokens");

        // A real X-Token, from the endpoint, does what the others could not.
        let issued = ask_token(&app, &me, credentials(PLAIN), false).await.expect(200);
        let x = issued.body["access_token"].as_str().unwrap().to_owned();
        app.send(with_x(Method::PATCH, &oath, &me, &x, Some(json!({"label": "mine"})))).await.expect(200);
        app.send(with_x(Method::DELETE, &mtan, &me, &x, None)).await.expect(204);
        let x = scoped_keys().mint_x_token("globex", "jdoe").unwrap();
        let scoped_globex_me = scoped.mint(&idm_credentials::auth::Claims {
            iss: Some("https://idp".into()),
            aud: Some("idm".into()),
            ..claims_of_bearer("jdoe", "globex")
        });
        scoped.send(with_x(Method::DELETE, &globex_mtan, &scoped_globex_me, &x, None)).await.expect(204);
        // And an X-Token is no Bearer token.
        app.get(&user_path("acme", "jdoe", "password"), &x).await.expect_error(401, "errors.unauthenticated");
    }

    /// The documented answer, as JSON and as a form: 200, `no-store` and `no-cache`, an
    /// HS256 X-Token for the user in the client, valid for IDM_X_TOKEN_TTL (5 minutes
    /// unless configured); the login counts as a success.
    async fn a_right_password_gives_an_x_token(app) {
        populate(&app).await;
        let me = self_admin(&app, "acme", "jdoe");
        for form in [false, true] {
            let reply = ask_token(&app, &me, credentials(PLAIN), form).await.expect(200);
            assert_eq!(reply.header("cache-control"), Some("no-store"));
            assert_eq!(reply.header("pragma"), Some("no-cache"));
            assert_eq!(reply.body["token_type"], "bearer");
            assert_eq!(reply.body.as_object().unwrap().len(), 2, "{}", reply.body);
            let token = reply.body["access_token"].as_str().unwrap();
            let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
            assert_eq!(header["alg"], "HS256");
            let claims = claims_of(token);
            assert_eq!((claims["sub"].as_str(), claims["clientExtId"].as_str(), claims["token_use"].as_str()),
                (Some("jdoe"), Some("acme"), Some("x-token")));
            assert_eq!(claims["exp"].as_u64().unwrap() - claims["nbf"].as_u64().unwrap(), 300);
            assert!(claims.get("roles").is_none() && claims.get("permissions").is_none());
        }
        assert_eq!(password(&app).await["successfulLoginCount"], 2);

        let mut state = app.state.clone();
        state.keys = Arc::new(Keys::new(SECRET.as_bytes()).with_x_token_ttl(Duration::from_secs(60)));
        let short = app.sibling(state);
        let reply = ask_token(&short, &me, credentials(PLAIN), false).await.expect(200);
        let claims = claims_of(reply.body["access_token"].as_str().unwrap());
        assert_eq!(claims["exp"].as_u64().unwrap() - claims["nbf"].as_u64().unwrap(), 60);
    }

    /// A wrong password is 401 and a failed login: the counter moves, the policy's lock
    /// falls, and then even the right password gets no X-Token (423, nothing counted).
    async fn a_wrong_password_counts_and_locks(app) {
        app.client_with_user("acme", "jdoe").await;
        app.add_policy("acme", "pwd", "PwdPolicy", json!({"tmpLockingThreshold": -1, "maxCredFailureCount": 2})).await;
        app.post(&user_path("acme", "jdoe", "password"), &app.root(),
            json!({"password": PLAIN, "stateName": "active", "policyExtId": "pwd"})).await.expect(201);
        let me = self_admin(&app, "acme", "jdoe");
        let first = ask_token(&app, &me, credentials("wrong"), false).await.expect_error(401, "errors.unauthenticated");
        assert_eq!(first.header("www-authenticate"), Some("Bearer"));
        assert!(first.body.to_string().contains("one more failure locks"), "{}", first.body);
        assert_eq!(password(&app).await["failedLoginCount"], 1);
        let second = ask_token(&app, &me, credentials("wrong"), true).await.expect_error(401, "errors.unauthenticated");
        assert!(second.body.to_string().contains("now locked"), "{}", second.body);
        let after = password(&app).await;
        assert_eq!((after["stateName"].as_str(), after["stateChangeReason"].as_str(), after["failedLoginCount"].as_i64()),
            (Some("fail-locked"), Some("too-many-login-failures"), Some(2)));
        let locked = ask_token(&app, &me, credentials(PLAIN), false).await.expect_error(423, "errors.credentialLocked");
        assert!(locked.body.get("access_token").is_none());
        assert_eq!(password(&app).await, after, "a refused attempt counts nothing");
    }

    /// Requests that never reach a login: another loginId or no password (401), a body
    /// not of the documented shape (422, 400, 415), a caller without the SelfAdmin role
    /// (403), a disabled user (403), no password credential (404). None counts anything.
    async fn what_is_refused_before_any_login(app) {
        populate(&app).await;
        let root = app.root();
        let me = self_admin(&app, "acme", "jdoe");
        let before = fingerprint(&app).await;
        for (body, status) in [
            (json!({"username": "mary", "password": PLAIN, "grant_type": "password"}), 401),
            (json!({"username": "JDOE", "password": PLAIN, "grant_type": "password"}), 401),
            (json!({"username": "jdoe", "grant_type": "password"}), 401),
            (json!({"username": "jdoe", "password": "", "grant_type": "password"}), 401),
            (json!({"username": "jdoe", "password": PLAIN, "grant_type": "client_credentials"}), 422),
            (json!({"username": "jdoe", "password": PLAIN}), 422),
            (json!({"password": PLAIN, "grant_type": "password"}), 422),
            (json!({"username": "jdoe", "password": PLAIN, "grant_type": "password", "scope": "all"}), 422),
            (json!({"username": "jdoe", "password": 7, "grant_type": "password"}), 422),
        ] {
            let code = if status == 401 { "errors.unauthenticated" } else { "errors.invalidData" };
            ask_token(&app, &me, body.clone(), false).await.expect_error(status, code);
            if body.as_object().unwrap().values().all(Value::is_string) {
                ask_token(&app, &me, body, true).await.expect_error(status, code);
            }
        }
        let twice = Request::post(format!("{PRINCIPAL}/token"))
            .header("authorization", format!("Bearer {me}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("username=jdoe&password=x&password=S3cure-Passw0rd&grant_type=password"))
            .unwrap();
        app.send(twice).await.expect_error(400, "errors.invalidData");
        let text = Request::post(format!("{PRINCIPAL}/token"))
            .header("authorization", format!("Bearer {me}"))
            .header("content-type", "text/plain")
            .body(Body::from("username=jdoe"))
            .unwrap();
        app.send(text).await.expect_error(415, "errors.invalidData");
        for caller in [root.clone(), app.token("jdoe", &["nevisIdm.Helpdesk"], Some("acme"))] {
            ask_token(&app, &caller, credentials(PLAIN), false).await.expect_error(403, "errors.permissionDenied");
        }
        ask_token(&app, &self_admin(&app, "acme", "mary"), json!({"username": "mary", "password": PLAIN, "grant_type": "password"}), false)
            .await.expect_error(404, "errors.noRecord");
        ask_token(&app, &self_admin(&app, "acme", "ghost"), credentials(PLAIN), false).await.expect_error(404, "errors.noRecord");
        assert_unchanged(&before, &fingerprint(&app).await, "token requests refused before a login");

        app.post(&format!("{BASE}/acme/users"), &root, json!({"extId": "dis", "loginId": "dis", "userState": "disabled"})).await.expect(201);
        ask_token(&app, &self_admin(&app, "acme", "dis"), json!({"username": "dis", "password": PLAIN, "grant_type": "password"}), false)
            .await.expect_error(403, "errors.permissionDenied");
    }

    /// GET /me: the page's fields the user record holds, for a SelfAdmin only.
    async fn me_shows_the_callers_user(app) {
        app.post(&format!("{BASE}/clients"), &app.root(), json!({"extId": "acme", "name": "ACME"})).await.expect(201);
        app.post(&format!("{BASE}/acme/users"), &app.root(), json!({"extId": "jdoe", "loginId": "john",
            "name": {"firstName": "John", "familyName": "Doe"}, "contacts": {"email": "john@example.com"}, "languageCode": "de"})).await.expect(201);
        app.add_user("acme", "bare").await;
        let reply = app.get(&format!("{PRINCIPAL}/me"), &self_admin(&app, "acme", "jdoe")).await.expect(200);
        assert_eq!(reply.body, json!({"userExtId": "jdoe", "loginId": "john", "fullName": "John Doe", "email": "john@example.com",
            "displayLanguageCode": "DE", "clientExtId": "acme", "clientName": "ACME"}));
        let bare = app.get(&format!("{PRINCIPAL}/me"), &self_admin(&app, "acme", "bare")).await.expect(200);
        assert_eq!(bare.body, json!({"userExtId": "bare", "loginId": "bare", "clientExtId": "acme", "clientName": "ACME"}));
        app.get(&format!("{PRINCIPAL}/me"), &app.root()).await.expect_error(403, "errors.permissionDenied");
        app.get(&format!("{PRINCIPAL}/me"), &self_admin(&app, "acme", "ghost")).await.expect_error(404, "errors.noRecord");
        app.get(&format!("{PRINCIPAL}/me"), "not-a-token").await.expect_error(401, "errors.unauthenticated");
    }

    /// GET /permissions: the elementary rights of the token's roles and permissions.
    async fn permissions_list_the_callers_rights(app) {
        let path = format!("{PRINCIPAL}/permissions");
        let list = |reply: Reply| -> Vec<String> {
            serde_json::from_value(reply.expect(200).body["elementaryPermissions"].clone()).unwrap()
        };
        let helpdesk = list(app.get(&path, &app.token("hd", &["Helpdesk"], Some("acme"))).await);
        assert_eq!(helpdesk, ["AccessControl.CredentialView", "AccessControl.CredentialModify", "AccessControl.CredentialChangeState",
            "AccessControl.PropertyView", "AccessControl.PropertyValueView", "AccessControl.PropertyAllowedValueView"]);
        assert_eq!(list(app.get(&path, &self_admin(&app, "acme", "jdoe")).await), ["AccessControl.SelfAdmin"]);
        assert_eq!(list(app.get(&path, &app.root()).await).len(), 25);
        let explicit = app.mint(&idm_credentials::auth::Claims {
            permissions: vec!["PolicyView".into()],
            roles: vec![],
            ..claims_of_bearer("svc", "acme")
        });
        assert_eq!(list(app.get(&path, &explicit).await), ["AccessControl.PolicyView"]);
        assert!(list(app.get(&path, &app.token("x", &["Bogus"], Some("acme"))).await).is_empty());
    }
}

/// A SelfAdmin Bearer's claims for `sub` in `client`, valid for an hour.
fn claims_of_bearer(sub: &str, client: &str) -> idm_credentials::auth::Claims {
    idm_credentials::auth::Claims {
        sub: sub.into(),
        exp: idm_credentials::auth::jwt::expiry_in(Duration::from_secs(3600)),
        roles: vec!["nevisIdm.SelfAdmin".into()],
        client_ext_id: Some(client.into()),
        ..idm_credentials::auth::Claims::default()
    }
}
