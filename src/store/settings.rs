//! Server settings kept in the database (generated secrets shared by all processes).

use super::{Store, StoreError, on_pool};

impl Store {
    /// The stored value of `key`, storing `candidate` first if there is none. Every
    /// process that races here ends up with the same value: the first insert wins.
    pub async fn setting_or_insert(
        &self,
        key: &str,
        candidate: &str,
    ) -> Result<String, StoreError> {
        const INSERT: &str =
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
        const SELECT: &str = "SELECT value FROM settings WHERE key = $1";
        let value: (String,) = on_pool!(self, conn => {
            sqlx::query(INSERT).bind(key).bind(candidate).execute(&mut *conn).await?;
            sqlx::query_as(SELECT).bind(key).fetch_one(conn).await?
        });
        Ok(value.0)
    }

    /// The stored value of `key`, if any.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        const SELECT: &str = "SELECT value FROM settings WHERE key = $1";
        let value: Option<(String,)> = on_pool!(self, conn => {
            sqlx::query_as(SELECT).bind(key).fetch_optional(conn).await?
        });
        Ok(value.map(|(value,)| value))
    }
}
