//! Generic credentials: `api/create-generic-credential`, the properties endpoints
//! (`api/get-generic-credential-properties`, `api/patch-generic-credential-properties`),
//! and get / list / PATCH / delete on the shared flow (docs/compatibility.md).

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, one_parallel_patch_wins, request, user_path};

const LIST: &str = "generic-credentials";

/// acme/jdoe with generic credential `g-1` (two properties); returns its path.
async fn with_generic(app: &TestApp) -> String {
    app.client_with_user("acme", "jdoe").await;
    let body = json!({
        "extId": "g-1",
        "identification": "kerberos:jdoe@EXAMPLE.COM",
        "properties": {"realm": "EXAMPLE.COM", "source": "ad"},
    });
    let created = app
        .post(&user_path("acme", "jdoe", LIST), &app.root(), body)
        .await
        .expect(201);
    assert_eq!(
        created.header("location"),
        Some("/nevisidm/api/core/v1/acme/users/jdoe/generic-credentials/g-1")
    );
    user_path("acme", "jdoe", "generic-credentials/g-1")
}

fn properties_path(path: &str) -> String {
    format!("{path}/properties")
}

both_stores! {
    /// Create as the page documents it: the identification, the properties, the default
    /// policy, `active`, the policy's validity; GET shows the same.
    async fn create_and_get(app) {
        let path = with_generic(&app).await;
        let got = app.get(&path, &app.root()).await.expect(200);
        assert_eq!(got.header("etag"), Some("\"1\""));
        let body = got.body;
        assert_eq!(body["type"], "Generic Credential");
        assert_eq!(body["identification"], "kerberos:jdoe@EXAMPLE.COM");
        assert_eq!(body["properties"], json!({"realm": "EXAMPLE.COM", "source": "ad"}));
        assert_eq!(body["stateName"], "active");
        assert_eq!(body["policyExtId"], "default-GenericCredentialPolicy");
        assert!(body["validity"]["from"].is_string() && body["validity"]["to"].is_string(), "{body}");

        // No properties: `{}`; a validity given in the body replaces the policy's.
        let list = user_path("acme", "jdoe", LIST);
        let bare = app.post(&list, &app.root(), json!({"identification": "x", "stateName": "disabled",
            "validity": {"from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}})).await.expect(201).body;
        assert_eq!(bare["properties"], json!({}));
        assert_eq!(bare["stateName"], "disabled");
        assert_eq!(bare["validity"], json!({"from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}));
        assert!(!bare["extId"].as_str().unwrap().is_empty(), "an extId is generated");
    }

    /// Bad bodies: 422 errors.invalidData naming each problem, nothing stored.
    async fn bad_creates_are_refused_and_store_nothing(app) {
        app.client_with_user("acme", "jdoe").await;
        let list = user_path("acme", "jdoe", LIST);
        let root = app.root();
        for (body, expected) in [
            (json!({}), "Field 'identification' is required"),
            (json!({"identification": ""}), "Field 'identification' must not be empty"),
            (json!({"identification": null}), "Field 'identification' must not be null"),
            (json!({"identification": 7}), "Field 'identification' must be a string"),
            (json!({"identification": "x", "properties": {"n": 1}}), "Field 'properties.n' must be a string or null"),
            (json!({"identification": "x", "properties": "a=b"}), "Field 'properties' must be an object"),
            (json!({"identification": "x", "validity": {"from": "2027-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}}), "must not be after"),
            (json!({"identification": "x", "secret": "s"}), "Field 'secret' is not a field of this resource"),
            (json!({"identification": "x", "policyExtId": "default-PwdPolicy"}), "PwdPolicy"),
        ] {
            let reply = app.post(&list, &root, body.clone()).await;
            assert_eq!(reply.status, 422, "{body}: {}", reply.body);
            assert!(reply.body.to_string().contains(expected), "{body}: {}", reply.body);
        }
        let too_many: serde_json::Map<String, Value> = (0..65).map(|i| (format!("p{i}"), json!("v"))).collect();
        app.post(&list, &root, json!({"identification": "x", "properties": too_many})).await.expect_error(422, "errors.invalidData");
        assert_eq!(app.get(&list, &root).await.expect(200).body["items"], json!([]));
    }

    /// PATCH: identification, validity, comment, state; `properties` only echoed back as
    /// stored; 409 on a stale version; history rows for each change.
    async fn patch_changes_and_records(app) {
        let path = with_generic(&app).await;
        let root = app.root();
        let read = app.get(&path, &root).await.body;
        let patched = app.patch(&path, &root, json!({"identification": "kerberos:jd@EXAMPLE.COM", "modificationComment": "renamed",
            "validity": {"to": null}, "version": 1})).await.expect(200).body;
        assert_eq!(patched["identification"], "kerberos:jd@EXAMPLE.COM");
        assert_eq!(patched["modificationComment"], "renamed");
        assert!(patched["validity"].get("to").is_none(), "{patched}");
        assert_eq!(patched["version"], 2);
        // Echoing the properties unchanged is fine; changing them here is not.
        app.patch(&path, &root, json!({"properties": read["properties"]})).await.expect(200);
        app.patch(&path, &root, json!({"properties": {"realm": "OTHER"}})).await.expect_error(422, "errors.modifyReadonlyData");
        app.patch(&path, &root, json!({"identification": "again", "version": 1})).await.expect_error(409, "errors.optimisticLockingFailure");
        app.patch(&path, &root, json!({"identification": ""})).await.expect_error(422, "errors.invalidData");
        let now = app.get(&path, &root).await.body;
        assert_eq!((now["version"].as_i64(), now["identification"].as_str()), (Some(2), Some("kerberos:jd@EXAMPLE.COM")));
        assert_eq!(app.history_len("acme", "jdoe", "g-1").await, 2);
    }

    /// The properties endpoints: GET the map; PATCH sets the given ones, `null` and `""`
    /// remove, the rest stay; a new version, ETag and a history row; bad values 422.
    async fn properties_endpoints(app) {
        let path = with_generic(&app).await;
        let root = app.root();
        let props = properties_path(&path);
        assert_eq!(app.get(&props, &root).await.expect(200).body, json!({"realm": "EXAMPLE.COM", "source": "ad"}));
        let reply = app.patch(&props, &root, json!({"realm": null, "source": "", "team": "ops"})).await.expect(200);
        assert_eq!(reply.body, json!({"team": "ops"}));
        assert_eq!(reply.header("etag"), Some("\"2\""));
        let got = app.get(&path, &root).await.body;
        assert_eq!((got["properties"].clone(), got["version"].as_i64()), (json!({"team": "ops"}), Some(2)));
        let history = app.get(&user_path("acme", "jdoe", "credentials/g-1/history"), &root).await.expect(200).body;
        let last = history["items"].as_array().unwrap().iter().find(|h| h["version"] == 2).unwrap();
        assert!(last["changes"].as_array().unwrap().iter().any(|c| c["field"] == "properties"), "{history}");

        // The same change again changes nothing: no new version.
        app.patch(&props, &root, json!({"team": "ops"})).await.expect(200);
        assert_eq!(app.get(&path, &root).await.body["version"], 2);
        for bad in [json!({"n": 1}), json!(["team"]), json!({"": "x"})] {
            app.patch(&props, &root, bad).await.expect_error(422, "errors.invalidData");
        }
        // A stale If-Match is 412 and changes nothing.
        app.send(request(Method::PATCH, &props, &root, &[("if-match", "\"1\"")], Some(json!({"x": "y"})))).await.expect(412);
        assert_eq!(app.get(&props, &root).await.body, json!({"team": "ops"}));
        app.get(&properties_path(&user_path("acme", "jdoe", "generic-credentials/none")), &root).await.expect_error(404, "errors.noRecord");
    }

    /// Several per user, listed a page at a time, and in the user's credential list;
    /// DELETE removes one.
    async fn list_and_delete(app) {
        let path = with_generic(&app).await;
        let root = app.root();
        let list = user_path("acme", "jdoe", LIST);
        app.post(&list, &root, json!({"extId": "g-2", "identification": "two"})).await.expect(201);
        let page = app.get(&format!("{list}?limit=1"), &root).await.expect(200).body;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert_eq!(page["items"][0]["extId"], "g-1");
        let all = app.get(&user_path("acme", "jdoe", "credentials"), &root).await.expect(200).body;
        assert!(all["items"].as_array().unwrap().iter().any(|c| c["type"] == "Generic Credential" && c["extId"] == "g-2"), "{all}");
        app.delete(&path, &root).await.expect(204);
        app.get(&path, &root).await.expect_error(404, "errors.noRecord");
        let left: Vec<Value> = app.get(&list, &root).await.body["items"].as_array().unwrap().iter().map(|c| c["extId"].clone()).collect();
        assert_eq!(left, [json!("g-2")]);
    }

    /// Permissions: Helpdesk reads (credential and properties) but does not create;
    /// a user without the property rights cannot create; another client's admin sees nothing.
    async fn permissions(app) {
        let path = with_generic(&app).await;
        let list = user_path("acme", "jdoe", LIST);
        let helpdesk = app.token("hd", &["nevisIdm.Helpdesk"], Some("acme"));
        app.get(&path, &helpdesk).await.expect(200);
        app.get(&properties_path(&path), &helpdesk).await.expect(200);
        app.post(&list, &helpdesk, json!({"identification": "x"})).await.expect_error(403, "errors.permissionDenied");
        app.patch(&properties_path(&path), &helpdesk, json!({"a": "b"})).await.expect_error(403, "errors.permissionDenied");
        let creator = app.mint(&idm_credentials::auth::Claims {
            sub: "creator".into(),
            exp: idm_credentials::auth::jwt::expiry_in(std::time::Duration::from_secs(600)),
            permissions: vec!["AccessControl.CredentialCreate".into(), "AccessControl.CredentialView".into(), "AccessControl.CredentialModify".into()],
            client_ext_id: Some("acme".into()),
            ..Default::default()
        });
        app.post(&list, &creator, json!({"identification": "x"})).await.expect_error(403, "errors.permissionDenied");
        let user_admin = app.token("ua", &["nevisIdm.UserAdmin"], Some("acme"));
        app.post(&list, &user_admin, json!({"identification": "x"})).await.expect(201);
        app.client_with_user("other", "someone").await;
        let other_admin = app.token("oa", &["nevisIdm.UserAdmin"], Some("other"));
        app.get(&path, &other_admin).await.expect_error(403, "errors.permissionDenied");
        app.get(&properties_path(&path), &other_admin).await.expect_error(403, "errors.permissionDenied");
    }

    /// Self-admin: reads without an X-Token; create, PATCH, properties and DELETE with
    /// one; `validity` is refused in self-admin mode; another user's credentials are 403.
    async fn self_admin(app) {
        let path = with_generic(&app).await;
        let list = user_path("acme", "jdoe", LIST);
        let me = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        let x = app.x_token("acme", "jdoe");
        let with_x = |method: Method, path: &str, body: Option<Value>| request(method, path, &me, &[("x-token", &x)], body);

        app.get(&path, &me).await.expect(200);
        app.get(&properties_path(&path), &me).await.expect(200);
        app.post(&list, &me, json!({"identification": "mine"})).await.expect_error(401, "errors.unauthenticated");
        app.patch(&properties_path(&path), &me, json!({"a": "b"})).await.expect_error(401, "errors.unauthenticated");

        let refused = app.send(with_x(Method::POST, &list, Some(json!({"identification": "mine", "validity": {"to": "2030-01-01T00:00:00Z"}})))).await.expect_error(422, "errors.invalidData");
        assert!(refused.body.to_string().contains("Field 'validity' must not be given in self-admin mode"), "{}", refused.body);
        app.send(with_x(Method::PATCH, &path, Some(json!({"validity": {"to": null}})))).await.expect_error(422, "errors.invalidData");
        let created = app.send(with_x(Method::POST, &list, Some(json!({"extId": "g-mine", "identification": "mine", "properties": {"k": "v"}})))).await.expect(201).body;
        assert_eq!(created["properties"], json!({"k": "v"}));
        let patched = app.send(with_x(Method::PATCH, &path, Some(json!({"identification": "renamed"})))).await.expect(200).body;
        assert_eq!(patched["identification"], "renamed");
        let props = app.send(with_x(Method::PATCH, &properties_path(&path), Some(json!({"k": "v"})))).await.expect(200).body;
        assert_eq!(props["k"], "v");
        app.send(with_x(Method::DELETE, &path, None)).await.expect(204);

        app.add_user("acme", "other").await;
        let others = user_path("acme", "other", LIST);
        app.send(with_x(Method::POST, &others, Some(json!({"identification": "theirs"})))).await.expect_error(403, "errors.permissionDenied");
    }

    /// 32 same-version PATCHes of one credential, and of its properties: one wins each time.
    async fn parallel_patches_with_one_version(app) {
        let path = with_generic(&app).await;
        one_parallel_patch_wins(&app, &path, 1, 32, |i| json!({"identification": format!("writer {i}")})).await;
        let root = app.root();
        let props = properties_path(&path);
        let replies = futures_util::future::join_all((0..16).map(|i| {
            app.send(request(Method::PATCH, &props, &root, &[("if-match", "\"2\"")], Some(json!({"writer": i.to_string()}))))
        }))
        .await;
        let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert!(statuses.iter().all(|s| *s == 200 || *s == 412), "{statuses:?}");
        assert_eq!(app.get(&path, &root).await.body["version"], 3);
        assert_eq!(app.history_len("acme", "jdoe", "g-1").await, 3);
    }
}
