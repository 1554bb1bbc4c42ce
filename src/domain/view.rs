//! The response shape of a credential, field for field as in the seed pages' schemas.
//!
//! The same structs give the OpenAPI schemas (`ToSchema`), so the document cannot drift
//! from what is serialized. A credential is [`CredentialCommon`] plus the fields of its
//! type; `PasswordCredential`, `TicketCredential`, `MtanCredential`, `OathCredential`
//! (`OathCredentialCreated`) and `MobileSignatureCredential` exist for the document only,
//! naming each type's whole response.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::credential::{Attributes, Credential, CredentialType};
use super::oath::OathFields;
use super::state::{CredentialState, StateChangeReason};
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

/// When the credential may be used; either end may be absent.
#[derive(Debug, PartialEq, Serialize, ToSchema)]
#[schema(as = Validity)]
pub struct ValidityView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// A credential as every endpoint returns it: the common fields, then its type's fields.
/// It serializes through its field list (`view_fields`), which a test holds to the
/// derived `Serialize` of the parts.
pub struct CredentialView {
    pub common: CredentialCommon,
    pub fields: TypeFields,
}

/// The response fields every credential type has.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialCommon {
    /// UTC, `YYYY-MM-DDThh:mm:ssZ`.
    pub created: String,
    pub last_modified: String,
    pub version: i32,
    pub ext_id: String,
    pub user_ext_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_ext_id: Option<String>,
    pub state_name: CredentialState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_change_reason: Option<StateChangeReason>,
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
    Generic(GenericFields),
}

/// A generic credential's own fields. Its properties also have endpoints of their own
/// (`.../generic-credentials/{extId}/properties`), as in nevisIDM; they are part of the
/// view so that a change of them is versioned and in the history like any other.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenericFields {
    pub identification: String,
    /// Custom properties, name -> value (`{}` when there are none).
    pub properties: BTreeMap<String, String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MtanFields {
    pub mobile_number: MobileNumberView,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MobileSignatureFields {
    pub identificator: String,
    pub mssp_identifier: String,
    /// One PEM-encoded X.509 certificate; absent when none was given or it was removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer_cert: Option<String>,
    pub msisdn: String,
}

/// `mobileNumber` on output: an object, though it is a plain string on input.
#[derive(Debug, PartialEq, Serialize, ToSchema)]
#[schema(as = MobileNumber)]
pub struct MobileNumberView {
    /// As the client sent it.
    pub raw: String,
    /// Normalized, e.g. `+41791234567`.
    pub e164: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordFields {
    pub reset_count: i32,
    /// The hash (PHC string or `{SSHA256}`); not shown to self-admin callers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The generated password, only in the response that created it (reset codes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_fragment: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketFields {
    /// The `{SSHA256}` digest of the value; not shown to self-admin callers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    pub failure_count: i64,
    pub success_count: i64,
    pub reset_count: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The ticket value, only in the create and reset responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_value: Option<String>,
}

/// A password credential (seed 003).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documents the response; CredentialView serializes it
pub struct PasswordCredential {
    #[serde(flatten)]
    common: CredentialCommon,
    #[serde(flatten)]
    fields: PasswordFields,
}

/// A ticket credential (seed 004).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documents the response; CredentialView serializes it
pub struct TicketCredential {
    #[serde(flatten)]
    common: CredentialCommon,
    #[serde(flatten)]
    fields: TicketFields,
}

/// An mTAN credential (seed 000).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documents the response; CredentialView serializes it
pub struct MtanCredential {
    #[serde(flatten)]
    common: CredentialCommon,
    #[serde(flatten)]
    fields: MtanFields,
}

/// An OATH credential (seed 002) as GET, list and PATCH return it: never the `uri`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documents the response; CredentialView serializes it
pub struct OathCredential {
    #[serde(flatten)]
    common: CredentialCommon,
    #[serde(flatten)]
    fields: OathFields,
}

/// A new OATH credential: [`OathCredential`] and, this once, the provisioning `uri`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documents the response; CredentialView serializes it
pub struct OathCredentialCreated {
    #[serde(flatten)]
    credential: OathCredential,
    /// The `otpauth://` Key URI with the secret, to show as a QR code; shown only here.
    #[schema(pattern = "^otpauth://(totp|hotp)/")]
    uri: String,
}

/// A mobile signature credential (seed 001).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documents the response; CredentialView serializes it
pub struct MobileSignatureCredential {
    #[serde(flatten)]
    common: CredentialCommon,
    #[serde(flatten)]
    fields: MobileSignatureFields,
}

/// A generic credential (`api/create-generic-credential`).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documents the response; CredentialView serializes it
pub struct GenericCredential {
    #[serde(flatten)]
    common: CredentialCommon,
    #[serde(flatten)]
    fields: GenericFields,
}

/// A credential of any type, as the list of a user's credentials returns it: `anyOf`
/// the per-type schemas (they overlap, so `oneOf` would reject valid items).
pub struct AnyCredential;

type Schemas = Vec<(
    String,
    utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
)>;

/// A per-type schema: its name, and how to add it with the schemas it refers to.
struct PerType {
    name: fn() -> std::borrow::Cow<'static, str>,
    add: fn(&mut Schemas),
}

impl PerType {
    const fn of<T: ToSchema>() -> Self {
        Self {
            name: T::name,
            add: with_schema::<T>,
        }
    }
}

const PER_TYPE: &[PerType] = &[
    PerType::of::<PasswordCredential>(),
    PerType::of::<TicketCredential>(),
    PerType::of::<MtanCredential>(),
    PerType::of::<OathCredential>(),
    PerType::of::<MobileSignatureCredential>(),
    PerType::of::<GenericCredential>(),
];

/// Adds `T`'s own schema and the schemas it refers to.
fn with_schema<T: ToSchema>(schemas: &mut Schemas) {
    schemas.push((T::name().into(), T::schema()));
    T::schemas(schemas);
}

impl utoipa::PartialSchema for AnyCredential {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, Ref};
        PER_TYPE
            .iter()
            .fold(AnyOfBuilder::new(), |any, per_type| {
                any.item(Ref::from_schema_name((per_type.name)()))
            })
            .into()
    }
}

