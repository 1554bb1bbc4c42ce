//! Part 2: the database dies while requests flow, and comes back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::time::sleep;

use crate::support::{BASE, Http, PgTest, Server, root_token, send};
use crate::workload::{self, Until};

/// A request may take the acquire timeout plus a margin, never more.
const FAIL_FAST: Duration = Duration::from_secs(5);
const OUTAGE: Duration = Duration::from_secs(3);
const RECOVERY: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_fails_fast_and_recovers_without_losing_writes() {
    let Some(pg) = PgTest::start("faults").await else {
        return;
    };
    let cluster = &pg.cluster;
    let mut server = Server::start(
        &pg.dir.0,
        "server",
        &[
            ("DATABASE_URL", &pg.url),
            ("IDM_DB_ACQUIRE_TIMEOUT", "2s"),
            ("IDM_DB_MAX_CONNECTIONS", "8"),
        ],
    );
    let addr = server.addr;
    let token = root_token();
    let auth = format!("Bearer {token}");
    let client = Http::new(vec![addr], token.clone());
    let targets = workload::seed(&client, 4, 2).await;

    let stop = AtomicBool::new(false);
    let load = workload::hammer(&client, &targets, 8, "outage", Until::Flag(&stop));
    let fault = async {
        sleep(Duration::from_secs(1)).await;
        cluster.kill().await;
        let down = Instant::now();
        // While it is down: liveness stays up, readiness and the API answer a fast 503.
        while down.elapsed() < OUTAGE {
            let live = send(addr, "GET", "/health/live", &[], None).await;
            assert_eq!(live.status, 200, "{}", live.raw());
            send(addr, "GET", "/health/ready", &[], None)
                .await
                .assert_unavailable(FAIL_FAST);
            let path = format!("{}/{}", BASE, "load/users/u0/ticket");
            let body = r#"{"modificationComment":"while down"}"#;
            send(
                addr,
                "PATCH",
                &path,
                &[("Authorization", &auth)],
                Some(body),
            )
            .await
            .assert_unavailable(FAIL_FAST);
        }
        cluster.restart().await;
        let back = Instant::now();
        loop {
            if send(addr, "GET", "/health/ready", &[], None).await.status == 200 {
                break;
            }
            assert!(
                back.elapsed() < RECOVERY,
                "not ready {RECOVERY:?} after the restart"
            );
            sleep(Duration::from_millis(100)).await;
        }
        let recovered = back.elapsed();
        sleep(Duration::from_secs(1)).await;
        stop.store(true, Ordering::Relaxed);
        recovered
    };
    let (mut tally, recovered) = tokio::join!(load, fault);

    // Through the outage: only 200s and fast 503 errors.fatalError, never a hang or a 500.
    let statuses: Vec<u16> = tally.statuses.keys().copied().collect();
    assert_eq!(statuses, [200, 503], "{:?}", tally.errors);
    assert_eq!(tally.errors.len(), 1, "{:?}", tally.errors);
    assert!(tally.errors.contains_key("503 errors.fatalError"));
    assert!(tally.slowest < FAIL_FAST, "slowest {:?}", tally.slowest);
    let failed = tally.requests() - tally.ok();
    assert!(failed > 0, "the outage was seen by the load");

    // After it: every request succeeds again.
    let after = workload::hammer(&client, &targets, 8, "after", Until::Count(200)).await;
    assert_eq!(after.ok(), 200, "{:?}", after.errors);
    tally.merge(after);
    assert!(server.alive(), "the server survived the outage");
    assert!(!server.logs().contains("panicked"), "{}", server.logs());

    // Every 200 is in the database, exactly once.
    let audit = workload::audit(&client, &targets, &tally).await;
    assert_eq!(audit.acknowledged, tally.ok());
    eprintln!(
        "database outage: {} PATCHes ({} acknowledged, {failed} failed fast with 503, slowest {:?}); \
         ready again {recovered:?} after the restart; {} writes in the database, \
         {} of them committed although their answer was a 503; lost acknowledged writes: 0",
        tally.requests(),
        tally.ok(),
        tally.slowest,
        audit.writes,
        audit.unacknowledged
    );
}
