//! Persistence: the storage port of the service layer and its two adapters.
//!
//! The backend is chosen once at startup from the URL scheme. Most statements are
//! written once in the SQL subset both engines share (`$n` placeholders work in SQLite
//! too) and run on either pool through [`on_pool!`]; where the engines really differ
//! (connection setup, migrations, the batched PATCH write on PostgreSQL) the
//! code lives in `postgres.rs` and `sqlite.rs`.

mod batch;
mod credentials;
mod directory;
mod error;
mod fixtures;
mod held;
mod logins;
pub mod pool;
pub mod postgres;
mod read_batch;
mod rows;
mod settings;
pub mod sqlite;
mod write_batch;

use std::time::Duration;

use sqlx::{PgPool, Sqlite, SqlitePool};

pub use credentials::{CredentialKey, CredentialWrite, Page, Step};
pub use directory::NewPolicy;
pub use error::StoreError;
pub use fixtures::Tx;
pub use held::Held;
pub use logins::LoginWrite;
pub use pool::{Lease, Pool};
/// The read batch's statement, for the tests that check its plan.
pub use read_batch::READ_BATCH;
pub use read_batch::ReadBatchStats;
pub use write_batch::WriteBatchStats;

/// The JSON text of a history row's changes (used by the bind macros of both adapters).
pub(crate) fn rows_changes_json(changes: &[crate::domain::history::FieldChange]) -> String {
    rows::changes_json(changes)
}

/// The database, PostgreSQL or SQLite.
#[derive(Clone, Debug)]
pub enum Store {
    Postgres(postgres::PgStore),
    Sqlite(Pool<Sqlite>),
}

impl From<PgPool> for Store {
    fn from(pool: PgPool) -> Self {
        Self::Postgres(postgres::PgStore::new(
            Pool::new(pool),
            write_batch::DEFAULT_MAX_BATCH,
        ))
    }
}

impl From<SqlitePool> for Store {
    fn from(pool: SqlitePool) -> Self {
        Self::Sqlite(Pool::new(pool))
    }
}

/// Pool settings shared by both backends.
#[derive(Clone, Copy, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// PostgreSQL: credential reads, and PATCH writes, per statement at most (1: each alone).
    pub max_batch: usize,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            max_batch: write_batch::DEFAULT_MAX_BATCH,
        }
    }
}

/// Runs the same code on a connection of whichever pool the store has. `$conn` is bound
/// to a `&mut PgConnection` in one arm and a `&mut SqliteConnection` in the other, so the
/// body is type-checked for both. The body must leave through `?` on any error: only a
/// body that ran to its end hands its connection straight back to the idle list (see
/// [`pool`]), an early exit sends it through sqlx's check.
macro_rules! on_pool {
    ($store:expr, $conn:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Postgres(pool) => {
                let mut lease = pool.acquire().await?;
                $crate::store::in_lease!(lease, $conn => $body)
            }
            $crate::store::Store::Sqlite(pool) => {
                let mut lease = pool.acquire().await?;
                $crate::store::in_lease!(lease, $conn => $body)
            }
        }
    };
}
pub(crate) use on_pool;

/// Runs `$body` with `$conn` bound to the connection of `$lease`, and marks the lease
/// settled only when the body ran to its end (an early exit through `?` does not).
macro_rules! in_lease {
    ($lease:expr, $conn:ident => $body:expr) => {{
        let $conn = $lease.connection();
        let result = $body;
        $lease.settled();
        result
    }};
}
pub(crate) use in_lease;

impl Store {
    /// Opens the database named by `url`: `postgres://` or `postgresql://` for
    /// PostgreSQL, `sqlite:` for a SQLite file (created when missing).
    pub async fn connect(url: &str, settings: PoolSettings) -> Result<Self, StoreError> {
        Self::open(url, settings, true).await
    }

    /// Like [`Store::connect`], but a missing SQLite file is an error, not a new database:
    /// for commands that only read what a server keeps (`token`).
    pub async fn connect_existing(url: &str, settings: PoolSettings) -> Result<Self, StoreError> {
        Self::open(url, settings, false).await
    }

    async fn open(url: &str, settings: PoolSettings, create: bool) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = postgres::connect(url, settings).await?;
            Ok(Self::Postgres(postgres::PgStore::new(
                Pool::new(pool),
                settings.max_batch,
            )))
        } else if url.starts_with("sqlite:") {
            sqlite::connect(url, settings, create).await.map(Self::from)
        } else {
            Err(StoreError::Config(
                "DATABASE_URL must start with postgres://, postgresql:// or sqlite:".into(),
            ))
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Self::Postgres(pool) => postgres::migrate(pool.sqlx()).await,
            Self::Sqlite(pool) => sqlite::migrate(pool.sqlx()).await,
        }
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, conn => {
            sqlx::query("SELECT 1").execute(conn).await?;
        });
        Ok(())
    }

    /// Connections open in the pool and how many of them are idle (for the metrics).
    pub fn pool_stats(&self) -> (u32, u32) {
        match self {
            Self::Postgres(pool) => pool.stats(),
            Self::Sqlite(pool) => pool.stats(),
        }
    }

    /// What the PATCH write batches did so far; `None` on SQLite, which writes one PATCH
    /// at a time in process.
    pub fn write_batch_stats(&self) -> Option<WriteBatchStats> {
        match self {
            Self::Postgres(store) => Some(store.write_batch_stats()),
            Self::Sqlite(_) => None,
        }
    }

    /// What the credential read batches did so far; `None` on SQLite, whose reads are
    /// in process.
    pub fn read_batch_stats(&self) -> Option<ReadBatchStats> {
        match self {
            Self::Postgres(store) => Some(store.read_batch_stats()),
            Self::Sqlite(_) => None,
        }
    }

    pub async fn close(&self) {
        match self {
            Self::Postgres(pool) => pool.close().await,
            Self::Sqlite(pool) => pool.close().await,
        }
    }
}

/// Runs a write transaction again when the database reports a serialization failure or
/// a deadlock (40001/40P01; distributed PostgreSQL engines report them under load).
/// `attempt` must be idempotent: it runs from the start each time.
pub(crate) async fn retry_serialization<T, F, Fut>(mut attempt: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Err(error) => pause_before_retry(error, tries).await?,
            done => return done,
        }
    }
}

/// After `tries` attempts that ended in `error`: waits before the next attempt when the
/// error is a serialization failure and attempts are left; otherwise gives the error back.
pub(crate) async fn pause_before_retry(error: StoreError, tries: u32) -> Result<(), StoreError> {
    const ATTEMPTS: u32 = 5;
    match error {
        StoreError::Retryable(cause) if tries < ATTEMPTS => {
            let jitter = rand::random::<u64>() % 20;
            tracing::debug!(cause = cause.as_str(), tries, "retrying write transaction");
            tokio::time::sleep(Duration::from_millis(5 * u64::from(tries) + jitter)).await;
            Ok(())
        }
        StoreError::Retryable(cause) => Err(StoreError::Unavailable(cause)),
        other => Err(other),
    }
}
