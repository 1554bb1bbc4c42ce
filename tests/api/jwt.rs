//! Bearer tokens and X-Tokens by RFC 7519/7515, through the real router: `nbf`, `crit`,
//! an empty `sub`, `aud` as an array, a fractional `exp`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use idm_credentials::auth::Keys;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::support::{SECRET, TestApp, user_path};

/// A test-only RSA key pair (tests/fixtures), for RS256 Bearer tokens.
const RS256_PRIVATE: &[u8] = include_bytes!("../fixtures/jwt-rs256-private.pem");
const RS256_PUBLIC: &[u8] = include_bytes!("../fixtures/jwt-rs256-public.pem");

fn now() -> u64 {
    chrono::Utc::now().timestamp() as u64
}

/// `claims` signed with HS256 and the test secret, under `header`'s extra fields.
fn hs256(header: Header, claims: &Value) -> String {
    encode(
        &header,
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

fn rs256(claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(RS256_PRIVATE).unwrap();
    encode(&Header::new(Algorithm::RS256), claims, &key).unwrap()
}

/// Root's claims, valid for an hour, with `extra` on top.
fn root(extra: Value) -> Value {
    let mut claims = json!({"sub": "root-admin", "exp": now() + 3600, "roles": ["nevisIdm.Root"]});
    for (name, value) in extra.as_object().unwrap() {
        claims[name] = value.clone();
    }
    claims
}

/// The same application with other keys (an RS256 public key, an audience).
fn with_keys(app: &TestApp, keys: Keys) -> TestApp {
    let mut state = app.state.clone();
    state.keys = Arc::new(keys);
    app.sibling(state)
}

/// Client acme, user jdoe with a password; its path.
async fn setup(app: &TestApp) -> String {
    app.client_with_user("acme", "jdoe").await;
    let path = user_path("acme", "jdoe", "password");
    app.post(&path, &app.root(), json!({"password": "S3cure-Passw0rd"}))
        .await
        .expect(201);
    path
}

both_stores! {
    /// `nbf` in the future is refused (Bearer HS256 and RS256); in the past it is fine.
    async fn a_bearer_token_is_refused_before_its_nbf(app) {
        let path = setup(&app).await;
        let early = root(json!({"nbf": now() + 600}));
        let due = root(json!({"nbf": now() - 60}));
        app.get(&path, &hs256(Header::default(), &early)).await.expect_error(401, "errors.unauthenticated");
        app.get(&path, &hs256(Header::default(), &due)).await.expect(200);

        let rsa = with_keys(&app, Keys::new(SECRET.as_bytes()).with_public_key_pem(RS256_PUBLIC).unwrap());
        rsa.get(&path, &rs256(&early)).await.expect_error(401, "errors.unauthenticated");
        rsa.get(&path, &rs256(&due)).await.expect(200);
        // Asked again: a remembered token is still refused.
        rsa.get(&path, &rs256(&early)).await.expect_error(401, "errors.unauthenticated");
    }

    /// A `crit` header names extensions the server would have to understand: it
    /// understands none, so the token is refused (RFC 7515 section 4.1.11).
    async fn a_token_with_critical_extensions_is_refused(app) {
        let path = setup(&app).await;
        let header = Header { crit: Some(vec!["exp".into()]), ..Header::default() };
        app.get(&path, &hs256(header, &root(json!({})))).await.expect_error(401, "errors.unauthenticated");
    }

    /// An empty `sub` names nobody (history would record an empty actor); control
    /// characters are refused too (PostgreSQL cannot store a NUL).
    async fn a_token_with_an_empty_sub_is_refused(app) {
        let path = setup(&app).await;
        for sub in ["", "  ", "root\u{0}admin", "root\nadmin"] {
            let token = hs256(Header::default(), &root(json!({"sub": sub})));
            app.patch(&path, &token, json!({"stateName": "disabled"})).await.expect_error(401, "errors.unauthenticated");
        }
        assert_eq!(app.get(&path, &app.root()).await.body["version"], 1);
    }

    /// `aud` may be an array: accepted when it holds the configured audience.
    async fn an_audience_array_with_this_server_is_accepted(app) {
        let path = setup(&app).await;
        let api = with_keys(&app, Keys::new(SECRET.as_bytes()).with_audience(Some("idm".into())));
        let token = |aud: Value| hs256(Header::default(), &root(json!({"aud": aud})));
        api.get(&path, &token(json!(["other", "idm"]))).await.expect(200);
        api.get(&path, &token(json!("idm"))).await.expect(200);
        api.get(&path, &token(json!(["other"]))).await.expect_error(401, "errors.unauthenticated");
        api.get(&path, &token(json!([]))).await.expect_error(401, "errors.unauthenticated");
    }

    /// A NumericDate may have a fraction (RFC 7519 section 2).
    async fn a_fractional_exp_is_accepted(app) {
        let path = setup(&app).await;
        let token = hs256(Header::default(), &root(json!({"exp": now() as f64 + 3600.5})));
        app.get(&path, &token).await.expect(200);
        let expired = hs256(Header::default(), &root(json!({"exp": 1_000_000.5})));
        app.get(&path, &expired).await.expect_error(401, "errors.unauthenticated");
    }

    /// X-Tokens: a future `nbf`, a `crit` header, no `token_use` "x-token", no
    /// `clientExtId` or no `nbf` are refused; the same token without those faults lets the
    /// self-admin delete their password.
    async fn x_tokens_follow_the_same_rules(app) {
        let path = setup(&app).await;
        let me = app.token("jdoe", &["nevisIdm.SelfAdmin"], Some("acme"));
        let delete_with = |x_token: String| {
            Request::delete(path.as_str())
                .header("authorization", format!("Bearer {me}"))
                .header("x-token", x_token)
                .body(Body::empty())
                .unwrap()
        };
        let x = |extra: Value| {
            let mut claims = json!({"sub": "jdoe", "clientExtId": "acme", "token_use": "x-token", "exp": now() + 600, "nbf": now() - 1});
            for (name, value) in extra.as_object().unwrap() {
                claims[name] = value.clone();
            }
            claims
        };
        app.send(delete_with(hs256(Header::default(), &x(json!({"nbf": now() + 600}))))).await.expect_error(401, "errors.unauthenticated");
        let critical = Header { crit: Some(vec!["exp".into()]), ..Header::default() };
        app.send(delete_with(hs256(critical, &x(json!({}))))).await.expect_error(401, "errors.unauthenticated");
        // What makes an X-Token: its token_use, its client and its nbf.
        for missing in ["token_use", "clientExtId", "nbf"] {
            let mut claims = x(json!({}));
            claims.as_object_mut().unwrap().remove(missing);
            app.send(delete_with(hs256(Header::default(), &claims))).await.expect_error(401, "errors.unauthenticated");
        }
        app.send(delete_with(hs256(Header::default(), &x(json!({"token_use": "access"}))))).await.expect_error(401, "errors.unauthenticated");
        app.get(&path, &app.root()).await.expect(200);
        app.send(delete_with(hs256(Header::default(), &x(json!({"nbf": now() - 60, "exp": now() as f64 + 600.25}))))).await.expect(204);
    }
}
