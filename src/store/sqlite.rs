//! The SQLite adapter: connection (WAL, busy timeout, foreign keys), migrations, and the
//! PATCH write as a short transaction (SQLite has no data-modifying CTEs, but it runs
//! in-process, so two statements cost little).

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::credentials::CredentialWrite;
use super::credentials::{INSERT_HISTORY, bind_history_row, bind_update, update_credential};
use super::write_batch::RowWrite;
use super::{PoolSettings, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// SQLite lets one writer in at a time, and the others wait in its busy handler, which
/// sleeps in growing steps: under PATCH load that put p99 at 500-700 ms. Queueing the
/// PATCH writes of this process here hands the lock over without sleeping (the busy
/// handler still covers other processes and other writes). One process serves one
/// database, so one lock suffices; test processes with many databases only lose a
/// little parallelism.
pub(super) static PATCH_WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub async fn connect(
    url: &str,
    settings: PoolSettings,
    create_if_missing: bool,
) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Config(format!("invalid SQLite URL: {e}")))?
        .create_if_missing(create_if_missing);
    connect_with(SqlitePoolOptions::new(), options, settings).await
}

/// Opens a pool with the settings every SQLite connection of this server needs.
pub async fn connect_with(
    pool: SqlitePoolOptions,
    options: SqliteConnectOptions,
    settings: PoolSettings,
) -> Result<SqlitePool, StoreError> {
    let options = options
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        // Each pooled connection has its own page cache, 2 MiB by default: most of the
        // server's memory with a full pool. The file's pages stay in the OS cache anyway.
        // 880 KiB of SQLite's 4.3 KiB page slots fill about 1 MiB of jemalloc's 5 KiB
        // size class.
        .pragma("cache_size", "-880")
        // Writers queue instead of failing while another write commits.
        .busy_timeout(Duration::from_secs(10));
    // An in-process connection cannot go stale: no ping (a hop to the connection's worker
    // thread) before handing one out.
    Ok(pool
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .test_before_acquire(false)
        .connect_with(options)
        .await?)
}

/// sqlx takes no lock on SQLite, so two processes starting on one new file may both run
/// a migration; the loser fails on what the winner created. Run again, it finds the
/// winner's migrations applied (a second migration file made the window wide enough to
/// hit in tests).
pub async fn migrate(pool: &SqlitePool) -> Result<(), StoreError> {
    const ATTEMPTS: u32 = 5;
    let mut tries = 0;
    loop {
        tries += 1;
        match MIGRATOR.run(pool).await {
            Ok(()) => return Ok(()),
            Err(_) if tries < ATTEMPTS => {
                tokio::time::sleep(std::time::Duration::from_millis(100 * u64::from(tries))).await;
            }
            Err(error) => return Err(StoreError::from(error)),
        }
    }
}

/// A PATCH write in a transaction of its own. `false`: the credential changed meanwhile.
pub async fn update_credential(
    conn: &mut sqlx::SqliteConnection,
    write: &CredentialWrite,
) -> Result<bool, StoreError> {
    let _writer = PATCH_WRITER.lock().await;
    // The UPDATE is the first statement, so the transaction takes the write lock at once
    // and cannot fail later on a lock upgrade.
    let mut tx = sqlx::Connection::begin(conn).await?;
    if !write_credential(&mut tx, write).await? {
        return Ok(false);
    }
    tx.commit().await?;
    Ok(true)
}

/// The statements of a PATCH write, in the caller's transaction: the versioned UPDATE,
/// then (if it went through) the history row.
pub(super) async fn write_credential(
    conn: &mut sqlx::SqliteConnection,
    write: &CredentialWrite,
) -> Result<bool, StoreError> {
    const SQL: &str = update_credential!();
    let row = RowWrite::new(write);
    let updated = bind_update!(sqlx::query(SQL), &row)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if updated == 0 {
        return Ok(false);
    }
    bind_history_row!(sqlx::query(INSERT_HISTORY), &row)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}
