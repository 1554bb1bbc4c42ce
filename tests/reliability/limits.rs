//! Part 7: the request timeout, the body limit, the pool acquire timeout, and a graceful
//! shutdown that completes the request in flight.

use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::sleep;

use crate::support::{
    BASE, PgTest, Server, TempDir, exchange, read_reply, request_bytes, root_token, send,
};

/// A SQLite server in its own directory with `env`, and a Root token.
fn sqlite_server(name: &str, env: &[(&str, &str)]) -> (TempDir, Server, String) {
    let dir = TempDir::new(name);
    let url = format!("sqlite://{}", dir.0.join("idm.db").display());
    let mut env = env.to_vec();
    env.push(("DATABASE_URL", &url));
    let server = Server::start(&dir.0, "server", &env);
    (dir, server, format!("Bearer {}", root_token()))
}

/// The head and the first `sent` bytes of `body`, the rest left for later.
async fn start_slow_upload(
    server: &Server,
    auth: &str,
    path: &str,
    body: &str,
    sent: usize,
) -> TcpStream {
    let bytes = request_bytes("POST", path, &[("Authorization", auth)], Some(body));
    let held_back = body.len() - sent;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(&bytes[..bytes.len() - held_back])
        .await
        .unwrap();
    stream
}

#[tokio::test]
async fn a_request_slower_than_the_timeout_gets_503() {
    let (_dir, server, auth) = sqlite_server("timeout", &[("IDM_REQUEST_TIMEOUT", "1s")]);
    let started = Instant::now();
    let body = r#"{"extId":"slow","name":"Slow"}"#;
    let path = format!("{BASE}/clients");
    let mut stream = start_slow_upload(&server, &auth, &path, body, 10).await;
    let reply = read_reply(&mut stream, started).await.unwrap();
    reply.assert_unavailable(Duration::from_secs(4));
    assert!(
        reply.elapsed >= Duration::from_secs(1),
        "{:?}",
        reply.elapsed
    );
    // Nothing was created, and the server serves the next request normally.
    let reply = send(
        server.addr,
        "GET",
        &format!("{BASE}/clients/slow"),
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(reply.status, 404, "{}", reply.raw());
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413() {
    let (_dir, server, auth) = sqlite_server("body-limit", &[("IDM_BODY_LIMIT", "1024")]);
    let path = format!("{BASE}/clients");
    let post = |body: String| {
        let (path, auth) = (path.clone(), auth.clone());
        async move {
            send(
                server.addr,
                "POST",
                &path,
                &[("Authorization", &auth)],
                Some(&body),
            )
            .await
        }
    };
    let body = format!(r#"{{"extId":"big","name":"{}"}}"#, "x".repeat(2000));
    post(body.clone())
        .await
        .expect_error(413, "errors.invalidData");
    // Chunked, so the server cannot know the size up front.
    let chunked = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: {auth}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    let reply = exchange(server.addr, chunked.as_bytes()).await.unwrap();
    reply.expect_error(413, "errors.invalidData");
    // Exactly the limit is fine.
    let body = format!(r#"{{"extId":"small","name":"Small"}}{}"#, " ".repeat(992));
    assert_eq!(body.len(), 1024, "exactly the limit");
    post(body).await.expect(201);
}

/// With one pooled connection held by a blocked query, the next request waits only the
/// acquire timeout for it, then gets 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_cannot_get_a_connection_gets_503_after_the_acquire_timeout() {
    let Some(pg) = PgTest::start("acquire-timeout").await else {
        return;
    };
    let server = Server::start(
        &pg.dir.0,
        "server",
        &[
            ("DATABASE_URL", &pg.url),
            ("IDM_DB_MAX_CONNECTIONS", "1"),
            ("IDM_DB_ACQUIRE_TIMEOUT", "500ms"),
        ],
    );
    let auth = format!("Bearer {}", root_token());
    let clients = format!("{BASE}/clients");
    let body = r#"{"extId":"acme","name":"ACME"}"#;
    let reply = send(
        server.addr,
        "POST",
        &clients,
        &[("Authorization", &auth)],
        Some(body),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.raw());

    // The test holds a lock on the clients table: the server's only connection blocks on it.
    let mut lock = pg.cluster.connect(PgTest::DATABASE).await;
    sqlx::query("BEGIN").execute(&mut lock).await.unwrap();
    sqlx::query("LOCK TABLE clients IN ACCESS EXCLUSIVE MODE")
        .execute(&mut lock)
        .await
        .unwrap();
    let acme = format!("{clients}/acme");
    let headers = [("Authorization", auth.as_str())];
    let blocked = send(server.addr, "GET", &acme, &headers, None);
    let waiting = async {
        sleep(Duration::from_millis(300)).await;
        let reply = send(server.addr, "GET", "/health/ready", &[], None).await;
        reply.assert_unavailable(Duration::from_secs(2));
        assert!(
            reply.elapsed >= Duration::from_millis(400),
            "{:?}",
            reply.elapsed
        );
        sqlx::query("COMMIT").execute(&mut lock).await.unwrap();
        reply.elapsed
    };
    let (blocked, waited) = tokio::join!(blocked, waiting);
    // The blocked request completes normally once the lock is gone.
    assert_eq!(blocked.status, 200, "{}", blocked.raw());
    eprintln!("acquire timeout 500ms: the waiting request got 503 after {waited:?}");
}

/// SIGTERM while a request body is still arriving: the request completes with its normal
/// answer, then the process exits 0.
#[tokio::test]
async fn sigterm_lets_the_request_in_flight_finish() {
    let (_dir, mut server, auth) = sqlite_server("shutdown", &[]);
    let body = r#"{"extId":"inflight","name":"In flight"}"#;
    let path = format!("{BASE}/clients");
    let started = Instant::now();
    let mut stream = start_slow_upload(&server, &auth, &path, body, 10).await;
    sleep(Duration::from_millis(200)).await;
    server.terminate();
    sleep(Duration::from_millis(500)).await;
    assert!(server.alive(), "the server waits for the request in flight");
    stream.write_all(&body.as_bytes()[10..]).await.unwrap();
    let reply = read_reply(&mut stream, started).await.unwrap();
    assert_eq!(reply.status, 201, "{}", reply.raw());
    assert_eq!(reply.body["extId"], "inflight");
    let status = server.wait(Duration::from_secs(10));
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}
