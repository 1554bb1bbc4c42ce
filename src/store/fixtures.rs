//! One transaction over the whole database, for fixture import and export: the reads
//! and inserts a fixture needs, on either pool, all committed together or not at all.
//! The statements are the ones the request path uses (shared constants and bind macros).

use sqlx::{Postgres, Sqlite, Transaction};

use super::credentials::{
    INSERT_CREDENTIAL, INSERT_HISTORY, bind_history, bind_insert_credential, select_credential,
};
use super::directory::{
    CLEAR_DEFAULT, INSERT_CLIENT, INSERT_POLICY, INSERT_USER, bind_client, bind_policy, bind_user,
    fetch_client, fetch_default_policy, fetch_policy, fetch_user, select_client, select_policy,
    select_user,
};
use super::rows::{ClientRow, CredentialRow, PolicyRow, UserRow};
use super::{Store, StoreError};
use crate::domain::credential::{Credential, CredentialType};
use crate::domain::directory::{Client, Policy, User};
use crate::domain::history::HistoryEntry;
use crate::domain::policy::PolicyType;

/// An open transaction on either backend. Dropping it without [`Tx::commit`] rolls back.
pub enum Tx {
    Postgres(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>),
}

/// Runs the same body on whichever transaction this is; `$conn` is the connection.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
            Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

fn convert<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}

impl Store {
    /// Starts a transaction for a fixture export.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Store::Postgres(pool) => Tx::Postgres(pool.sqlx().begin().await?),
            Store::Sqlite(pool) => Tx::Sqlite(pool.sqlx().begin().await?),
        })
    }

    /// Starts a transaction for a fixture import, which reads before it writes. SQLite:
    /// with the write lock taken at the start (`BEGIN IMMEDIATE`), so the wait for another
    /// writer happens there, in the busy handler; a transaction that has read already
    /// gets "database is locked" at once instead of waiting.
    pub async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Store::Postgres(pool) => Tx::Postgres(pool.sqlx().begin().await?),
            Store::Sqlite(pool) => Tx::Sqlite(pool.sqlx().begin_with("BEGIN IMMEDIATE").await?),
        })
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Postgres(tx) => tx.commit().await?,
            Tx::Sqlite(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub async fn find_client(&mut self, ext_id: &str) -> Result<Option<Client>, StoreError> {
        let row = on_tx!(self, conn => fetch_client!(conn, ext_id).await?);
        row.map(Client::try_from).transpose()
    }

    pub async fn find_user(
        &mut self,
        client: &str,
        ext_id: &str,
    ) -> Result<Option<User>, StoreError> {
        let row = on_tx!(self, conn => fetch_user!(conn, client, ext_id).await?);
        row.map(User::try_from).transpose()
    }

    pub async fn find_policy(
        &mut self,
        client: &str,
        ext_id: &str,
    ) -> Result<Option<Policy>, StoreError> {
        let row = on_tx!(self, conn => fetch_policy!(conn, client, ext_id).await?);
        row.map(Policy::try_from).transpose()
    }

    pub async fn default_policy(
        &mut self,
        client: &str,
        policy_type: PolicyType,
    ) -> Result<Option<Policy>, StoreError> {
        let row = on_tx!(self, conn => fetch_default_policy!(conn, client, policy_type).await?);
        row.map(Policy::try_from).transpose()
    }

    /// The user's credential with this extId, or (for one-per-user types) of this type.
    pub async fn find_credential(
        &mut self,
        user_id: &str,
        ext_id: &str,
        kind: CredentialType,
    ) -> Result<Option<Credential>, StoreError> {
        const SQL: &str = concat!(
            select_credential!(),
            "WHERE c.user_id = $1 AND (c.ext_id = $2 OR (c.type = $3 AND $4 = 1)) \
             ORDER BY c.ext_id = $2 DESC LIMIT 1"
        );
        let row: Option<CredentialRow> = on_tx!(self, conn => sqlx::query_as(SQL)
            .bind(user_id)
            .bind(ext_id)
            .bind(kind.as_str())
            .bind(i64::from(kind.one_per_user()))
            .fetch_optional(conn)
            .await?);
        row.map(Credential::try_from).transpose()
    }

    /// Whether any credential has this internal id (it must be unique across users).
    pub async fn credential_id_taken(&mut self, id: &str) -> Result<bool, StoreError> {
        const SQL: &str = "SELECT COUNT(*) FROM credentials WHERE id = $1";
        let (count,): (i64,) =
            on_tx!(self, conn => sqlx::query_as(SQL).bind(id).fetch_one(conn).await?);
        Ok(count > 0)
    }

    pub async fn insert_client(&mut self, client: &Client) -> Result<(), StoreError> {
        on_tx!(self, conn => {
            bind_client!(sqlx::query(INSERT_CLIENT), client).execute(conn).await?;
        });
        Ok(())
    }

    /// Inserts a policy; a new default policy takes over from the type's old one.
    pub async fn insert_policy(&mut self, policy: &Policy) -> Result<(), StoreError> {
        on_tx!(self, conn => {
            bind_policy!(sqlx::query(INSERT_POLICY), policy).execute(&mut *conn).await?;
            if policy.default_policy {
                sqlx::query(CLEAR_DEFAULT)
                    .bind(&policy.client_id)
                    .bind(policy.policy_type.as_str())
                    .bind(&policy.id)
                    .execute(&mut *conn)
                    .await?;
            }
        });
        Ok(())
    }

    pub async fn insert_user(&mut self, user: &User) -> Result<(), StoreError> {
        on_tx!(self, conn => {
            bind_user!(sqlx::query(INSERT_USER), user).execute(conn).await?;
        });
        Ok(())
    }

    pub async fn insert_credential(
        &mut self,
        c: &Credential,
        history: &HistoryEntry,
    ) -> Result<(), StoreError> {
        on_tx!(self, conn => {
            bind_insert_credential!(sqlx::query(INSERT_CREDENTIAL), c).execute(&mut *conn).await?;
            bind_history!(sqlx::query(INSERT_HISTORY), history).execute(&mut *conn).await?;
        });
        Ok(())
    }

    /// Every client (unordered: callers sort, so both engines give the same order).
    pub async fn all_clients(&mut self) -> Result<Vec<Client>, StoreError> {
        const SQL: &str = select_client!();
        let rows: Vec<ClientRow> = on_tx!(self, conn => sqlx::query_as(SQL).fetch_all(conn).await?);
        convert(rows)
    }

    pub async fn all_policies(&mut self) -> Result<Vec<Policy>, StoreError> {
        const SQL: &str = select_policy!();
        let rows: Vec<PolicyRow> = on_tx!(self, conn => sqlx::query_as(SQL).fetch_all(conn).await?);
        convert(rows)
    }

    pub async fn all_users(&mut self) -> Result<Vec<User>, StoreError> {
        const SQL: &str = select_user!();
        let rows: Vec<UserRow> = on_tx!(self, conn => sqlx::query_as(SQL).fetch_all(conn).await?);
        convert(rows)
    }

    pub async fn all_credentials(&mut self) -> Result<Vec<Credential>, StoreError> {
        const SQL: &str = select_credential!();
        let rows: Vec<CredentialRow> =
            on_tx!(self, conn => sqlx::query_as(SQL).fetch_all(conn).await?);
        convert(rows)
    }
}
