//! Operations: `/metrics`, health, CORS, compression and request ids, through the real
//! router.

use std::io::Read;

use axum::body::Body;
use axum::http::{Method, Request};
use http_body_util::BodyExt;
use idm_credentials::app::Limits;
use idm_credentials::store::Store;
use serde_json::json;
use tower::ServiceExt;

use crate::support::{BASE, TestApp, user_path};

const MTAN_ROUTE: &str = "/nevisidm/api/core/v1/{clientExtId}/users/{userExtId}/mtans/{extId}";

/// The value of the sample `name{labels}` whose labels are exactly `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut wanted: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    wanted.sort();
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (series_name, rest) = series.split_once('{').unwrap_or((series, "}"));
        let mut found: Vec<String> = rest
            .trim_end_matches('}')
            .split(',')
            .filter(|pair| !pair.is_empty())
            .map(str::to_owned)
            .collect();
        found.sort();
        (series_name == name && found == wanted).then(|| value.parse().unwrap())
    })
}

async fn scrape(app: &TestApp) -> String {
    let reply = app
        .call(Method::GET, "/metrics", None, None)
        .await
        .expect(200);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    reply.body.as_str().unwrap().to_owned()
}

/// Client acme, user jdoe, mTAN m-1; returns its path.
async fn with_mtan(app: &TestApp) -> String {
    app.client_with_user("acme", "jdoe").await;
    let body = json!({"extId": "m-1", "mobileNumber": "+41 79 123 45 67"});
    app.post(&user_path("acme", "jdoe", "mtans"), &app.root(), body)
        .await
        .expect(201);
    user_path("acme", "jdoe", "mtans/m-1")
}

