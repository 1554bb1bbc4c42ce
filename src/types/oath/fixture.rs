//! An OATH credential in a fixture: the secret in base32 (encrypted on import) or the
//! stored ciphertext as exported; absent parameters come from the policy.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Oath, OathAttributes};
use crate::domain::credential::Credential;
use crate::domain::oath::{HashAlgorithm, OtpMethod, issuer_of, parse_label};
use crate::domain::secret_box::{self, SecretKey};
use crate::fixtures::kind::{Context, FieldProblem, FixtureKind, Plaintext, read_as_rest};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "Oath")]
pub struct OathFixture {
    pub label: String,
    /// The shared secret in base32 (as in an `otpauth://` URI, at least 128 bits), stored
    /// encrypted with the server's `IDM_SECRET_KEY` and the credential's `internalId`; or
    /// the stored ciphertext (`v1:...`) as exported, stored as given, which needs the
    /// `internalId` it was exported with and the same `IDM_SECRET_KEY`.
    pub secret: String,
    /// Absent: the policy's `issuer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Absent: the policy's `initialType`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_method: Option<OtpMethod>,
    /// Absent: the policy's `initialAlgorithm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashing_algorithm: Option<HashAlgorithm>,
    /// 6, 7 or 8. Absent: the policy's `initialDigits`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digits: Option<u8>,
    /// TOTP step in seconds. Absent: the policy's `initialPeriod`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u64>,
    /// HOTP moving factor. Absent: 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<u64>,
}

impl FixtureKind for Oath {
    type Fixture = OathFixture;
    const FIXTURE_SECRETS: &'static [&'static str] = &["secret"];

    fn plaintext(f: &OathFixture) -> Option<Plaintext<'_>> {
        (!is_sealed(&f.secret)).then_some(("secret", f.secret.as_str()))
    }

    fn attributes(f: &OathFixture, ctx: &Context<'_>) -> Result<OathAttributes, Vec<FieldProblem>> {
        oath_attributes(f, ctx)
    }

    fn fixture(a: &OathAttributes) -> OathFixture {
        OathFixture {
            label: a.label.clone(),
            secret: a.secret.clone(),
            issuer: a.issuer.clone(),
            authentication_method: Some(a.method),
            hashing_algorithm: Some(a.algorithm),
            digits: Some(a.digits),
            period: Some(a.period),
            counter: Some(a.counter),
        }
    }

    fn verify(plain: &str, stored: &Credential, a: &OathAttributes, key: &SecretKey) -> Option<bool> {
        let opened = secret_box::open(key, &stored.id, &a.secret).ok()?;
        Some(decode_base32(plain).is_ok_and(|given| given == opened))
    }
}

/// The stored form (`v1:...`) has a `:`, which base32 never does.
fn is_sealed(secret: &str) -> bool {
    secret.contains(':')
}

/// RFC 4226 section 4: "The length of the shared secret MUST be at least 128 bits."
const MIN_SECRET_BYTES: usize = 16;

/// Base32 as authenticator apps show it: any case, spaces and padding allowed.
fn decode_base32(text: &str) -> Result<Vec<u8>, String> {
    let normalized: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    totp_rs::Secret::try_from_base32(&normalized)
        .map(|secret| secret.to_vec())
        .map_err(|_| "is neither base32 nor the stored ciphertext (v1:...)".to_owned())
}

/// OATH: the REST create's label rules; given parameters are checked as if the policy
/// prescribed them (absent ones come from it); the secret is encrypted, or kept as the
/// ciphertext an export wrote if it opens with this server's key and the credential id.
fn oath_attributes(
    f: &OathFixture,
    ctx: &Context<'_>,
) -> Result<OathAttributes, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let label = read_as_rest(json!({ "label": f.label }), |doc| {
        super::read_label(doc, true)
    })
    .map_err(|p| problems.extend(p))
    .ok()
    .flatten();
    let given = [
        (
            "initialType",
            "authenticationMethod",
            f.authentication_method.map(|m| m.as_str().to_owned()),
        ),
        (
            "initialAlgorithm",
            "hashingAlgorithm",
            f.hashing_algorithm.map(|a| a.as_str().to_owned()),
        ),
        ("initialDigits", "digits", f.digits.map(|d| d.to_string())),
        ("initialPeriod", "period", f.period.map(|p| p.to_string())),
        ("issuer", "issuer", f.issuer.clone()),
    ];
    let mut parameters = ctx.policy.parameters.clone();
    for (name, _, value) in &given {
        if let Some(value) = value {
            parameters.0.insert((*name).to_owned(), value.clone());
        }
    }
    let mut policy = ctx.policy.clone();
    policy.parameters = parameters;
    let settings = super::settings(&policy)
        .map_err(|error| {
            let message = error
                .items()
                .into_iter()
                .map(|i| i.message)
                .collect::<Vec<_>>()
                .join("; ");
            let field = given
                .iter()
                .find(|(name, _, value)| value.is_some() && message.contains(name))
                .map_or("policyExtId", |(_, field, _)| field);
            problems.push((field.to_owned(), message));
        })
        .ok();
    // As on the REST create, an `Issuer:` label prefix names the issuer, or must repeat it.
    let settings = match (settings, label.as_deref().map(parse_label)) {
        (Some(mut settings), Some(Ok(parsed))) => {
            match issuer_of(&parsed, settings.issuer.as_deref()) {
                Ok(issuer) => {
                    settings.issuer = issuer;
                    Some(settings)
                }
                Err(message) => {
                    problems.push(("label".into(), message));
                    None
                }
            }
        }
        (settings, _) => settings,
    };
    let secret = if is_sealed(&f.secret) {
        match secret_box::open(ctx.key, ctx.credential_id, &f.secret) {
            Ok(_) => Some(f.secret.clone()),
            Err(error) => {
                problems.push((
                    "secret".into(),
                    format!(
                        "{error}: the ciphertext needs the IDM_SECRET_KEY and the internalId \
                         it was exported with"
                    ),
                ));
                None
            }
        }
    } else {
        match decode_base32(&f.secret) {
            Ok(bytes) if bytes.len() < MIN_SECRET_BYTES => {
                problems.push((
                    "secret".into(),
                    format!("must be at least {} bits", MIN_SECRET_BYTES * 8),
                ));
                None
            }
            Ok(bytes) if ctx.hash => match secret_box::seal(ctx.key, ctx.credential_id, &bytes) {
                Ok(sealed) => Some(sealed),
                Err(error) => {
                    problems.push(("secret".into(), error.to_string()));
                    None
                }
            },
            Ok(_) => Some(String::new()),
            Err(message) => {
                problems.push(("secret".into(), message));
                None
            }
        }
    };
    match (label, settings, secret) {
        (Some(label), Some(settings), Some(secret)) if problems.is_empty() => {
            let mut attributes = OathAttributes::new(&settings, label);
            attributes.counter = f.counter.unwrap_or(0);
            attributes.secret = secret;
            Ok(attributes)
        }
        _ => Err(problems),
    }
}

