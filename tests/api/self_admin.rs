//! Self-admin reach (issue 16): a user may not undo a state an administrator or the lock
//! engine imposed on their credential, and a user who is not active may not act in
//! self-admin mode at all.

use axum::http::Method;
use serde_json::json;

use crate::support::{TestApp, request, user_path};

const OATH: &str = "oath-credentials";

/// jdoe with an OATH credential o-1 and a password; their paths.
async fn setup(app: &TestApp) -> (String, String) {
    app.client_with_user("acme", "jdoe").await;
    let root = app.root();
    app.post(
        &user_path("acme", "jdoe", OATH),
        &root,
        json!({"extId": "o-1", "label": "phone"}),
    )
    .await
    .expect(201);
    let password = user_path("acme", "jdoe", "password");
    app.post(&password, &root, json!({"password": "S3cure-Passw0rd"}))
        .await
        .expect(201);
    (user_path("acme", "jdoe", &format!("{OATH}/o-1")), password)
}

both_stores! {
    /// After an administrator (or the lock engine) set `disabled`, `fail-locked` or
    /// `tmp-locked`, the self-admin can neither change the state back, nor reset, nor
    /// delete: 403, and nothing changes. Other fields stay theirs to change.
    async fn a_self_admin_cannot_leave_an_imposed_state(app) {
        let (oath, password) = setup(&app).await;
        let root = app.root();
        let me = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        let x = app.x_token("acme", "jdoe");
        let as_me = |method: Method, path: &str, body: Option<serde_json::Value>| {
            app.send(request(method, path, &me, &[("x-token", &x)], body))
        };
        for imposed in ["disabled", "fail-locked", "tmp-locked"] {
            app.patch(&oath, &root, json!({"stateName": imposed})).await.expect(200);
            let before = app.get(&oath, &root).await.expect(200).body;
            for way_out in ["active", "initial", "disabled", "admin-changed"] {
                if way_out == imposed {
                    continue;
                }
                as_me(Method::PATCH, &oath, Some(json!({"stateName": way_out}))).await.expect_error(403, "errors.permissionDenied");
            }
            as_me(Method::DELETE, &oath, None).await.expect_error(403, "errors.permissionDenied");
            assert_eq!(app.get(&oath, &root).await.expect(200).body, before, "nothing changed");
            let relabelled = as_me(Method::PATCH, &oath, Some(json!({"label": format!("while {imposed}")}))).await.expect(200);
            assert_eq!(relabelled.body["stateName"], imposed);
        }

        // A password reset would unlock too.
        app.patch(&password, &root, json!({"stateName": "fail-locked"})).await.expect(200);
        as_me(Method::POST, &format!("{password}/reset"), None).await.expect_error(403, "errors.permissionDenied");
        assert_eq!(app.get(&password, &root).await.body["stateName"], "fail-locked");

        // What the user disabled themselves they may enable again, and delete.
        app.patch(&oath, &root, json!({"stateName": "active"})).await.expect(200);
        as_me(Method::PATCH, &oath, Some(json!({"stateName": "disabled"}))).await.expect(200);
        as_me(Method::PATCH, &oath, Some(json!({"stateName": "active"}))).await.expect(200);
        as_me(Method::DELETE, &oath, None).await.expect(204);
    }

    /// A disabled or archived user gets 403 for every self-admin operation (reads too);
    /// administrators still act on their data, and an active user is unaffected.
    async fn an_inactive_user_cannot_act_in_self_admin_mode(app) {
        app.client_with_user("acme", "jdoe").await;
        let root = app.root();
        for (user, state) in [("dis", "disabled"), ("arc", "archived")] {
            app.post(&format!("{}/acme/users", crate::support::BASE), &root, json!({"extId": user, "loginId": user, "userState": state}))
                .await
                .expect(201);
            let list = user_path("acme", user, OATH);
            app.post(&list, &root, json!({"extId": "o-1", "label": "phone"})).await.expect(201);
            let me = app.token(user, &["nevisIdm.SelfAdmin"], Some("acme"));
            let x = app.x_token("acme", user);
            let one = user_path("acme", user, &format!("{OATH}/o-1"));
            let create = app.send(request(Method::POST, &list, &me, &[("x-token", &x)], Some(json!({"label": "another"})))).await;
            let create = create.expect_error(403, "errors.permissionDenied");
            let message = create.body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains(state) && message.contains("self-admin"), "{message}");
            app.send(request(Method::PATCH, &one, &me, &[("x-token", &x)], Some(json!({"stateName": "active", "label": "x"})))).await.expect_error(403, "errors.permissionDenied");
            app.send(request(Method::DELETE, &one, &me, &[("x-token", &x)], None)).await.expect_error(403, "errors.permissionDenied");
            app.get(&one, &me).await.expect_error(403, "errors.permissionDenied");
            app.get(&list, &me).await.expect_error(403, "errors.permissionDenied");
            app.get(&user_path("acme", user, "credentials"), &me).await.expect_error(403, "errors.permissionDenied");
            let items = app.get(&list, &root).await.expect(200).body;
            assert_eq!(items["items"].as_array().unwrap().len(), 1, "{items}");
            assert_eq!(app.get(&one, &root).await.expect(200).body["label"], "phone");
        }
        let me = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        let x = app.x_token("acme", "jdoe");
        app.send(request(Method::POST, &user_path("acme", "jdoe", OATH), &me, &[("x-token", &x)], Some(json!({"label": "mine"})))).await.expect(201);
    }
}
