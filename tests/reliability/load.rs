//! Part 1 with two server processes sharing one database, on PostgreSQL and on one SQLite
//! file: the same workload as `tests/api/race.rs`, its requests alternating between the
//! processes.

use crate::support::{Http, PgTest, Server, TempDir, root_token};
use crate::workload::{self, Until};

/// Two server processes on `pg`'s database, and a Root client alternating between them.
/// Started together, so both run the migrations at the same time too. The properties here
/// are "nothing lost" and "counted once", not latency: a generous acquire timeout keeps a
/// CPU-starved CI machine (a debug build opening 32 SCRAM connections at once) from
/// turning slow requests into 503s. Part 7 tests the acquire timeout itself.
fn two_servers(pg: &PgTest) -> (Server, Server, Http) {
    let env = [
        ("DATABASE_URL", pg.url.as_str()),
        ("IDM_DB_ACQUIRE_TIMEOUT", "20s"),
    ];
    let a = Server::spawn(&pg.dir.0, "a", &env);
    let b = Server::spawn(&pg.dir.0, "b", &env);
    let (a, b) = (a.listening(), b.listening());
    let client = Http::new(vec![a.addr, b.addr], root_token());
    (a, b, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_database_and_lose_nothing() {
    let Some(pg) = PgTest::start("two-processes").await else {
        return;
    };
    let (_a, _b, client) = two_servers(&pg);

    let targets = workload::seed(&client, 10, 3).await;
    assert_eq!(targets.len(), 50);
    let started = std::time::Instant::now();
    let tally = workload::hammer(&client, &targets, 32, "load", Until::Count(2000)).await;
    let took = started.elapsed();
    assert_eq!(tally.ok(), 2000, "{:?}", tally.errors);
    let audit = workload::audit(&client, &targets, &tally).await;
    assert_eq!(
        (audit.writes, audit.acknowledged, audit.unacknowledged),
        (2000, 2000, 0)
    );
    eprintln!(
        "two processes: {} PATCHes in {took:?}, all acknowledged and audited, slowest {:?}",
        tally.requests(),
        tally.slowest
    );

    // One password, one ticket, one mTAN: 64 writers with one version, half on each process.
    for target in &targets[..3] {
        workload::same_version_race(&client, target, 64).await;
    }
}

/// Two servers on one SQLite file (what the README says works for tests and small
/// setups): SQLite's own file locks serialise their writes, and nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_sqlite_file_and_lose_nothing() {
    let dir = TempDir::new("two-sqlite");
    let url = format!("sqlite://{}", dir.0.join("idm.db").display());
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("IDM_DB_ACQUIRE_TIMEOUT", "20s"),
    ];
    let a = Server::spawn(&dir.0, "a", &env);
    let b = Server::spawn(&dir.0, "b", &env);
    let (a, b) = (a.listening(), b.listening());
    let client = Http::new(vec![a.addr, b.addr], root_token());

    let targets = workload::seed(&client, 4, 2).await;
    let tally = workload::hammer(&client, &targets, 16, "sqlite", Until::Count(600)).await;
    assert_eq!(tally.ok(), 600, "{:?}", tally.errors);
    let audit = workload::audit(&client, &targets, &tally).await;
    assert_eq!(
        (audit.writes, audit.acknowledged, audit.unacknowledged),
        (600, 600, 0)
    );
    workload::same_version_race(&client, &targets[0], 32).await;
}

/// Issue 20, point 3: failed logins on one credential, spread over two server processes
/// on one PostgreSQL database, count exactly once each. The lock falls at exactly the
/// threshold with exactly one "now locked" answer, and nothing logs in after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_count_every_failed_login_once() {
    use crate::workload::Client;
    use futures_util::future::join_all;
    use serde_json::json;

    let Some(pg) = PgTest::start("two-process-logins").await else {
        return;
    };
    let (_a, _b, client) = two_servers(&pg);

    const API: &str = "/nevisidm/api/core/v1";
    const PASSWORD: &str = "S3cure-Passw0rd";
    const LIMIT: usize = 20;
    let setup = [
        (
            format!("{API}/clients"),
            json!({"extId": "acme", "name": "ACME"}),
        ),
        (
            format!("{API}/acme/users"),
            json!({"extId": "jdoe", "loginId": "jdoe"}),
        ),
        (
            format!("{API}/acme/policies"),
            json!({"extId": "pwd", "name": "pwd", "policyType": "PwdPolicy",
                   "parameters": {"tmpLockingThreshold": "-1", "maxCredFailureCount": LIMIT.to_string()}}),
        ),
        (
            format!("{API}/acme/users/jdoe/password"),
            json!({"password": PASSWORD, "stateName": "active", "policyExtId": "pwd"}),
        ),
    ];
    for (path, body) in setup {
        let (status, answer) = client.call("POST", path.clone(), Some(body)).await;
        assert_eq!(status, 201, "{path}: {answer}");
    }
    let login = "/nevisidm/api/auth/v1/acme/users/jdoe/password/login".to_owned();
    let attempts = |n: usize, password: &'static str| {
        join_all(
            (0..n).map(|_| client.call("POST", login.clone(), Some(json!({"password": password})))),
        )
    };
    let stored = || client.call("GET", format!("{API}/acme/users/jdoe/password"), None);

    // 16 failures in parallel, half on each process: 16 counted, no lock yet.
    let first = attempts(16, "wrong").await;
    assert!(
        first.iter().all(|(s, b)| *s == 200 && b["statusCode"] == 2),
        "{first:?}"
    );
    assert_eq!(stored().await.1["failedLoginCount"], 16);

    // 8 more: the 19th warns, the 20th locks, the 4 after it are refused uncounted.
    let second = attempts(8, "wrong").await;
    let codes = |code: i64| {
        second
            .iter()
            .filter(|(s, b)| *s == 200 && b["statusCode"] == code)
            .count()
    };
    let refused = second
        .iter()
        .filter(|(s, b)| *s == 423 && b["errors"][0]["code"] == "errors.credentialLocked")
        .count();
    assert_eq!(
        (codes(2), codes(3), codes(4), refused),
        (2, 1, 1, 4),
        "{second:?}"
    );
    let (_, after) = stored().await;
    assert_eq!(
        (
            after["stateName"].as_str(),
            after["failedLoginCount"].as_u64()
        ),
        (Some("fail-locked"), Some(LIMIT as u64))
    );

    // The right password, on both processes, during the lock: never a login.
    let right = attempts(6, PASSWORD).await;
    assert!(right.iter().all(|(s, _)| *s == 423), "{right:?}");
    assert_eq!(stored().await.1["failedLoginCount"], LIMIT as u64);
}
