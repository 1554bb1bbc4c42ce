//! OATH (RFC 4226 HOTP / RFC 6238 TOTP): the `OathPolicy` parameters, secret generation,
//! the `otpauth://` provisioning URI, and the credential's stored fields and response view.

use serde::{Deserialize, Serialize};
use totp_rs::{Algorithm, Builder, Secret};
use utoipa::ToSchema;

use super::policy::Parameters;

/// `authenticationMethod`: counter- or time-based codes.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, schemars::JsonSchema,
)]
pub enum OtpMethod {
    #[serde(rename = "TOTP")]
    Totp,
    #[serde(rename = "HOTP")]
    Hotp,
}

/// `hashingAlgorithm` of the HMAC.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema, schemars::JsonSchema,
)]
pub enum HashAlgorithm {
    #[serde(rename = "SHA1")]
    Sha1,
    #[serde(rename = "SHA256")]
    Sha256,
    #[serde(rename = "SHA512")]
    Sha512,
}

impl OtpMethod {
    /// The `initialType` policy value that selects this method.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "TOTP",
            Self::Hotp => "HOTP",
        }
    }
}

impl HashAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }

    /// The secret size RFC 6238's reference implementation uses for each hash: the
    /// hash's output length (RFC 4226 asks for at least 128 and recommends 160 bits).
    pub fn secret_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    fn totp(self) -> Algorithm {
        match self {
            Self::Sha1 => Algorithm::SHA1,
            Self::Sha256 => Algorithm::SHA256,
            Self::Sha512 => Algorithm::SHA512,
        }
    }
}

/// The longest issuer accepted from a policy; it ends up in every provisioning URI.
const MAX_ISSUER_LEN: usize = 255;
/// A day: longer TOTP steps defeat the point of a one-time password.
const MAX_PERIOD: i64 = 86_400;

/// What an `OathPolicy` prescribes for new credentials (nevisIDM's `initial*`
/// parameters and `issuer`). Parsing is the validation: `Err` names the bad parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OathSettings {
    pub method: OtpMethod,
    pub algorithm: HashAlgorithm,
    pub digits: u8,
    pub period: u64,
    pub issuer: Option<String>,
}

impl OathSettings {
    pub fn from_policy(p: &Parameters) -> Result<Self, String> {
        let method = match p.get("initialType").map(str::trim) {
            None => OtpMethod::Totp,
            Some(t) if t.eq_ignore_ascii_case("totp") => OtpMethod::Totp,
            Some(t) if t.eq_ignore_ascii_case("hotp") => OtpMethod::Hotp,
            Some(t) => {
                return Err(format!(
                    "policy parameter initialType must be totp or hotp, not {t:?}"
                ));
            }
        };
        let algorithm = match p
            .get("initialAlgorithm")
            .map(|a| a.trim().to_ascii_uppercase())
        {
            None => HashAlgorithm::Sha1,
            Some(a) if a == "SHA1" => HashAlgorithm::Sha1,
            Some(a) if a == "SHA256" => HashAlgorithm::Sha256,
            Some(a) if a == "SHA512" => HashAlgorithm::Sha512,
            Some(a) => {
                return Err(format!(
                    "policy parameter initialAlgorithm must be SHA1, SHA256 or SHA512, not {a:?}"
                ));
            }
        };
        // RFC 4226 section 5.3 allows 6 to 8 digits; nevisIDM documents 6/7/8.
        let digits = match p.int("initialDigits", 6)? {
            d @ 6..=8 => d as u8,
            d => {
                return Err(format!(
                    "policy parameter initialDigits must be 6, 7 or 8, not {d}"
                ));
            }
        };
        let period = match p.int("initialPeriod", 30)? {
            s @ 1..=MAX_PERIOD => s as u64,
            s => {
                return Err(format!(
                    "policy parameter initialPeriod must be between 1 and {MAX_PERIOD} seconds, not {s}"
                ));
            }
        };
        let issuer = match p.get("issuer").map(str::trim) {
            None | Some("") => None,
            Some(i) if i.contains(':') => {
                return Err("policy parameter issuer must not contain ':'".into());
            }
            Some(i) if i.chars().count() > MAX_ISSUER_LEN => {
                return Err(format!(
                    "policy parameter issuer is longer than {MAX_ISSUER_LEN} characters"
                ));
            }
            Some(i) => Some(i.to_owned()),
        };
        Ok(Self {
            method,
            algorithm,
            digits,
            period,
            issuer,
        })
    }
}

/// A fresh random secret of the size [`HashAlgorithm::secret_len`] recommends.
pub fn generate_secret(algorithm: HashAlgorithm) -> Vec<u8> {
    let mut secret = vec![0_u8; algorithm.secret_len()];
    rand::fill(secret.as_mut_slice());
    secret
}

/// A label as the Key URI format reads it: `accountname`, or `issuer ":" accountname`
/// with optional spaces before the account name; neither part may hold a `:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label<'a> {
    pub issuer: Option<&'a str>,
    pub account: &'a str,
}

