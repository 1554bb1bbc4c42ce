//! Reading a JSON Merge Patch (RFC 7396) body into typed changes.
//!
//! Every PATCH endpoint reads its body through [`PatchDocument`]: each writable field is
//! taken out by name and type, errors are collected rather than returned one by one (a
//! client sees every problem at once), and what is left over is either a read-only field
//! of the resource (allowed when it equals the stored value) or an unknown field (422).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::ext_id::ExtId;
use super::state::CredentialState;
use super::time;
use crate::error::{ApiError, ErrorItem, codes};

/// What a merge patch says about one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change<T> {
    /// Absent: leave the field as it is.
    Keep,
    /// `null`: clear the field.
    Clear,
    Set(T),
}

impl<T> Change<T> {
    pub fn is_keep(&self) -> bool {
        matches!(self, Self::Keep)
    }

    /// The new value, if one was set.
    pub fn set(self) -> Option<T> {
        match self {
            Self::Set(value) => Some(value),
            Self::Keep | Self::Clear => None,
        }
    }
}

/// The longest free text accepted in comments and similar fields.
pub const MAX_TEXT_LEN: usize = 1024;

pub struct PatchDocument {
    fields: Map<String, Value>,
    /// Dotted prefix for nested objects (`validity.`), so messages name the full path.
    prefix: String,
    errors: Vec<ErrorItem>,
}

impl PatchDocument {
    /// A PATCH body must be a JSON object.
    pub fn new(body: Value) -> Result<Self, ApiError> {
        match body {
            Value::Object(fields) => Ok(Self {
                fields,
                prefix: String::new(),
                errors: Vec::new(),
            }),
            _ => Err(ApiError::invalid("The request body must be a JSON object")),
        }
    }

