//! Hostile clients at the socket (issue 16): half-sent heads, idle kept-alive connections,
//! a declared body far above the limit, made-up methods and forged request ids in the log.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{BASE, Server, TempDir, exchange, root_token, send};

/// A SQLite server in its own directory with `env` (text log, the default).
fn sqlite_server(name: &str, env: &[(&str, &str)]) -> (TempDir, Server) {
    let dir = TempDir::new(name);
    let url = format!("sqlite://{}", dir.0.join("idm.db").display());
    let mut env = env.to_vec();
    env.push(("DATABASE_URL", &url));
    let server = Server::start(&dir.0, "server", &env);
    (dir, server)
}

/// How long until the server closes `stream` (reads end of file or a reset), given up
/// after `limit`; what it sent meanwhile is returned too.
async fn closed_after(stream: &mut TcpStream, limit: Duration) -> (Option<Duration>, Vec<u8>) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (Some(started.elapsed()), received),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
            Err(_) => return (None, received),
        }
    }
}

/// 20 sockets that send half a request head, and 20 kept-alive sockets that go quiet
/// after one request, are all closed within their timeouts; the server still serves.
#[tokio::test]
async fn slow_heads_and_idle_keep_alive_connections_are_closed() {
    let (_dir, server) = sqlite_server(
        "socket-timeouts",
        &[
            ("IDM_HEADER_READ_TIMEOUT", "1s"),
            ("IDM_KEEP_ALIVE_TIMEOUT", "500ms"),
        ],
    );
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Half: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    let mut idle = Vec::new();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream
            .write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        idle.push(stream);
    }
    let limit = Duration::from_secs(5);
    let slow = futures_util::future::join_all(slow.iter_mut().map(|s| closed_after(s, limit)));
    let idle = futures_util::future::join_all(idle.iter_mut().map(|s| closed_after(s, limit)));
    let (slow, idle) = tokio::join!(slow, idle);
    let mut slowest = Duration::ZERO;
    for (closed, _) in &slow {
        let after = closed.expect("a half-sent head is closed within the header-read timeout");
        assert!(after >= Duration::from_millis(900), "{after:?}");
        slowest = slowest.max(after);
    }
    let mut idlest = Duration::ZERO;
    for (closed, received) in &idle {
        let text = String::from_utf8_lossy(received);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        let after = closed.expect("an idle kept-alive connection is closed");
        idlest = idlest.max(after);
    }
    assert!(slowest < Duration::from_secs(3), "{slowest:?}");
    assert!(idlest < Duration::from_secs(2), "{idlest:?}");
    eprintln!(
        "20 half-sent heads closed after at most {slowest:?}, 20 idle keep-alive sockets after at most {idlest:?}"
    );
    send(server.addr, "GET", "/health/live", &[], None)
        .await
        .expect(200);
}

/// A kept-alive connection that sends its next request in time is served again.
#[tokio::test]
async fn a_kept_alive_connection_in_use_stays_open() {
    let (_dir, server) = sqlite_server("keep-alive", &[("IDM_KEEP_ALIVE_TIMEOUT", "1s")]);
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    for _ in 0..3 {
        stream
            .write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A declared 10 MB body with a few bytes sent gets 413 at once, not after the request
/// timeout.
#[tokio::test]
async fn a_declared_body_above_the_limit_gets_413_at_once() {
    let (_dir, server) = sqlite_server("declared-size", &[]);
    let auth = format!("Bearer {}", root_token());
    let head = format!(
        "POST {BASE}/clients HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
         Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{{\"extId\":"
    );
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let (closed, received) = closed_after(&mut stream, Duration::from_secs(10)).await;
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("errors.invalidData"), "{text}");
    assert!(closed.is_some(), "the connection is closed");
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    eprintln!("declared 10 MB, sent 9 bytes: 413 after {elapsed:?}");
}

/// Made-up methods and a forged request id: neither reaches the log raw, and the metrics
/// keep one `other` series.
#[tokio::test]
async fn hostile_methods_and_request_ids_are_not_logged_raw() {
    let (_dir, server) = sqlite_server("log-forging", &[]);
    for i in 0..20 {
        let method = format!("Y{i}{}", "Y".repeat(64_000));
        let request =
            format!("{method} /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let reply = exchange(server.addr, request.as_bytes()).await.unwrap();
        assert_eq!(reply.status, 405, "{}", reply.raw());
    }
    let forged = send(
        server.addr,
        "GET",
        "/health/live",
        &[("x-request-id", "abc status=500 route=/forged")],
        None,
    )
    .await
    .expect(200);
    let generated = forged.header("x-request-id").unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a UUID instead: {generated}");
    send(
        server.addr,
        "GET",
        "/health/live",
        &[("x-request-id", "req-16.ok_1")],
        None,
    )
    .await
    .expect(200);
    let metrics = send(server.addr, "GET", "/metrics", &[], None)
        .await
        .expect(200);
    assert!(!metrics.text.contains("YYYY"), "{}", metrics.text);
    assert!(
        metrics.text.contains(
            r#"http_requests_total{method="other",route="/health/live",status="405"} 20"#
        ),
        "{}",
        metrics.text
    );

    let mut logs = String::new();
    for _ in 0..50 {
        logs = server.logs();
        if logs.contains("req-16.ok_1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!logs.contains("YYYY"), "no raw method in the log");
    assert!(
        !logs.contains("route=/forged") && !logs.contains("status=500"),
        "{logs}"
    );
    assert!(
        !logs.contains("abc status"),
        "the forged id is not logged: {logs}"
    );
    let line = logs
        .lines()
        .find(|line| line.contains(&generated) && line.contains("request"))
        .unwrap_or_else(|| panic!("no request line with {generated}: {logs}"));
    assert!(
        line.contains(r#"route="/health/live""#) || line.contains("route=/health/live"),
        "{line}"
    );
    assert!(
        logs.contains(r#"request_id="req-16.ok_1""#),
        "a safe id is kept, quoted: {logs}"
    );
    assert!(logs.contains(r#"method="other""#), "{logs}");
}
