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
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
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

    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
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
            "server did not stop after SIGTERM"
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
    assert!(!logs.contains(&token), "tokens never reach the logs");
    assert!(logs.contains("listening"), "{logs}");
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
