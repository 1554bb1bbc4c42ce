//! The audit trail: what one change did, field by field, with secrets redacted.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::view::SECRET_FIELDS;

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
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Patch => "patch",
            Self::Reset => "reset",
            Self::Delete => "delete",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Create, Self::Patch, Self::Reset, Self::Delete]
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

/// The fields that differ between two views of a credential, in the order of `new`
/// (then fields only `old` had), secret values replaced by [`REDACTED`].
pub fn diff(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<FieldChange> {
    let mut keys: Vec<&String> = new.keys().collect();
    keys.extend(old.keys().filter(|k| !new.contains_key(*k)));
    keys.into_iter()
        .filter(|k| !BOOKKEEPING.contains(&k.as_str()))
        .filter_map(|k| {
            let before = old.get(k).unwrap_or(&Value::Null);
            let after = new.get(k).unwrap_or(&Value::Null);
            (before != after).then(|| FieldChange {
                field: k.clone(),
                old: redact(k, before),
                new: redact(k, after),
            })
        })
        .collect()
}

fn redact(field: &str, value: &Value) -> Value {
    if SECRET_FIELDS.contains(&field) && !value.is_null() {
        Value::String(REDACTED.into())
    } else {
        value.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn only_real_changes_are_listed() {
        let old = map(json!({"version": 1, "lastModified": "a", "stateName": "active", "x": 1}));
        let new = map(json!({"version": 2, "lastModified": "b", "stateName": "disabled", "x": 1}));
        let changes = diff(&old, &new);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "stateName");
        assert_eq!(changes[0].old, "active");
        assert_eq!(changes[0].new, "disabled");
    }

    #[test]
    fn removed_fields_and_secrets() {
        let old = map(json!({"modificationComment": "c", "ticket": "{SSHA256}old"}));
        let new = map(json!({"ticket": "{SSHA256}new"}));
        let changes = diff(&old, &new);
        assert_eq!(changes.len(), 2);
        let ticket = changes.iter().find(|c| c.field == "ticket").unwrap();
        assert_eq!(ticket.old, REDACTED);
        assert_eq!(ticket.new, REDACTED);
        let comment = changes
            .iter()
            .find(|c| c.field == "modificationComment")
            .unwrap();
        assert_eq!(comment.new, Value::Null);
    }
}
