//! PostgreSQL: the PATCH writes of concurrent requests gathered into shared statements
//! (the queue and its runners: [`super::batch`]).
//!
//! Why: on PostgreSQL a PATCH write is one statement (the versioned UPDATE and its history
//! row), and most of its cost is the database's per-statement work: parse and plan, a
//! commit that waits for the WAL on disk, a backend woken up. Eight writes in one
//! statement cost the database about a third of eight statements (`bench/`: the batched
//! pgbench row).
//!
//! A batch of one is the plain statement of one write, keyed by the credential id;
//! `IDM_DB_BATCH=1` keeps every write alone (for engines that distribute rows by
//! key, where a statement over many users' rows becomes a distributed transaction).
//!
//! Every write keeps its own outcome: each row carries its expected version, and the
//! statement answers with the rows it moved, so a lost race is `false` for that request
//! alone, as with a statement of its own. A batch holds at most one write per credential
//! (a second one waits for the next batch: it must see the first one's version), and
//! lists its writes in credential id order, so that two batches lock the rows they share in
//! the same order. (A lock taken first in a CTE of its own, `SELECT ... ORDER BY id FOR
//! UPDATE`, would guarantee the order whatever the plan, but it writes every row twice:
//! `bench/run` measured the machine's CPU per PATCH at 892 and 737 us with it, 686 and 553
//! us without, at 16 and 64 connections.)
//! A write that can fail for a reason of its own (a renamed extId that is taken, a new
//! policy deleted meanwhile, a timestamp PostgreSQL cannot read back) runs in a statement
//! of its own: one caller's bad write must not fail, and so slow down, other callers'
//! batches. A statement that fails as a whole all the same (a deadlock with another
//! writer) is run again one write at a time, so each request gets its own answer and only
//! the one at fault fails.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sqlx::Postgres;

use super::batch::{Pending, Work, numbered_json, slot};
use super::credentials::update_credential;
use super::credentials::{CredentialWrite, bind_history_row, bind_update};
use super::{Pool, StoreError, pause_before_retry};

/// Writes per statement unless configured (`IDM_DB_BATCH`): a bound on the
/// statement's size and on the latency a write can add to the others of its batch.
pub const DEFAULT_MAX_BATCH: usize = 64;

/// A write alone: the versioned UPDATE of `update_credential!` and its history row in
/// one statement (a data-modifying CTE), keyed by the credential id. Parameters: those
/// of `bind_update!`, then those of `bind_history_row!` ([`bind_one`]).
const WRITE_ONE: &str = concat!(
    "WITH updated AS (",
    update_credential!(),
    " RETURNING id) \
     INSERT INTO credential_history (id, credential_id, user_id, version, at, actor, action, changes) \
     SELECT $18, $19, $20, $21, $22, $23, $24, $25 FROM updated"
);

/// Several writes in one statement. `$1` is a JSON array of [`RowWrite`]s, each numbered
/// (`n`): one parameter whatever the batch size, and a row estimate that does not depend
/// on it, so PostgreSQL settles on one generic plan instead of planning every batch again
/// (an array parameter's length goes into each custom plan, which made every batch pay
/// about half a millisecond of planning). `updated` writes each row still at its
/// expected version, locking the rows in the order of `input` (the plan is a nested loop
/// over it, by the primary key) (login statistics only where
/// the write sets them: `NULL` keeps the stored value); `history` inserts the history row
/// of each row written. Answers the numbers of the writes that went through.
pub(crate) const WRITE_BATCH: &str = "WITH input AS (\
     SELECT * FROM json_to_recordset($1::json) AS w(n bigint, id text, expected_version bigint, \
     ext_id text, policy_id text, state text, state_change_reason text, \
     state_change_detail text, modification_comment text, last_modified timestamptz, \
     validity_from timestamptz, validity_to timestamptz, success_count bigint, \
     failure_count bigint, last_success timestamptz, last_failure timestamptz, \
     reset_count bigint, attributes text, history_id text, user_id text, \
     history_version bigint, at timestamptz, actor text, action text, changes text)), \
     updated AS (UPDATE credentials c SET ext_id = i.ext_id, policy_id = i.policy_id, \
     state = i.state, state_change_reason = i.state_change_reason, \
     state_change_detail = i.state_change_detail, modification_comment = i.modification_comment, \
     version = c.version + 1, last_modified = i.last_modified, validity_from = i.validity_from, \
     validity_to = i.validity_to, success_count = COALESCE(i.success_count, c.success_count), \
     failure_count = COALESCE(i.failure_count, c.failure_count), \
     last_success = COALESCE(i.last_success, c.last_success), \
     last_failure = COALESCE(i.last_failure, c.last_failure), reset_count = i.reset_count, \
     attributes = i.attributes \
     FROM input i \
     WHERE c.id = i.id AND c.version = i.expected_version RETURNING i.n), \
     history AS (INSERT INTO credential_history \
     (id, credential_id, user_id, version, at, actor, action, changes) \
     SELECT i.history_id, i.id, i.user_id, i.history_version, i.at, i.actor, i.action, i.changes \
     FROM input i JOIN updated u ON u.n = i.n) \
     SELECT n FROM updated";

