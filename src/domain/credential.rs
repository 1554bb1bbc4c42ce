use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::oath::OathAttributes;
use super::state::{CredentialState, StateChangeReason};

/// The credential types this server implements, with nevisIDM's wire names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum CredentialType {
    #[serde(rename = "Password")]
    Password,
    #[serde(rename = "Ticket Authorization")]
    Ticket,
    #[serde(rename = "mTan")]
    Mtan,
    #[serde(rename = "MobileSignature")]
    MobileSignature,
    #[serde(rename = "OATH")]
    Oath,
    #[serde(rename = "Generic Credential")]
    Generic,
}

impl CredentialType {
    pub const ALL: [Self; 6] = [
        Self::Password,
        Self::Ticket,
        Self::Mtan,
        Self::MobileSignature,
        Self::Oath,
        Self::Generic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "Password",
            Self::Ticket => "Ticket Authorization",
            Self::Mtan => "mTan",
            Self::MobileSignature => "MobileSignature",
            Self::Oath => "OATH",
            Self::Generic => "Generic Credential",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// Types of which a user holds at most one (addressed without an extId in the path).
    pub fn one_per_user(self) -> bool {
        matches!(self, Self::Password | Self::Ticket | Self::MobileSignature)
    }

    /// A human name for messages: "Password", "Ticket", ...
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Password => "Password",
            Self::Ticket => "Ticket",
            Self::Mtan => "mTAN",
            Self::MobileSignature => "Mobile signature",
            Self::Oath => "OATH",
            Self::Generic => "Generic credential",
        }
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

/// Password fields: only the hash (argon2id PHC, or an imported `{SSHA256}`/bcrypt digest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordAttributes {
    pub hash: String,
}

/// Ticket fields: the `{SSHA256}` digest of the server-generated value, and the
/// caller-supplied identification and context.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketAttributes {
    pub hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// mTAN fields: the mobile number as the caller wrote it and in E.164 (validated by
/// `domain::phone::E164` before it gets here).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MtanAttributes {
    pub raw: String,
    pub e164: String,
}

impl MtanAttributes {
    /// Longer input is no phone number; refusing it early keeps the parser's work bounded.
    const MAX_NUMBER_LEN: usize = 64;

    /// A mobile number as a caller wrote it; `Err` says what is wrong with it.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.chars().count() > Self::MAX_NUMBER_LEN {
            return Err("is too long".into());
        }
        let number = super::phone::E164::parse(raw)?;
        Ok(Self {
            raw: number.raw().to_owned(),
            e164: number.e164().to_owned(),
        })
    }
}

/// Mobile signature fields (seed 001). `signer_cert` is PEM, checked by
/// `domain::mobile_signature::check_signer_cert` before it gets here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MobileSignatureAttributes {
    pub identificator: String,
    pub mssp_identifier: String,
    pub msisdn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer_cert: Option<String>,
}

/// Generic credential fields: the caller's identification of an external credential and
/// its custom properties (name -> value; a property set to `null` or `""` is removed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenericAttributes {
    pub identification: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

/// The fields that only one credential type has. Stored as JSON in the `attributes`
/// column; which struct it is follows from the `type` column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attributes {
    Password(PasswordAttributes),
    Ticket(TicketAttributes),
    Mtan(MtanAttributes),
    Oath(OathAttributes),
    MobileSignature(MobileSignatureAttributes),
    Generic(GenericAttributes),
}

impl Attributes {
    pub fn kind(&self) -> CredentialType {
        match self {
            Self::Password(_) => CredentialType::Password,
            Self::Ticket(_) => CredentialType::Ticket,
            Self::Mtan(_) => CredentialType::Mtan,
            Self::Oath(_) => CredentialType::Oath,
            Self::MobileSignature(_) => CredentialType::MobileSignature,
            Self::Generic(_) => CredentialType::Generic,
        }
    }

    pub fn to_json(&self) -> String {
        let value = match self {
            Self::Password(a) => serde_json::to_string(a),
            Self::Ticket(a) => serde_json::to_string(a),
            Self::Mtan(a) => serde_json::to_string(a),
            Self::Oath(a) => serde_json::to_string(a),
            Self::MobileSignature(a) => serde_json::to_string(a),
            Self::Generic(a) => serde_json::to_string(a),
        };
        // Serializing plain structs of strings cannot fail.
        value.unwrap_or_default()
    }

    pub fn from_json(kind: CredentialType, json: &str) -> Result<Self, String> {
        let parsed = match kind {
            CredentialType::Password => serde_json::from_str(json).map(Self::Password),
            CredentialType::Ticket => serde_json::from_str(json).map(Self::Ticket),
            CredentialType::Mtan => serde_json::from_str(json).map(Self::Mtan),
            CredentialType::Oath => serde_json::from_str(json).map(Self::Oath),
            CredentialType::MobileSignature => {
                serde_json::from_str(json).map(Self::MobileSignature)
            }
            CredentialType::Generic => serde_json::from_str(json).map(Self::Generic),
        };
        parsed.map_err(|e| format!("attributes of a {} credential: {e}", kind.as_str()))
    }
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
