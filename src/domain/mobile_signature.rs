//! Mobile signature rules: the `MobileSignaturePolicy` parameters and the `signerCert`
//! check. Pure; the service turns the `Err` texts into nevisIDM errors.

use regex::Regex;
use x509_parser::certificate::X509Certificate;
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;

use super::policy::Parameters;

/// nevisIDM's column sizes (Data Model, Mobile signature): longer values cannot be stored there.
pub const MAX_IDENTIFICATOR_LEN: usize = 50;
pub const MAX_MSSP_IDENTIFIER_LEN: usize = 50;
pub const MAX_SIGNER_CERT_LEN: usize = 4000;
/// An MSISDN has at most 15 digits (ITU-T E.164); this leaves room for separators.
pub const MAX_MSISDN_LEN: usize = 64;

/// Bounds the compiled size of an administrator's regex, so a policy cannot make every
/// msisdn check expensive.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// What a `MobileSignaturePolicy` says about new and changed credentials.
#[derive(Clone, Debug, Default)]
pub struct MobileSignatureRules {
    /// `defaultMsspIdentifier`: used when a create request names no MSSP.
    pub default_mssp_identifier: Option<String>,
    /// `validation.msisdn.regex`, anchored: the whole msisdn must match, as with Java's
    /// `String.matches` in nevisIDM.
    msisdn_regex: Option<Regex>,
}

impl MobileSignatureRules {
    pub fn from_parameters(parameters: &Parameters) -> Result<Self, String> {
        let default_mssp_identifier = match parameters.get("defaultMsspIdentifier") {
            None => None,
            Some(text) if text.trim().is_empty() => None,
            Some(text) if text.chars().count() > MAX_MSSP_IDENTIFIER_LEN => {
                return Err(format!(
                    "policy parameter defaultMsspIdentifier must not be longer than \
                     {MAX_MSSP_IDENTIFIER_LEN} characters"
                ));
            }
            Some(text) => Some(text.to_owned()),
        };
        let msisdn_regex = match parameters.get("validation.msisdn.regex") {
            None | Some("") => None,
            Some(pattern) => Some(
                regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| {
                        format!(
                            "policy parameter validation.msisdn.regex is not a valid regex: {e}"
                        )
                    })?,
            ),
        };
        Ok(Self {
            default_mssp_identifier,
            msisdn_regex,
        })
    }

    /// `Err` says why `msisdn` breaks the policy.
    pub fn check_msisdn(&self, msisdn: &str) -> Result<(), String> {
        match &self.msisdn_regex {
            Some(regex) if !regex.is_match(msisdn) => Err(format!(
                "msisdn {msisdn:?} does not match the policy's validation.msisdn.regex"
            )),
            _ => Ok(()),
        }
    }
}

/// Checks that `pem` is exactly one PEM-encoded X.509 certificate (surrounding whitespace
/// allowed). `Err` says what is wrong, without echoing the input.
pub fn check_signer_cert(pem: &str) -> Result<(), String> {
    let text = pem.trim();
    if !text.starts_with("-----BEGIN CERTIFICATE-----") {
        return Err("must start with -----BEGIN CERTIFICATE-----".into());
    }
    let (block, read) = Pem::read(std::io::Cursor::new(text.as_bytes()))
        .map_err(|e| format!("is not valid PEM: {e}"))?;
    if !text.get(read..).unwrap_or_default().trim().is_empty() {
        return Err("must hold exactly one certificate".into());
    }
    match X509Certificate::from_der(&block.contents) {
        Ok(([], _)) => Ok(()),
        Ok(_) => Err("has trailing data after the certificate".into()),
        Err(e) => Err(format!("is not an X.509 certificate: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed P-256 certificate (CN=test, valid until 2126), shared with the API tests.
    const CERT: &str = include_str!("../../tests/fixtures/signer-cert.pem");

    fn params(pairs: &[(&str, &str)]) -> Parameters {
        pairs.iter().copied().collect()
    }

    #[test]
    fn a_real_certificate_passes() {
        assert_eq!(check_signer_cert(CERT), Ok(()));
        assert_eq!(check_signer_cert(&format!("\n  {CERT}\n\n")), Ok(()));
    }

    #[test]
    fn anything_else_is_refused() {
        let key = CERT.replace("CERTIFICATE", "PUBLIC KEY");
        let truncated = CERT.replace(
            "X6ZBYXkdZAIhAMZk55C3+vZjIyCE1WOZlClx55evfWrhajFODby4mWi0\n",
            "",
        );
        let not_base64 = CERT.replace("MIIB", "M!IB");
        let unterminated = CERT.replace("-----END CERTIFICATE-----", "");
        let two = format!("{CERT}{CERT}");
        let comment_first = format!("hello\n{CERT}");
        for bad in [
            "",
            "hello",
            key.as_str(),
            truncated.as_str(),
            not_base64.as_str(),
            unterminated.as_str(),
            two.as_str(),
            comment_first.as_str(),
            "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n",
        ] {
            assert!(check_signer_cert(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_msisdn_regex_must_match_the_whole_number() {
        let rules = MobileSignatureRules::from_parameters(&params(&[(
            "validation.msisdn.regex",
            r"\+41\d{9}",
        )]))
        .unwrap();
        assert!(rules.check_msisdn("+41791234567").is_ok());
        for bad in [
            "+4179123456",
            "+417912345678",
            "x+41791234567",
            "+36201234567",
        ] {
            assert!(rules.check_msisdn(bad).is_err(), "{bad}");
        }
        // Alternations stay inside the anchors.
        let either =
            MobileSignatureRules::from_parameters(&params(&[("validation.msisdn.regex", "a|b")]))
                .unwrap();
        assert!(either.check_msisdn("ab").is_err());
        assert!(either.check_msisdn("b").is_ok());
    }

    #[test]
    fn parameters_default_to_no_check_and_no_mssp() {
        let rules = MobileSignatureRules::from_parameters(&Parameters::default()).unwrap();
        assert_eq!(rules.default_mssp_identifier, None);
        assert!(rules.check_msisdn("anything").is_ok());
        let with = MobileSignatureRules::from_parameters(&params(&[(
            "defaultMsspIdentifier",
            "http://mssp.example.com",
        )]))
        .unwrap();
        assert_eq!(
            with.default_mssp_identifier.as_deref(),
            Some("http://mssp.example.com")
        );
        assert!(
            MobileSignatureRules::from_parameters(&params(&[("validation.msisdn.regex", "(")]))
                .is_err()
        );
        let long = "x".repeat(MAX_MSSP_IDENTIFIER_LEN + 1);
        assert!(
            MobileSignatureRules::from_parameters(&params(&[("defaultMsspIdentifier", &long)]))
                .is_err()
        );
    }
}
