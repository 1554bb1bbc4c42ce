//! PostgreSQL: the credential reads of concurrent requests (a PATCH's read, a GET)
//! gathered into shared statements (the queue and its runners: [`super::batch`]).
//!
//! Why: a read by key is three index probes; what PostgreSQL spends on it is mostly per
//! statement (a message, a plan lookup, a backend woken up, an answer sent). So under load
//! the reads queued while a batch runs go in one statement; a batch of one is the plain
//! statement of one read (`select_credential!` with its `WHERE`).

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use sqlx::postgres::PgRow;
use sqlx::{FromRow, Postgres, Row};

use super::batch::{Pending, Work, numbered_json, slot};
use super::credentials::{CredentialKey, credential_columns, fetch_one};
use super::rows::CredentialRow;
use super::{Pool, StoreError};
use crate::domain::credential::CredentialType;

/// Several reads in one statement. `$1` is a JSON array of [`ReadKey`]s, each numbered
/// (`n`); each answer row starts with the number of the read it answers. Each key is
/// looked up on its own, in the order a read alone probes the indexes: its user (by
/// client and user extId), then the user's credentials. Each step is a `LATERAL`
/// subquery that `OFFSET 0` keeps from being merged into one join, so the plan is that
/// nested loop whatever the planner knows of the tables. Merged, the plan hung on its
/// guesses, and where there are few clients `clients` is never analyzed (a handful of
/// rows never reaches autovacuum's threshold): guessing hundreds of clients, it scanned
/// all of `users` for every batch, for good; guessing few credentials of a type, all of
/// `credentials` for every key.
pub const READ_BATCH: &str = concat!(
    "SELECT k.n, ",
    credential_columns!(),
    "FROM json_to_recordset($1::json) AS k(n bigint, client text, usr text, kind text, \
     ext_id text) \
     CROSS JOIN LATERAL (SELECT u.id, u.ext_id, u.client_id FROM clients cl \
     JOIN users u ON u.client_id = cl.id WHERE cl.ext_id = k.client AND u.ext_id = k.usr \
     OFFSET 0) AS u \
     CROSS JOIN LATERAL (SELECT * FROM credentials c WHERE c.user_id = u.id \
     AND c.client_id = u.client_id AND c.type = k.kind \
     AND (k.ext_id IS NULL OR c.ext_id = k.ext_id) OFFSET 0) AS c \
     LEFT JOIN policies p ON p.id = c.policy_id"
);

/// A [`CredentialKey`], owned (it is read by a runner task, not by the request).
#[derive(Serialize)]
pub struct ReadKey {
    client: String,
    usr: String,
    #[serde(serialize_with = "type_name")]
    kind: CredentialType,
    ext_id: Option<String>,
}

fn type_name<S: serde::Serializer>(
    kind: &CredentialType,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(kind.as_str())
}

impl From<CredentialKey<'_>> for ReadKey {
    fn from(key: CredentialKey<'_>) -> Self {
        Self {
            client: key.client.to_owned(),
            usr: key.user.to_owned(),
            kind: key.kind,
            ext_id: key.ext_id.map(str::to_owned),
        }
    }
}

impl ReadKey {
    fn key(&self) -> CredentialKey<'_> {
        CredentialKey {
            client: &self.client,
            user: &self.usr,
            kind: self.kind,
            ext_id: self.ext_id.as_deref(),
        }
    }
}

/// The credential reads of one PostgreSQL store: the [`Work`] of its read batches.
pub struct Reads {
    pool: Pool<Postgres>,
    statements: AtomicU64,
    reads: AtomicU64,
}

/// What the read batches did so far (for the metrics, and for tests that batches form).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadBatchStats {
    /// Batch statements sent (each holds one read or more).
    pub statements: u64,
    /// Reads sent in them, found or not.
    pub reads: u64,
}

impl Reads {
    pub fn new(pool: Pool<Postgres>) -> Self {
        Self {
            pool,
            statements: AtomicU64::new(0),
            reads: AtomicU64::new(0),
        }
    }

    pub fn stats(&self) -> ReadBatchStats {
        ReadBatchStats {
            statements: self.statements.load(Ordering::Relaxed),
            reads: self.reads.load(Ordering::Relaxed),
        }
    }

    /// Reads `keys`: for each, its credential row if there is one.
    async fn execute(&self, keys: &[&ReadKey]) -> Result<Vec<Option<CredentialRow>>, StoreError> {
        let mut lease = self.pool.acquire().await?;
        self.statements.fetch_add(1, Ordering::Relaxed);
        self.reads.fetch_add(keys.len() as u64, Ordering::Relaxed);
        let found = match keys {
            [key] => vec![fetch_one(lease.connection(), key.key()).await?],
            _ => {
                let rows: Vec<PgRow> = sqlx::query(READ_BATCH)
                    .bind(numbered_json(keys)?)
                    .fetch_all(lease.connection())
                    .await?;
                let mut found: Vec<Option<CredentialRow>> = keys.iter().map(|_| None).collect();
                for row in &rows {
                    let n: i64 = row.try_get("n")?;
                    if let Some(slot @ None) = slot(&mut found, n) {
                        *slot = Some(CredentialRow::from_row(row)?);
                    }
                }
                found
            }
        };
        lease.settled();
        Ok(found)
    }
}

impl Work for Reads {
    type Item = ReadKey;
    type Answer = Option<CredentialRow>;

    async fn run(&self, batch: Vec<Pending<Self>>) {
        let keys: Vec<&ReadKey> = batch.iter().map(|p| &p.item).collect();
        match self.execute(&keys).await {
            Ok(found) => {
                for (pending, row) in batch.into_iter().zip(found) {
                    let _gone = pending.reply.send(Ok(row));
                }
            }
            // Nothing in one key can fail a read of the others: the error is the batch's.
            Err(error) => {
                for pending in batch {
                    let _gone = pending.reply.send(Err(error.clone()));
                }
            }
        }
    }
}
