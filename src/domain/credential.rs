use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::kind::DomainKind;
use super::state::{CredentialState, StateChangeReason};

/// [`CredentialType`] (nevisIDM's type names), [`Attributes`] (what each type stores) and
/// their dispatch to the types' [`DomainKind`]s.
macro_rules! credential_type_and_attributes {
    ($($variant:ident = $module:ident: $wire:tt, $policy:ident = $policy_wire:tt;)*) => {
        /// The credential types this server implements, with nevisIDM's wire names.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        pub enum CredentialType {
            $(#[serde(rename = $wire)] $variant,)*
        }

        impl CredentialType {
            pub const ALL: [Self; [$($wire),*].len()] = [$(Self::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }

            /// A human name for messages: "Password", "Ticket", ...
            pub fn display_name(self) -> &'static str {
                match self {
                    $(Self::$variant => <crate::types::$module::$variant as DomainKind>::DISPLAY_NAME,)*
                }
            }

            /// For a type a user holds at most one of: the code a second create answers.
            pub fn exists_code(self) -> Option<&'static str> {
                match self {
                    $(Self::$variant => <crate::types::$module::$variant as DomainKind>::ONE_PER_USER,)*
                }
            }

            /// The state of a new credential whose body names none.
            pub fn default_state(self) -> CredentialState {
                match self {
                    $(Self::$variant => <crate::types::$module::$variant as DomainKind>::DEFAULT_STATE,)*
                }
            }

            /// Response fields of this type that hold secrets.
            pub fn secret_fields(self) -> &'static [&'static str] {
                match self {
                    $(Self::$variant => <crate::types::$module::$variant as DomainKind>::SECRET_FIELDS,)*
                }
            }
        }

        /// The fields that only one credential type has. Stored as JSON in the `attributes`
        /// column; which struct it is follows from the `type` column.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Attributes {
            $($variant(<crate::types::$module::$variant as DomainKind>::Attributes),)*
        }

        impl Attributes {
            pub fn kind(&self) -> CredentialType {
                match self {
                    $(Self::$variant(_) => CredentialType::$variant,)*
                }
            }

            pub fn to_json(&self) -> String {
                let value = match self {
                    $(Self::$variant(a) => serde_json::to_string(a),)*
                };
                // Serializing plain structs of strings cannot fail.
                value.unwrap_or_default()
            }

            pub fn from_json(kind: CredentialType, json: &str) -> Result<Self, String> {
                let parsed = match kind {
                    $(CredentialType::$variant => serde_json::from_str(json).map(Self::$variant),)*
                };
                parsed.map_err(|e| format!("attributes of a {} credential: {e}", kind.as_str()))
            }
        }
    };
}
crate::types::for_each_type!(credential_type_and_attributes);

impl CredentialType {
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// Types of which a user holds at most one (addressed without an extId in the path).
    pub fn one_per_user(self) -> bool {
        self.exists_code().is_some()
    }
}

/// The policy a credential uses, as the service needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRef {
    pub id: String,
    pub ext_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validity {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A body's `validity`: `from` may be set, `to` set or cleared (`domain::patch`).
pub type ValidityChange = (
    super::patch::Change<DateTime<Utc>>,
    super::patch::Change<DateTime<Utc>>,
);

impl Validity {
    /// Applies `change`; `Err` (and the period half-changed: callers drop the credential)
    /// when the period would end before it starts.
    pub fn apply(&mut self, change: &ValidityChange) -> Result<(), String> {
        use super::patch::Change;
        if let Change::Set(from) = change.0 {
            self.from = Some(from);
        }
        match change.1 {
            Change::Keep => {}
            Change::Clear => self.to = None,
            Change::Set(to) => self.to = Some(to),
        }
        match (self.from, self.to) {
            (Some(from), Some(to)) if from > to => Err(format!(
                "validity.from ({}) must not be after validity.to ({})",
                super::time::format(&from),
                super::time::format(&to)
            )),
            _ => Ok(()),
        }
    }
}

/// Login statistics. Recording a login moves these, never `version`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoginStats {
    pub success_count: i64,
    pub failure_count: i64,
    pub last_success: Option<DateTime<Utc>>,
    pub last_failure: Option<DateTime<Utc>>,
    /// When a temporary lock set by the lock engine ends (`domain::lockout`).
    pub tmp_lock_end: Option<DateTime<Utc>>,
    /// OATH: the moving factor (HOTP counter value, TOTP time step) of the last code a
    /// login accepted; no code at or before it is accepted again (`domain::otp`).
    pub last_otp: Option<i64>,
}

/// A credential of any type: the columns nevisIDM shares between all types, plus the
/// type's own [`Attributes`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub id: String,
    pub client_id: String,
    pub user_id: String,
    pub user_ext_id: String,
    pub ext_id: String,
    pub policy: Option<PolicyRef>,
    pub state: CredentialState,
    pub state_change_reason: Option<StateChangeReason>,
    pub state_change_detail: Option<String>,
    pub modification_comment: Option<String>,
    pub version: i32,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    pub validity: Validity,
    pub logins: LoginStats,
    pub reset_count: i32,
    pub attributes: Attributes,
}

impl Credential {
    pub fn kind(&self) -> CredentialType {
        self.attributes.kind()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ticket::TicketAttributes;

    #[test]
    fn type_wire_names_match_the_seeds() {
        let names: Vec<_> = CredentialType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            names,
            [
                "Password",
                "Ticket Authorization",
                "mTan",
                "MobileSignature",
                "OATH",
                "Generic Credential"
            ]
        );
        for kind in CredentialType::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
            assert_eq!(CredentialType::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn attributes_round_trip_through_json() {
        let ticket = Attributes::Ticket(TicketAttributes {
            hash: "{SSHA256}abc".into(),
            identification: Some("id-1".into()),
            context: None,
        });
        let back = Attributes::from_json(CredentialType::Ticket, &ticket.to_json()).unwrap();
        assert_eq!(back, ticket);
        assert!(Attributes::from_json(CredentialType::Password, "{}").is_err());
    }
}