fn patch_if_match(path: &str, token: &str, version: &str) -> Request<Body> {
    Request::patch(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/merge-patch+json")
        .header("if-match", version)
        .body(Body::from(json!({"stateName": "disabled"}).to_string()))
        .unwrap()
}

both_stores! {
    /// Requests are counted by route template and status (unknown paths share one label),
    /// latency is a histogram, and both kinds of version conflict are counted.
    async fn metrics_count_requests_by_route_and_conflicts(app) {
        let path = with_mtan(&app).await;
        let root = app.root();
        app.get(&path, &root).await.expect(200);
        app.get(&path, &root).await.expect(200);
        app.patch(&path, &root, json!({"stateName": "disabled", "version": 7})).await.expect_error(409, "errors.optimisticLockingFailure");
        app.send(patch_if_match(&path, &root, "\"5\"")).await.expect_error(412, "errors.optimisticLockingFailure");
        app.patch(&path, &root, json!({"stateName": "disabled"})).await.expect(200);
        app.get(&format!("{BASE}/no/such/thing"), &root).await.expect(404);
        app.get("/elsewhere/entirely", &root).await.expect(404);

        let text = scrape(&app).await;
        let requests = |method, status| sample(&text, "http_requests_total", &[("method", method), ("route", MTAN_ROUTE), ("status", status)]);
        assert_eq!(requests("GET", "200"), Some(2.0), "{text}");
        assert_eq!(requests("PATCH", "409"), Some(1.0), "{text}");
        assert_eq!(requests("PATCH", "412"), Some(1.0), "{text}");
        assert_eq!(requests("PATCH", "200"), Some(1.0), "{text}");
        assert_eq!(sample(&text, "http_requests_total", &[("method", "GET"), ("route", "unmatched"), ("status", "404")]), Some(2.0), "{text}");
        assert!(!text.contains("no/such/thing") && !text.contains("elsewhere"), "raw paths never become labels: {text}");

        let conflicts = |status| sample(&text, "idm_optimistic_lock_conflicts_total", &[("method", "PATCH"), ("route", MTAN_ROUTE), ("status", status)]);
        assert_eq!(conflicts("409"), Some(1.0), "{text}");
        assert_eq!(conflicts("412"), Some(1.0), "{text}");
        assert_eq!(text.lines().filter(|l| l.starts_with("idm_optimistic_lock_conflicts_total{")).count(), 2, "a 200 is no conflict: {text}");

        let latency = [("method", "GET"), ("route", MTAN_ROUTE)];
        assert_eq!(sample(&text, "http_request_duration_seconds_count", &latency), Some(2.0), "{text}");
        let mut inf = latency.to_vec();
        inf.push(("le", "+Inf"));
        assert_eq!(sample(&text, "http_request_duration_seconds_bucket", &inf), Some(2.0), "{text}");
        assert!(sample(&text, "http_request_duration_seconds_sum", &latency).unwrap() > 0.0);
    }

    /// The pool gauges are read at scrape time: a connection held elsewhere shows as in use.
    async fn metrics_pool_gauges_are_fresh_at_each_scrape(app) {
        app.client_with_user("acme", "jdoe").await;
        let held = match &app.state.store {
            Store::Postgres(pool) => HeldConnection::Postgres(pool.acquire().await.unwrap()),
            Store::Sqlite(pool) => HeldConnection::Sqlite(pool.acquire().await.unwrap()),
        };
        let text = scrape(&app).await;
        let in_use = sample(&text, "idm_db_pool_connections_in_use", &[]).unwrap();
        assert!(in_use >= 1.0, "{text}");
        assert!(sample(&text, "idm_db_pool_connections_idle", &[]).is_some(), "{text}");
        drop(held);
        // Returning a connection to the pool happens in the background.
        let mut in_use_after = in_use;
        for _ in 0..50 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            in_use_after = sample(&scrape(&app).await, "idm_db_pool_connections_in_use", &[]).unwrap();
            if in_use_after < in_use {
                break;
            }
        }
        assert!(in_use_after < in_use, "the gauge follows the pool: {in_use} then {in_use_after}");
    }

    /// Ready asks the database: 200 while it answers, 503 with the nevis body once it is gone;
    /// live does not depend on it.
    async fn ready_reports_the_database(app) {
        let ready = app.call(Method::GET, "/health/ready", None, None).await.expect(200);
        assert_eq!(ready.body, "ok");
        app.state.store.close().await;
        let ready = app.call(Method::GET, "/health/ready", None, None).await.expect_error(503, "errors.fatalError");
        assert!(ready.header("retry-after").is_some());
        app.call(Method::GET, "/health/live", None, None).await.expect(200);
    }

    /// A request id sent by the client is echoed; without one, a fresh one is made.
    async fn request_ids_are_echoed_or_generated(app) {
        let request = Request::get("/health/live").header("x-request-id", "abc-123").body(Body::empty()).unwrap();
        assert_eq!(app.send(request).await.header("x-request-id"), Some("abc-123"));
        let first = app.call(Method::GET, "/health/live", None, None).await;
        let second = app.call(Method::GET, "/health/live", None, None).await;
        let (first, second) = (first.header("x-request-id").unwrap(), second.header("x-request-id").unwrap());
        assert_eq!(first.len(), 36, "a UUID: {first}");
        assert_ne!(first, second);
    }

    /// Only ids of up to 64 characters of `[A-Za-z0-9._-]` are taken from the client; any
    /// other is replaced by a generated one (it would be echoed and logged).
    async fn unsafe_request_ids_are_replaced(app) {
        let longest = "a".repeat(64);
        for kept in ["abc-123", "A.b_C-9", longest.as_str()] {
            let request = Request::get("/health/live").header("x-request-id", kept).body(Body::empty()).unwrap();
            assert_eq!(app.send(request).await.header("x-request-id"), Some(kept));
        }
        let too_long = "a".repeat(65);
        for forged in ["abc status=500 route=/forged", "a\"b", "id\tx", "", "a/b", too_long.as_str()] {
            let request = Request::get("/health/live").header("x-request-id", forged).body(Body::empty()).unwrap();
            let echoed = app.send(request).await.header("x-request-id").unwrap().to_owned();
            assert_eq!(echoed.len(), 36, "{forged:?} became a UUID: {echoed}");
        }
    }

    /// Made-up methods (100 of them, 2 KB each) on a route and on an unknown path: the
    /// method label is `other`, so the exposition gains at most a few series, and never
    /// the method's text.
    async fn made_up_methods_share_one_label(app) {
        app.call(Method::GET, "/health/live", None, None).await.expect(200);
        let before = scrape(&app).await;
        for i in 0..100 {
            let method = Method::from_bytes(format!("Y{i}{}", "Y".repeat(2000)).as_bytes()).unwrap();
            app.call(method.clone(), "/health/live", None, None).await.expect(405);
            app.call(method, "/no/such/path", None, None).await.expect(404);
        }
        let text = scrape(&app).await;
        assert!(!text.contains("YYYY"), "{text}");
        assert_eq!(sample(&text, "http_requests_total", &[("method", "other"), ("route", "/health/live"), ("status", "405")]), Some(100.0), "{text}");
        assert_eq!(sample(&text, "http_requests_total", &[("method", "other"), ("route", "unmatched"), ("status", "404")]), Some(100.0), "{text}");
        let series = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();
        assert!(series(&text) <= series(&before) + 100, "{} series before, {} after", series(&before), series(&text));
    }

    /// Responses are gzipped for clients that ask, and plain for the others.
    async fn responses_are_gzipped_on_request(app) {
        let path = with_mtan(&app).await;
        let root = app.root();
        let plain = app.get(&path, &root).await.expect(200);
        assert_eq!(plain.header("content-encoding"), None);
        let request = Request::get(path.as_str())
            .header("authorization", format!("Bearer {root}"))
            .header("accept-encoding", "gzip")
            .body(Body::empty())
            .unwrap();
        let response = app.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-encoding"], "gzip");
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).unwrap();
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), plain.body);
    }

    /// CORS is off by default: no CORS headers, and a preflight is not answered as one.
    async fn cors_is_off_by_default(app) {
        let reply = app.send(preflight("https://admin.example.com")).await;
        assert_ne!(reply.status, 200);
        assert_eq!(reply.header("access-control-allow-origin"), None);
        let request = Request::get("/health/live").header("origin", "https://admin.example.com").body(Body::empty()).unwrap();
        assert_eq!(app.send(request).await.header("access-control-allow-origin"), None);
    }

    /// With IDM_CORS_ORIGINS, a listed origin's preflight and request get CORS headers;
    /// another origin gets none.
    async fn cors_allows_the_configured_origins(app) {
        let limits = Limits {
            cors_origins: vec!["https://admin.example.com".parse().unwrap(), "http://localhost:3000".parse().unwrap()],
            ..Limits::default()
        };
        let app = app.with_limits(limits);
        let reply = app.send(preflight("https://admin.example.com")).await.expect(200);
        assert_eq!(reply.header("access-control-allow-origin"), Some("https://admin.example.com"));
        let methods = reply.header("access-control-allow-methods").unwrap();
        assert!(methods.contains("PATCH"), "{methods}");
        let headers = reply.header("access-control-allow-headers").unwrap().to_ascii_lowercase();
        assert!(headers.contains("authorization") && headers.contains("if-match"), "{headers}");

        app.client_with_user("acme", "jdoe").await;
        let request = Request::get(format!("{BASE}/clients/acme"))
            .header("authorization", format!("Bearer {}", app.root()))
            .header("origin", "http://localhost:3000")
            .body(Body::empty())
            .unwrap();
        let reply = app.send(request).await.expect(200);
        assert_eq!(reply.header("access-control-allow-origin"), Some("http://localhost:3000"));
        assert!(reply.header("access-control-expose-headers").unwrap().to_ascii_lowercase().contains("etag"));

        let reply = app.send(preflight("https://evil.example.com")).await;
        assert_eq!(reply.header("access-control-allow-origin"), None);
    }
}

enum HeldConnection {
    Postgres(#[allow(dead_code)] idm_credentials::store::Lease<sqlx::Postgres>),
    Sqlite(#[allow(dead_code)] idm_credentials::store::Lease<sqlx::Sqlite>),
}

fn preflight(origin: &str) -> Request<Body> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri(format!("{BASE}/clients/acme"))
        .header("origin", origin)
        .header("access-control-request-method", "PATCH")
        .header(
            "access-control-request-headers",
            "authorization,content-type,if-match",
        )
        .body(Body::empty())
        .unwrap()
}

/// Shutdown lets a request that is already running finish, then `serve` returns.
#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let router = axum::Router::new().route(
        "/slow",
        axum::routing::get(|| async {
            tokio::time::sleep(std::time::Duration::from_millis(400)).await;
            "done"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(idm_credentials::server::serve(
        listener,
        router,
        Default::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let mut client = tokio::net::TcpStream::connect(address).await.unwrap();
    client
        .write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    let mut response = String::new();
    client.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("done"), "{response}");
    tokio::time::timeout(std::time::Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
