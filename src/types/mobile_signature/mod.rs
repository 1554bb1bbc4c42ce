//! Mobile signature credentials (seed 001): one per user; `msisdn` is checked against the
//! policy's `validation.msisdn.regex`, `signerCert` must be a PEM X.509 certificate.

mod fixture;
mod http;
mod service;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::credential::Credential;
use crate::domain::kind::DomainKind;
#[cfg(test)]
use crate::domain::view::OneTimeSecret;
use crate::domain::view::Reader;
use crate::domain::view_fields::{FieldValue, text};
use crate::error::codes;

pub use service::RULES;

/// Mobile signature credentials.
pub struct MobileSignature;

/// What is stored (seed 001). `signer_cert` is PEM, checked by
/// `domain::mobile_signature::check_signer_cert` before it gets here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MobileSignatureAttributes {
    pub identificator: String,
    pub mssp_identifier: String,
    pub msisdn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer_cert: Option<String>,
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

crate::credential_document!(
    /// A mobile signature credential (seed 001).
    MobileSignatureCredential,
    MobileSignatureFields
);

impl DomainKind for MobileSignature {
    const DISPLAY_NAME: &'static str = "Mobile signature";
    const ONE_PER_USER: Option<&'static str> = Some(codes::MOBILE_SIGNATURE_EXISTS);

    type Attributes = MobileSignatureAttributes;
    type Fields = MobileSignatureFields;

    fn fields(_c: &Credential, m: &MobileSignatureAttributes, _reader: Reader) -> MobileSignatureFields {
        MobileSignatureFields {
            identificator: m.identificator.clone(),
            mssp_identifier: m.mssp_identifier.clone(),
            signer_cert: m.signer_cert.clone(),
            msisdn: m.msisdn.clone(),
        }
    }

    fn visit<'a, E>(
        m: &'a MobileSignatureFields,
        field: &mut impl FnMut(&'static str, Option<FieldValue<'a>>) -> Result<(), E>,
    ) -> Result<(), E> {
        use FieldValue::Text;
        field("identificator", Some(Text(&m.identificator)))?;
        field("msspIdentifier", Some(Text(&m.mssp_identifier)))?;
        field("signerCert", text(&m.signer_cert))?;
        field("msisdn", Some(Text(&m.msisdn)))
    }

    #[cfg(test)]
    fn examples(full: bool) -> Vec<(MobileSignatureAttributes, Option<OneTimeSecret>)> {
        vec![(
            MobileSignatureAttributes {
                identificator: "ident".into(),
                mssp_identifier: "mssp".into(),
                msisdn: "+41791234567".into(),
                signer_cert: full.then(|| "-----BEGIN CERTIFICATE-----".to_owned()),
            },
            None,
        )]
    }
}
