//! Ticket login (`POST /nevisidm/api/auth/v1/{c}/users/{u}/ticket/login`, an extension):
//! the digest check, `successCount` / `failureCount`, the lock engine, the
//! preconditions' 4xx. (Concurrency: `login_race`.)

use serde_json::{Value, json};

use crate::support::{Reply, TestApp, user_path};

pub const LOGIN: &str = "/nevisidm/api/auth/v1/acme/users/jdoe/ticket/login";

/// Client acme, user jdoe with an active ticket `t-1` on a `TicketPolicy` with
/// `parameters`; returns the ticket value.
pub async fn with_ticket(app: &TestApp, parameters: Value) -> String {
    app.client_with_user("acme", "jdoe").await;
    app.add_policy("acme", "tp", "TicketPolicy", parameters)
        .await;
    let body = json!({"extId": "t-1", "policyExtId": "tp", "stateName": "active"});
    let reply = app
        .post(&user_path("acme", "jdoe", "ticket"), &app.root(), body)
        .await
        .expect(201);
    reply.body["ticketValue"].as_str().unwrap().to_owned()
}

async fn login(app: &TestApp, ticket: &str) -> Reply {
    app.post(LOGIN, &app.root(), json!({"ticket": ticket}))
        .await
}

async fn status(app: &TestApp, ticket: &str) -> i64 {
    login(app, ticket).await.expect(200).body["statusCode"]
        .as_i64()
        .unwrap()
}

async fn view(app: &TestApp) -> Value {
    app.get(&user_path("acme", "jdoe", "ticket"), &app.root())
        .await
        .expect(200)
        .body
}

fn counts(v: &Value) -> (i64, i64) {
    (
        v["successCount"].as_i64().unwrap(),
        v["failureCount"].as_i64().unwrap(),
    )
}

both_stores! {
    /// The ticket value logs in (5) as often as it is presented; anything else fails. A
    /// success raises `successCount`, a failure `failureCount` (failures since the last
    /// success, as the lock engine counts them); the version stays.
    async fn the_value_logs_in_and_counts(app) {
        let value = with_ticket(&app, json!({"tmpLockingThreshold": -1, "maxCredFailureCount": -1})).await;
        let ok = login(&app, &value).await.expect(200);
        assert_eq!(ok.body, json!({"statusCode": 5, "description": "Login Ok"}));
        assert_eq!(ok.header("cache-control"), Some("no-store"));
        assert_eq!(status(&app, &value).await, 5);
        let almost = format!("{}x", &value[..value.len() - 1]);
        assert_eq!(status(&app, &almost).await, 2);
        assert_eq!(status(&app, &value.to_uppercase()).await, 2);
        let after = view(&app).await;
        assert_eq!(counts(&after), (2, 2));
        assert_eq!((after["successfulLoginCount"].as_i64(), after["version"].as_i64()), (Some(2), Some(1)));
        assert_eq!(status(&app, &value).await, 5);
        assert_eq!(counts(&view(&app).await), (3, 0));
    }

    /// A reset makes the old value a wrong one.
    async fn a_reset_value_no_longer_logs_in(app) {
        let old = with_ticket(&app, json!({"tmpLockingThreshold": -1, "maxCredFailureCount": -1})).await;
        let reset = app.post(&user_path("acme", "jdoe", "ticket/reset"), &app.root(), json!({})).await.expect(200);
        let new = reset.body["ticketValue"].as_str().unwrap();
        assert_eq!(status(&app, &old).await, 2);
        assert_eq!(status(&app, new).await, 5);
    }

    /// The lock engine of the password login, driven by the `TicketPolicy`.
    async fn failures_lock_the_ticket(app) {
        let value = with_ticket(&app, json!({"tmpLockingThreshold": -1, "maxCredFailureCount": 2})).await;
        assert_eq!(status(&app, "wrong").await, 3);
        assert_eq!(status(&app, "wrong").await, 4);
        login(&app, &value).await.expect_error(423, "errors.credentialLocked");
        let after = view(&app).await;
        assert_eq!((after["stateName"].as_str(), after["stateChangeReason"].as_str()),
            (Some("fail-locked"), Some("too-many-login-failures")));
        assert_eq!(counts(&after), (0, 2));
    }

    /// No ticket (404), a state other than active (403), outside its validity (403),
    /// bad bodies (422): nothing counted. The user in self-admin mode may not.
    async fn impossible_logins_are_4xx(app) {
        app.client_with_user("acme", "jdoe").await;
        login(&app, "x").await.expect_error(404, "errors.noRecord");
        let path = user_path("acme", "jdoe", "ticket");
        let created = app.post(&path, &app.root(), json!({"stateName": "disabled"})).await.expect(201);
        let value = created.body["ticketValue"].as_str().unwrap().to_owned();
        login(&app, &value).await.expect_error(403, "errors.permissionDenied");
        let future = json!({"stateName": "active", "validity": {"from": "2090-01-01T00:00:00Z", "to": "2091-01-01T00:00:00Z"}});
        app.patch(&path, &app.root(), future).await.expect(200);
        login(&app, &value).await.expect_error(403, "errors.permissionDenied");
        app.patch(&path, &app.root(), json!({"validity": {"from": "2001-01-01T00:00:00Z"}})).await.expect(200);
        for body in [json!({}), json!({"ticket": ""}), json!({"ticket": null}), json!({"ticket": 1}),
            json!({"ticket": "x".repeat(1025)}), json!({"ticket": value, "extra": 1})] {
            app.post(LOGIN, &app.root(), body).await.expect_error(422, "errors.invalidData");
        }
        let own = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        app.post(LOGIN, &own, json!({"ticket": value})).await.expect_error(403, "errors.permissionDenied");
        assert_eq!(counts(&view(&app).await), (0, 0));
        assert_eq!(status(&app, &value).await, 5);
    }
}
