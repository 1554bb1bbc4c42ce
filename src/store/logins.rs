//! Login statistics: recorded in place, outside optimistic locking.
//!
//! Recording a login result is not a versioned change (decisions.md), so it does not go
//! through `update_credential`: the counters are raised by the database itself, so that
//! concurrent results never overwrite each other's increments.

use chrono::{DateTime, Utc};
use sqlx::Connection as _;

use super::credentials::{INSERT_HISTORY, bind_history};
use super::{Store, StoreError, on_pool, retry_serialization};
use crate::domain::credential::{Credential, LoginStats};
use crate::domain::history::HistoryEntry;

#[derive(sqlx::FromRow)]
struct LoginRow {
    success_count: i64,
    failure_count: i64,
    last_success: Option<DateTime<Utc>>,
    last_failure: Option<DateTime<Utc>>,
}

impl From<LoginRow> for LoginStats {
    fn from(row: LoginRow) -> Self {
        Self {
            success_count: row.success_count,
            failure_count: row.failure_count,
            last_success: row.last_success,
            last_failure: row.last_failure,
        }
    }
}

impl Store {
    /// Adds one login result to credential `id` at `at`: a success raises the success
    /// count and starts the failure count afresh, a failure raises the failure count.
    /// Returns the statistics after the update, `None` when the credential is gone.
    pub async fn record_login(
        &self,
        id: &str,
        success: bool,
        at: DateTime<Utc>,
    ) -> Result<Option<LoginStats>, StoreError> {
        const SUCCESS: &str = "UPDATE credentials SET success_count = success_count + 1, \
             failure_count = 0, last_success = $2 WHERE id = $1 \
             RETURNING success_count, failure_count, last_success, last_failure";
        const FAILURE: &str = "UPDATE credentials SET failure_count = failure_count + 1, \
             last_failure = $2 WHERE id = $1 \
             RETURNING success_count, failure_count, last_success, last_failure";
        let sql = if success { SUCCESS } else { FAILURE };
        let row: Option<LoginRow> = retry_serialization(|| async {
            Ok(on_pool!(self, conn => sqlx::query_as(sql)
                .bind(id)
                .bind(at)
                .fetch_optional(conn)
                .await?))
        })
        .await?;
        Ok(row.map(LoginStats::from))
    }
}

impl Store {
    /// Writes the state columns of `new` (a lock after login failures) if the stored
    /// version is still `expected_version`, with its history row, in one transaction.
    /// Leaves the login counters alone, so concurrent login results are never undone.
    pub async fn lock_credential(
        &self,
        new: &Credential,
        expected_version: i32,
        history: &HistoryEntry,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE credentials SET state = $3, state_change_reason = $4, \
             state_change_detail = $5, version = version + 1, last_modified = $6 \
             WHERE id = $1 AND version = $2";
        retry_serialization(|| async {
            on_pool!(self, conn => {
                let mut tx = conn.begin().await?;
                let written = sqlx::query(SQL)
                    .bind(&new.id)
                    .bind(i64::from(expected_version))
                    .bind(new.state.as_str())
                    .bind(new.state_change_reason.map(|r| r.as_str()))
                    .bind(new.state_change_detail.as_deref())
                    .bind(new.last_modified)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if written == 0 {
                    return Ok(false);
                }
                bind_history!(sqlx::query(INSERT_HISTORY), history).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(true)
            })
        })
        .await
    }
}
