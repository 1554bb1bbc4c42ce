//! The socket-level harness: a private PostgreSQL cluster ([`Cluster`]), the real server
//! binary ([`Server`]), and a small HTTP/1.1 client over raw sockets ([`send`]) so tests
//! can also misbehave on the wire (slow bodies, held connections).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::workload;

pub const BIN: &str = env!("CARGO_BIN_EXE_idm-credentials");
pub const JWT_SECRET: &str = "reliability-jwt-secret-0123456789abcdef";
pub const BASE: &str = "/nevisidm/api/core/v1";

/// Longest any single exchange may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(20);

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("idm-rel-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn random_secret(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

// ---------------------------------------------------------------------------------------
// A private PostgreSQL cluster
// ---------------------------------------------------------------------------------------

/// A throwaway PostgreSQL cluster on a free loopback port, owned by one test, so a test
/// may stop and start it without touching the machine's shared server. TCP logins need
/// a password (scram-sha-256), as in production. Dropping it stops it and deletes it.
pub struct Cluster {
    root: TempDir,
    bin: PathBuf,
    as_postgres: bool,
    pub port: u16,
    superuser_password: String,
}

/// The directory holding `initdb` and `pg_ctl`: `$PG_BIN`, the newest
/// `/usr/lib/postgresql/*/bin` (Debian), or the `PATH`.
fn postgres_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .max();
    if let Some((_, bin)) = debian {
        return Some(bin);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).find(|dir| dir.join("initdb").exists())
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

impl Cluster {
    /// A new running cluster, or `None` (with a message) when PostgreSQL's server
    /// programs are not installed.
    pub fn start(test: &str) -> Option<Self> {
        let Some(bin) = postgres_bin() else {
            eprintln!(
                "SKIPPED {test}: no PostgreSQL `initdb` found (install PostgreSQL, or set PG_BIN)"
            );
            return None;
        };
        let as_postgres = running_as_root();
        let root = TempDir::new("pg");
        let superuser_password = random_secret("su");
        let pwfile = root.0.join("pwfile");
        std::fs::write(&pwfile, &superuser_password).unwrap();
        let mut cluster = Self {
            root,
            bin,
            as_postgres,
            port: 0,
            superuser_password,
        };
        if as_postgres {
            // PostgreSQL refuses to run as root: the cluster belongs to `postgres`.
            cluster.check(
                Command::new("chown")
                    .args(["-R", "postgres:"])
                    .arg(&cluster.root.0),
            );
        }
        let data = cluster.data();
        let mut initdb = cluster.command("initdb");
        initdb
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .args(["-E", "UTF8", "--locale=C", "-N"]);
        cluster.check(&mut initdb);
        let _ = std::fs::remove_file(&pwfile);
        // A port picked now may be taken by the time the server binds it: try a few.
        for _ in 0..5 {
            cluster.port = free_port();
            if cluster
                .pg_ctl_start()
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
            {
                return Some(cluster);
            }
        }
        panic!(
            "the private PostgreSQL cluster did not start: {}",
            cluster.server_log()
        );
    }

    fn data(&self) -> PathBuf {
        self.root.0.join("data")
    }

    fn server_log(&self) -> String {
        std::fs::read_to_string(self.root.0.join("log")).unwrap_or_default()
    }

    /// `program` from the PostgreSQL bin directory, as the `postgres` user when we are root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(path);
            cmd
        } else {
            Command::new(path)
        }
    }

    #[track_caller]
    fn check(&self, cmd: &mut Command) {
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{cmd:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn pg_ctl_start(&self) -> Command {
        let mut cmd = self.command("pg_ctl");
        cmd.arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.root.0.join("log"));
        cmd.args(["-w", "-t", "30", "-o"]).arg(format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} \
             -c shared_buffers=16MB -c fsync=off",
            self.port,
            self.root.0.display()
        ));
        cmd.arg("start").stdout(Stdio::null()).stderr(Stdio::null());
        cmd
    }

    fn pg_ctl_stop(&self) -> Command {
        let mut cmd = self.command("pg_ctl");
        cmd.arg("-D").arg(self.data());
        cmd.args(["-w", "-t", "30", "-m", "immediate", "stop"]);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        cmd
    }

    /// Kills the database the hard way (`pg_ctl stop -m immediate`): what a crash or a
    /// failover looks like to the server.
    pub async fn kill(&self) {
        let status = tokio::process::Command::from(self.pg_ctl_stop())
            .status()
            .await
            .unwrap();
        assert!(status.success(), "pg_ctl stop failed");
    }

    /// Starts it again on the same port (crash recovery replays the WAL).
    pub async fn restart(&self) {
        let status = tokio::process::Command::from(self.pg_ctl_start())
            .status()
            .await
            .unwrap();
        assert!(
            status.success(),
            "pg_ctl start failed: {}",
            self.server_log()
        );
    }

    pub fn url(&self, user: &str, password: &str, database: &str) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    pub fn superuser_url(&self, database: &str) -> String {
        self.url("postgres", &self.superuser_password, database)
    }

    /// A connection as the superuser, for test-side SQL.
    pub async fn connect(&self, database: &str) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.superuser_url(database))
            .await
            .unwrap()
    }

    /// A fresh database owned by a fresh login role with a random password; answers the
    /// server's `DATABASE_URL` and that password.
    pub async fn database(&self, name: &str) -> (String, String) {
        let password = random_secret("db");
        let mut admin = self.connect("postgres").await;
        for sql in [
            format!("CREATE ROLE {name} LOGIN PASSWORD '{password}'"),
            format!("CREATE DATABASE {name} OWNER {name}"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut admin)
                .await
                .unwrap();
        }
        admin.close().await.unwrap();
        (self.url(name, &password, name), password)
    }
}

