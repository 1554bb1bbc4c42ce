//! Secrets at rest: AES-256-GCM with a fresh random nonce per encryption and the owning
//! row's immutable id as associated data, so a ciphertext copied into another row does
//! not decrypt. The stored text is versioned (`v1:` + base64(nonce ‖ ciphertext ‖ tag))
//! so a later key or algorithm can be told apart from this one.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The key that encrypts OATH secrets at rest (32 bytes). Never printed.
#[derive(Clone)]
pub struct SecretKey(pub [u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

/// The format (and key generation) of what [`seal`] writes.
const V1: &str = "v1:";
const NONCE_LEN: usize = 12;

/// Why a sealed secret could not be opened. Deliberately vague: it never says which
/// part was wrong, and never carries the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the sealed secret has an unknown format")]
    Format,
    #[error("the sealed secret does not decrypt with this key and owner")]
    Authentication,
}

fn cipher(key: &SecretKey) -> Aes256Gcm {
    Aes256Gcm::new(&key.0.into())
}

/// Encrypts `plaintext` for the row `owner_id`.
pub fn seal(key: &SecretKey, owner_id: &str, plaintext: &[u8]) -> Result<String, OpenError> {
    let nonce_bytes: [u8; NONCE_LEN] = rand::random();
    let nonce = Nonce::from(nonce_bytes);
    let payload = Payload {
        msg: plaintext,
        aad: owner_id.as_bytes(),
    };
    // Encryption fails only for inputs of gigabytes; map it rather than panic.
    let sealed = cipher(key)
        .encrypt(&nonce, payload)
        .map_err(|_| OpenError::Format)?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&sealed);
    Ok(format!("{V1}{}", STANDARD.encode(out)))
}

/// Decrypts what [`seal`] wrote for the row `owner_id`.
pub fn open(key: &SecretKey, owner_id: &str, sealed: &str) -> Result<Vec<u8>, OpenError> {
    let encoded = sealed.strip_prefix(V1).ok_or(OpenError::Format)?;
    let bytes = STANDARD.decode(encoded).map_err(|_| OpenError::Format)?;
    if bytes.len() < NONCE_LEN {
        return Err(OpenError::Format);
    }
    let (nonce_bytes, ciphertext) = bytes.split_at(NONCE_LEN);
    let nonce = Nonce::try_from(nonce_bytes).map_err(|_| OpenError::Format)?;
    let payload = Payload {
        msg: ciphertext,
        aad: owner_id.as_bytes(),
    };
    cipher(key)
        .decrypt(&nonce, payload)
        .map_err(|_| OpenError::Authentication)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: SecretKey = SecretKey([7; 32]);

    #[test]
    fn open_reverses_seal_for_the_same_owner() {
        let sealed = seal(&KEY, "row-1", b"12345678901234567890").unwrap();
        assert!(sealed.starts_with("v1:"), "{sealed}");
        assert_eq!(
            open(&KEY, "row-1", &sealed).unwrap(),
            b"12345678901234567890"
        );
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let a = seal(&KEY, "row-1", b"same").unwrap();
        let b = seal(&KEY, "row-1", b"same").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn another_owner_or_key_cannot_open_it() {
        let sealed = seal(&KEY, "row-1", b"secret").unwrap();
        assert_eq!(open(&KEY, "row-2", &sealed), Err(OpenError::Authentication));
        assert_eq!(
            open(&SecretKey([8; 32]), "row-1", &sealed),
            Err(OpenError::Authentication)
        );
    }

    #[test]
    fn tampering_is_detected() {
        let sealed = seal(&KEY, "row-1", b"secret").unwrap();
        let mut bytes = STANDARD.decode(&sealed[3..]).unwrap();
        for i in [0, NONCE_LEN, bytes.len() - 1] {
            bytes[i] ^= 1;
            let tampered = format!("v1:{}", STANDARD.encode(&bytes));
            assert_eq!(
                open(&KEY, "row-1", &tampered),
                Err(OpenError::Authentication),
                "byte {i}"
            );
            bytes[i] ^= 1;
        }
        let truncated = format!("v1:{}", STANDARD.encode(&bytes[..bytes.len() - 1]));
        assert!(open(&KEY, "row-1", &truncated).is_err());
    }

    #[test]
    fn unknown_formats_are_refused() {
        for bad in ["", "v2:AAAA", "v1:not base64!", "v1:AAAA", "plain"] {
            assert_eq!(open(&KEY, "row-1", bad), Err(OpenError::Format), "{bad}");
        }
    }

    #[test]
    fn the_key_is_never_printed() {
        assert_eq!(format!("{KEY:?}"), "SecretKey([redacted])");
    }
}