impl ToSchema for AnyCredential {
    fn schemas(schemas: &mut Schemas) {
        for per_type in PER_TYPE {
            (per_type.add)(schemas);
        }
    }
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
            Attributes::Oath(o) => TypeFields::Oath(OathFields {
                counter: o.next_counter(c.logins.last_otp),
                ..o.fields(
                    internal,
                    match secret {
                        Some(OneTimeSecret::OathUri(uri)) => Some(uri),
                        _ => None,
                    },
                )
            }),
            Attributes::MobileSignature(m) => TypeFields::MobileSignature(MobileSignatureFields {
                identificator: m.identificator.clone(),
                mssp_identifier: m.mssp_identifier.clone(),
                signer_cert: m.signer_cert.clone(),
                msisdn: m.msisdn.clone(),
            }),
            Attributes::Generic(g) => TypeFields::Generic(GenericFields {
                identification: g.identification.clone(),
                properties: g.properties.clone(),
            }),
        };
        let validity =
            (c.validity.from.is_some() || c.validity.to.is_some()).then(|| ValidityView {
                from: c.validity.from.as_ref().map(time::format),
                to: c.validity.to.as_ref().map(time::format),
            });
        let common = CredentialCommon {
            created: time::format(&c.created),
            last_modified: time::format(&c.last_modified),
            version: c.version,
            ext_id: c.ext_id.clone(),
            user_ext_id: c.user_ext_id.clone(),
            policy_ext_id: c.policy.as_ref().map(|p| p.ext_id.clone()),
            state_name: c.state,
            state_change_reason: c.state_change_reason,
            state_change_detail: c.state_change_detail.clone(),
            last_successful_login_date: c.logins.last_success.as_ref().map(time::format),
            successful_login_count: c.logins.success_count,
            last_failed_login_date: c.logins.last_failure.as_ref().map(time::format),
            failed_login_count: c.logins.failure_count,
            modification_comment: c.modification_comment.clone(),
            kind: c.kind(),
            validity,
        };
        Self { common, fields }
    }
}