    fn path(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn reject(&mut self, name: &str, problem: &str) {
        let message = format!("Field '{}' {problem}", self.path(name));
        self.errors.push(ErrorItem::invalid(message));
    }

    /// Whether the body carries `name` (read or not).
    pub fn has(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// Takes `name` out of the document: `None` when absent.
    fn take(&mut self, name: &str) -> Option<Value> {
        self.fields.remove(name)
    }

    /// A string that may be cleared with `null`.
    pub fn clearable_text(&mut self, name: &str, max_len: usize) -> Change<String> {
        match self.take(name) {
            None => Change::Keep,
            Some(Value::Null) => Change::Clear,
            Some(Value::String(text)) => match check_text(&text, max_len) {
                Ok(()) => Change::Set(text),
                Err(problem) => {
                    self.reject(name, &problem);
                    Change::Keep
                }
            },
            Some(_) => {
                self.reject(name, "must be a string");
                Change::Keep
            }
        }
    }

    /// A string that cannot be empty: `null` is refused.
    pub fn text(&mut self, name: &str, max_len: usize) -> Option<String> {
        match self.clearable_text(name, max_len) {
            Change::Keep => None,
            Change::Set(text) if text.trim().is_empty() => {
                self.reject(name, "must not be empty");
                None
            }
            Change::Set(text) => Some(text),
            Change::Clear => {
                self.reject(name, "must not be null");
                None
            }
        }
    }

    /// A string a create needs: "is required" only when it is absent, so a present but
    /// invalid value gets one problem (its own), not two.
    pub fn required_text(&mut self, name: &str, max_len: usize) -> Option<String> {
        if !self.fields.contains_key(name) {
            self.reject(name, "is required");
            return None;
        }
        self.text(name, max_len)
    }

    /// An external id, optionally clearable.
    pub fn ext_id(&mut self, name: &str, clearable: bool) -> Change<ExtId> {
        match self.clearable_text(name, usize::MAX) {
            Change::Keep => Change::Keep,
            Change::Clear if clearable => Change::Clear,
            Change::Clear => {
                self.reject(name, "must not be null");
                Change::Keep
            }
            Change::Set(text) => match ExtId::parse(&text) {
                Ok(id) => Change::Set(id),
                Err(problem) => {
                    self.reject(name, &problem);
                    Change::Keep
                }
            },
        }
    }

    /// A boolean; `null` is refused.
    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.take(name) {
            None => None,
            Some(Value::Bool(flag)) => Some(flag),
            Some(_) => {
                self.reject(name, "must be true or false");
                None
            }
        }
    }

    /// Any JSON value, taken as it is (for fields read by their own rules).
    pub fn raw(&mut self, name: &str) -> Option<Value> {
        self.take(name)
    }

    /// Records a problem found by a caller's own rule.
    pub fn problem(&mut self, name: &str, problem: &str) {
        self.reject(name, problem);
    }

    /// `stateName`, limited to the states the endpoint's enum lists.
    pub fn state(&mut self, allowed: &[CredentialState]) -> Option<CredentialState> {
        let text = self.text("stateName", 64)?;
        match CredentialState::parse(&text).filter(|s| allowed.contains(s)) {
            Some(state) => Some(state),
            None => {
                let names: Vec<_> = allowed.iter().map(|s| s.as_str()).collect();
                self.reject(
                    "stateName",
                    &format!("must be one of [{}]", names.join(", ")),
                );
                None
            }
        }
    }

    /// `version`: a positive int32, never `null`.
    pub fn version(&mut self) -> Option<i32> {
        match self.take("version") {
            None => None,
            Some(Value::Number(n)) => match n.as_i64().and_then(|v| i32::try_from(v).ok()) {
                Some(v) if v >= 1 => Some(v),
                _ => {
                    self.reject("version", "must be a positive 32-bit integer");
                    None
                }
            },
            Some(_) => {
                self.reject("version", "must be an integer");
                None
            }
        }
    }

    /// An RFC 3339 timestamp, optionally clearable.
    pub fn timestamp(&mut self, name: &str, clearable: bool) -> Change<DateTime<Utc>> {
        match self.clearable_text(name, 64) {
            Change::Keep => Change::Keep,
            Change::Clear if clearable => Change::Clear,
            Change::Clear => {
                self.reject(name, "must not be null");
                Change::Keep
            }
            Change::Set(text) => match time::parse(&text) {
                Ok(at) => Change::Set(at),
                Err(why) => {
                    self.reject(name, why);
                    Change::Keep
                }
            },
        }
    }

    /// `validity`: `from` (not clearable) and `to` (`null` clears it).
    pub fn validity(&mut self) -> crate::domain::credential::ValidityChange {
        self.object("validity", |v| {
            (v.timestamp("from", false), v.timestamp("to", true))
        })
        .unwrap_or((Change::Keep, Change::Keep))
    }

    /// A nested object read with the same rules; its leftovers are unknown fields.
    /// `null` for the whole object is refused: clear its fields one by one instead.
    pub fn object<T>(
        &mut self,
        name: &str,
        read: impl FnOnce(&mut PatchDocument) -> T,
    ) -> Option<T> {
        match self.take(name) {
            None => None,
            Some(Value::Object(fields)) => {
                let mut nested = PatchDocument {
                    fields,
                    prefix: format!("{}.", self.path(name)),
                    errors: Vec::new(),
                };
                let value = read(&mut nested);
                let leftovers: Vec<String> = nested.fields.keys().cloned().collect();
                for key in leftovers {
                    nested.reject(&key, "is not a field of this resource");
                }
                self.errors.append(&mut nested.errors);
                Some(value)
            }
            Some(Value::Null) => {
                self.reject(name, "must not be null");
                None
            }
            Some(_) => {
                self.reject(name, "must be an object");
                None
            }
        }
    }

    /// Ends reading: fields in `read_only` are kept for [`ReadOnlyEcho::check`], any
    /// other leftover is an unknown field. All problems found so far come back at once.
    pub fn finish(mut self, read_only: &[&str]) -> Result<ReadOnlyEcho, ApiError> {
        let mut echo = Map::new();
        let leftovers: Vec<(String, Value)> =
            std::mem::take(&mut self.fields).into_iter().collect();
        for (key, value) in leftovers {
            if read_only.contains(&key.as_str()) {
                echo.insert(key, value);
            } else {
                self.reject(&key, "is not a field of this resource");
            }
        }
        if self.errors.is_empty() {
            Ok(ReadOnlyEcho(echo))
        } else {
            Err(ApiError::Unprocessable(self.errors))
        }
    }
}

fn check_text(text: &str, max_len: usize) -> Result<(), String> {
    if text.chars().count() > max_len {
        return Err(format!("must not be longer than {max_len} characters"));
    }
    if text.contains('\0') {
        return Err("must not contain NUL characters".into());
    }
    Ok(())
}

/// Read-only fields a client sent back, as it read them.
#[derive(Debug, Default)]
pub struct ReadOnlyEcho(Map<String, Value>);

impl ReadOnlyEcho {
    /// Each echoed field must equal the stored one (`current` is the resource's response
    /// JSON); an absent stored field equals `null`.
    pub fn check(&self, current: &Map<String, Value>) -> Result<(), ApiError> {
        self.check_with(|key| current.get(key).cloned().unwrap_or(Value::Null))
    }

