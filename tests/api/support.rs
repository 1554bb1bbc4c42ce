//! The test harness: a [`TestApp`] around the real router, and `both_stores!`, which
//! turns one test body into a SQLite test and a PostgreSQL test.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use clap::Parser;
use http_body_util::BodyExt;
use idm_credentials::app::{self, AppState, Limits, SecretKey};
use idm_credentials::auth::jwt::expiry_in;
use idm_credentials::auth::{Claims, Keys};
use idm_credentials::config::Cli;
use idm_credentials::store::{PoolSettings, Store};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const SECRET: &str = "test-secret-0123456789abcdef0123456789";
pub const BASE: &str = "/nevisidm/api/core/v1";

/// Defines `mod $name { fn sqlite(); fn postgres(); }` running `$body` with `$app` bound
/// to a [`TestApp`] on a fresh database of each backend.
macro_rules! both_stores {
    ($($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block)*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[sqlx::test(migrations = false)]
            async fn sqlite(
                pool: sqlx::sqlite::SqlitePoolOptions,
                options: sqlx::sqlite::SqliteConnectOptions,
            ) {
                let $app = crate::support::TestApp::sqlite(pool, options).await;
                $body
            }

            #[sqlx::test(migrations = false)]
            async fn postgres(pool: sqlx::PgPool) {
                let $app = crate::support::TestApp::new(idm_credentials::store::Store::from(pool)).await;
                $body
            }
        }
    )*};
}

pub struct TestApp {
    pub router: Router,
    /// For tests that build a router with other limits.
    pub state: AppState,
    keys: Keys,
    /// The database behind the router, for tests that check what is stored.
    pub store: Store,
    /// The key that seals OATH secrets in this app's database.
    pub secret_key: SecretKey,
}

/// A response, with its body parsed as JSON (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The first error code of a nevisIDM error body.
    pub fn code(&self) -> &str {
        self.body["errors"][0]["code"]
            .as_str()
            .unwrap_or("<no error code>")
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }

    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Self {
        let reply = self.expect(status);
        assert_eq!(reply.code(), code, "body: {}", reply.body);
        reply
    }
}

impl TestApp {
    pub async fn new(store: Store) -> Self {
        store.migrate().await.expect("migrations apply");
        let cli = Cli::try_parse_from(["idm-credentials", "--jwt-secret", SECRET])
            .expect("settings parse");
        let state = AppState::initialize(store, &cli.settings)
            .await
            .expect("state initializes");
        Self {
            store: state.store.clone(),
            secret_key: (*state.secret_key).clone(),
            router: app::build_router(state.clone(), Limits::default()),
            state,
            keys: Keys::new(SECRET.as_bytes()),
        }
    }

    /// Another router on the same database, built from `state` (say, other JWT keys).
    pub fn sibling(&self, state: AppState) -> Self {
        Self {
            router: app::build_router(state.clone(), Limits::default()),
            state,
            keys: Keys::new(SECRET.as_bytes()),
            store: self.store.clone(),
            secret_key: self.secret_key.clone(),
        }
    }

