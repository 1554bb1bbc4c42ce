//! Credential rows of every type, and their history.

use super::rows::{CredentialRow, HistoryRow};
use std::sync::LazyLock;

use sqlx::Connection as _;

use super::{Store, StoreError, in_lease, on_pool, retry_serialization};
use crate::domain::credential::{Credential, CredentialType};
use crate::domain::history::HistoryEntry;

/// Selects a credential with what its response needs (user and policy ext ids).
/// The joins run client -> user -> credential, so the lookup by (client extId, user
/// extId) is three index probes (`clients.ext_id`, `users (client_id, ext_id)`,
/// `credentials (user_id, ...)`). Without `u.client_id = cl.id` the planner can only
/// find the user by `ext_id` alone, which no index covers: a scan of every user of
/// every client on each request.
macro_rules! select_credential {
    () => {
        concat!(
            "SELECT ",
            $crate::store::credentials::credential_columns!(),
            "FROM clients cl \
             JOIN users u ON u.client_id = cl.id \
             JOIN credentials c ON c.user_id = u.id AND c.client_id = cl.id \
             LEFT JOIN policies p ON p.id = c.policy_id "
        )
    };
}
/// The columns of a [`CredentialRow`], from `c` (credentials), `u` (users), `p` (policies).
macro_rules! credential_columns {
    () => {
        "c.id, c.client_id, c.user_id, u.ext_id AS user_ext_id, c.ext_id, c.type AS kind, \
         c.policy_id, p.ext_id AS policy_ext_id, c.state, c.state_change_reason, \
         c.state_change_detail, c.modification_comment, c.version, c.created, c.last_modified, \
         c.validity_from, c.validity_to, c.success_count, c.failure_count, c.last_success, \
         c.last_failure, c.reset_count, c.attributes, c.tmp_lock_end, c.last_otp "
    };
}
pub(crate) use credential_columns;
pub(crate) use select_credential;

/// The versioned write of a PATCH: the `WHERE version` makes the write its own check.
/// Login statistics are written only when the change itself sets them (`NULL` binds keep
/// the stored values): login results raise them without a version bump, so a snapshot of
/// them must never be written back over a concurrent increment.
/// SQLite's PATCH write, and PostgreSQL's for a write alone (`write_batch::WRITE_ONE`;
/// several at once go in `write_batch::WRITE_BATCH`, which sets the same columns).
macro_rules! update_credential {
    () => {
        "UPDATE credentials SET ext_id = $3, policy_id = $4, state = $5, \
         state_change_reason = $6, state_change_detail = $7, modification_comment = $8, \
         version = version + 1, last_modified = $9, validity_from = $10, validity_to = $11, \
         success_count = COALESCE($12, success_count), failure_count = COALESCE($13, failure_count), \
         last_success = COALESCE($14, last_success), last_failure = COALESCE($15, last_failure), \
         reset_count = $16, attributes = $17 \
         WHERE id = $1 AND version = $2"
    };
}
pub(crate) use update_credential;

pub(crate) const INSERT_HISTORY: &str = "INSERT INTO credential_history \
     (id, credential_id, user_id, version, at, actor, action, changes) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// Binds the parameters of [`update_credential!`] from a `write_batch::RowWrite` (on
/// either backend: SQLite's write and PostgreSQL's `WRITE_ONE` bind the same list).
macro_rules! bind_update {
    ($query:expr, $row:expr) => {{
        let r: &$crate::store::write_batch::RowWrite = $row;
        $query
            .bind(&r.id)
            .bind(r.expected_version)
            .bind(&r.ext_id)
            .bind(r.policy_id.as_deref())
            .bind(r.state)
            .bind(r.state_change_reason)
            .bind(r.state_change_detail.as_deref())
            .bind(r.modification_comment.as_deref())
            .bind(r.last_modified)
            .bind(r.validity_from)
            .bind(r.validity_to)
            .bind(r.success_count)
            .bind(r.failure_count)
            .bind(r.last_success)
            .bind(r.last_failure)
            .bind(r.reset_count)
            .bind(&r.attributes)
    }};
}
pub(crate) use bind_update;

