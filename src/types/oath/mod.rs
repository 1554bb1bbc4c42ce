//! OATH credentials (seed 002, `api/create-oath`): several per user, addressed by extId.
//! The server generates the secret, shows it once as the `otpauth://` URI in the create
//! response, and keeps it encrypted (`domain::secret_box`). A login (an extension) checks
//! HOTP/TOTP codes on the lock engine.

mod fixture;
mod http;
mod login;
mod service;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::credential::Credential;
use crate::domain::kind::DomainKind;
use crate::domain::oath::{HashAlgorithm, OathSettings, OtpMethod};
#[cfg(test)]
use crate::domain::view::OneTimeSecret;
use crate::domain::view::Reader;
use crate::domain::view_fields::{FieldValue, text};

pub use login::login;
pub use service::{RULES, read_label, settings};

/// OATH credentials.
pub struct Oath;

/// The stored fields of an OATH credential. The parameters are fixed when the secret is
/// handed out (the authenticator app holds them from then on); `secret` is sealed by
/// `domain::secret_box` with the credential id as associated data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OathAttributes {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    pub method: OtpMethod,
    pub algorithm: HashAlgorithm,
    pub digits: u8,
    pub period: u64,
    pub counter: u64,
    pub secret: String,
}

impl OathAttributes {
    /// New fields from the policy's settings; `secret` is filled in once the
    /// credential id (the associated data) is known.
    pub fn new(settings: &OathSettings, label: String) -> Self {
        Self {
            label,
            issuer: settings.issuer.clone(),
            method: settings.method,
            algorithm: settings.algorithm,
            digits: settings.digits,
            period: settings.period,
            counter: 0,
            secret: String::new(),
        }
    }

    /// The HOTP counter value the next code is expected from: the stored one, or the one
    /// after the last code a login accepted (`last_otp`), whichever is later. A TOTP
    /// credential keeps its stored counter.
    pub fn next_counter(&self, last_otp: Option<i64>) -> u64 {
        match (self.method, last_otp.and_then(|l| u64::try_from(l).ok())) {
            (OtpMethod::Hotp, Some(last)) => self.counter.max(last.saturating_add(1)),
            _ => self.counter,
        }
    }

    /// The response fields; `secret` (the ciphertext) only for `internal` readers, `uri`
    /// only when given (the create response).
    pub fn fields(&self, internal: bool, uri: Option<String>) -> OathFields {
        OathFields {
            uri,
            issuer: self.issuer.clone(),
            authentication_method: self.method,
            hashing_algorithm: self.algorithm,
            digits: self.digits.to_string(),
            period: self.period,
            counter: self.counter,
            secret: internal.then(|| self.secret.clone()),
            label: self.label.clone(),
        }
    }
}

/// The OATH part of the response, in the order of seed 002's schema.
///
/// Its schema leaves `uri` out: only the create response has it
/// (`OathCredentialCreated`), GET and list never do.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OathFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub uri: Option<String>,
    /// The `OathPolicy`'s `issuer`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    pub authentication_method: OtpMethod,
    pub hashing_algorithm: HashAlgorithm,
    /// A string in nevisIDM's schema.
    #[schema(pattern = "^[6-8]$")]
    pub digits: String,
    /// Seconds a TOTP code is valid. Shown for every credential, as get-oath shows it; an
    /// HOTP credential keeps its policy's `initialPeriod` here and does not use it.
    #[schema(minimum = 1)]
    pub period: u64,
    /// The HOTP moving factor: the counter value the next code is expected from (an
    /// accepted OATH login, an extension of this server, moves it past the code's). Shown
    /// for every credential, as get-oath shows it; a TOTP credential keeps 0 here and
    /// does not use it.
    pub counter: u64,
    /// The secret as stored: AES-256-GCM ciphertext, never the secret itself; not shown to
    /// self-admin callers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub label: String,
}

crate::credential_document!(
    /// An OATH credential (seed 002) as GET, list and PATCH return it: never the `uri`.
    OathCredential,
    OathFields
);

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

impl DomainKind for Oath {
    const DISPLAY_NAME: &'static str = "OATH";
    const SECRET_FIELDS: &'static [&'static str] = &["uri", "secret"];

    type Attributes = OathAttributes;
    type Fields = OathFields;

    fn fields(c: &Credential, o: &OathAttributes, reader: Reader) -> OathFields {
        OathFields {
            counter: o.next_counter(c.logins.last_otp),
            ..o.fields(reader.is_admin(), reader.secret.map(|s| s.0))
        }
    }

    fn visit<'a, E>(
        o: &'a OathFields,
        field: &mut impl FnMut(&'static str, Option<FieldValue<'a>>) -> Result<(), E>,
    ) -> Result<(), E> {
        use FieldValue::{Text, Unsigned};
        field("uri", text(&o.uri))?;
        field("issuer", text(&o.issuer))?;
        field(
            "authenticationMethod",
            Some(FieldValue::Method(o.authentication_method)),
        )?;
        field(
            "hashingAlgorithm",
            Some(FieldValue::Algorithm(o.hashing_algorithm)),
        )?;
        field("digits", Some(Text(&o.digits)))?;
        field("period", Some(Unsigned(o.period)))?;
        field("counter", Some(Unsigned(o.counter)))?;
        field("secret", text(&o.secret))?;
        field("label", Some(Text(&o.label)))
    }

    #[cfg(test)]
    fn examples(full: bool) -> Vec<(OathAttributes, Option<OneTimeSecret>)> {
        vec![(
            OathAttributes {
                label: "alice".into(),
                issuer: full.then(|| "Example".to_owned()),
                method: if full {
                    OtpMethod::Hotp
                } else {
                    OtpMethod::Totp
                },
                algorithm: HashAlgorithm::Sha256,
                digits: 8,
                period: 30,
                counter: 7,
                secret: "ciphertext".into(),
            },
            full.then(|| OneTimeSecret("otpauth://hotp/x".into())),
        )]
    }
}
