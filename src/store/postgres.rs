//! The PostgreSQL adapter: connection, migrations, and the store that batches PATCH writes.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};

use std::sync::Arc;

use sqlx::Postgres;

use super::batch::Batcher;
use super::credentials::CredentialKey;
use super::pool::PING_WHEN_IDLE_FOR;
use super::read_batch::{ReadBatchStats, ReadKey, Reads};
use super::rows::CredentialRow;
use super::write_batch::{RowWrite, WriteBatchStats, Writes};
use super::{Pool, PoolSettings, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub async fn connect(url: &str, settings: PoolSettings) -> Result<PgPool, StoreError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Config(format!("invalid PostgreSQL URL: {e}")))?
        .application_name("idm-credentials");
    Ok(pool_options(settings).connect_with(options).await?)
}

/// Pool options: a bounded pool whose acquire timeout turns a database outage into a
/// fast 503 instead of a hanging request.
///
/// sqlx pings every connection it hands out by default: one extra round trip per
/// statement, which doubled the round trips of a PATCH. Only a connection that sat idle
/// long enough to have been cut (server restart, idle timeout of a proxy) is pinged
/// now; a busy pool's connections are used as they are, and one that broke anyway fails
/// its statement with a retryable 503 and is dropped by the pool. (The ping sqlx sends
/// when a connection comes back is avoided one layer up, in [`super::pool`].)
pub fn pool_options(settings: PoolSettings) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(settings.acquire_timeout)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_WHEN_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

pub async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    MIGRATOR.run(pool).await.map_err(StoreError::from)
}

/// The PostgreSQL store: its pool, and the queues that gather the credential reads and
/// the PATCH writes of concurrent requests into shared statements ([`Batcher`]).
/// Dereferences to the pool.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: Pool<Postgres>,
    reads: Arc<Batcher<Reads>>,
    writes: Arc<Batcher<Writes>>,
}

impl PgStore {
    /// `max_batch`: reads, and PATCH writes, per statement at most (1: each alone).
    pub fn new(pool: Pool<Postgres>, max_batch: usize) -> Self {
        Self {
            reads: Batcher::new(Reads::new(pool.clone()), max_batch),
            writes: Batcher::new(Writes::new(pool.clone()), max_batch),
            pool,
        }
    }

    pub fn write_batch_stats(&self) -> WriteBatchStats {
        self.writes.work().stats(self.writes.waiting())
    }

    pub fn read_batch_stats(&self) -> ReadBatchStats {
        self.reads.work().stats()
    }

    /// Reads one credential with the next read batch (see [`super::read_batch`]).
    pub async fn read(&self, key: CredentialKey<'_>) -> Result<Option<CredentialRow>, StoreError> {
        self.reads.submit(ReadKey::from(key)).await
    }

    /// Writes one PATCH with the next write batch (see [`super::write_batch`]): `false`
    /// if the stored version was no longer the expected one.
    pub async fn write(&self, row: RowWrite) -> Result<bool, StoreError> {
        self.writes.submit(row).await
    }
}

impl std::ops::Deref for PgStore {
    type Target = Pool<Postgres>;

    fn deref(&self) -> &Pool<Postgres> {
        &self.pool
    }
}
