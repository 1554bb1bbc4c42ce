use crate::error::{ApiError, codes};

/// What went wrong in the database, classified for the service layer.
#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is shutting down: retry later (503).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Serialization failure or deadlock: run the transaction again.
    #[error("transaction conflict: {0}")]
    Retryable(String),
    #[error("unique constraint violated: {0}")]
    UniqueViolation(String),
    #[error("foreign key constraint violated: {0}")]
    ForeignKeyViolation(String),
    /// A stored row that does not parse into the domain: a bug or a hand-edited row.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("database error: {0}")]
    Other(String),
}

/// SQLSTATE classes and codes that mean "the server is not there (now)".
fn is_unavailable_code(code: &str) -> bool {
    code.starts_with("08") // connection exception
        || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
        // SQLite: SQLITE_BUSY (5), SQLITE_LOCKED (6) and their extended codes after the
        // busy timeout ran out.
        || matches!(code, "5" | "6" | "261" | "262" | "517")
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => Self::Unavailable(error.to_string()),
            sqlx::Error::Database(db) => {
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                if db.is_unique_violation() {
                    Self::UniqueViolation(db.message().to_owned())
                } else if db.is_foreign_key_violation() {
                    Self::ForeignKeyViolation(db.message().to_owned())
                } else if code == "40001" || code == "40P01" {
                    Self::Retryable(db.message().to_owned())
                } else if is_unavailable_code(&code) {
                    Self::Unavailable(db.message().to_owned())
                } else {
                    Self::Other(format!("{code}: {}", db.message()))
                }
            }
            _ => Self::Other(error.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        match error {
            sqlx::migrate::MigrateError::Execute(inner) => inner.into(),
            other => Self::Other(format!("migration: {other}")),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) | StoreError::Retryable(cause) => {
                ApiError::Unavailable(cause)
            }
            StoreError::UniqueViolation(_) => ApiError::Conflict(
                codes::DUPLICATE_VALUE,
                "A record with this external id or name exists already".into(),
            ),
            StoreError::ForeignKeyViolation(_) => ApiError::Conflict(
                codes::UNDELETED_DEPENDENCIES,
                "The record is still referenced by other records".into(),
            ),
            other => ApiError::Internal(other.to_string()),
        }
    }
}
