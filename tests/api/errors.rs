//! Malformed requests get the nevisIDM error envelope, never axum's plain text.

use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use crate::support::{BASE, TestApp, user_path};

async fn with_password(app: &TestApp) -> String {
    app.client_with_user("acme", "jdoe").await;
    let path = user_path("acme", "jdoe", "password");
    app.post(&path, &app.root(), json!({"password": "S3cure-Passw0rd"}))
        .await
        .expect(201);
    path
}

fn raw(
    method: &str,
    path: &str,
    token: &str,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"));
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    builder.body(body.into()).unwrap()
}

both_stores! {
    async fn unparsable_json_is_400(app) {
        let path = with_password(&app).await;
        let root = app.root();
        app.send(raw("PATCH", &path, &root, Some("application/json"), "{\"stateName\": "))
            .await
            .expect_error(400, "errors.invalidData");
        app.send(raw("PATCH", &path, &root, Some("application/json"), vec![0xffu8, 0xfe, 0x7b]))
            .await
            .expect_error(400, "errors.invalidData");
        assert_eq!(app.get(&path, &root).await.body["version"], 1);
    }

    async fn wrong_media_type_is_415(app) {
        let path = with_password(&app).await;
        let root = app.root();
        app.send(raw("PATCH", &path, &root, Some("text/plain"), "{\"stateName\":\"active\"}"))
            .await
            .expect_error(415, "errors.invalidData");
        app.send(raw("PATCH", &path, &root, None, "{\"stateName\":\"active\"}"))
            .await
            .expect_error(415, "errors.invalidData");
        app.send(raw("PATCH", &path, &root, Some("application/x-www-form-urlencoded"), "stateName=active"))
            .await
            .expect_error(415, "errors.invalidData");
        let merge = app
            .send(raw("PATCH", &path, &root, Some("application/merge-patch+json"), "{\"stateName\":\"active\"}"))
            .await
            .expect(200);
        assert_eq!(merge.body["stateName"], "active");
    }

    async fn too_large_is_413(app) {
        let path = with_password(&app).await;
        let root = app.root();
        let comment = "x".repeat(1024 * 1024);
        let body = json!({"modificationComment": comment}).to_string();
        app.send(raw("PATCH", &path, &root, Some("application/json"), body))
            .await
            .expect_error(413, "errors.invalidData");
        let long = json!({"modificationComment": "x".repeat(2000)});
        app.patch(&path, &root, long).await.expect_error(422, "errors.invalidData");
        assert_eq!(app.get(&path, &root).await.body["version"], 1);
    }

    async fn unknown_route_and_method(app) {
        let root = app.root();
        let reply = app.get(&format!("{BASE}/acme/nothing/here"), &root).await.expect_error(404, "errors.noRecord");
        assert_eq!(reply.header("content-type"), Some("application/json"));
        app.get("/", &root).await.expect_error(404, "errors.noRecord");
        app.send(raw("PUT", &user_path("acme", "jdoe", "password"), &root, None, ""))
            .await
            .expect_error(405, "errors.invalidData");
    }

    async fn bad_path_parameters_are_400(app) {
        let path = with_password(&app).await;
        let root = app.root();
        app.get(&user_path("acme", "jd%00oe", "password"), &root).await.expect_error(400, "errors.invalidData");
        app.get(&user_path("acme", "%2E%2E", "password"), &root).await.expect_error(400, "errors.invalidData");
        app.get(&user_path("acme", "a%2Fb", "password"), &root).await.expect_error(400, "errors.invalidData");
        app.get(&user_path("acme", "%FF", "password"), &root).await.expect_error(400, "errors.invalidData");
        let sql = user_path("acme", "x'%20OR%20'1'='1", "password");
        app.get(&sql, &root).await.expect_error(404, "errors.noRecord");
        app.get(&path, &root).await.expect(200);
    }
}