    /// The same application with other HTTP limits and policies (say, CORS origins).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.router = app::build_router(self.state.clone(), limits);
        self
    }

    pub async fn sqlite(
        pool: sqlx::sqlite::SqlitePoolOptions,
        options: sqlx::sqlite::SqliteConnectOptions,
    ) -> Self {
        let settings = PoolSettings::default();
        let pool = idm_credentials::store::sqlite::connect_with(pool, options, settings)
            .await
            .expect("sqlite opens");
        Self::new(Store::from(pool)).await
    }

    /// A token with `roles` in `client` (`None`: no client claim), valid for an hour.
    pub fn token(&self, sub: &str, roles: &[&str], client: Option<&str>) -> String {
        self.keys
            .mint(&Claims {
                sub: sub.into(),
                exp: expiry_in(Duration::from_secs(3600)),
                roles: roles.iter().map(|r| r.to_string()).collect(),
                client_ext_id: client.map(str::to_owned),
                ..Claims::default()
            })
            .expect("token signs")
    }

    /// An X-Token for `user` of `client`, as POST /principal/v1/token issues it.
    pub fn x_token(&self, client: &str, user: &str) -> String {
        self.keys.mint_x_token(client, user).expect("X-Token signs")
    }

    pub fn mint(&self, claims: &Claims) -> String {
        self.keys.mint(claims).expect("token signs")
    }

    pub fn root(&self) -> String {
        self.token("root-admin", &["nevisIdm.Root"], None)
    }

    /// Sends a request; `body` is sent as `application/json`.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => builder
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        }
        .expect("request builds");
        self.send(request).await
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body reads")
            .to_bytes();
        let json = headers
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        if json && !bytes.is_empty() {
            // Every JSON body ends with a newline, so a terminal prints the next one on a
            // line of its own.
            assert_eq!(
                bytes.last(),
                Some(&b'\n'),
                "{}",
                String::from_utf8_lossy(&bytes)
            );
        }
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Creates client `client` with user `user` (loginId = user).
    pub async fn client_with_user(&self, client: &str, user: &str) {
        let root = self.root();
        self.post(
            &format!("{BASE}/clients"),
            &root,
            json!({"extId": client, "name": format!("Client {client}")}),
        )
        .await
        .expect(201);
        self.add_user(client, user).await;
    }

    pub async fn add_user(&self, client: &str, user: &str) {
        let root = self.root();
        self.post(
            &format!("{BASE}/{client}/users"),
            &root,
            json!({"extId": user, "loginId": user}),
        )
        .await
        .expect(201);
    }

    pub async fn add_policy(
        &self,
        client: &str,
        ext_id: &str,
        policy_type: &str,
        parameters: Value,
    ) {
        let root = self.root();
        let body = json!({"extId": ext_id, "name": ext_id, "policyType": policy_type, "parameters": parameters});
        self.post(&format!("{BASE}/{client}/policies"), &root, body)
            .await
            .expect(201);
    }

    /// The number of history rows of a user's credential.
    pub async fn history_len(&self, client: &str, user: &str, ext_id: &str) -> usize {
        let path = format!("{BASE}/{client}/users/{user}/credentials/{ext_id}/history");
        let reply = self.get(&path, &self.root()).await.expect(200);
        reply.body["items"].as_array().map(Vec::len).unwrap_or(0)
    }
}

/// Of concurrent replies: how many succeeded (200) and how many lost the optimistic
/// lock (409 `errors.optimisticLockingFailure`).
pub fn wins_and_conflicts(replies: &[Reply]) -> (usize, usize) {
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let conflicts = replies
        .iter()
        .filter(|r| r.status == 409 && r.code() == "errors.optimisticLockingFailure")
        .count();
    (ok, conflicts)
}

/// Sends `writers` PATCHes of `path` at once, each carrying `version`, and checks that
/// exactly one wins and every other one is 409 optimisticLockingFailure.
pub async fn one_parallel_patch_wins(
    app: &TestApp,
    path: &str,
    version: i64,
    writers: usize,
    body: impl Fn(usize) -> Value,
) {
    let root = app.root();
    let requests = (0..writers).map(|i| {
        let mut body = body(i);
        body["version"] = json!(version);
        app.patch(path, &root, body)
    });
    let replies = futures_util::future::join_all(requests).await;
    let statuses: Vec<_> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        wins_and_conflicts(&replies),
        (1, writers - 1),
        "{statuses:?}"
    );
    assert_eq!(
        app.get(path, &root).await.body["version"].as_i64(),
        Some(version + 1)
    );
}

/// A request with a bearer token, extra headers (X-Token, If-Match, Content-Type, ...) and
/// an optional JSON body, sent as `application/json` unless a Content-Type is among `headers`.
pub fn request(
    method: Method,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let typed = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    match body {
        Some(body) if typed => builder.body(Body::from(body.to_string())),
        Some(body) => builder
            .header("content-type", "application/json")
            .body(Body::from(body.to_string())),
        None => builder.body(Body::empty()),
    }
    .expect("request builds")
}

pub fn user_path(client: &str, user: &str, rest: &str) -> String {
    format!("{BASE}/{client}/users/{user}/{rest}")
}
