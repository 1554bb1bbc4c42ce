//! mTAN credentials (seed 000): several per user, addressed by extId; the mobile number
//! is validated and normalized to E.164. A login result is recorded on the lock engine.

mod fixture;
mod http;
mod login;
mod service;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::credential::Credential;
use crate::domain::kind::DomainKind;
#[cfg(test)]
use crate::domain::view::OneTimeSecret;
use crate::domain::view::Reader;
use crate::domain::view_fields::FieldValue;

pub use login::record_login;
pub use service::{LOGIN, RULES};

/// mTAN credentials.
pub struct Mtan;

/// What is stored: the mobile number as the caller wrote it and in E.164.
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
        let number = crate::domain::phone::E164::parse(raw)?;
        Ok(Self {
            raw: number.raw().to_owned(),
            e164: number.e164().to_owned(),
        })
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MtanFields {
    pub mobile_number: MobileNumberView,
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

crate::credential_document!(
    /// An mTAN credential (seed 000).
    MtanCredential,
    MtanFields
);

impl DomainKind for Mtan {
    const DISPLAY_NAME: &'static str = "mTAN";

    type Attributes = MtanAttributes;
    type Fields = MtanFields;

    fn fields(_c: &Credential, m: &MtanAttributes, _reader: Reader) -> MtanFields {
        MtanFields {
            mobile_number: MobileNumberView {
                raw: m.raw.clone(),
                e164: m.e164.clone(),
            },
        }
    }

    fn visit<'a, E>(
        m: &'a MtanFields,
        field: &mut impl FnMut(&'static str, Option<FieldValue<'a>>) -> Result<(), E>,
    ) -> Result<(), E> {
        field(
            "mobileNumber",
            Some(FieldValue::MobileNumber(&m.mobile_number)),
        )
    }

    #[cfg(test)]
    fn examples(_full: bool) -> Vec<(MtanAttributes, Option<OneTimeSecret>)> {
        vec![(
            MtanAttributes {
                raw: "079 123 45 67".into(),
                e164: "+41791234567".into(),
            },
            None,
        )]
    }
}
