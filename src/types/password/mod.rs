//! Password credentials (seed 003): one per user, stored as an argon2id hash; reset,
//! change and the Authentication API's password login.

mod change;
mod fixture;
mod http;
mod login;
mod service;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::credential::Credential;
use crate::domain::kind::DomainKind;
use crate::domain::state::CredentialState;
#[cfg(test)]
use crate::domain::view::OneTimeSecret;
use crate::domain::view::Reader;
use crate::domain::view_fields::{FieldValue, text};
use crate::error::codes;

pub use change::{CHANGE, change};
pub use login::{attempt as login_attempt, login};
pub use service::{RESET, RULES, reset};

/// Password credentials.
pub struct Password;

/// What is stored: only the hash (argon2id PHC, or an imported `{SSHA256}`/bcrypt digest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordAttributes {
    pub hash: String,
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

crate::credential_document!(
    /// A password credential (seed 003).
    PasswordCredential,
    PasswordFields
);

impl DomainKind for Password {
    const DISPLAY_NAME: &'static str = "Password";
    const ONE_PER_USER: Option<&'static str> = Some(codes::PASSWORD_EXISTS);
    const DEFAULT_STATE: CredentialState = CredentialState::Initial;
    const SECRET_FIELDS: &'static [&'static str] = &["password", "passwordFragment"];

    type Attributes = PasswordAttributes;
    type Fields = PasswordFields;

    fn fields(c: &Credential, a: &PasswordAttributes, reader: Reader) -> PasswordFields {
        PasswordFields {
            reset_count: c.reset_count,
            password: reader.is_admin().then(|| a.hash.clone()),
            password_fragment: reader.secret.map(|s| s.0),
        }
    }

    fn visit<'a, E>(
        f: &'a PasswordFields,
        field: &mut impl FnMut(&'static str, Option<FieldValue<'a>>) -> Result<(), E>,
    ) -> Result<(), E> {
        field("resetCount", Some(FieldValue::Int(f.reset_count.into())))?;
        field("password", text(&f.password))?;
        field("passwordFragment", text(&f.password_fragment))
    }

    #[cfg(test)]
    fn examples(full: bool) -> Vec<(PasswordAttributes, Option<OneTimeSecret>)> {
        vec![(
            PasswordAttributes {
                hash: "$argon2id$x".into(),
            },
            full.then(|| OneTimeSecret("Fragment-1".into())),
        )]
    }
}
