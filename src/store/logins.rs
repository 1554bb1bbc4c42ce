//! Login attempts: the count, the lock decision and the state change, atomically.
//!
//! A plain count (no state change) is one statement that writes only if the row is still
//! as the lock engine saw it ([`Store::login_count_if_unchanged`]). Everything else, and a
//! count that lost that race, goes through [`Store::login_attempt`]: the credential row
//! is read under a lock (PostgreSQL `SELECT ... FOR UPDATE`, SQLite `BEGIN IMMEDIATE`),
//! the lock engine decides on what it read, and the write commits before the lock goes.
//! Concurrent attempts on one credential therefore take turns: none is lost, the lock
//! falls at exactly the threshold, and an attempt after it is refused. Attempts on
//! different credentials do not wait on each other on PostgreSQL.

use sqlx::Connection as _;

use super::credentials::{
    BY_EXT_ID_FOR_UPDATE, BY_TYPE_FOR_UPDATE, CredentialKey, INSERT_HISTORY, bind_history,
    fetch_credential,
};
use super::rows::stored_credential;
use super::{Store, StoreError, in_lease, pause_before_retry, sqlite};
use crate::domain::credential::Credential;
use crate::domain::history::HistoryEntry;

/// What a login attempt writes: the credential's state and login columns, and the
/// history rows of its automatic state changes (none for a plain count).
pub struct LoginWrite {
    pub new: Credential,
    pub history: Vec<HistoryEntry>,
}

/// Writes what the lock engine decided: state columns, version, counters, the
/// temporary lock's end and the last accepted one-time code. Never the type's attributes
/// (a concurrent PATCH owns those).
macro_rules! update_login {
    () => {
        "UPDATE credentials SET state = $2, state_change_reason = $3, \
         state_change_detail = $4, version = $5, last_modified = $6, success_count = $7, \
         failure_count = $8, last_success = $9, last_failure = $10, tmp_lock_end = $11, \
         last_otp = $12 WHERE id = $1"
    };
}
const UPDATE_LOGIN: &str = update_login!();

/// [`UPDATE_LOGIN`] only while the row is as it was read: every write of a login
/// attempt moves one of the two counts for good (a success adds to `success_count`, which
/// only a PATCH, moving the version, sets back), and every other write moves the version,
/// so these three columns never come back to values they had. And only while the row
/// holds no temporary lock: a read shows one that has ended as lifted already, but ending
/// it is a state change with its history row, which the locked path writes.
const UPDATE_LOGIN_IF_UNCHANGED: &str = concat!(
    update_login!(),
    " AND version = $13 AND success_count = $14 AND failure_count = $15 \
     AND tmp_lock_end IS NULL"
);

/// The query `$sql` with the login columns of credential `$c` bound as $1 to $12.
macro_rules! bind_login {
    ($sql:expr, $c:expr) => {{
        let c: &Credential = $c;
        sqlx::query($sql)
            .bind(&c.id)
            .bind(c.state.as_str())
            .bind(c.state_change_reason.map(|r| r.as_str()))
            .bind(c.state_change_detail.as_deref())
            .bind(i64::from(c.version))
            .bind(c.last_modified)
            .bind(c.logins.success_count)
            .bind(c.logins.failure_count)
            .bind(c.logins.last_success)
            .bind(c.logins.last_failure)
            .bind(c.logins.tmp_lock_end)
            .bind(c.logins.last_otp)
    }};
}

macro_rules! write_login {
    ($tx:expr, $write:expr) => {{
        let write: &LoginWrite = $write;
        bind_login!(UPDATE_LOGIN, &write.new)
            .execute(&mut *$tx)
            .await?;
        for entry in &write.history {
            bind_history!(sqlx::query(INSERT_HISTORY), entry)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

impl Store {
    /// Writes the login columns of `new` (an attempt's count, no state change, no history)
    /// if the credential is still as `read`, in one statement: the lock engine decided on
    /// `read` without a row lock. `false` when another write came first; the caller then
    /// takes [`Store::login_attempt`].
    pub async fn login_count_if_unchanged(
        &self,
        read: &Credential,
        new: &Credential,
    ) -> Result<bool, StoreError> {
        macro_rules! update {
            ($conn:expr) => {
                bind_login!(UPDATE_LOGIN_IF_UNCHANGED, new)
                    .bind(i64::from(read.version))
                    .bind(read.logins.success_count)
                    .bind(read.logins.failure_count)
                    .execute($conn)
                    .await?
                    .rows_affected()
            };
        }
        let rows = match self {
            Store::Postgres(pool) => {
                let mut lease = pool.acquire().await?;
                in_lease!(lease, conn => update!(conn))
            }
            Store::Sqlite(pool) => {
                let mut lease = pool.acquire().await?;
                in_lease!(lease, conn => {
                    let _writer = sqlite::PATCH_WRITER.lock().await;
                    update!(conn)
                })
            }
        };
        Ok(rows == 1)
    }

    /// Reads the credential at `key` as stored (a temporary lock that has ended
    /// included), with its row locked; `decide` answers what to write (if anything) and
    /// what to answer; the write commits before the row lock goes. `decide` runs again
    /// when the database breaks a deadlock or a serialization conflict.
    pub async fn login_attempt<T>(
        &self,
        key: CredentialKey<'_>,
        mut decide: impl FnMut(Option<Credential>) -> (Option<LoginWrite>, T),
    ) -> Result<T, StoreError> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.try_login_attempt(key, &mut decide).await {
                Ok(answer) => return Ok(answer),
                Err(error) => pause_before_retry(error, tries).await?,
            }
        }
    }

    async fn try_login_attempt<T>(
        &self,
        key: CredentialKey<'_>,
        decide: &mut impl FnMut(Option<Credential>) -> (Option<LoginWrite>, T),
    ) -> Result<T, StoreError> {
        match self {
            Store::Postgres(pool) => {
                let mut lease = pool.acquire().await?;
                in_lease!(lease, conn => {
                    let mut tx = conn.begin().await?;
                    let row = fetch_credential!(&mut *tx, key, BY_TYPE_FOR_UPDATE, BY_EXT_ID_FOR_UPDATE);
                    let (write, answer) = decide(row.map(stored_credential).transpose()?);
                    if let Some(write) = &write {
                        write_login!(tx, write);
                        tx.commit().await?;
                    } else {
                        tx.rollback().await?;
                    }
                    Ok(answer)
                })
            }
            Store::Sqlite(pool) => {
                let mut lease = pool.acquire().await?;
                in_lease!(lease, conn => {
                    let _writer = sqlite::PATCH_WRITER.lock().await;
                    // The write lock first, so that nobody writes between the read and the write.
                    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
                    let row = fetch_credential!(&mut *tx, key);
                    let (write, answer) = decide(row.map(stored_credential).transpose()?);
                    if let Some(write) = &write {
                        write_login!(tx, write);
                        tx.commit().await?;
                    } else {
                        tx.rollback().await?;
                    }
                    Ok(answer)
                })
            }
        }
    }
}
