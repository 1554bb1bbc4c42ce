//! Password change (`POST .../users/{userExtId}/password/change`): an administrator's
//! and a self-admin's, the policy check, the states it leaves, its history row, and a
//! wrong old password counted as a failed login.

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::{Reply, TestApp, request, user_path};

const PLAIN: &str = "S3cure-Passw0rd";
const NEW: &str = "N3w-Passw0rd-2026";

fn password_path() -> String {
    user_path("acme", "jdoe", "password")
}

fn change_path() -> String {
    user_path("acme", "jdoe", "password/change")
}

fn login_path() -> String {
    "/nevisidm/api/auth/v1/acme/users/jdoe/password/login".into()
}

/// jdoe in acme with a password in `state` on `policy` (PwdPolicy parameters; `None`:
/// the client's default policy).
async fn with_password(app: &TestApp, state: &str, policy: Option<Value>) {
    app.client_with_user("acme", "jdoe").await;
    let mut body = json!({"extId": "pw-1", "password": PLAIN, "stateName": state});
    if let Some(parameters) = policy {
        app.add_policy("acme", "pwd", "PwdPolicy", parameters).await;
        body["policyExtId"] = json!("pwd");
    }
    app.post(&password_path(), &app.root(), body)
        .await
        .expect(201);
}

async fn stored(app: &TestApp) -> Value {
    app.get(&password_path(), &app.root())
        .await
        .expect(200)
        .body
}

/// The statusCode of a login with `password`.
async fn login_status(app: &TestApp, password: &str) -> i64 {
    let reply = app
        .post(&login_path(), &app.root(), json!({"password": password}))
        .await
        .expect(200);
    reply.body["statusCode"].as_i64().unwrap()
}

/// jdoe changing their own password, with an X-Token.
async fn self_change(app: &TestApp, body: Value) -> Reply {
    let me = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
    let x = app.x_token("acme", "jdoe");
    app.send(request(
        Method::POST,
        &change_path(),
        &me,
        &[("x-token", &x)],
        Some(body),
    ))
    .await
}

