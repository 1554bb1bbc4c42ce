//! What a credential type is, without I/O: the part of a type's module that the domain's
//! shared enums ([`CredentialType`], [`Attributes`], `view::TypeFields`) dispatch to.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::credential::{Credential, CredentialType};
use super::state::CredentialState;
#[cfg(test)]
use super::view::OneTimeSecret;
use super::view::{Documented, Reader};
use super::view_fields::FieldValue;

/// The variant of [`CredentialType`] a type's module stands for, given by its line in
/// `crate::types::for_each_type!` (so a module cannot name another type's).
pub trait Registered {
    const TYPE: CredentialType;
}

/// Everything the domain knows of one credential type.
pub trait DomainKind: Registered + 'static {
    /// A human name for messages: "Password", "Ticket", ...
    const DISPLAY_NAME: &'static str;
    /// `Some(code)` for a type a user holds at most one of (addressed without an extId):
    /// the error code a second create answers (`errors.passwordExists`, ...).
    const ONE_PER_USER: Option<&'static str> = None;
    /// The state of a new credential whose body names none.
    const DEFAULT_STATE: CredentialState = CredentialState::Active;
    /// Response fields that hold secrets: redacted in history, never logged.
    const SECRET_FIELDS: &'static [&'static str] = &[];

    /// What is stored in the `attributes` column (JSON).
    type Attributes: Clone + std::fmt::Debug + PartialEq + Eq + Serialize + DeserializeOwned;
    /// The response fields beyond the common ones (documented as a whole response by
    /// `crate::credential_document!`).
    type Fields: Serialize + Documented;

    /// The response fields of `c`, whose attributes are `attributes`, for `reader`.
    fn fields(c: &Credential, attributes: &Self::Attributes, reader: Reader) -> Self::Fields;

    /// Calls `field` with each of `fields` in serde order, optional ones as `None` when
    /// absent (`view_fields`: a unit test holds this to the derived `Serialize`).
    fn visit<'a, E>(
        fields: &'a Self::Fields,
        field: &mut impl FnMut(&'static str, Option<FieldValue<'a>>) -> Result<(), E>,
    ) -> Result<(), E>;

    /// Attributes (and a one-time secret) for the view tests: every optional part present
    /// when `full`, none when not.
    #[cfg(test)]
    fn examples(full: bool) -> Vec<(Self::Attributes, Option<OneTimeSecret>)>;
}
