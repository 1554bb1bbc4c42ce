//! Part 1 with two server processes sharing one database, on PostgreSQL and on one SQLite
//! file: the same workload as `tests/api/race.rs`, its requests alternating between the
//! processes.

use crate::support::{Http, PgTest, Server, TempDir, root_token};
use crate::workload::{self, Until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_database_and_lose_nothing() {
    let Some(pg) = PgTest::start("two-processes").await else {
        return;
    };
    // Started together, so both run the migrations at the same time too. The property
    // here is "nothing lost", not latency: a generous acquire timeout keeps a CPU-starved
    // CI machine (a debug build opening 32 SCRAM connections at once) from turning slow
    // requests into 503s. Part 7 tests the acquire timeout itself.
    let env = [
        ("DATABASE_URL", pg.url.as_str()),
        ("IDM_DB_ACQUIRE_TIMEOUT", "20s"),
    ];
    let a = Server::spawn(&pg.dir.0, "a", &env);
    let b = Server::spawn(&pg.dir.0, "b", &env);
    let (a, b) = (a.listening(), b.listening());
    let client = Http::new(vec![a.addr, b.addr], root_token());

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