/// Binds a history row's parameters from a `write_batch::RowWrite`, after whatever the
/// query bound before: [`INSERT_HISTORY`]'s on SQLite, `WRITE_ONE`'s last eight on PostgreSQL.
macro_rules! bind_history_row {
    ($query:expr, $row:expr) => {{
        let r: &$crate::store::write_batch::RowWrite = $row;
        $query
            .bind(&r.history_id)
            .bind(&r.id)
            .bind(&r.user_id)
            .bind(r.history_version)
            .bind(r.at)
            .bind(&r.actor)
            .bind(r.action)
            .bind(&r.changes)
    }};
}
pub(crate) use bind_history_row;

pub(crate) const INSERT_CREDENTIAL: &str = "INSERT INTO credentials (id, client_id, user_id, ext_id, \
     type, policy_id, state, state_change_reason, state_change_detail, modification_comment, version, \
     created, last_modified, validity_from, validity_to, success_count, failure_count, last_success, \
     last_failure, reset_count, attributes, tmp_lock_end, last_otp) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)";

/// Binds the parameters of [`INSERT_CREDENTIAL`] for `c`.
macro_rules! bind_insert_credential {
    ($query:expr, $c:expr) => {{
        let c: &$crate::domain::Credential = $c;
        $query
            .bind(&c.id)
            .bind(&c.client_id)
            .bind(&c.user_id)
            .bind(&c.ext_id)
            .bind(c.kind().as_str())
            .bind(c.policy.as_ref().map(|p| p.id.as_str()))
            .bind(c.state.as_str())
            .bind(c.state_change_reason.map(|r| r.as_str()))
            .bind(c.state_change_detail.as_deref())
            .bind(c.modification_comment.as_deref())
            .bind(i64::from(c.version))
            .bind(c.created)
            .bind(c.last_modified)
            .bind(c.validity.from)
            .bind(c.validity.to)
            .bind(c.logins.success_count)
            .bind(c.logins.failure_count)
            .bind(c.logins.last_success)
            .bind(c.logins.last_failure)
            .bind(i64::from(c.reset_count))
            .bind(c.attributes.to_json())
            .bind(c.logins.tmp_lock_end)
            .bind(c.logins.last_otp)
    }};
}
pub(crate) use bind_insert_credential;

/// Binds the parameters of [`INSERT_HISTORY`].
macro_rules! bind_history {
    ($query:expr, $entry:expr) => {{
        let entry: &$crate::domain::history::HistoryEntry = $entry;
        $query
            .bind(&entry.id)
            .bind(&entry.credential_id)
            .bind(&entry.user_id)
            .bind(i64::from(entry.version))
            .bind(entry.at)
            .bind(&entry.actor)
            .bind(entry.action.as_str())
            .bind($crate::store::rows_changes_json(&entry.changes))
    }};
}
pub(crate) use bind_history;

/// How to find one credential: by client, user and type, and by extId for the types a
/// user may hold several of.
#[derive(Clone, Copy, Debug)]
pub struct CredentialKey<'a> {
    pub client: &'a str,
    pub user: &'a str,
    pub kind: CredentialType,
    pub ext_id: Option<&'a str>,
}

/// A page of a list: at most `limit` items after the continuation point.
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub limit: i64,
    /// (created as epoch millis, extId) of the last item of the previous page.
    pub after: Option<(chrono::DateTime<chrono::Utc>, String)>,
}

/// The filters of a credential lookup: by type, and by type and extId.
macro_rules! where_type {
    () => {
        "WHERE cl.ext_id = $1 AND u.ext_id = $2 AND c.type = $3"
    };
}
macro_rules! where_ext_id {
    () => {
        "WHERE cl.ext_id = $1 AND u.ext_id = $2 AND c.type = $3 AND c.ext_id = $4"
    };
}
pub(super) const BY_TYPE: &str = concat!(select_credential!(), where_type!());
pub(super) const BY_EXT_ID: &str = concat!(select_credential!(), where_ext_id!());
/// PostgreSQL: the same reads, locking the credential row until the transaction ends
/// (SQLite has no row locks: its transaction takes the database's write lock instead).
pub(super) const BY_TYPE_FOR_UPDATE: &str =
    concat!(select_credential!(), where_type!(), " FOR UPDATE OF c");
