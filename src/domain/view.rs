//! The response shape of a credential, field for field as in the seed pages' schemas.
//!
//! The same structs give the OpenAPI schemas (`ToSchema`), so the document cannot drift
//! from what is serialized. A credential is [`CredentialCommon`] plus the fields of its
//! type; `PasswordCredential`, `TicketCredential`, `MtanCredential`, `OathCredential`
//! (`OathCredentialCreated`) and `MobileSignatureCredential` exist for the document only,
//! naming each type's whole response.

use serde::Serialize;
use utoipa::ToSchema;

use super::credential::{Attributes, Credential, CredentialType};
use super::kind::DomainKind;
use super::state::{CredentialState, StateChangeReason};
use super::time;
use super::view_fields::FieldValue;

/// Who reads the credential: self-admin readers do not see internal attributes
/// (hashes), as nevisIDM's GET ticket page says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Admin,
    SelfAdmin,
}

/// A secret shown once: in the create (or reset) response, never again. Which field
/// shows it is the type's business (`passwordFragment`, `ticketValue`, `uri`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneTimeSecret(pub String);

/// Who a view is for, and the one-time secret a create or reset response shows.
pub struct Reader {
    pub audience: Audience,
    pub secret: Option<OneTimeSecret>,
}

impl Reader {
    /// Whether the reader may see internal attributes (hashes, ciphertext).
    pub fn is_admin(&self) -> bool {
        self.audience == Audience::Admin
    }
}

/// A type's response fields, and the schema that documents its whole response
/// (implemented by `crate::credential_document!`).
pub trait Documented {
    type Document: ToSchema;
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

/// [`TypeFields`], [`PER_TYPE`] and the view's dispatch to the types' [`DomainKind`]s.
macro_rules! type_fields {
    ($($variant:ident = $module:ident: $wire:tt, $policy:ident = $policy_wire:tt;)*) => {
        /// The fields only one type has.
        #[derive(Serialize)]
        #[serde(untagged)]
        pub enum TypeFields {
            $($variant(<crate::types::$module::$variant as DomainKind>::Fields),)*
        }

        impl TypeFields {
            fn of(c: &Credential, audience: Audience, secret: Option<OneTimeSecret>) -> Self {
                match &c.attributes {
                    $(Attributes::$variant(a) => Self::$variant(
                        <crate::types::$module::$variant as DomainKind>::fields(c, a, Reader { audience, secret }),
                    ),)*
                }
            }

            /// Calls `field` with each field in response order (see `view_fields`).
            pub fn visit<'a, E>(
                &'a self,
                field: &mut impl FnMut(&'static str, Option<FieldValue<'a>>) -> Result<(), E>,
            ) -> Result<(), E> {
                match self {
                    $(Self::$variant(f) => <crate::types::$module::$variant as DomainKind>::visit(f, field),)*
                }
            }
        }

        /// Each type's documented response (`common` + its fields), for [`AnyCredential`].
        const PER_TYPE: &[PerType] = &[
            $(PerType::of::<
                <<crate::types::$module::$variant as DomainKind>::Fields as Documented>::Document,
            >(),)*
        ];
    };
}
crate::types::for_each_type!(type_fields);

/// A type's documented response: [`CredentialCommon`] and its own fields side by side.
/// It exists for the document only ([`CredentialView`] serializes every response).
#[macro_export]
macro_rules! credential_document {
    ($(#[$doc:meta])* $name:ident, $fields:ty) => {
        $(#[$doc])*
        #[derive(serde::Serialize, utoipa::ToSchema)]
        #[allow(dead_code)] // documents the response; CredentialView serializes it
        pub struct $name {
            #[serde(flatten)]
            common: $crate::domain::view::CredentialCommon,
            #[serde(flatten)]
            fields: $fields,
        }

        impl $crate::domain::view::Documented for $fields {
            type Document = $name;
        }
    };
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

/// Whether response field `name` holds a secret (of any type): redacted in history, never
/// logged.
pub fn is_secret_field(name: &str) -> bool {
    CredentialType::ALL
        .iter()
        .any(|kind| kind.secret_fields().contains(&name))
}

impl CredentialView {
    pub fn new(c: &Credential, audience: Audience, secret: Option<OneTimeSecret>) -> Self {
        let fields = TypeFields::of(c, audience, secret);
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
