//! The PostgreSQL adapter: connection, migrations, and the store that batches PATCH writes.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};

use std::sync::Arc;

use sqlx::Postgres;

use super::pool::PING_WHEN_IDLE_FOR;
use super::write_batch::{RowWrite, WriteBatchStats, WriteBatcher};
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

/// The PostgreSQL store: its pool, and the queue that gathers concurrent PATCH writes
/// into shared statements ([`WriteBatcher`]). Dereferences to the pool.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: Pool<Postgres>,
    writes: Arc<WriteBatcher>,
}

impl PgStore {
    /// `max_write_batch`: PATCH writes per statement at most (1: each alone).
    pub fn new(pool: Pool<Postgres>, max_write_batch: usize) -> Self {
        let writes = WriteBatcher::new(pool.clone(), max_write_batch);
        Self { pool, writes }
    }

    pub fn write_batch_stats(&self) -> WriteBatchStats {
        self.writes.stats()
    }

    /// Writes one PATCH with the next batch (see [`WriteBatcher::write`]).
    pub async fn write(&self, row: RowWrite) -> Result<bool, StoreError> {
        self.writes.write(row).await
    }
}

impl std::ops::Deref for PgStore {
    type Target = Pool<Postgres>;

    fn deref(&self) -> &Pool<Postgres> {
        &self.pool
    }
}
