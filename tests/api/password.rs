//! Password credentials: seed 003 and the endpoints around it.

use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use crate::support::{TestApp, user_path};

const PLAIN: &str = "S3cure-Passw0rd";

async fn with_password(app: &TestApp) -> String {
    app.client_with_user("acme", "jdoe").await;
    let path = user_path("acme", "jdoe", "password");
    app.post(
        &path,
        &app.root(),
        json!({"extId": "pw-1", "password": PLAIN}),
    )
    .await
    .expect(201);
    path
}

both_stores! {
    /// Create with a password answers 201 with Location and ETag and no body, as
    /// create-password says ("no content is returned"); GET then shows the full seed-003
    /// schema. The plaintext never appears, the hash is argon2id.
    async fn create_answers_no_content_and_get_the_full_dto(app) {
        app.client_with_user("acme", "jdoe").await;
        let path = user_path("acme", "jdoe", "password");
        let reply = app.post(&path, &app.root(), json!({"extId": "pw-1", "password": PLAIN})).await.expect(201);
        assert_eq!(reply.header("location"), Some(path.as_str()));
        assert_eq!(reply.header("etag"), Some("\"1\""));
        assert!(reply.body.is_null(), "no content: {}", reply.body);
        assert!(reply.header("content-type").is_none());
        let dto = &app.get(&path, &app.root()).await.expect(200).body;
        for field in ["created", "lastModified", "version", "extId", "userExtId", "policyExtId", "stateName",
            "stateChangeReason", "successfulLoginCount", "failedLoginCount", "type", "validity", "resetCount", "password"] {
            assert!(dto.get(field).is_some(), "missing {field} in {dto}");
        }
        assert_eq!(dto["version"], 1);
        assert_eq!(dto["extId"], "pw-1");
        assert_eq!(dto["userExtId"], "jdoe");
        assert_eq!(dto["policyExtId"], "default-PwdPolicy");
        assert_eq!(dto["stateName"], "initial");
        assert_eq!(dto["stateChangeReason"], "initialized");
        assert_eq!(dto["type"], "Password");
        assert_eq!(dto["resetCount"], 0);
        assert!(dto["password"].as_str().unwrap().starts_with("$argon2id$"));
        assert!(!dto.to_string().contains(PLAIN));
        assert!(dto.get("modificationComment").is_none(), "absent fields are omitted, not null");
        let created = dto["created"].as_str().unwrap();
        assert!(created.ends_with('Z') && created.len() == 20, "{created}");
    }

    /// create-password: with resetCodeEnabled the password "must be omitted". One given
    /// anyway is 422 naming the field and the policy, and nothing is stored.
    async fn a_password_under_a_reset_code_policy_is_422(app) {
        app.client_with_user("acme", "jdoe").await;
        app.add_policy("acme", "codes", "PwdPolicy", json!({"resetCodeEnabled": "true"})).await;
        let path = user_path("acme", "jdoe", "password");
        let root = app.root();
        let reply = app
            .post(&path, &root, json!({"policyExtId": "codes", "password": PLAIN}))
            .await
            .expect_error(422, "errors.invalidData");
        let message = reply.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("'password'") && message.contains("codes") && message.contains("resetCodeEnabled"), "{message}");
        assert!(!reply.body.to_string().contains(PLAIN));
        app.get(&path, &root).await.expect_error(404, "errors.noRecord");
        let listed = app.get(&user_path("acme", "jdoe", "credentials"), &root).await.expect(200);
        assert_eq!(listed.body["items"], json!([]));
        // Without the password the same request creates it.
        app.post(&path, &root, json!({"policyExtId": "codes"})).await.expect(201);
    }

    /// PATCH changes only what it names, bumps the version once and records the reason.
    async fn patch_changes_state_and_comment(app) {
        let path = with_password(&app).await;
        let root = app.root();
        let reply = app
            .patch(&path, &root, json!({"stateName": "active", "modificationComment": "verified", "version": 1}))
            .await
            .expect(200);
        assert_eq!(reply.header("etag"), Some("\"2\""));
        assert_eq!(reply.body["version"], 2);
        assert_eq!(reply.body["stateName"], "active");
        assert_eq!(reply.body["stateChangeReason"], "changed-by-admin");
        assert_eq!(reply.body["modificationComment"], "verified");
        let again = app.patch(&path, &root, json!({"stateName": "disabled"})).await.expect(200);
        assert_eq!(again.body["modificationComment"], "verified", "omitted fields stay");
        assert_eq!(again.body["version"], 3);
        let cleared = app.patch(&path, &root, json!({"modificationComment": null})).await.expect(200);
        assert!(cleared.body.get("modificationComment").is_none());
        assert_eq!(cleared.body["stateName"], "disabled");
        assert_eq!(app.get(&path, &root).await.body, cleared.body);
    }

    /// A PATCH that changes nothing leaves version, lastModified and history alone.
    async fn noop_patch_changes_nothing(app) {
        let path = with_password(&app).await;
        let root = app.root();
        let before = app.get(&path, &root).await.body;
        let history = app.history_len("acme", "jdoe", "pw-1").await;
        let reply = app.patch(&path, &root, json!({"stateName": "initial", "version": 1})).await.expect(200);
        assert_eq!(reply.body, before);
        assert_eq!(app.history_len("acme", "jdoe", "pw-1").await, history);
    }

    /// A stale body version is 409 and nothing changes.
    async fn stale_version_is_409(app) {
        let path = with_password(&app).await;
        let root = app.root();
        app.patch(&path, &root, json!({"stateName": "active"})).await.expect(200);
        app.patch(&path, &root, json!({"stateName": "disabled", "version": 1}))
            .await
            .expect_error(409, "errors.optimisticLockingFailure");
        assert_eq!(app.get(&path, &root).await.body["stateName"], "active");
    }

    /// If-Match: stale is 412, current and * succeed, disagreeing with the body is 422.
    async fn if_match_is_honoured(app) {
        let path = with_password(&app).await;
        let root = app.root();
        let send = |if_match: &'static str, body: serde_json::Value| {
            Request::patch(path.as_str())
                .header("authorization", format!("Bearer {root}"))
                .header("content-type", "application/merge-patch+json")
                .header("if-match", if_match)
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        app.send(send("\"2\"", json!({"stateName": "active"}))).await.expect_error(412, "errors.optimisticLockingFailure");
        app.send(send("\"1\"", json!({"stateName": "active", "version": 2}))).await.expect_error(422, "errors.invalidData");
        let ok = app.send(send("\"1\"", json!({"stateName": "active"}))).await.expect(200);
        assert_eq!(ok.body["version"], 2);
        let any = app.send(send("*", json!({"stateName": "disabled"}))).await.expect(200);
        assert_eq!(any.body["version"], 3);
        app.send(send("abc", json!({}))).await.expect_error(400, "errors.invalidData");
    }

    /// Archived is terminal.
    async fn archived_is_terminal(app) {
        let path = with_password(&app).await;
        let root = app.root();
        app.patch(&path, &root, json!({"stateName": "archived"})).await.expect(200);
        app.patch(&path, &root, json!({"stateName": "active"})).await.expect_error(422, "errors.modifyReadonlyData");
        app.patch(&path, &root, json!({"modificationComment": "x"})).await.expect_error(422, "errors.modifyReadonlyData");
        assert_eq!(app.get(&path, &root).await.body["stateName"], "archived");
    }

    /// Leaving a lock for active is an unlock.
    async fn unlock_is_recorded(app) {
        let path = with_password(&app).await;
        let root = app.root();
        app.patch(&path, &root, json!({"stateName": "fail-locked"})).await.expect(200);
        let reply = app.patch(&path, &root, json!({"stateName": "active"})).await.expect(200);
        assert_eq!(reply.body["stateChangeReason"], "unlock");
        assert_eq!(reply.body["failedLoginCount"], 0);
    }

    /// Unknown fields, bad enums, nulls and wrong types are 422 and change nothing;
    /// every problem is listed.
    async fn invalid_bodies_are_422(app) {
        let path = with_password(&app).await;
        let root = app.root();
        let reply = app
            .patch(&path, &root, json!({"stateName": "gone", "version": "1", "colour": "red", "modificationComment": 5}))
            .await
            .expect_error(422, "errors.invalidData");
        let messages = reply.body["errors"].as_array().unwrap();
        assert_eq!(messages.len(), 4, "{}", reply.body);
        assert!(reply.body.to_string().contains("colour"));
        app.patch(&path, &root, json!({"stateName": null})).await.expect_error(422, "errors.invalidData");
        app.patch(&path, &root, json!([1, 2])).await.expect_error(422, "errors.invalidData");
        assert_eq!(app.get(&path, &root).await.body["version"], 1);
    }

    /// Read-only fields may be sent back unchanged, not changed.
    async fn read_only_fields(app) {
        let path = with_password(&app).await;
        let root = app.root();
        let mut body = app.get(&path, &root).await.body;
        body["stateName"] = json!("active");
        app.patch(&path, &root, body.clone()).await.expect(200);
        app.patch(&path, &root, json!({"type": "OATH"})).await.expect_error(422, "errors.modifyReadonlyData");
        app.patch(&path, &root, json!({"resetCount": 7})).await.expect_error(422, "errors.modifyReadonlyData");
        app.patch(&path, &root, json!({"password": "plain"})).await.expect_error(422, "errors.modifyReadonlyData");
    }

    /// A user has one password.
    async fn second_password_is_409(app) {
        let path = with_password(&app).await;
        app.post(&path, &app.root(), json!({"password": PLAIN}))
            .await
            .expect_error(409, "errors.passwordExists");
    }

    /// A password against the policy lists every violation.
    async fn policy_violations_are_all_listed(app) {
        app.client_with_user("acme", "jdoe").await;
        app.add_policy("acme", "strict", "PwdPolicy", json!({"minLength": "12", "minNonAlnum": "2"})).await;
        let path = user_path("acme", "jdoe", "password");
        let reply = app
            .post(&path, &app.root(), json!({"password": "short", "policyExtId": "strict"}))
            .await
            .expect_error(422, "errors.pwdPolicyViolated");
        assert_eq!(reply.body["errors"].as_array().unwrap().len(), 2);
        app.get(&path, &app.root()).await.expect_error(404, "errors.noRecord");
        app.post(&path, &app.root(), json!({"password": "long-enough-#1", "policyExtId": "strict"})).await.expect(201);
    }

    /// A reset-code policy generates the password and shows it once; reset makes it initial.
    async fn reset_codes(app) {
        app.client_with_user("acme", "jdoe").await;
        app.add_policy("acme", "codes", "PwdPolicy", json!({"resetCodeEnabled": "true"})).await;
        let path = user_path("acme", "jdoe", "password");
        let root = app.root();
        let created = app.post(&path, &root, json!({"policyExtId": "codes", "stateName": "active"})).await.expect(201);
        let fragment = created.body["passwordFragment"].as_str().unwrap().to_owned();
        assert!(fragment.len() >= 16);
        let got = app.get(&path, &root).await.expect(200);
        assert!(got.body.get("passwordFragment").is_none());
        assert!(!got.body.to_string().contains(&fragment));
        let reset = app.post(&format!("{path}/reset"), &root, json!({})).await.expect(201);
        assert_eq!(reset.body["stateName"], "initial");
        assert_eq!(reset.body["stateChangeReason"], "reset-by-admin");
        assert_eq!(reset.body["resetCount"], 1);
        assert_eq!(reset.body["version"], 2);
        assert_ne!(reset.body["passwordFragment"].as_str().unwrap(), fragment);
        assert_ne!(reset.body["password"], created.body["password"]);
    }

    /// Without reset codes, reset answers 204 and still resets the credential.
    async fn reset_without_codes(app) {
        let path = with_password(&app).await;
        let root = app.root();
        app.patch(&path, &root, json!({"stateName": "active"})).await.expect(200);
        app.call(axum::http::Method::POST, &format!("{path}/reset"), Some(&root), None).await.expect(204);
        let got = app.get(&path, &root).await.body;
        assert_eq!(got["stateName"], "initial");
        assert_eq!(got["resetCount"], 1);
        assert_eq!(got["version"], 3);
    }

    /// Delete answers 204, the credential is gone, a new one may be created.
    async fn delete_and_recreate(app) {
        let path = with_password(&app).await;
        let root = app.root();
        app.delete(&path, &root).await.expect(204);
        app.get(&path, &root).await.expect_error(404, "errors.noRecord");
        app.delete(&path, &root).await.expect_error(404, "errors.noRecord");
        app.post(&path, &root, json!({"password": PLAIN})).await.expect(201);
    }

    /// History lists each change with actor, action and the changed fields.
    async fn history_records_changes(app) {
        let path = with_password(&app).await;
        let root = app.root();
        app.patch(&path, &root, json!({"stateName": "active", "modificationComment": "ok"})).await.expect(200);
        let history = app
            .get(&user_path("acme", "jdoe", "credentials/pw-1/history"), &root)
            .await
            .expect(200);
        let items = history.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["action"], "create");
        assert_eq!(items[0]["version"], 1);
        assert_eq!(items[1]["action"], "patch");
        assert_eq!(items[1]["version"], 2);
        assert_eq!(items[1]["actor"], "root-admin");
        let fields: Vec<_> = items[1]["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&"stateName") && fields.contains(&"modificationComment"), "{fields:?}");
        assert!(!history.body.to_string().contains("$argon2id$"), "hashes are redacted in history");
    }

    /// Missing client, user or credential: 404 errors.noRecord.
    async fn missing_things_are_404(app) {
        app.client_with_user("acme", "jdoe").await;
        let root = app.root();
        app.get(&user_path("nope", "jdoe", "password"), &root).await.expect_error(404, "errors.noRecord");
        app.get(&user_path("acme", "nobody", "password"), &root).await.expect_error(404, "errors.noRecord");
        app.get(&user_path("acme", "jdoe", "password"), &root).await.expect_error(404, "errors.noRecord");
        app.patch(&user_path("acme", "jdoe", "password"), &root, json!({"stateName": "active"}))
            .await
            .expect_error(404, "errors.noRecord");
    }
}