/// What a PostgreSQL test needs: a private cluster, a fresh database on it owned by a
/// role with a password, and a directory for the servers.
pub struct PgTest {
    pub cluster: Cluster,
    pub url: String,
    pub db_password: String,
    pub dir: TempDir,
}

impl PgTest {
    pub const DATABASE: &str = "idm";

    /// `None` (with a message) when PostgreSQL is not installed.
    pub async fn start(test: &str) -> Option<Self> {
        let cluster = Cluster::start(test)?;
        let (url, db_password) = cluster.database(Self::DATABASE).await;
        Some(Self {
            cluster,
            url,
            db_password,
            dir: TempDir::new(test),
        })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl_stop().status();
    }
}

// ---------------------------------------------------------------------------------------
// The server binary
// ---------------------------------------------------------------------------------------

/// The server binary: this build's, or `IDM_TEST_BIN` (say, a release build, or a copy
/// safe from other builds sharing the target directory).
fn bin() -> PathBuf {
    std::env::var_os("IDM_TEST_BIN").map_or_else(|| PathBuf::from(BIN), PathBuf::from)
}

/// The binary with a clean environment: nothing idm-related leaks in from the caller.
fn command() -> Command {
    let mut cmd = Command::new(bin());
    for (key, _) in std::env::vars() {
        if key.starts_with("IDM_") || key == "DATABASE_URL" || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    cmd.env("IDM_JWT_SECRET", JWT_SECRET);
    cmd
}

/// A token from the binary's own `token` subcommand (signed with [`JWT_SECRET`]).
pub fn token(args: &[&str]) -> String {
    let out = command().arg("token").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

pub fn root_token() -> String {
    token(&["--sub", "admin", "--role", "Root"])
}

/// One running server process. Its stdout and stderr go to one log file. Dropping it
/// kills it.
pub struct Server {
    child: Child,
    log: PathBuf,
    pub addr: SocketAddr,
}

impl Server {
    /// Starts `serve` on a port of its choosing in `dir`, with `env` on top of
    /// [`JWT_SECRET`]; returns once it listens.
    pub fn start(dir: &Path, name: &str, env: &[(&str, &str)]) -> Self {
        Self::spawn(dir, name, env).listening()
    }

    /// Starts it without waiting (to start several at once); see [`Server::listening`].
    pub fn spawn(dir: &Path, name: &str, env: &[(&str, &str)]) -> Self {
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let mut cmd = command();
        cmd.current_dir(dir)
            .arg("serve")
            .env("IDM_LISTEN", "127.0.0.1:0")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        Self {
            child: cmd.spawn().unwrap(),
            log,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }

    /// Waits for the "listening" log line and reads the address from it.
    pub fn listening(mut self) -> Self {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let logs = self.logs();
            if let Some(port) = logs
                .lines()
                .filter(|line| line.contains("listening"))
                .find_map(listening_port)
            {
                self.addr.set_port(port);
                return self;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the server exited with {status} before listening:\n{logs}");
            }
            assert!(
                Instant::now() < deadline,
                "the server did not start:\n{logs}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let pid = self.pid().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            // The failing test's output shows what the server said about it: each kind
            // of warning or error once, with a count.
            let logs = self.logs();
            let mut kinds: Vec<(String, usize)> = Vec::new();
            for line in logs.lines() {
                if !["WARN", "ERROR", "panicked"]
                    .iter()
                    .any(|w| line.contains(w))
                {
                    continue;
                }
                let kind: String = line
                    .split_once(' ')
                    .map_or(line, |(_, rest)| rest)
                    .split("latency")
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                match kinds.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, n)) => *n += 1,
                    None => kinds.push((kind, 1)),
                }
            }
            eprintln!("--- {} ---", self.log.display());
            for (kind, n) in kinds {
                eprintln!("{n} x {kind}");
            }
        }
    }
}

