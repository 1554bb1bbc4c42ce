//! Clients, users and policies.

use super::rows::PolicyRow;
use super::{Store, StoreError, on_pool, retry_serialization};
use crate::domain::directory::{Client, Policy, User};
use crate::domain::policy::PolicyType;
use sqlx::Connection as _;

/// Every user column, joined with the client's extId (no WHERE clause).
macro_rules! select_user {
    () => {
        "SELECT u.id, u.client_id, cl.ext_id AS client_ext_id, u.ext_id, u.login_id, \
         u.state, u.profile, u.version, u.created, u.last_modified \
         FROM users u JOIN clients cl ON cl.id = u.client_id "
    };
}
pub(crate) use select_user;

pub(crate) const SELECT_USER: &str =
    concat!(select_user!(), "WHERE cl.ext_id = $1 AND u.ext_id = $2");

macro_rules! select_policy {
    () => {
        "SELECT p.id, p.client_id, cl.ext_id AS client_ext_id, p.ext_id, p.name, p.description, \
         p.policy_type, p.default_policy, p.parameters, p.version, p.created, p.last_modified \
         FROM policies p JOIN clients cl ON cl.id = p.client_id "
    };
}
pub(crate) use select_policy;

pub(crate) const INSERT_POLICY: &str = "INSERT INTO policies (id, client_id, ext_id, name, description, policy_type, \
     default_policy, parameters, version, created, last_modified) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// Unsets the other default policies of a type when one becomes the default.
pub(crate) const CLEAR_DEFAULT: &str = "UPDATE policies SET default_policy = FALSE WHERE client_id = $1 AND policy_type = $2 AND id <> $3";

/// A policy to insert (a new one, or a default one created with its client).
pub type NewPolicy = Policy;

macro_rules! bind_policy {
    ($query:expr, $p:expr) => {{
        let p: &Policy = $p;
        $query
            .bind(&p.id)
            .bind(&p.client_id)
            .bind(&p.ext_id)
            .bind(&p.name)
            .bind(p.description.as_deref())
            .bind(p.policy_type.as_str())
            .bind(p.default_policy)
            .bind(serde_json::to_string(&p.parameters).unwrap_or_else(|_| "{}".into()))
            .bind(i64::from(p.version))
            .bind(p.created)
            .bind(p.last_modified)
    }};
}
pub(crate) use bind_policy;

pub(crate) const INSERT_CLIENT: &str = "INSERT INTO clients (id, ext_id, name, version, created, \
     last_modified) VALUES ($1, $2, $3, $4, $5, $6)";

macro_rules! bind_client {
    ($query:expr, $c:expr) => {{
        let c: &$crate::domain::directory::Client = $c;
        $query
            .bind(&c.id)
            .bind(&c.ext_id)
            .bind(&c.name)
            .bind(i64::from(c.version))
            .bind(c.created)
            .bind(c.last_modified)
    }};
}
pub(crate) use bind_client;

pub(crate) const INSERT_USER: &str = "INSERT INTO users (id, client_id, ext_id, login_id, state, \
     profile, version, created, last_modified) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

macro_rules! bind_user {
    ($query:expr, $u:expr) => {{
        let u: &$crate::domain::directory::User = $u;
        $query
            .bind(&u.id)
            .bind(&u.client_id)
            .bind(&u.ext_id)
            .bind(&u.login_id)
            .bind(u.state.as_str())
            .bind(serde_json::Value::Object(u.profile.clone()).to_string())
            .bind(i64::from(u.version))
            .bind(u.created)
            .bind(u.last_modified)
    }};
}
pub(crate) use bind_user;

/// Every client column, followed by the rest of the statement.
macro_rules! select_client {
    ($($rest:literal)?) => {
        concat!("SELECT id, ext_id, name, version, created, last_modified FROM clients " $(, $rest)?)
    };
}
pub(crate) use select_client;

/// The lookups by extId, as futures on any executor (a connection, or the fixture transaction),
/// so both run the same statement with the same binds.
macro_rules! fetch_client {
    ($executor:expr, $ext_id:expr) => {
        sqlx::query_as::<_, $crate::store::rows::ClientRow>(
            $crate::store::directory::select_client!("WHERE ext_id = $1"),
        )
        .bind($ext_id)
        .fetch_optional($executor)
    };
}
pub(crate) use fetch_client;

macro_rules! fetch_user {
    ($executor:expr, $client:expr, $ext_id:expr) => {
        sqlx::query_as::<_, $crate::store::rows::UserRow>($crate::store::directory::SELECT_USER)
            .bind($client)
            .bind($ext_id)
            .fetch_optional($executor)
    };
}
pub(crate) use fetch_user;

macro_rules! fetch_policy {
    ($executor:expr, $client:expr, $ext_id:expr) => {
        sqlx::query_as::<_, $crate::store::rows::PolicyRow>(concat!(
            $crate::store::directory::select_policy!(),
            "WHERE cl.ext_id = $1 AND p.ext_id = $2"
        ))
        .bind($client)
        .bind($ext_id)
        .fetch_optional($executor)
    };
}
pub(crate) use fetch_policy;

/// The client's default policy of a type (the oldest, should there be several).
macro_rules! fetch_default_policy {
    ($executor:expr, $client:expr, $policy_type:expr) => {
        sqlx::query_as::<_, $crate::store::rows::PolicyRow>(concat!(
            $crate::store::directory::select_policy!(),
            "WHERE cl.ext_id = $1 AND p.policy_type = $2 AND p.default_policy = TRUE \
             ORDER BY p.created LIMIT 1"
        ))
        .bind($client)
        .bind($policy_type.as_str())
        .fetch_optional($executor)
    };
}
pub(crate) use fetch_default_policy;

