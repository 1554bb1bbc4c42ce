//! The response shape of a credential, field for field as in the seed pages' schemas.

use serde::Serialize;
use serde_json::{Map, Value};

use super::credential::{Attributes, Credential, CredentialType};
use super::oath::OathFields;
use super::state::CredentialState;
use super::time;

/// Who reads the credential: self-admin readers do not see internal attributes
/// (hashes), as nevisIDM's GET ticket page says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Admin,
    SelfAdmin,
}

/// A secret shown once: in the create (or reset) response, never again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OneTimeSecret {
    PasswordFragment(String),
    TicketValue(String),
    /// The `otpauth://` URI of a new OATH credential.
    OathUri(String),
}

#[derive(Serialize)]
pub struct ValidityView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialView {
    pub created: String,
    pub last_modified: String,
    pub version: i32,
    pub ext_id: String,
    pub user_ext_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_ext_id: Option<String>,
    pub state_name: CredentialState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_change_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_change_detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_successful_login_date: Option<String>,
    pub successful_login_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_failed_login_date: Option<String>,
    pub failed_login_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modification_comment: Option<String>,
    #[serde(rename = "type")]
    pub kind: CredentialType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity: Option<ValidityView>,
    #[serde(flatten)]
    pub fields: TypeFields,
}

/// The fields only one type has.
#[derive(Serialize)]
#[serde(untagged)]
pub enum TypeFields {
    Password(PasswordFields),
    Ticket(TicketFields),
    Mtan(MtanFields),
    Oath(OathFields),
    MobileSignature(MobileSignatureFields),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MtanFields {
    pub mobile_number: MobileNumberView,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MobileSignatureFields {
    pub identificator: String,
    pub mssp_identifier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer_cert: Option<String>,
    pub msisdn: String,
}

/// `mobileNumber` on output: an object, though it is a plain string on input.
#[derive(Serialize)]
pub struct MobileNumberView {
    pub raw: String,
    pub e164: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordFields {
    pub reset_count: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_fragment: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    pub failure_count: i64,
    pub success_count: i64,
    pub reset_count: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_value: Option<String>,
}

/// The response fields every credential type has.
pub const COMMON_FIELDS: &[&str] = &[
    "created",
    "lastModified",
    "version",
    "extId",
    "userExtId",
    "policyExtId",
    "stateName",
    "stateChangeReason",
    "stateChangeDetail",
    "lastSuccessfulLoginDate",
    "successfulLoginCount",
    "lastFailedLoginDate",
    "failedLoginCount",
    "modificationComment",
    "type",
    "validity",
];

/// Response fields that hold secrets: redacted in history, never logged.
pub const SECRET_FIELDS: &[&str] = &[
    "password",
    "passwordFragment",
    "ticket",
    "ticketValue",
    "uri",
    "secret",
];

impl CredentialView {
    pub fn new(c: &Credential, audience: Audience, secret: Option<OneTimeSecret>) -> Self {
        let internal = audience == Audience::Admin;
        let fields = match &c.attributes {
            Attributes::Password(p) => TypeFields::Password(PasswordFields {
                reset_count: c.reset_count,
                password: internal.then(|| p.hash.clone()),
                password_fragment: match &secret {
                    Some(OneTimeSecret::PasswordFragment(v)) => Some(v.clone()),
                    _ => None,
                },
            }),
            Attributes::Ticket(t) => TypeFields::Ticket(TicketFields {
                ticket: internal.then(|| t.hash.clone()),
                failure_count: c.logins.failure_count,
                success_count: c.logins.success_count,
                reset_count: c.reset_count,
                identification: t.identification.clone(),
                context: if internal { t.context.clone() } else { None },
                ticket_value: match &secret {
                    Some(OneTimeSecret::TicketValue(v)) => Some(v.clone()),
                    _ => None,
                },
            }),
            Attributes::Mtan(m) => TypeFields::Mtan(MtanFields {
                mobile_number: MobileNumberView {
                    raw: m.raw.clone(),
                    e164: m.e164.clone(),
                },
            }),
            Attributes::Oath(o) => TypeFields::Oath(o.fields(
                internal,
                match secret {
                    Some(OneTimeSecret::OathUri(uri)) => Some(uri),
                    _ => None,
                },
            )),
            Attributes::MobileSignature(m) => TypeFields::MobileSignature(MobileSignatureFields {
                identificator: m.identificator.clone(),
                mssp_identifier: m.mssp_identifier.clone(),
                signer_cert: m.signer_cert.clone(),
                msisdn: m.msisdn.clone(),
            }),
        };
        let validity =
            (c.validity.from.is_some() || c.validity.to.is_some()).then(|| ValidityView {
                from: c.validity.from.as_ref().map(time::format),
                to: c.validity.to.as_ref().map(time::format),
            });
        Self {
            created: time::format(&c.created),
            last_modified: time::format(&c.last_modified),
            version: c.version,
            ext_id: c.ext_id.clone(),
            user_ext_id: c.user_ext_id.clone(),
            policy_ext_id: c.policy.as_ref().map(|p| p.ext_id.clone()),
            state_name: c.state,
            state_change_reason: c.state_change_reason.map(|r| r.as_str()),
            state_change_detail: c.state_change_detail.clone(),
            last_successful_login_date: c.logins.last_success.as_ref().map(time::format),
            successful_login_count: c.logins.success_count,
            last_failed_login_date: c.logins.last_failure.as_ref().map(time::format),
            failed_login_count: c.logins.failure_count,
            modification_comment: c.modification_comment.clone(),
            kind: c.kind(),
            validity,
            fields,
        }
    }

    /// The view as a JSON object, for read-only checks and history diffs.
    pub fn to_map(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }
}