/// One PATCH write, owned (it is written by a runner task, not by the request). Its
/// fields are the columns of [`WRITE_BATCH`]'s `input` and the parameters of [`WRITE_ONE`].
#[derive(Serialize)]
pub struct RowWrite {
    pub(super) id: String,
    pub(super) expected_version: i64,
    pub(super) ext_id: String,
    pub(super) policy_id: Option<String>,
    pub(super) state: &'static str,
    pub(super) state_change_reason: Option<&'static str>,
    pub(super) state_change_detail: Option<String>,
    pub(super) modification_comment: Option<String>,
    #[serde(serialize_with = "micros")]
    pub(super) last_modified: DateTime<Utc>,
    #[serde(serialize_with = "micros_or_null")]
    pub(super) validity_from: Option<DateTime<Utc>>,
    #[serde(serialize_with = "micros_or_null")]
    pub(super) validity_to: Option<DateTime<Utc>>,
    pub(super) success_count: Option<i64>,
    pub(super) failure_count: Option<i64>,
    #[serde(serialize_with = "micros_or_null")]
    pub(super) last_success: Option<DateTime<Utc>>,
    #[serde(serialize_with = "micros_or_null")]
    pub(super) last_failure: Option<DateTime<Utc>>,
    pub(super) reset_count: i64,
    pub(super) attributes: String,
    pub(super) history_id: String,
    pub(super) user_id: String,
    pub(super) history_version: i64,
    #[serde(serialize_with = "micros")]
    pub(super) at: DateTime<Utc>,
    pub(super) actor: String,
    pub(super) action: &'static str,
    pub(super) changes: String,
    /// Runs in a batch of its own (see the module documentation).
    #[serde(skip)]
    pub(super) alone: bool,
}

impl RowWrite {
    /// The columns of `write`: the login statistics `None` (kept) unless it writes them.
    pub fn new(write: &CredentialWrite) -> Self {
        let CredentialWrite {
            new,
            expected_version,
            history,
            write_logins,
            alone,
        } = write;
        let logins = write_logins.then_some(&new.logins);
        // A stored timestamp from before years were checked, outside 0001-9999, would
        // fail the statement that holds it.
        let odd_time = [
            new.validity.from,
            new.validity.to,
            new.logins.last_success,
            new.logins.last_failure,
        ]
        .iter()
        .flatten()
        .any(|at| !crate::domain::time::in_range(at));
        Self {
            id: new.id.clone(),
            expected_version: i64::from(*expected_version),
            ext_id: new.ext_id.clone(),
            policy_id: new.policy.as_ref().map(|p| p.id.clone()),
            state: new.state.as_str(),
            state_change_reason: new.state_change_reason.map(|r| r.as_str()),
            state_change_detail: new.state_change_detail.clone(),
            modification_comment: new.modification_comment.clone(),
            last_modified: new.last_modified,
            validity_from: new.validity.from,
            validity_to: new.validity.to,
            success_count: logins.map(|l| l.success_count),
            failure_count: logins.map(|l| l.failure_count),
            last_success: logins.and_then(|l| l.last_success),
            last_failure: logins.and_then(|l| l.last_failure),
            reset_count: i64::from(new.reset_count),
            attributes: new.attributes.to_json(),
            history_id: history.id.clone(),
            user_id: history.user_id.clone(),
            history_version: i64::from(history.version),
            at: history.at,
            actor: history.actor.clone(),
            action: history.action.as_str(),
            changes: super::rows_changes_json(&history.changes),
            alone: *alone || odd_time,
        }
    }
}

/// Timestamps in the JSON of a batch: cut to microseconds, as a bound parameter is (text
/// with more digits would be rounded by PostgreSQL instead).
fn micros<S: serde::Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Micros, true))
}

fn micros_or_null<S: serde::Serializer>(
    at: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => micros(at, serializer),
        None => serializer.serialize_none(),
    }
}

/// The PATCH writes of one PostgreSQL store: the [`Work`] of its write batches.
pub struct Writes {
    pool: Pool<Postgres>,
    statements: AtomicU64,
    rows: AtomicU64,
    splits: AtomicU64,
}

/// What the batches did so far (for the metrics, and for tests that batches form).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteBatchStats {
    /// Batch statements sent (each holds one write or more).
    pub statements: u64,
    /// Writes sent in them, the written and the outdated.
    pub rows: u64,
    /// Batches that failed as a whole and were run again one write at a time.
    pub splits: u64,
    /// Writes queued now, waiting for a batch.
    pub waiting: usize,
}

