//! Ticket values: server-generated, shown once, stored as a salted SHA-256 digest in the
//! LDAP-style `{SSHA256}` form nevisIDM documents.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const PREFIX: &str = "{SSHA256}";
const SALT_LEN: usize = 16;
const DIGEST_LEN: usize = 32;

/// A fresh ticket value: 256 random bits, URL-safe base64 (43 characters).
pub fn generate_value() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `{SSHA256}` + base64(SHA-256(value ‖ salt) ‖ salt) with a fresh random salt.
pub fn digest(value: &str) -> String {
    let salt: [u8; SALT_LEN] = rand::random();
    digest_with_salt(value, &salt)
}

fn digest_with_salt(value: &str, salt: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(value.as_bytes());
    hasher.update(salt);
    let mut raw = hasher.finalize().to_vec();
    raw.extend_from_slice(salt);
    format!("{PREFIX}{}", STANDARD.encode(raw))
}

/// Whether `stored` is a well-formed `{SSHA256}` digest (an imported one is kept as given).
pub fn check_digest(stored: &str) -> Result<(), String> {
    let Some(encoded) = stored.strip_prefix(PREFIX) else {
        return Err("must be a {SSHA256} digest".into());
    };
    match STANDARD.decode(encoded) {
        Ok(raw) if raw.len() > DIGEST_LEN => Ok(()),
        Ok(_) => Err("is not a valid {SSHA256} digest: no salt after the digest".into()),
        Err(_) => Err("is not a valid {SSHA256} digest: not base64".into()),
    }
}

/// Whether `value` is the ticket behind `stored`, in constant time.
pub fn verify(value: &str, stored: &str) -> bool {
    stored
        .strip_prefix(PREFIX)
        .is_some_and(|encoded| verify_salted::<Sha256>(value, encoded))
}

/// A salted LDAP digest (`{SSHA256}`, `{SSHA512}`, `{SSHA}` without its prefix): base64 of
/// `D(value + salt)` followed by the salt. Compared in constant time.
pub fn verify_salted<D: Digest>(value: &str, encoded: &str) -> bool {
    let Ok(raw) = STANDARD.decode(encoded) else {
        return false;
    };
    let digest_len = <D as Digest>::output_size();
    if raw.len() <= digest_len {
        return false;
    }
    let (expected, salt) = raw.split_at(digest_len);
    let mut hasher = D::new();
    hasher.update(value.as_bytes());
    hasher.update(salt);
    hasher.finalize().as_slice().ct_eq(expected).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_verifies_its_value_and_nothing_else() {
        let value = generate_value();
        assert!(value.len() >= 43);
        let stored = digest(&value);
        assert!(stored.starts_with("{SSHA256}"));
        assert!(!stored.contains(&value));
        assert!(verify(&value, &stored));
        assert!(!verify("wrong", &stored));
        assert!(!verify(&value, "{SSHA256}!!"));
        assert!(!verify(&value, "plain"));
        assert_eq!(check_digest(&stored), Ok(()));
        assert!(check_digest("{SSHA256}!!").is_err());
        assert!(check_digest("plain").is_err());
    }

    #[test]
    fn the_layout_is_digest_then_salt() {
        // SHA-256("ticket" ‖ "salt"), then the salt, base64: recomputed independently.
        let stored = digest_with_salt("ticket", b"salt");
        let raw = STANDARD.decode(stored.trim_start_matches(PREFIX)).unwrap();
        assert_eq!(&raw[32..], b"salt");
        assert_eq!(&raw[..32], Sha256::digest(b"ticketsalt").as_slice());
    }

    #[test]
    fn two_values_differ_and_two_digests_of_one_value_differ() {
        assert_ne!(generate_value(), generate_value());
        assert_ne!(digest("x"), digest("x"));
    }
}