impl Store {
    /// Inserts a client and its default policies in one transaction.
    pub async fn insert_client(
        &self,
        client: &Client,
        policies: &[NewPolicy],
    ) -> Result<(), StoreError> {
        retry_serialization(|| async {
            on_pool!(self, conn => {
                let mut tx = conn.begin().await?;
                bind_client!(sqlx::query(INSERT_CLIENT), client)
                    .execute(&mut *tx)
                    .await?;
                for policy in policies {
                    bind_policy!(sqlx::query(INSERT_POLICY), policy).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn find_client(&self, ext_id: &str) -> Result<Option<Client>, StoreError> {
        let row = on_pool!(self, conn => fetch_client!(conn, ext_id).await?);
        row.map(Client::try_from).transpose()
    }

    /// Deletes a client with everything in it. `false` when there was none.
    pub async fn delete_client(&self, ext_id: &str) -> Result<bool, StoreError> {
        const SQL: &str = "DELETE FROM clients WHERE ext_id = $1";
        let deleted = on_pool!(self, conn => sqlx::query(SQL).bind(ext_id).execute(conn).await?.rows_affected());
        Ok(deleted == 1)
    }

    pub async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        on_pool!(self, conn => bind_user!(sqlx::query(INSERT_USER), user)
            .execute(conn)
            .await
            .map(|_| ())?);
        Ok(())
    }

    pub async fn find_user(&self, client: &str, ext_id: &str) -> Result<Option<User>, StoreError> {
        let row = on_pool!(self, conn => fetch_user!(conn, client, ext_id).await?);
        row.map(User::try_from).transpose()
    }

    /// Deletes a user and their credentials. `false` when there was none.
    pub async fn delete_user(&self, user_id: &str) -> Result<bool, StoreError> {
        const SQL: &str = "DELETE FROM users WHERE id = $1";
        let deleted = on_pool!(self, conn => sqlx::query(SQL).bind(user_id).execute(conn).await?.rows_affected());
        Ok(deleted == 1)
    }

    /// Inserts a policy; when it is the default of its type, the others stop being it.
    pub async fn insert_policy(&self, policy: &NewPolicy) -> Result<(), StoreError> {
        retry_serialization(|| async {
            on_pool!(self, conn => {
                let mut tx = conn.begin().await?;
                bind_policy!(sqlx::query(INSERT_POLICY), policy).execute(&mut *tx).await?;
                if policy.default_policy {
                    sqlx::query(CLEAR_DEFAULT)
                        .bind(&policy.client_id)
                        .bind(policy.policy_type.as_str())
                        .bind(&policy.id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn find_policy(
        &self,
        client: &str,
        ext_id: &str,
    ) -> Result<Option<Policy>, StoreError> {
        let row = on_pool!(self, conn => fetch_policy!(conn, client, ext_id).await?);
        row.map(Policy::try_from).transpose()
    }

    /// The client's default policy of a type, if it has one.
    pub async fn default_policy(
        &self,
        client: &str,
        policy_type: PolicyType,
    ) -> Result<Option<Policy>, StoreError> {
        let row = on_pool!(self, conn => fetch_default_policy!(conn, client, policy_type).await?);
        row.map(Policy::try_from).transpose()
    }

    pub async fn list_policies(&self, client: &str) -> Result<Vec<Policy>, StoreError> {
        const SQL: &str = concat!(
            select_policy!(),
            "WHERE cl.ext_id = $1 ORDER BY p.created, p.ext_id"
        );
        let rows: Vec<PolicyRow> =
            on_pool!(self, conn => sqlx::query_as(SQL).bind(client).fetch_all(conn).await?);
        rows.into_iter().map(Policy::try_from).collect()
    }

    /// Writes a changed policy if it is still at `expected_version`.
    pub async fn update_policy(
        &self,
        policy: &Policy,
        expected_version: i32,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE policies SET name = $3, description = $4, default_policy = $5, \
             parameters = $6, version = version + 1, last_modified = $7 WHERE id = $1 AND version = $2";
        let parameters = serde_json::to_string(&policy.parameters).unwrap_or_else(|_| "{}".into());
        retry_serialization(|| async {
            on_pool!(self, conn => {
                let mut tx = conn.begin().await?;
                let updated = sqlx::query(SQL)
                    .bind(&policy.id)
                    .bind(i64::from(expected_version))
                    .bind(&policy.name)
                    .bind(policy.description.as_deref())
                    .bind(policy.default_policy)
                    .bind(&parameters)
                    .bind(policy.last_modified)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if updated == 0 {
                    return Ok(false);
                }
                if policy.default_policy {
                    sqlx::query(CLEAR_DEFAULT)
                        .bind(&policy.client_id)
                        .bind(policy.policy_type.as_str())
                        .bind(&policy.id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(true)
            })
        })
        .await
    }

    /// Deletes a policy; a policy credentials still use is a foreign-key violation.
    pub async fn delete_policy(&self, policy_id: &str) -> Result<bool, StoreError> {
        const SQL: &str = "DELETE FROM policies WHERE id = $1";
        let deleted = on_pool!(self, conn => sqlx::query(SQL).bind(policy_id).execute(conn).await?.rows_affected());
        Ok(deleted == 1)
    }
}
