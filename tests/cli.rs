//! The binary as a newcomer runs it: no configuration, SQLite in the working directory,
//! `token` against the same database, then real HTTP on a socket, then SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_idm-credentials");

/// The binary with no idm-related environment, in `dir`.
fn command(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("IDM_") || key == "DATABASE_URL" {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request; returns (status, body).
fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let authorization = token.map(|token| format!("Bearer {token}"));
    let headers: Vec<(&str, &str)> = authorization
        .iter()
        .map(|value| ("Authorization", value.as_str()))
        .collect();
    let (status, _, body) = exchange(port, method, path, &headers, body.unwrap_or(""));
    (status, body)
}

/// Sends one HTTP/1.1 request; returns (status, head lowercased, body).
fn exchange(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (status, head.to_ascii_lowercase(), body.to_owned())
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

fn wait_until_live(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok()
            && http(port, "GET", "/health/live", None, None).0 == 200
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("server did not come up on port {port}");
}

#[test]
fn fresh_directory_sqlite_default_token_serve_and_sigterm() {
    let dir = std::env::temp_dir().join(format!("idm-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let migrate = command(&dir).arg("migrate").output().unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    assert!(dir.join("idm.db").exists(), "the default store is ./idm.db");

    let port = free_port();
    let child = command(&dir)
        .env("IDM_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    wait_until_live(port);
    assert_eq!(http(port, "GET", "/health/ready", None, None).0, 200);

    // The server generated the JWT secret into ./idm.db; `token` signs with it.
    let token = command(&dir)
        .args(["token", "--sub", "admin", "--role", "Root"])
        .output()
        .unwrap();
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");

    let (status, body) = http(
        port,
        "POST",
        "/nevisidm/api/core/v1/clients",
        Some(&token),
        Some(r#"{"extId":"acme","name":"ACME"}"#),
    );
    assert_eq!(status, 201, "{body}");
    let (status, _) = http(
        port,
        "POST",
        "/nevisidm/api/core/v1/clients",
        Some("not-a-token"),
        Some("{}"),
    );
    assert_eq!(status, 401);

    let logs = stop(&mut server, "-TERM");
    assert!(!logs.contains(&token), "tokens never reach the logs");
    assert!(logs.contains("listening"), "{logs}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn header_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")))
}

/// Waits for the child to exit after `signal`; returns its stderr.
fn stop(server: &mut Server, signal: &str) -> String {
    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "server did not stop after {signal}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
    let mut logs = String::new();
    server
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    logs
}

/// JSON logs: exactly one `request` line per request with method, route template,
/// status, latency and request id (the client's, echoed, or a generated one); no token in
/// the logs; `healthcheck` reports readiness; SIGINT stops the server gracefully.
#[test]
fn json_request_logs_request_ids_healthcheck_and_sigint() {
    let dir = std::env::temp_dir().join(format!("idm-cli-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let child = command(&dir)
        .env("IDM_LISTEN", &listen)
        .env("IDM_LOG_FORMAT", "json")
        .env("IDM_JWT_SECRET", "cli-test-secret-that-must-not-leak")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    wait_until_live(port);

    let healthcheck = command(&dir)
        .env("IDM_LISTEN", &listen)
        .arg("healthcheck")
        .output()
        .unwrap();
    assert!(healthcheck.status.success(), "{healthcheck:?}");
    let nobody = command(&dir)
        .env("IDM_LISTEN", format!("127.0.0.1:{}", free_port()))
        .arg("healthcheck")
        .output()
        .unwrap();
    assert!(!nobody.status.success(), "nothing listens there");

    let (status, head, _) = exchange(
        port,
        "GET",
        "/health/ready",
        &[("X-Request-Id", "req-cli-42")],
        "",
    );
    assert_eq!(status, 200);
    assert_eq!(header_value(&head, "x-request-id"), Some("req-cli-42"));
    let (status, head, _) = exchange(
        port,
        "POST",
        "/nevisidm/api/core/v1/acme/users",
        &[("Authorization", "Bearer sekrit-bearer-token-value")],
        "{}",
    );
    assert_eq!(status, 401);
    let generated = header_value(&head, "x-request-id").unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");

    let logs = stop(&mut server, "-INT");
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let request_lines = |id: &str| -> Vec<&serde_json::Value> {
        lines
            .iter()
            .filter(|l| l["message"] == "request" && l["request_id"] == id)
            .collect()
    };
    let ready = request_lines("req-cli-42");
    assert_eq!(ready.len(), 1, "one line per request: {logs}");
    assert_eq!(ready[0]["method"], "GET");
    assert_eq!(ready[0]["route"], "/health/ready");
    assert_eq!(ready[0]["status"], 200);
    assert!(
        ready[0]["latency_ms"].as_f64().unwrap() >= 0.0,
        "{}",
        ready[0]
    );
    let denied = request_lines(&generated);
    assert_eq!(denied.len(), 1, "{logs}");
    assert_eq!(
        denied[0]["route"],
        "/nevisidm/api/core/v1/{clientExtId}/users"
    );
    assert_eq!(denied[0]["status"], 401);
    assert_eq!(denied[0]["error_code"], "errors.unauthenticated");
    assert!(
        !logs.contains("sekrit-bearer-token-value"),
        "no token in the logs"
    );
    assert!(
        !logs.contains("cli-test-secret-that-must-not-leak"),
        "no secret in the logs"
    );
    assert!(logs.contains("shutdown signal received"), "{logs}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("idm-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/fixtures.json");

/// `import FILE` twice (the second changes nothing), a bad fixture refused with the
/// element's path and a non-zero exit, `export` to stdout and to a YAML file.
#[test]
fn import_and_export_commands() {
    let dir = temp_dir("fixtures");
    for _ in 0..2 {
        let import = command(&dir).args(["import", EXAMPLE]).output().unwrap();
        assert!(
            import.status.success(),
            "{}",
            String::from_utf8_lossy(&import.stderr)
        );
    }
    let stdout = command(&dir).arg("export").output().unwrap();
    assert!(stdout.status.success());
    let exported: serde_json::Value = serde_json::from_slice(&stdout.stdout).unwrap();
    assert_eq!(
        exported["users"][0]["credentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(exported["users"][1]["extId"], "jdoe");
    let text = String::from_utf8_lossy(&stdout.stdout);
    assert!(
        !text.contains("Fixture-Passw0rd"),
        "no plaintext in exports"
    );

    let yaml = dir.join("export.yaml");
    let to_file = command(&dir)
        .args(["export", "--output", yaml.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(to_file.status.success());
    assert!(
        std::fs::read_to_string(&yaml)
            .unwrap()
            .contains("loginId: jdoe")
    );
    let reimport = command(&dir)
        .args(["import", yaml.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        reimport.status.success(),
        "{}",
        String::from_utf8_lossy(&reimport.stderr)
    );

    let bad = dir.join("bad.json");
    let broken = std::fs::read_to_string(EXAMPLE)
        .unwrap()
        .replace("+41 79 123 45 67", "0791234567")
        .replace(
            "\"acme\", \"name\": \"ACME Corp\"",
            "\"other\", \"name\": \"Other\"",
        );
    std::fs::write(&bad, broken).unwrap();
    let refused = command(&dir)
        .args(["import", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("users[0].credentials[2].mobileNumber: not a valid E.164 number"),
        "{stderr}"
    );
    let after = command(&dir).arg("export").output().unwrap();
    assert!(
        !String::from_utf8_lossy(&after.stdout).contains("\"other\""),
        "nothing of a refused fixture is imported"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The integration-test path: the server starts with `IDM_IMPORT_FILE`, a client calls
/// the API with a token from `token`; a bad fixture keeps the server from starting.
#[test]
fn serve_imports_the_fixture_before_listening() {
    let dir = temp_dir("serve-import");
    let port = free_port();
    let child = command(&dir)
        .env("IDM_LISTEN", format!("127.0.0.1:{port}"))
        .env("IDM_IMPORT_FILE", EXAMPLE)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Server(child);
    wait_until_live(port);
    let token = command(&dir)
        .args(["token", "--sub", "ci", "--role", "Root"])
        .output()
        .unwrap();
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    let (status, body) = http(
        port,
        "GET",
        "/nevisidm/api/core/v1/acme/users/jdoe/mtans/jdoe-phone",
        Some(&token),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("+41791234567"), "{body}");

    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"clients":[{"extId":"a/b","name":"x"}]}"#).unwrap();
    let refused = command(&dir)
        .env("IDM_LISTEN", format!("127.0.0.1:{}", free_port()))
        .args(["serve", "--import", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("clients[0].extId"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Log lines are buffered (`log_buffer`), but not held back: a request's line reaches
/// stderr while the server keeps running, well within a second.
#[test]
fn request_log_lines_reach_stderr_while_the_server_runs() {
    let dir = std::env::temp_dir().join(format!("idm-cli-flush-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let child = command(&dir)
        .env("IDM_LISTEN", format!("127.0.0.1:{port}"))
        .env("IDM_JWT_SECRET", "cli-test-secret-for-the-flush-test")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let stderr = server.0.stderr.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)) {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    wait_until_live(port);
    assert_eq!(http(port, "GET", "/health/ready", None, None).0, 200);
    let requested = Instant::now();
    let deadline = requested + Duration::from_secs(1);
    let mut seen = Vec::new();
    let found = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match received.recv_timeout(left) {
            Ok(line) if line.contains("/health/ready") && line.contains("status=200") => {
                break true;
            }
            Ok(line) => seen.push(line),
            Err(_) => break false,
        }
    };
    assert!(found, "no request line within 1 s; stderr so far: {seen:?}");
    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let _ = server.0.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The server's peak resident memory so far (Linux `VmHWM`), in MiB.
#[cfg(target_os = "linux")]
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024
}

#[test]
#[cfg(target_os = "linux")]
fn a_burst_of_password_creations_hashes_a_few_at_a_time() {
    const USERS: usize = 16;
    let dir = temp_dir("hash-burst");
    let secret = "cli-test-secret-for-the-hash-burst";
    let token = command(&dir)
        .env("IDM_JWT_SECRET", secret)
        .args(["token", "--sub", "admin", "--role", "Root"])
        .output()
        .unwrap();
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    let port = free_port();
    let child = command(&dir)
        .env("IDM_LISTEN", format!("127.0.0.1:{port}"))
        .env("IDM_JWT_SECRET", secret)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    wait_until_live(port);
    let api = "/nevisidm/api/core/v1";
    let client = r#"{"extId":"acme","name":"ACME"}"#;
    assert_eq!(
        http(
            port,
            "POST",
            &format!("{api}/clients"),
            Some(&token),
            Some(client)
        )
        .0,
        201
    );
    for n in 0..USERS {
        let user = format!(r#"{{"extId":"u{n}","loginId":"u{n}"}}"#);
        let (status, body) = http(
            port,
            "POST",
            &format!("{api}/acme/users"),
            Some(&token),
            Some(&user),
        );
        assert_eq!(status, 201, "{body}");
    }
    let before = peak_rss_mib(server.0.id());

    // All at once: argon2id takes 19 MiB per hash, so 16 unbounded hashes would need
    // over 300 MiB; at most 4 at a time stay near 4 x 19.
    let creations: Vec<_> = (0..USERS)
        .map(|n| {
            let token = token.clone();
            std::thread::spawn(move || {
                let path = format!("{api}/acme/users/u{n}/password");
                let body = format!(r#"{{"extId":"pw","password":"Burst-Passw0rd-{n}"}}"#);
                http(port, "POST", &path, Some(&token), Some(&body))
            })
        })
        .collect();
    for creation in creations {
        let (status, body) = creation.join().unwrap();
        assert_eq!(status, 201, "{body}");
    }
    let peak = peak_rss_mib(server.0.id());
    assert!(
        peak < before + 150,
        "peak RSS {peak} MiB (before the burst {before} MiB): hashing is not bounded"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `token` refuses mistakes the server would only answer with a silent 401 or 403, and
/// never makes a database (a token signed with a new database's secret fits no server).
#[test]
fn token_refuses_unknown_roles_a_missing_client_and_a_missing_database() {
    let dir = temp_dir("token-refusals");
    let refused = |args: &[&str], expected: &str| {
        let output = command(&dir).arg("token").args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!output.status.success(), "{args:?} was accepted");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?} printed a token");
    };
    refused(
        &["--sub", "admin", "--role", "Root"],
        "cannot open the database sqlite://idm.db",
    );
    assert!(!dir.join("idm.db").exists(), "token created a database");

    let migrate = command(&dir).arg("migrate").output().unwrap();
    assert!(migrate.status.success());
    refused(&["--sub", "admin", "--role", "Root"], "holds no JWT secret");

    let secret = ["--jwt-secret", "cli-test-secret"];
    let with_secret = |extra: &[&str]| -> Vec<String> {
        secret.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let check = |extra: &[&str], expected: &str| {
        let args = with_secret(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&args, expected);
    };
    check(
        &["--sub", "a", "--role", "root"],
        "unknown role \"root\"; the roles are Root, ClientRoot",
    );
    check(
        &["--sub", "a", "--role", "Bogus", "--client", "acme"],
        "unknown role \"Bogus\"",
    );
    check(
        &[
            "--sub",
            "a",
            "--permission",
            "CredentialSmash",
            "--client",
            "acme",
        ],
        "unknown permission",
    );
    check(
        &["--sub", "a", "--role", "Helpdesk"],
        "--client is required",
    );
    check(
        &["--sub", "a", "--permission", "AccessControl.CredentialView"],
        "--client is required",
    );
    // An X-Token only when asked for explicitly, and then bound to a client.
    check(&["--sub", "jdoe", "--ttl", "5m"], "grants nothing");
    check(&["--sub", "jdoe", "--x-token"], "--x-token needs --client");
    check(
        &[
            "--sub",
            "jdoe",
            "--x-token",
            "--client",
            "acme",
            "--role",
            "SelfAdmin",
        ],
        "cannot be used with",
    );

    for accepted in [
        &[
            "--sub",
            "a",
            "--role",
            "nevisIdm.Helpdesk",
            "--client",
            "acme",
        ][..],
        &["--sub", "a", "--role", "Root"],
        &[
            "--sub",
            "jdoe",
            "--x-token",
            "--client",
            "acme",
            "--ttl",
            "5m",
        ],
    ] {
        let args = with_secret(accepted);
        let output = command(&dir).arg("token").args(&args).output().unwrap();
        assert!(
            output.status.success(),
            "{accepted:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The old name of the batch bound still works, and says it is deprecated.
#[test]
fn the_old_batch_variable_works_with_a_warning() {
    let dir = temp_dir("deprecated-batch");
    let migrate = |vars: &[(&str, &str)]| {
        let output = command(&dir)
            .arg("migrate")
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.success(), stderr)
    };
    let (ok, stderr) = migrate(&[("IDM_DB_WRITE_BATCH", "8")]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("IDM_DB_WRITE_BATCH (--db-write-batch) is deprecated: use IDM_DB_BATCH"),
        "{stderr}"
    );
    let (ok, stderr) = migrate(&[("IDM_DB_BATCH", "8"), ("IDM_DB_WRITE_BATCH", "8")]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("deprecated and ignored"), "{stderr}");
    let (ok, stderr) = migrate(&[("IDM_DB_BATCH", "8")]);
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("deprecated"), "{stderr}");
    let (ok, stderr) = migrate(&[("IDM_DB_WRITE_BATCH", "0")]);
    assert!(!ok, "0 was accepted");
    assert!(
        stderr.contains("IDM_DB_WRITE_BATCH") || stderr.contains("--db-write-batch"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Each subcommand's help lists its own flags first and only the shared ones it uses;
/// an unset environment variable is shown without a dangling `=`.
#[test]
fn subcommand_help_shows_only_the_flags_it_uses() {
    let dir = temp_dir("help");
    let help = |args: &[&str]| {
        let output = command(&dir).args(args).arg("--help").output().unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    };
    let token = help(&["token"]);
    for flag in [
        "--sub",
        "--role",
        "--permission",
        "--client",
        "--x-token",
        "--ttl",
        "--database-url",
        "--jwt-secret",
        "--jwt-issuer",
        "--jwt-audience",
    ] {
        assert!(token.contains(flag), "token --help lacks {flag}:\n{token}");
    }
    for flag in [
        "--listen",
        "--import",
        "--body-limit",
        "--db-max-connections",
        "--secret-key",
        "--swagger-ui",
    ] {
        assert!(!token.contains(flag), "token --help shows {flag}:\n{token}");
    }
    assert!(token.find("--sub").unwrap() < token.find("--database-url").unwrap());

    let healthcheck = help(&["healthcheck"]);
    assert!(healthcheck.contains("--listen"));
    assert!(!healthcheck.contains("--database-url"), "{healthcheck}");
    let import = help(&["import"]);
    assert!(
        import.contains("--secret-key") && !import.contains("--import"),
        "{import}"
    );
    let serve = help(&["serve"]);
    assert!(
        serve.contains("--import") && serve.contains("--listen"),
        "{serve}"
    );

    for text in [token, healthcheck, import, serve, help(&[])] {
        assert!(
            !text.contains("=]"),
            "an env var with a dangling '=':\n{text}"
        );
    }
}

/// `token --x-token` prints an X-Token (`token_use` "x-token", the user's client, 5 minutes
/// unless `--ttl`, the configured issuer and audience); a Bearer token never carries
/// `token_use`, so it cannot serve as an X-Token.
#[test]
fn token_mints_an_x_token_only_when_asked() {
    use base64::Engine;
    let dir = temp_dir("token-x-token");
    let claims = |args: &[&str]| -> serde_json::Value {
        let output = command(&dir)
            .args(["token", "--jwt-secret", "cli-test-secret"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let token = String::from_utf8(output.stdout).unwrap();
        let payload = token.trim().split('.').nth(1).unwrap().to_owned();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    let x = claims(&["--sub", "jdoe", "--x-token", "--client", "acme"]);
    assert_eq!(x["token_use"], "x-token");
    assert_eq!(
        (x["sub"].as_str(), x["clientExtId"].as_str()),
        (Some("jdoe"), Some("acme"))
    );
    assert_eq!(x["exp"].as_u64().unwrap() - x["nbf"].as_u64().unwrap(), 300);
    assert!(x.get("roles").is_none());
    let scoped = claims(&[
        "--sub",
        "jdoe",
        "--x-token",
        "--client",
        "acme",
        "--ttl",
        "1m",
        "--jwt-issuer",
        "https://idp",
        "--jwt-audience",
        "idm",
    ]);
    assert_eq!(
        (scoped["iss"].as_str(), scoped["aud"].as_str()),
        (Some("https://idp"), Some("idm"))
    );
    assert_eq!(
        scoped["exp"].as_u64().unwrap() - scoped["nbf"].as_u64().unwrap(),
        60
    );
    let bearer = claims(&["--sub", "jdoe", "--role", "SelfAdmin", "--client", "acme"]);
    assert!(bearer.get("token_use").is_none(), "{bearer}");
    let _ = std::fs::remove_dir_all(&dir);
}