/// Splits a label at its `:`; `Err` says what is wrong with it.
pub fn parse_label(label: &str) -> Result<Label<'_>, &'static str> {
    let Some((issuer, account)) = label.split_once(':') else {
        return Ok(Label {
            issuer: None,
            account: label,
        });
    };
    let account = account.trim_start_matches(' ');
    if account.contains(':') {
        return Err("may hold one ':', between the issuer and the account name");
    }
    if issuer.trim().is_empty() {
        return Err("has no issuer before ':'");
    }
    if account.trim().is_empty() {
        return Err("has no account name after ':'");
    }
    Ok(Label {
        issuer: Some(issuer),
        account,
    })
}

/// The issuer of a credential labelled `label` whose policy names `policy`: either one,
/// and when both are given they must be equal (the Key URI format's label prefix and
/// `issuer` parameter "should be equal").
pub fn issuer_of(label: &Label<'_>, policy: Option<&str>) -> Result<Option<String>, String> {
    match (label.issuer, policy) {
        (Some(ours), Some(theirs)) if ours != theirs => Err(format!(
            "label's issuer {ours:?} is not the issuer {theirs:?} of the credential's policy"
        )),
        (ours, theirs) => Ok(theirs.or(ours).map(str::to_owned)),
    }
}

/// The Key URI (Google Authenticator convention) an authenticator app scans:
/// `otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&...`, built by totp-rs;
/// totp-rs has no HOTP, so `otpauth://hotp/...&counter=0` is written here. The account
/// name is the label's (after its `Issuer:` prefix, if any); the issuer is [`issuer_of`]
/// the label and `s.issuer`, as the label prefix and the `issuer` parameter both.
pub fn provisioning_uri(s: &OathSettings, label: &str, secret: &[u8]) -> Result<String, String> {
    let label = parse_label(label).map_err(|p| format!("label {p}"))?;
    let issuer = issuer_of(&label, s.issuer.as_deref())?;
    match s.method {
        OtpMethod::Totp => Builder::new()
            .with_algorithm(s.algorithm.totp())
            .with_digits(s.digits)
            .with_step_duration(s.period)
            .with_secret(secret.to_vec())
            .with_account_name(label.account)
            .with_issuer(issuer.as_deref())
            .build()
            .and_then(|totp| totp.to_url())
            .map_err(|e| format!("cannot build the otpauth URI: {e}")),
        OtpMethod::Hotp => {
            let encoded = Secret::from(secret.to_vec()).to_base32();
            let (prefix, issuer_param) = match &issuer {
                Some(issuer) => (
                    format!("{}:", uri_encode(issuer)),
                    format!("&issuer={}", uri_encode(issuer)),
                ),
                None => (String::new(), String::new()),
            };
            Ok(format!(
                "otpauth://hotp/{prefix}{}?secret={encoded}{issuer_param}&algorithm={}&digits={}&counter=0",
                uri_encode(label.account),
                s.algorithm.as_str(),
                s.digits,
            ))
        }
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn uri_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::parameters_from_json;
    use totp_rs::Totp;

    fn params(pairs: &[(&str, &str)]) -> Parameters {
        let object: serde_json::Map<_, _> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
            .collect();
        parameters_from_json(&object.into()).unwrap()
    }

    fn settings(algorithm: HashAlgorithm, digits: u8) -> OathSettings {
        OathSettings {
            method: OtpMethod::Totp,
            algorithm,
            digits,
            period: 30,
            issuer: Some("ACME Corp".into()),
        }
    }

    /// RFC 6238 Appendix B: the seeds are the ASCII digits repeated to the hash length.
    fn rfc6238_seed(algorithm: HashAlgorithm) -> Vec<u8> {
        b"1234567890"
            .iter()
            .cycle()
            .take(algorithm.secret_len())
            .copied()
            .collect()
    }

    #[test]
    fn totp_uris_reproduce_the_rfc_6238_vectors() {
        let vectors: [(u64, [&str; 3]); 6] = [
            (59, ["94287082", "46119246", "90693936"]),
            (1_111_111_109, ["07081804", "68084774", "25091201"]),
            (1_111_111_111, ["14050471", "67062674", "99943326"]),
            (1_234_567_890, ["89005924", "91819424", "93441116"]),
            (2_000_000_000, ["69279037", "90698825", "38618901"]),
            (20_000_000_000, ["65353130", "77737706", "47863826"]),
        ];
        let algorithms = [
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha512,
        ];
        for (i, algorithm) in algorithms.into_iter().enumerate() {
            let uri = provisioning_uri(&settings(algorithm, 8), "jdoe", &rfc6238_seed(algorithm))
                .unwrap();
            let totp = Totp::from_url(&uri).unwrap();
            assert_eq!(totp.issuer(), Some("ACME Corp"), "{uri}");
            assert_eq!(totp.account_name(), "jdoe");
            assert_eq!((totp.digits(), totp.step()), (8, 30));
            assert_eq!(totp.algorithm().as_str(), algorithm.as_str());
            for (time, codes) in vectors {
                assert_eq!(
                    totp.generate(time).to_string(),
                    codes[i],
                    "{algorithm:?} at {time}"
                );
            }
        }
    }

    /// A TOTP with a one-second step at time `c` is HOTP with counter `c`, which checks
    /// the hand-written HOTP URI against RFC 4226 Appendix D.
    #[test]
    fn hotp_uris_reproduce_the_rfc_4226_vectors() {
        let s = OathSettings {
            method: OtpMethod::Hotp,
            algorithm: HashAlgorithm::Sha1,
            digits: 6,
            period: 30,
            issuer: Some("ACME Corp".into()),
        };
        let uri = provisioning_uri(&s, "j doe", b"12345678901234567890").unwrap();
        assert_eq!(
            uri,
            "otpauth://hotp/ACME%20Corp:j%20doe?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=ACME%20Corp&algorithm=SHA1&digits=6&counter=0"
        );
        let secret_b32 = uri
            .split("secret=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap();
        let hotp = Builder::new()
            .with_secret(Secret::try_from_base32(secret_b32).unwrap())
            .with_step_duration(1)
            .build()
            .unwrap();
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (counter, code) in expected.into_iter().enumerate() {
            assert_eq!(hotp.generate(counter as u64).to_string(), code);
        }
    }

    #[test]
    fn policy_defaults_and_parameters() {
        let d = OathSettings::from_policy(&Parameters::default()).unwrap();
        assert_eq!(
            d,
            OathSettings {
                method: OtpMethod::Totp,
                algorithm: HashAlgorithm::Sha1,
                digits: 6,
                period: 30,
                issuer: None,
            }
        );
        let p = params(&[
            ("initialType", "hotp"),
            ("initialAlgorithm", "sha512"),
            ("initialDigits", "8"),
            ("initialPeriod", "60"),
            ("issuer", "ACME"),
        ]);
        let s = OathSettings::from_policy(&p).unwrap();
        assert_eq!(
            (
                s.method,
                s.algorithm,
                s.digits,
                s.period,
                s.issuer.as_deref()
            ),
            (OtpMethod::Hotp, HashAlgorithm::Sha512, 8, 60, Some("ACME"))
        );
    }

    #[test]
    fn invalid_policies_name_the_parameter() {
        for (name, value) in [
            ("initialDigits", "5"),
            ("initialDigits", "9"),
            ("initialDigits", "six"),
            ("initialAlgorithm", "MD5"),
            ("initialPeriod", "0"),
            ("initialPeriod", "-30"),
            ("initialType", "push"),
            ("issuer", "ACME:Corp"),
        ] {
            let error = OathSettings::from_policy(&params(&[(name, value)])).unwrap_err();
            assert!(error.contains(name), "{name}={value}: {error}");
        }
    }

    #[test]
    fn secrets_are_random_and_sized_for_the_hash() {
        for algorithm in [
            HashAlgorithm::Sha1,
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha512,
        ] {
            let a = generate_secret(algorithm);
            assert_eq!(a.len(), algorithm.secret_len());
            assert_ne!(a, generate_secret(algorithm));
        }
    }

    #[test]
    fn labels_split_as_the_key_uri_format_says() {
        let plain = parse_label("jdoe@example.com").unwrap();
        assert_eq!((plain.issuer, plain.account), (None, "jdoe@example.com"));
        let prefixed = parse_label("ACME Co:  jdoe").unwrap();
        assert_eq!(
            (prefixed.issuer, prefixed.account),
            (Some("ACME Co"), "jdoe")
        );
        for bad in ["a:b:c", ":jdoe", " :jdoe", "ACME:", "ACME:   "] {
            assert!(parse_label(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_label_prefix_is_the_uri_issuer_and_must_match_the_policy() {
        let mut s = settings(HashAlgorithm::Sha1, 6);
        s.issuer = None;
        let uri = provisioning_uri(&s, "Big Corp: alice@bigco.com", &[1; 20]).unwrap();
        let totp = Totp::from_url(&uri).unwrap();
        assert_eq!(totp.issuer(), Some("Big Corp"), "{uri}");
        assert_eq!(totp.account_name(), "alice@bigco.com", "{uri}");
        assert!(
            uri.starts_with("otpauth://totp/Big%20Corp:alice%40bigco.com?"),
            "{uri}"
        );
        assert!(uri.contains("issuer=Big%20Corp"), "{uri}");

        s.issuer = Some("ACME Corp".into());
        let uri = provisioning_uri(&s, "ACME Corp:jdoe", &[1; 20]).unwrap();
        assert!(uri.starts_with("otpauth://totp/ACME%20Corp:jdoe?"), "{uri}");
        assert!(provisioning_uri(&s, "Other:jdoe", &[1; 20]).is_err());
        assert!(provisioning_uri(&s, "a:b:c", &[1; 20]).is_err());

        s.method = OtpMethod::Hotp;
        s.issuer = None;
        let uri = provisioning_uri(&s, "Big Corp:alice", &[1; 20]).unwrap();
        assert!(
            uri.starts_with("otpauth://hotp/Big%20Corp:alice?secret="),
            "{uri}"
        );
        assert!(uri.contains("&issuer=Big%20Corp&"), "{uri}");
    }
}