    /// [`Self::check`] against a lookup: `current(key)` is the stored field's JSON value,
    /// `null` when absent. Asked only for the fields the client echoed.
    pub fn check_with(&self, current: impl Fn(&str) -> Value) -> Result<(), ApiError> {
        let changed: Vec<ErrorItem> = self
            .0
            .iter()
            .filter(|(key, sent)| current(key.as_str()) != **sent)
            .map(|(key, _)| {
                ErrorItem::new(
                    codes::MODIFY_READONLY,
                    format!("Field '{key}' is read-only and cannot be changed"),
                )
            })
            .collect();
        if changed.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Unprocessable(changed))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(value: Value) -> PatchDocument {
        PatchDocument::new(value).unwrap()
    }

    fn messages(error: ApiError) -> Vec<String> {
        error.items().into_iter().map(|e| e.message).collect()
    }

    #[test]
    fn absent_null_and_value_are_three_different_things() {
        let mut d = doc(json!({"modificationComment": null, "identification": "x"}));
        assert_eq!(d.clearable_text("modificationComment", 10), Change::Clear);
        assert_eq!(
            d.clearable_text("identification", 10),
            Change::Set("x".into())
        );
        assert_eq!(d.clearable_text("other", 10), Change::Keep);
        assert!(d.finish(&[]).is_ok());
    }

    #[test]
    fn all_problems_are_reported_together() {
        let mut d = doc(json!({"stateName": "gone", "version": "1", "bogus": 1, "label": null}));
        d.state(&CredentialState::ALL);
        d.version();
        d.text("label", 10);
        let found = messages(d.finish(&[]).unwrap_err());
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found.iter().any(|m| m.contains("'bogus'")));
        assert!(found.iter().any(|m| m.contains("'label' must not be null")));
    }

    #[test]
    fn a_state_outside_the_endpoint_enum_is_refused() {
        let mut d = doc(json!({"stateName": "archived"}));
        let allowed: Vec<_> = CredentialState::ALL
            .into_iter()
            .filter(|s| *s != CredentialState::Archived)
            .collect();
        assert_eq!(d.state(&allowed), None);
        assert!(d.finish(&[]).is_err());
    }

    #[test]
    fn versions_must_be_positive_int32() {
        for bad in [
            json!(0),
            json!(-1),
            json!(1.5),
            json!(4_294_967_296i64),
            json!(null),
        ] {
            let mut d = doc(json!({ "version": bad }));
            assert_eq!(d.version(), None);
            assert!(d.finish(&[]).is_err());
        }
        let mut d = doc(json!({"version": 7}));
        assert_eq!(d.version(), Some(7));
    }

    #[test]
    fn nested_objects_name_their_path() {
        let mut d = doc(json!({"validity": {"from": "yesterday", "extra": 1}}));
        d.object("validity", |v| v.timestamp("from", false));
        let found = messages(d.finish(&[]).unwrap_err());
        assert!(
            found.iter().any(|m| m.contains("'validity.from'")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|m| m.contains("'validity.extra'")),
            "{found:?}"
        );
    }

    #[test]
    fn read_only_fields_pass_when_unchanged_and_fail_when_changed() {
        let d = doc(json!({"type": "Password", "created": "2024-01-01T00:00:00Z"}));
        let echo = d.finish(&["type", "created"]).unwrap();
        let same = json!({"type": "Password", "created": "2024-01-01T00:00:00Z"});
        assert!(echo.check(same.as_object().unwrap()).is_ok());
        let other = json!({"type": "Password", "created": "2025-01-01T00:00:00Z"});
        let err = echo.check(other.as_object().unwrap()).unwrap_err();
        assert_eq!(err.items()[0].code, codes::MODIFY_READONLY);
    }

    #[test]
    fn bodies_that_are_not_objects_are_refused() {
        for body in [json!([]), json!("x"), json!(1), json!(null)] {
            assert!(PatchDocument::new(body).is_err());
        }
    }

    #[test]
    fn text_limits_and_nul_bytes_are_refused() {
        let mut d = doc(json!({"a": "x".repeat(11), "b": "nul\u{0}"}));
        d.clearable_text("a", 10);
        d.clearable_text("b", 10);
        assert_eq!(messages(d.finish(&[]).unwrap_err()).len(), 2);
    }
}
