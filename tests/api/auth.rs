//! Authentication and permissions through the real router.

use idm_credentials::auth::Claims;
use serde_json::json;

use crate::support::{TestApp, user_path};

async fn setup(app: &TestApp) -> String {
    app.client_with_user("acme", "jdoe").await;
    app.add_user("acme", "other").await;
    let path = user_path("acme", "jdoe", "password");
    app.post(&path, &app.root(), json!({"password": "S3cure-Passw0rd"}))
        .await
        .expect(201);
    app.post(
        &user_path("acme", "other", "password"),
        &app.root(),
        json!({"password": "S3cure-Passw0rd"}),
    )
    .await
    .expect(201);
    path
}

both_stores! {
    /// Missing, malformed, expired and foreign tokens: 401 with a Bearer challenge.
    async fn bad_tokens_are_401(app) {
        let path = setup(&app).await;
        let reply = app.call(axum::http::Method::GET, &path, None, None).await.expect_error(401, "errors.unauthenticated");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        app.get(&path, "garbage").await.expect_error(401, "errors.unauthenticated");
        let expired = app.mint(&Claims {
            sub: "root".into(),
            exp: 1_000_000,
            roles: vec!["Root".into()],
            ..Claims::default()
        });
        app.get(&path, &expired).await.expect_error(401, "errors.unauthenticated");
        let foreign = idm_credentials::auth::Keys::new(b"some-other-servers-secret-value!!")
            .mint(&Claims {
                sub: "root".into(),
                exp: u64::MAX / 2,
                roles: vec!["Root".into()],
                ..Claims::default()
            })
            .unwrap();
        app.get(&path, &foreign).await.expect_error(401, "errors.unauthenticated");
        // PATCH with a bad token changes nothing.
        app.patch(&path, "garbage", json!({"stateName": "disabled"})).await.expect(401);
        assert_eq!(app.get(&path, &app.root()).await.body["version"], 1);
    }

    /// Helpdesk may modify but not delete; nobody but Root acts in another client.
    async fn permissions_and_client_scope(app) {
        let path = setup(&app).await;
        let helpdesk = app.token("hd", &["nevisIdm.Helpdesk"], Some("acme"));
        app.patch(&path, &helpdesk, json!({"stateName": "active"})).await.expect(200);
        app.delete(&path, &helpdesk).await.expect_error(403, "errors.permissionDenied");
        app.post(&user_path("acme", "jdoe", "ticket"), &helpdesk, json!({})).await.expect_error(403, "errors.permissionDenied");
        let elsewhere = app.token("hd", &["nevisIdm.Helpdesk"], Some("globex"));
        app.patch(&path, &elsewhere, json!({"stateName": "disabled"})).await.expect_error(403, "errors.permissionDenied");
        let client_root = app.token("cr", &["ClientRoot"], Some("globex"));
        app.get(&path, &client_root).await.expect_error(403, "errors.permissionDenied");
        let nothing = app.token("x", &[], Some("acme"));
        app.get(&path, &nothing).await.expect_error(403, "errors.permissionDenied");
        assert_eq!(app.get(&path, &app.root()).await.body["stateName"], "active");
    }

    /// A token whose roles this server does not know says so, instead of blaming the client.
    async fn a_token_that_grants_nothing_is_told_so(app) {
        let path = setup(&app).await;
        for roles in [&["root"][..], &["Bogus"], &[]] {
            let token = app.token("x", roles, Some("acme"));
            let reply = app.get(&path, &token).await.expect_error(403, "errors.permissionDenied");
            assert!(reply.body.to_string().contains("grants no permission"), "{roles:?}: {}", reply.body);
        }
        let elsewhere = app.token("hd", &["Helpdesk"], Some("globex"));
        let reply = app.get(&path, &elsewhere).await.expect_error(403, "errors.permissionDenied");
        assert!(reply.body.to_string().contains("may not act in client acme"), "{}", reply.body);
    }

    /// Self-admin: own credential only; password delete needs a valid X-Token.
    async fn self_admin_mode(app) {
        let path = setup(&app).await;
        let me = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        let own = app.get(&path, &me).await.expect(200);
        assert!(own.body.get("password").is_none(), "self-admin does not see the hash");
        app.get(&user_path("acme", "other", "password"), &me).await.expect_error(403, "errors.permissionDenied");
        app.patch(&path, &me, json!({"stateName": "disabled"})).await.expect_error(403, "errors.permissionDenied");
        app.delete(&path, &me).await.expect_error(401, "errors.unauthenticated");

        let delete_with = |x_token: String| {
            axum::http::Request::delete(path.as_str())
                .header("authorization", format!("Bearer {me}"))
                .header("x-token", x_token)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        let for_other = app.x_token("acme", "other");
        app.send(delete_with(for_other)).await.expect_error(401, "errors.unauthenticated");
        app.send(delete_with("not-a-jwt".into())).await.expect_error(401, "errors.unauthenticated");
        app.get(&path, &app.root()).await.expect(200);
        let x_token = app.x_token("acme", "jdoe");
        app.send(delete_with(x_token)).await.expect(204);
        app.get(&path, &app.root()).await.expect_error(404, "errors.noRecord");
        let other_path = user_path("acme", "other", "password");
        let for_jdoe = app.x_token("acme", "jdoe");
        let request = axum::http::Request::delete(other_path.as_str())
            .header("authorization", format!("Bearer {me}"))
            .header("x-token", for_jdoe)
            .body(axum::body::Body::empty())
            .unwrap();
        app.send(request).await.expect_error(403, "errors.permissionDenied");
        app.get(&other_path, &app.root()).await.expect(200);
    }

    /// Explicit permissions in the token count like role rights.
    async fn explicit_permissions(app) {
        let path = setup(&app).await;
        let token = app.mint(&Claims {
            sub: "svc".into(),
            exp: u64::MAX / 2,
            permissions: vec!["AccessControl.CredentialView".into()],
            client_ext_id: Some("acme".into()),
            ..Claims::default()
        });
        app.get(&path, &token).await.expect(200);
        app.patch(&path, &token, json!({"stateName": "active"})).await.expect_error(403, "errors.permissionDenied");
    }
}