impl Work for Writes {
    type Item = RowWrite;
    /// Whether it was written: `false` if the stored version was no longer the expected
    /// one (or the credential is gone).
    type Answer = bool;

    fn must_wait(row: &RowWrite, batch: &[Pending<Self>]) -> bool {
        let shared = !batch.is_empty() && (row.alone || batch.iter().any(|b| b.item.alone));
        shared || batch.iter().any(|b| b.item.id == row.id)
    }

    fn order(batch: &mut [Pending<Self>]) {
        // Concurrent batches lock the rows they share in the same order.
        batch.sort_by(|a, b| a.item.id.cmp(&b.item.id));
    }

    async fn run(&self, batch: Vec<Pending<Self>>) {
        let rows: Vec<&RowWrite> = batch.iter().map(|p| &p.item).collect();
        match self.execute(&rows).await {
            Ok(written) => {
                for (pending, written) in batch.into_iter().zip(written) {
                    let _gone = pending.reply.send(Ok(written));
                }
            }
            Err(StoreError::Unavailable(cause)) => {
                for pending in batch {
                    let _gone = pending
                        .reply
                        .send(Err(StoreError::Unavailable(cause.clone())));
                }
            }
            // The statement failed as a whole: one write at a time, each with its own
            // retries, tells which write it was and lets the others through.
            Err(error) => {
                if batch.len() > 1 {
                    self.splits.fetch_add(1, Ordering::Relaxed);
                }
                // A batch of one already was that write's first try.
                let mut first_try = (batch.len() == 1).then_some(error);
                for pending in batch {
                    let outcome = self.write_alone(&pending.item, first_try.take()).await;
                    let _gone = pending.reply.send(outcome);
                }
            }
        }
    }
}

impl Writes {
    /// Writes on connections of `pool`. A request must not hold a connection of that
    /// pool while it waits for its write, or a full pool waits on itself.
    pub fn new(pool: Pool<Postgres>) -> Self {
        Self {
            pool,
            statements: AtomicU64::new(0),
            rows: AtomicU64::new(0),
            splits: AtomicU64::new(0),
        }
    }

    /// The counters so far; `waiting` is the queue's to tell.
    pub fn stats(&self, waiting: usize) -> WriteBatchStats {
        WriteBatchStats {
            statements: self.statements.load(Ordering::Relaxed),
            rows: self.rows.load(Ordering::Relaxed),
            splits: self.splits.load(Ordering::Relaxed),
            waiting,
        }
    }

    /// One write in a statement of its own, retried on serialization failures and
    /// deadlocks. `failed`: the error of a first try, if there was one.
    async fn write_alone(
        &self,
        row: &RowWrite,
        failed: Option<StoreError>,
    ) -> Result<bool, StoreError> {
        let mut tries = 0;
        let mut error = failed;
        loop {
            if let Some(error) = error.take() {
                tries += 1;
                pause_before_retry(error, tries).await?;
            }
            match self.execute(&[row]).await {
                Ok(written) => return Ok(written.first().copied().unwrap_or(false)),
                Err(e) => error = Some(e),
            }
        }
    }

    /// Writes `rows` ([`WRITE_ONE`] for one, [`WRITE_BATCH`] for more): for each, whether
    /// it was written.
    async fn execute(&self, rows: &[&RowWrite]) -> Result<Vec<bool>, StoreError> {
        let mut lease = self.pool.acquire().await?;
        self.statements.fetch_add(1, Ordering::Relaxed);
        self.rows.fetch_add(rows.len() as u64, Ordering::Relaxed);
        let outcome = match rows {
            [row] => vec![write_one(lease.connection(), row).await?],
            _ => {
                let written: Vec<i64> = sqlx::query_scalar(WRITE_BATCH)
                    .bind(numbered_json(rows)?)
                    .fetch_all(lease.connection())
                    .await?;
                let mut outcome = vec![false; rows.len()];
                for n in written {
                    if let Some(slot) = slot(&mut outcome, n) {
                        *slot = true;
                    }
                }
                outcome
            }
        };
        lease.settled();
        Ok(outcome)
    }
}

/// One write alone by [`WRITE_ONE`], on `conn` (outside the batches: the write of a
/// transaction that holds the row lock). `false`: the stored version was not the expected one.
pub(super) async fn write_one(
    conn: &mut sqlx::PgConnection,
    row: &RowWrite,
) -> Result<bool, StoreError> {
    let written = bind_one(sqlx::query(WRITE_ONE), row)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(written == 1)
}

/// Binds the parameters of [`WRITE_ONE`]: the update's, then the history row's.
fn bind_one<'q>(
    query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    r: &'q RowWrite,
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    bind_history_row!(bind_update!(query, r), r)
}
