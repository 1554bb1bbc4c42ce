use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::credential::CredentialType;

/// [`PolicyType`]: the policy type of each credential type, with nevisIDM's names.
macro_rules! policy_type {
    ($($variant:ident = $module:ident: $wire:tt, $policy:ident = $policy_wire:tt;)*) => {
        /// The policy types of the credential types this server implements.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        pub enum PolicyType {
            $(#[serde(rename = $policy_wire)] $policy,)*
        }

        impl PolicyType {
            pub const ALL: [Self; [$($policy_wire),*].len()] = [$(Self::$policy),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$policy => $policy_wire,)*
                }
            }

            /// The policy type that governs credentials of `kind`.
            pub const fn for_credential(kind: CredentialType) -> Self {
                match kind {
                    $(CredentialType::$variant => Self::$policy,)*
                }
            }

            /// The credential type this policy type governs.
            pub const fn credential_type(self) -> CredentialType {
                match self {
                    $(Self::$policy => CredentialType::$variant,)*
                }
            }
        }
    };
}
crate::types::for_each_type!(policy_type);

impl PolicyType {
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// Policy parameters: nevisIDM's map of string to string.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Parameters(pub BTreeMap<String, String>);

/// Ten years, nevisIDM's default `credentialLifetime` (ms).
const TEN_YEARS_MS: i64 = 315_360_000_000;
/// Five days, the default `credentialLifetime` of a `TicketPolicy` (ms).
const FIVE_DAYS_MS: i64 = 432_000_000;

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Parameters {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl Parameters {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// An integer parameter; `Err` names the parameter when its value is not a number.
    pub fn int(&self, name: &str, default: i64) -> Result<i64, String> {
        match self.get(name) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse()
                .map_err(|_| format!("policy parameter {name} is not a number: {text:?}")),
        }
    }

    pub fn flag(&self, name: &str, default: bool) -> Result<bool, String> {
        match self.get(name).map(str::trim) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(text) => Err(format!(
                "policy parameter {name} is not true/false: {text:?}"
            )),
        }
    }

    /// How long a new credential of `kind` stays valid (`credentialLifetime`, ms; the
    /// ticket policy's deprecated alias `ticketLifetime` is honoured too).
    pub fn credential_lifetime(&self, kind: CredentialType) -> Result<chrono::Duration, String> {
        let default = if kind == CredentialType::Ticket {
            FIVE_DAYS_MS
        } else {
            TEN_YEARS_MS
        };
        let ms = match (self.get("credentialLifetime"), self.get("ticketLifetime")) {
            (None, Some(_)) if kind == CredentialType::Ticket => {
                self.int("ticketLifetime", default)?
            }
            _ => self.int("credentialLifetime", default)?,
        };
        if ms <= 0 {
            return Err("policy parameter credentialLifetime must be positive".into());
        }
        chrono::Duration::try_milliseconds(ms)
            .ok_or_else(|| "policy parameter credentialLifetime is out of range".into())
    }
}

/// Reads parameters from JSON: strings as they are, numbers and booleans as their text
/// (callers often write `"minLength": 8`). Anything else names the offending key.
pub fn parameters_from_json(value: &serde_json::Value) -> Result<Parameters, String> {
    let Some(object) = value.as_object() else {
        return Err("parameters must be an object of string values".into());
    };
    let mut map = BTreeMap::new();
    for (key, value) in object {
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => return Err(format!("parameters.{key} must be a string")),
        };
        map.insert(key.clone(), text);
    }
    Ok(Parameters(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Parameters {
        Parameters(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn lifetimes_default_per_type_and_honour_the_ticket_alias() {
        let empty = Parameters::default();
        assert_eq!(
            empty.credential_lifetime(CredentialType::Ticket).unwrap(),
            chrono::Duration::days(5)
        );
        assert_eq!(
            empty.credential_lifetime(CredentialType::Password).unwrap(),
            chrono::Duration::days(3650)
        );
        let alias = params(&[("ticketLifetime", "60000")]);
        assert_eq!(
            alias.credential_lifetime(CredentialType::Ticket).unwrap(),
            chrono::Duration::minutes(1)
        );
        assert!(
            params(&[("credentialLifetime", "soon")])
                .credential_lifetime(CredentialType::Ticket)
                .is_err()
        );
    }

    #[test]
    fn json_parameters_accept_scalars_and_refuse_structures() {
        let json = serde_json::json!({"minLength": 8, "resetCodeEnabled": true, "issuer": "ACME"});
        let p = parameters_from_json(&json).unwrap();
        assert_eq!(p.get("minLength"), Some("8"));
        assert_eq!(p.flag("resetCodeEnabled", false), Ok(true));
        assert!(parameters_from_json(&serde_json::json!({"a": [1]})).is_err());
        assert!(parameters_from_json(&serde_json::json!([1])).is_err());
    }

    #[test]
    fn policy_types_map_to_credential_types() {
        assert_eq!(
            PolicyType::for_credential(CredentialType::Mtan).as_str(),
            "TANPolicy"
        );
        for t in PolicyType::ALL {
            assert_eq!(PolicyType::parse(t.as_str()), Some(t));
        }
    }
}
