//! The audit trail: what one change did, field by field, with secrets redacted.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::view::is_secret_field;
use super::view_fields::{FieldValue, find};

/// Fields that change with every write and say nothing about what was changed.
const BOOKKEEPING: &[&str] = &["version", "lastModified"];

pub const REDACTED: &str = "[redacted]";

/// One changed field: its old and new value (`null` when absent; secrets redacted).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldChange {
    pub field: String,
    #[serde(default)]
    pub old: Value,
    #[serde(default)]
    pub new: Value,
}

/// What happened to a credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Patch,
    Reset,
    /// A new password set by `.../change`.
    Change,
    Delete,
    /// Locked automatically after login failures.
    Lock,
    /// A temporary lock ended by itself at its end time.
    Unlock,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Patch => "patch",
            Self::Reset => "reset",
            Self::Change => "change",
            Self::Delete => "delete",
            Self::Lock => "lock",
            Self::Unlock => "unlock",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Create,
            Self::Patch,
            Self::Reset,
            Self::Change,
            Self::Delete,
            Self::Lock,
            Self::Unlock,
        ]
        .into_iter()
        .find(|a| a.as_str() == text)
    }
}

/// One history row.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryEntry {
    pub id: String,
    pub credential_id: String,
    pub user_id: String,
    pub version: i32,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: Action,
    pub changes: Vec<FieldChange>,
}

/// The fields that differ between two views of a credential (`CredentialView::fields`),
/// in the order of `new` (then fields only `old` had), secret values replaced by
/// [`REDACTED`]. An absent field is `null`.
pub fn diff(
    old: &[(&'static str, FieldValue<'_>)],
    new: &[(&'static str, FieldValue<'_>)],
) -> Vec<FieldChange> {
    let gone = old.iter().filter(|(name, _)| find(new, name).is_none());
    new.iter()
        .map(|(name, after)| (*name, find(old, name), Some(*after)))
        .chain(gone.map(|(name, before)| (*name, Some(*before), None)))
        .filter(|(name, before, after)| before != after && !BOOKKEEPING.contains(name))
        .map(|(name, before, after)| FieldChange {
            field: name.to_owned(),
            old: redact(name, before),
            new: redact(name, after),
        })
        .collect()
}

fn redact(field: &str, value: Option<FieldValue<'_>>) -> Value {
    match value {
        None => Value::Null,
        Some(_) if is_secret_field(field) => Value::String(REDACTED.into()),
        Some(value) => value.to_json(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use FieldValue::{Int, Text};

    #[test]
    fn only_real_changes_are_listed() {
        let old = [
            ("version", Int(1)),
            ("lastModified", Text("a")),
            ("extId", Text("e")),
            ("x", Int(1)),
        ];
        let new = [
            ("version", Int(2)),
            ("lastModified", Text("b")),
            ("extId", Text("f")),
            ("x", Int(1)),
        ];
        let changes = diff(&old, &new);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "extId");
        assert_eq!(changes[0].old, "e");
        assert_eq!(changes[0].new, "f");
    }

    #[test]
    fn removed_and_added_fields_and_secrets() {
        let old = [
            ("modificationComment", Text("c")),
            ("ticket", Text("{SSHA256}old")),
        ];
        let new = [("ticket", Text("{SSHA256}new")), ("context", Text("x"))];
        let changes = diff(&old, &new);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["ticket", "context", "modificationComment"]);
        assert_eq!(changes[0].old, REDACTED);
        assert_eq!(changes[0].new, REDACTED);
        assert_eq!(changes[1].old, Value::Null);
        assert_eq!(changes[1].new, "x");
        assert_eq!(changes[2].old, "c");
        assert_eq!(changes[2].new, Value::Null);
    }

    #[test]
    fn a_secret_that_appears_is_redacted_but_an_absent_one_stays_null() {
        let changes = diff(&[], &[("password", Text("$argon2id$x"))]);
        assert_eq!(changes[0].old, Value::Null);
        assert_eq!(changes[0].new, REDACTED);
    }
}
