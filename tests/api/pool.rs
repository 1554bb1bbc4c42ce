//! The store's connection pool (`store::pool`) at the protocol level, on PostgreSQL: a
//! connection whose work finished goes straight back for reuse; one cut off mid-statement
//! or left in a transaction never reaches the next checkout dirty.

use std::time::Duration;

use idm_credentials::store::Pool;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// A pool of one connection, so every checkout gets the same one when it can.
async fn one_connection(options: PgPoolOptions, connect: PgConnectOptions) -> Pool<sqlx::Postgres> {
    let sqlx = options
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(connect)
        .await
        .expect("PostgreSQL answers");
    Pool::new(sqlx)
}

async fn backend_pid(pool: &Pool<sqlx::Postgres>) -> i32 {
    let mut lease = pool.acquire().await.unwrap();
    let pid = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(lease.connection())
        .await
        .unwrap();
    lease.settled();
    pid
}

async fn create_table_t(conn: &mut sqlx::PgConnection) {
    sqlx::query("CREATE TABLE t (n INT)")
        .execute(conn)
        .await
        .unwrap();
}

#[sqlx::test(migrations = false)]
async fn a_settled_connection_is_idle_at_once_and_reused(
    options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = one_connection(options, connect).await;
    let first = backend_pid(&pool).await;
    // On the idle list as the lease drops: no background return, no ping in flight.
    assert_eq!(pool.stats(), (1, 1));
    assert_eq!(backend_pid(&pool).await, first);
    assert_eq!(backend_pid(&pool).await, first);
}

#[sqlx::test(migrations = false)]
async fn a_statement_cut_off_mid_way_does_not_reach_the_next_checkout(
    options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = one_connection(options, connect).await;
    let cut = tokio::time::timeout(Duration::from_millis(200), async {
        let mut lease = pool.acquire().await.unwrap();
        sqlx::query("SELECT pg_sleep(1)")
            .execute(lease.connection())
            .await
            .unwrap();
        lease.settled();
    })
    .await;
    assert!(cut.is_err(), "the statement was cut off");
    // The only connection: the next checkout waits for sqlx to drain it, then gets its
    // own answer, not the sleep's.
    let mut lease = pool.acquire().await.unwrap();
    let answer: i32 = sqlx::query_scalar("SELECT 42")
        .fetch_one(lease.connection())
        .await
        .unwrap();
    assert_eq!(answer, 42);
}

#[sqlx::test(migrations = false)]
async fn an_abandoned_transaction_is_rolled_back_before_reuse(
    options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = one_connection(options, connect).await;
    {
        let mut lease = pool.acquire().await.unwrap();
        let conn = lease.connection();
        create_table_t(conn).await;
        let mut tx = conn.begin().await.unwrap();
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut *tx)
            .await
            .unwrap();
        drop(tx);
        // Even marked finished, a connection with a rollback still to send goes through
        // sqlx, which sends it before anyone else uses the connection.
        lease.settled();
    }
    // Another session sees no session of this database left idle inside a transaction
    // (sqlx's check runs in the background, so give it a moment).
    let mut other = sqlx::PgConnection::connect_with(&pool.sqlx().connect_options())
        .await
        .unwrap();
    let mut stuck = -1_i64;
    for _ in 0..100 {
        stuck = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
        )
        .fetch_one(&mut other)
        .await
        .unwrap();
        if stuck == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stuck, 0, "the abandoned transaction was rolled back");
    let mut lease = pool.acquire().await.unwrap();
    assert!(!lease.connection().is_in_transaction());
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
        .fetch_one(lease.connection())
        .await
        .unwrap();
    assert_eq!(count, 0);
}

/// A `BEGIN` cut off before its answer (a request cancelled as its transaction starts):
/// sqlx has counted no transaction yet, so nothing rolls it back, and the server keeps the
/// session inside it. Reused, that connection would run every later request's statements
/// in the orphan transaction: answered as written, never committed (seen as lost login
/// counts under load). So a lease dropped unsettled never reaches another checkout.
#[sqlx::test(migrations = false)]
async fn a_begin_cut_off_mid_way_does_not_swallow_later_writes(
    options: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = one_connection(options, connect).await;
    {
        let mut lease = pool.acquire().await.unwrap();
        let conn = lease.connection();
        create_table_t(conn).await;
        // The answer comes after the sleep; the timeout cuts the wait for it.
        let begin = conn.begin_with("BEGIN; SELECT pg_sleep(0.3)");
        let cut = tokio::time::timeout(Duration::from_millis(50), begin).await;
        assert!(cut.is_err(), "BEGIN was cut off before its answer");
    }
    let mut lease = pool.acquire().await.unwrap();
    sqlx::query("INSERT INTO t VALUES (1)")
        .execute(lease.connection())
        .await
        .unwrap();
    lease.settled();
    drop(lease);
    // The write is committed: another session sees it.
    let mut other = sqlx::PgConnection::connect_with(&pool.sqlx().connect_options())
        .await
        .unwrap();
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
        .fetch_one(&mut other)
        .await
        .unwrap();
    assert_eq!(
        seen, 1,
        "a write answered after a cut-off BEGIN was committed"
    );
}