both_stores! {
    /// After a reset (state `initial`), an administrator gives the user a new password:
    /// 204 with the new ETag, the state `active` with reason `changed-by-admin`, one
    /// `change` history row that shows no secret; the new password logs in, the old
    /// one no longer does. `oldPassword` is ignored for an administrator.
    async fn an_administrator_sets_a_new_password_after_a_reset(app) {
        with_password(&app, "active", None).await;
        let root = app.root();
        app.post(&user_path("acme", "jdoe", "password/reset"), &root, json!({})).await.expect(204);
        let before = stored(&app).await;
        assert_eq!(before["stateName"], "initial");

        let reply = app.post(&change_path(), &root, json!({"newPassword": NEW, "oldPassword": "whatever"})).await.expect(204);
        assert_eq!(reply.body, Value::Null);
        let version = before["version"].as_i64().unwrap() + 1;
        assert_eq!(reply.header("etag"), Some(format!("\"{version}\"").as_str()));
        let after = stored(&app).await;
        assert_eq!((after["stateName"].as_str(), after["stateChangeReason"].as_str(), after["version"].as_i64()),
            (Some("active"), Some("changed-by-admin"), Some(version)));

        let history = app.get(&user_path("acme", "jdoe", "credentials/pw-1/history"), &root).await.expect(200).body;
        let last = history["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "change");
        let text = history.to_string();
        assert!(!text.contains(NEW) && !text.contains(PLAIN), "no secret in the history: {text}");

        assert_eq!(login_status(&app, NEW).await, 5);
        assert_ne!(login_status(&app, PLAIN).await, 5);
    }

    /// A self-admin changes their own password with the old one: `changed-by-user`
    /// out of `initial`; in `active` the state stays, and the failure count starts
    /// from zero.
    async fn a_self_admin_changes_their_password_with_the_old_one(app) {
        with_password(&app, "initial", None).await;
        self_change(&app, json!({"oldPassword": PLAIN, "newPassword": NEW})).await.expect(204);
        let after = stored(&app).await;
        assert_eq!((after["stateName"].as_str(), after["stateChangeReason"].as_str()),
            (Some("active"), Some("changed-by-user")));
        assert_eq!(login_status(&app, NEW).await, 5);

        assert_eq!(login_status(&app, "wrong").await, 3);
        assert_eq!(stored(&app).await["failedLoginCount"], 1);
        self_change(&app, json!({"oldPassword": NEW, "newPassword": PLAIN})).await.expect(204);
        let after = stored(&app).await;
        assert_eq!((after["stateName"].as_str(), after["failedLoginCount"].as_i64()), (Some("active"), Some(0)));
        assert_eq!(login_status(&app, PLAIN).await, 5);
    }

    /// A self-admin's wrong old password is a failed login: 403 and counted, and the
    /// failure that reaches the threshold locks (423); the password is unchanged, and
    /// while locked even the right old password changes nothing.
    async fn a_wrong_old_password_counts_as_a_failed_login(app) {
        with_password(&app, "active", Some(json!({"tmpLockingThreshold": -1, "maxCredFailureCount": 2}))).await;
        self_change(&app, json!({"oldPassword": "wrong", "newPassword": NEW})).await.expect_error(403, "errors.permissionDenied");
        assert_eq!(stored(&app).await["failedLoginCount"], 1);
        self_change(&app, json!({"oldPassword": "wrong", "newPassword": NEW})).await.expect_error(423, "errors.credentialLocked");
        let after = stored(&app).await;
        assert_eq!((after["stateName"].as_str(), after["failedLoginCount"].as_i64()), (Some("fail-locked"), Some(2)));
        self_change(&app, json!({"oldPassword": PLAIN, "newPassword": NEW})).await.expect_error(403, "errors.permissionDenied");
        assert_eq!(stored(&app).await["version"], after["version"], "nothing changed");

        // An administrator's change lifts the lock.
        app.post(&change_path(), &app.root(), json!({"newPassword": NEW})).await.expect(204);
        let unlocked = stored(&app).await;
        assert_eq!((unlocked["stateName"].as_str(), unlocked["stateChangeReason"].as_str(), unlocked["failedLoginCount"].as_i64()),
            (Some("active"), Some("unlock"), Some(0)));
        assert_eq!(login_status(&app, NEW).await, 5);
    }

    /// Bad requests change nothing: a missing or empty `newPassword`, a self-admin
    /// without `oldPassword` or without an X-Token, a new password the policy refuses,
    /// a policy with `resetCodeEnabled`, an unknown field, a stale `If-Match`, no
    /// password at all.
    async fn bad_changes_are_refused_and_change_nothing(app) {
        with_password(&app, "active", Some(json!({"minLength": 12}))).await;
        let root = app.root();
        let before = stored(&app).await;
        app.post(&change_path(), &root, json!({})).await.expect_error(422, "errors.invalidData");
        app.post(&change_path(), &root, json!({"newPassword": ""})).await.expect_error(422, "errors.invalidData");
        app.post(&change_path(), &root, json!({"newPassword": NEW, "extra": 1})).await.expect_error(422, "errors.invalidData");
        let short = app.post(&change_path(), &root, json!({"newPassword": "Sh0rt-pw"})).await.expect(422);
        assert!(short.body.to_string().contains("12"), "names the policy's rule: {}", short.body);
        let missing_old = self_change(&app, json!({"newPassword": NEW})).await.expect_error(422, "errors.invalidData");
        assert!(missing_old.body.to_string().contains("oldPassword"), "{}", missing_old.body);
        let me = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        app.post(&change_path(), &me, json!({"oldPassword": PLAIN, "newPassword": NEW})).await.expect_error(401, "errors.unauthenticated");
        app.send(request(Method::POST, &change_path(), &root, &[("if-match", "\"99\"")], Some(json!({"newPassword": NEW}))))
            .await.expect(412);
        assert_eq!(stored(&app).await, before, "nothing changed");
        assert_eq!(login_status(&app, PLAIN).await, 5);

        app.add_policy("acme", "codes", "PwdPolicy", json!({"resetCodeEnabled": "true"})).await;
        app.add_user("acme", "jroe").await;
        app.post(&user_path("acme", "jroe", "password"), &root, json!({"policyExtId": "codes"})).await.expect(201);
        let refused = app.post(&user_path("acme", "jroe", "password/change"), &root, json!({"newPassword": NEW}))
            .await.expect_error(422, "errors.invalidData");
        assert!(refused.body.to_string().contains("resetCodeEnabled"), "{}", refused.body);

        app.add_user("acme", "nopw").await;
        app.post(&user_path("acme", "nopw", "password/change"), &root, json!({"newPassword": NEW})).await.expect(404);
    }
}
