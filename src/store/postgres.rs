//! The PostgreSQL adapter: connection, migrations, and the one-statement PATCH write.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};

use super::credentials::{bind_update, update_credential};
use super::pool::PING_WHEN_IDLE_FOR;
use super::{PoolSettings, StoreError};
use crate::domain::Credential;
use crate::domain::history::HistoryEntry;

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

/// One round trip: the versioned UPDATE and the history INSERT in a single statement
/// (a data-modifying CTE), so the write, its check and its audit row commit together.
pub async fn update_credential(
    conn: &mut sqlx::PgConnection,
    new: &Credential,
    expected_version: i32,
    history: &HistoryEntry,
    write_logins: bool,
) -> Result<bool, StoreError> {
    const SQL: &str = concat!(
        "WITH updated AS (",
        update_credential!(),
        " RETURNING id) \
         INSERT INTO credential_history (id, credential_id, user_id, version, at, actor, action, changes) \
         SELECT $18, id, $19, $20, $21, $22, $23, $24 FROM updated"
    );
    let query = bind_update!(sqlx::query(SQL), new, expected_version, write_logins);
    let written = query
        .bind(&history.id)
        .bind(&history.user_id)
        .bind(i64::from(history.version))
        .bind(history.at)
        .bind(&history.actor)
        .bind(history.action.as_str())
        .bind(super::rows_changes_json(&history.changes))
        .execute(conn)
        .await?
        .rows_affected();
    Ok(written == 1)
}