pub(super) const BY_EXT_ID_FOR_UPDATE: &str =
    concat!(select_credential!(), where_ext_id!(), " FOR UPDATE OF c");

/// The credential row for a [`CredentialKey`], on any executor (a pooled or a held
/// connection, a transaction), by [`BY_TYPE`] and [`BY_EXT_ID`] or by the two given.
macro_rules! fetch_credential {
    ($executor:expr, $key:expr) => {
        $crate::store::credentials::fetch_credential!(
            $executor,
            $key,
            $crate::store::credentials::BY_TYPE,
            $crate::store::credentials::BY_EXT_ID
        )
    };
    ($executor:expr, $key:expr, $by_type:expr, $by_ext_id:expr) => {{
        let key: $crate::store::CredentialKey<'_> = $key;
        let row: Option<$crate::store::rows::CredentialRow> = match key.ext_id {
            None => {
                sqlx::query_as($by_type)
                    .bind(key.client)
                    .bind(key.user)
                    .bind(key.kind.as_str())
                    .fetch_optional($executor)
                    .await?
            }
            Some(ext_id) => {
                sqlx::query_as($by_ext_id)
                    .bind(key.client)
                    .bind(key.user)
                    .bind(key.kind.as_str())
                    .bind(ext_id)
                    .fetch_optional($executor)
                    .await?
            }
        };
        row
    }};
}
pub(crate) use fetch_credential;

/// One credential read alone on PostgreSQL (a read batch of one: the plain statement).
pub(super) async fn fetch_one(
    conn: &mut sqlx::PgConnection,
    key: CredentialKey<'_>,
) -> Result<Option<CredentialRow>, StoreError> {
    Ok(fetch_credential!(conn, key))
}

/// A PATCH write: `new`, if the stored version is still `expected_version`, with its
/// history row. The login statistics are written only with `write_logins` (an unlock or
/// reset sets them; otherwise a concurrent login result must not be undone).
#[derive(Debug)]
pub struct CredentialWrite {
    pub new: Credential,
    pub expected_version: i32,
    pub history: HistoryEntry,
    pub write_logins: bool,
    /// The write can fail for a reason of its own: a new extId can be taken, a new policy
    /// deleted meanwhile. On PostgreSQL it then runs in a statement of its own, so that it
    /// cannot fail a batch of other callers' writes (which would rerun them one by one).
    pub alone: bool,
}

/// What a read-then-write decided on the credential it read: to stop with `T` (nothing
/// to write, or a reason not to), or to write.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per PATCH, moved a few times: cheaper than an allocation"
)]
pub enum Step<T> {
    Stop(T),
    Write(CredentialWrite),
}

impl Store {
    pub async fn find_credential(
        &self,
        key: CredentialKey<'_>,
    ) -> Result<Option<Credential>, StoreError> {
        let row = match self {
            Store::Postgres(store) => store.read(key).await?,
            Store::Sqlite(pool) => {
                let mut lease = pool.acquire().await?;
                in_lease!(lease, conn => fetch_credential!(conn, key))
            }
        };
        row.map(Credential::try_from).transpose()
    }

    /// Any credential of the user with this extId, whatever its type.
    pub async fn find_credential_by_ext_id(
        &self,
        client: &str,
        user: &str,
        ext_id: &str,
    ) -> Result<Option<Credential>, StoreError> {
        const SQL: &str = concat!(
            select_credential!(),
            "WHERE cl.ext_id = $1 AND u.ext_id = $2 AND c.ext_id = $3"
        );
        let row: Option<CredentialRow> = on_pool!(self, conn => sqlx::query_as(SQL)
            .bind(client)
            .bind(user)
            .bind(ext_id)
            .fetch_optional(conn)
            .await?);
        row.map(Credential::try_from).transpose()
    }