/// The port in `listening address=127.0.0.1:PORT` (text) or `"address":"127.0.0.1:PORT"` (JSON).
fn listening_port(line: &str) -> Option<u16> {
    let rest = &line[line.find("127.0.0.1:")? + "127.0.0.1:".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

// ---------------------------------------------------------------------------------------
// HTTP over raw sockets
// ---------------------------------------------------------------------------------------

/// A response as it came off the socket.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub text: String,
    /// The body as JSON (`Null` when empty or not JSON).
    pub body: Value,
    pub elapsed: Duration,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn code(&self) -> &str {
        self.body["errors"][0]["code"].as_str().unwrap_or("<none>")
    }

    /// Status line, headers and body, for searching.
    pub fn raw(&self) -> String {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect();
        format!("{} {}\n{}", self.status, headers.join("\n"), self.text)
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "{}", self.raw());
        self
    }

    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Self {
        let reply = self.expect(status);
        assert_eq!(reply.code(), code, "{}", reply.raw());
        reply
    }

    /// The fast, retryable 503 of a database outage or a timeout.
    #[track_caller]
    pub fn assert_unavailable(&self, within: Duration) {
        assert_eq!(self.status, 503, "{}", self.raw());
        assert_eq!(self.code(), "errors.fatalError", "{}", self.raw());
        assert!(self.header("retry-after").is_some(), "{}", self.raw());
        assert!(
            self.elapsed < within,
            "answered after {:?} (limit {within:?})",
            self.elapsed
        );
    }
}

/// The bytes of a request with `Connection: close`; `body` is sent as JSON.
pub fn request_bytes(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        head.push_str("Content-Type: application/json\r\n");
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.unwrap_or("").as_bytes());
    bytes
}

/// One request on a fresh connection; panics on an I/O error or a hang.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    let bytes = request_bytes(method, path, headers, body);
    match exchange(addr, &bytes).await {
        Ok(reply) => reply,
        Err(error) => panic!("{method} {path}: {error}"),
    }
}

/// Writes `request` on a fresh connection and reads the response to the end.
pub async fn exchange(addr: SocketAddr, request: &[u8]) -> std::io::Result<Reply> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request).await?;
    read_reply(&mut stream, started).await
}

/// Reads a whole response (the server closes the connection after it); panics after [`HANG`].
pub async fn read_reply(stream: &mut TcpStream, started: Instant) -> std::io::Result<Reply> {
    let mut raw = Vec::new();
    match tokio::time::timeout(HANG, stream.read_to_end(&mut raw)).await {
        Ok(result) => result?,
        Err(_) => panic!("no complete response within {HANG:?}"),
    };
    parse(&raw, started.elapsed())
}

fn parse(raw: &[u8], elapsed: Duration) -> std::io::Result<Reply> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| invalid("no response head"))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.get(9..12))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body).ok_or_else(|| invalid("bad chunked body"))?;
    }
    let text = String::from_utf8_lossy(&body).into_owned();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Reply {
        status,
        headers,
        text,
        body,
        elapsed,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// The workload's client over HTTP: Root, round robin over one or more server processes.
/// A request that gets no HTTP answer at all counts as status 0.
pub struct Http {
    addrs: Vec<SocketAddr>,
    token: String,
    next: AtomicUsize,
}

impl Http {
    pub fn new(addrs: Vec<SocketAddr>, token: String) -> Self {
        Self {
            addrs,
            token,
            next: AtomicUsize::new(0),
        }
    }
}

impl workload::Client for Http {
    async fn call(&self, method: &'static str, path: String, body: Option<Value>) -> (u16, Value) {
        let addr = self.addrs[self.next.fetch_add(1, Ordering::Relaxed) % self.addrs.len()];
        let auth = format!("Bearer {}", self.token);
        let body = body.map(|b| b.to_string());
        let bytes = request_bytes(method, &path, &[("Authorization", &auth)], body.as_deref());
        match exchange(addr, &bytes).await {
            Ok(reply) => (reply.status, reply.body),
            Err(error) => (0, Value::String(error.to_string())),
        }
    }
}
