//! Generic credentials' custom properties: what a body may say about them, and how a
//! change merges into the stored ones.
//!
//! nevisIDM checks property values against property definitions (scope
//! `CREDENTIAL_GENERIC_GLOBAL`), which this server does not model: any name is accepted
//! within the bounds below (docs/compatibility.md).

use std::collections::BTreeMap;

use serde_json::Value;

/// Most properties one credential holds.
pub const MAX_PROPERTIES: usize = 64;
/// Longest property name.
pub const MAX_NAME_LEN: usize = 255;
/// Longest property value.
pub const MAX_VALUE_LEN: usize = 1024;

/// A change of properties: a name with `Some(value)` is set, with `None` removed (a value
/// of `null` or `""`, as nevisIDM's property pages say). Names not listed stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PropertyChanges(BTreeMap<String, Option<String>>);

impl PropertyChanges {
    /// Reads an object of name -> string or `null`; `Err` lists every problem as the
    /// property it concerns (`""` for the object itself) and what is wrong.
    pub fn read(value: &Value) -> Result<Self, Vec<(String, String)>> {
        let Value::Object(map) = value else {
            return Err(vec![(
                String::new(),
                "must be an object of property names to string values".into(),
            )]);
        };
        let mut problems = Vec::new();
        let mut changes = BTreeMap::new();
        for (name, value) in map {
            let mut problem = |problem: String| problems.push((name.clone(), problem));
            if name.trim().is_empty() {
                problems.push((String::new(), "has a property with an empty name".into()));
                continue;
            }
            if name.chars().count() > MAX_NAME_LEN || name.contains('\0') {
                problems.push((
                    String::new(),
                    format!(
                        "has a property name longer than {MAX_NAME_LEN} characters or with NUL characters"
                    ),
                ));
                continue;
            }
            match value {
                Value::Null => {
                    changes.insert(name.clone(), None);
                }
                Value::String(text) if text.is_empty() => {
                    changes.insert(name.clone(), None);
                }
                Value::String(text) if text.chars().count() > MAX_VALUE_LEN => {
                    problem(format!(
                        "must not be longer than {MAX_VALUE_LEN} characters"
                    ));
                }
                Value::String(text) if text.contains('\0') => {
                    problem("must not contain NUL characters".into());
                }
                Value::String(text) => {
                    changes.insert(name.clone(), Some(text.clone()));
                }
                _ => problem("must be a string or null".into()),
            }
        }
        if problems.is_empty() {
            Ok(Self(changes))
        } else {
            Err(problems)
        }
    }

    /// The properties after this change; `Err` when they would be more than
    /// [`MAX_PROPERTIES`].
    pub fn apply(
        &self,
        stored: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, String> {
        let mut next = stored.clone();
        for (name, value) in &self.0 {
            match value {
                Some(value) => next.insert(name.clone(), value.clone()),
                None => next.remove(name),
            };
        }
        if next.len() > MAX_PROPERTIES {
            return Err(format!(
                "a generic credential holds at most {MAX_PROPERTIES} properties ({} after this change)",
                next.len()
            ));
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn null_and_empty_remove_strings_set_others_stay() {
        let stored: BTreeMap<String, String> = [("a", "1"), ("b", "2"), ("c", "3")]
            .map(|(k, v)| (k.into(), v.into()))
            .into();
        let change = PropertyChanges::read(&json!({"a": null, "b": "", "d": "4"})).unwrap();
        let next = change.apply(&stored).unwrap();
        assert_eq!(
            next,
            [("c", "3"), ("d", "4")]
                .map(|(k, v)| (k.into(), v.into()))
                .into()
        );
    }

    #[test]
    fn every_bad_property_is_named() {
        let problems = PropertyChanges::read(
            &json!({"n": 1, "ok": "x", "": "y", "long": "z".repeat(MAX_VALUE_LEN + 1)}),
        )
        .unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        let about = |name: &str| {
            problems
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, p)| p.as_str())
        };
        assert_eq!(about("n"), Some("must be a string or null"));
        assert_eq!(about(""), Some("has a property with an empty name"));
        assert!(about("long").unwrap().starts_with("must not be longer"));
        assert!(PropertyChanges::read(&json!(["a"])).is_err());
    }

    #[test]
    fn the_count_is_bounded_after_the_merge() {
        let many: serde_json::Map<String, Value> = (0..=MAX_PROPERTIES)
            .map(|i| (format!("p{i}"), json!("v")))
            .collect();
        let change = PropertyChanges::read(&Value::Object(many)).unwrap();
        assert!(
            change
                .apply(&BTreeMap::new())
                .unwrap_err()
                .contains("at most 64")
        );
    }
}