    /// The user's credentials of the types in `kinds`, oldest first (none when `kinds` is
    /// empty).
    pub async fn list_credentials(
        &self,
        client: &str,
        user: &str,
        kinds: &[CredentialType],
        page: &Page,
    ) -> Result<Vec<Credential>, StoreError> {
        // One placeholder per credential type ($3, $4, ...): a subset fills the rest with
        // repeats of its first type, so one statement (one prepared plan) serves every
        // subset, and a new type needs no edit here.
        static SQL: LazyLock<String> = LazyLock::new(|| {
            let types = CredentialType::ALL.len();
            let kinds: Vec<String> = (3..3 + types).map(|i| format!("${i}")).collect();
            let n = 3 + types;
            format!(
                "{} WHERE cl.ext_id = $1 AND u.ext_id = $2 AND c.type IN ({}) \
                 AND (${n} = 0 OR c.created > ${} OR (c.created = ${} AND c.ext_id > ${})) \
                 ORDER BY c.created, c.ext_id LIMIT ${}",
                select_credential!(),
                kinds.join(", "),
                n + 1,
                n + 1,
                n + 2,
                n + 3
            )
        });
        let Some(first) = kinds.first() else {
            return Ok(Vec::new());
        };
        let kind = |i: usize| kinds.get(i).unwrap_or(first).as_str();
        let (has_after, after_created, after_ext_id) = match &page.after {
            Some((created, ext_id)) => (1_i64, *created, ext_id.clone()),
            None => (
                0,
                chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
                String::new(),
            ),
        };
        let rows: Vec<CredentialRow> = on_pool!(self, conn => {
            let mut query = sqlx::query_as(SQL.as_str()).bind(client).bind(user);
            for i in 0..CredentialType::ALL.len() {
                query = query.bind(kind(i));
            }
            query
                .bind(has_after)
                .bind(after_created)
                .bind(after_ext_id.as_str())
                .bind(page.limit)
                .fetch_all(conn)
                .await?
        });
        rows.into_iter().map(Credential::try_from).collect()
    }

    /// Inserts a new credential and its `create` history row in one transaction.
    pub async fn insert_credential(
        &self,
        c: &Credential,
        history: &HistoryEntry,
    ) -> Result<(), StoreError> {
        retry_serialization(|| async {
            on_pool!(self, conn => {
                let mut tx = conn.begin().await?;
                bind_insert_credential!(sqlx::query(INSERT_CREDENTIAL), c)
                    .execute(&mut *tx)
                    .await?;
                bind_history!(sqlx::query(INSERT_HISTORY), history).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            })
        })
        .await
    }

    /// Deletes a credential (if still at `expected_version`) and records it in history.
    pub async fn delete_credential(
        &self,
        c: &Credential,
        expected_version: i32,
        history: &HistoryEntry,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "DELETE FROM credentials WHERE id = $1 AND version = $2";
        retry_serialization(|| async {
            on_pool!(self, conn => {
                let mut tx = conn.begin().await?;
                let deleted = sqlx::query(SQL)
                    .bind(&c.id)
                    .bind(i64::from(expected_version))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if deleted == 0 {
                    return Ok(false);
                }
                bind_history!(sqlx::query(INSERT_HISTORY), history).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(true)
            })
        })
        .await
    }

    /// The history of one credential, oldest first.
    pub async fn credential_history(
        &self,
        credential_id: &str,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        const SQL: &str = "SELECT id, credential_id, user_id, version, at, actor, action, changes \
             FROM credential_history WHERE credential_id = $1 ORDER BY version, at";
        let rows: Vec<HistoryRow> = on_pool!(self, conn => sqlx::query_as(SQL)
            .bind(credential_id)
            .fetch_all(conn)
            .await?);
        rows.into_iter().map(HistoryEntry::try_from).collect()
    }
}
