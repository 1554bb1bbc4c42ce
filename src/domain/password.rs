//! Passwords: argon2id hashing and the `PwdPolicy` rules.

use std::sync::Mutex;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version, password_hash};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::policy::Parameters;
use crate::error::{ErrorItem, codes};

/// Hashes `password` into an argon2id PHC string (argon2's default parameters: 19 MiB,
/// 2 passes). CPU-heavy: call from a blocking task.
pub fn hash(password: &str) -> Result<String, String> {
    let argon2 = Argon2::default();
    let salt = password_hash::generate_salt();
    let mut out = [0_u8; Params::DEFAULT_OUTPUT_LEN];
    compute(&argon2, password.as_bytes(), &salt, &mut out)?;
    let params = argon2.params();
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::default().into()),
        params: ParamsString::try_from(params).map_err(error)?,
        salt: Some(Salt::new(&salt).map_err(error)?),
        hash: Some(Output::new(&out).map_err(error)?),
    }
    .to_string())
}

fn error(e: impl std::fmt::Display) -> String {
    format!("argon2: {e}")
}

/// Whether `password` gives the argon2 PHC hash `stored` (false for one that cannot be
/// computed, an unknown algorithm say), compared in constant time.
fn verify_argon2(password: &str, stored: &PasswordHash) -> bool {
    let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(stored.algorithm.as_str()) else {
        return false;
    };
    let version = match stored.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(stored) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0_u8; expected.len()];
    compute(&argon2, password.as_bytes(), salt, &mut out).is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == *expected)
}

/// argon2's working memories (19 MiB each with the default parameters), kept for the
/// next hash: a fresh one per hash costs as many page faults of zeroed pages as the hash
/// itself costs work (measured: the verify rate nearly halves). At most as many are kept
/// as hashes run at once (`service::password`'s hashing slots, at most 4).
static MEMORIES: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());
const KEPT_MEMORIES: usize = 4;

/// Runs argon2 on a kept working memory of the default size (a memory of another size,
/// an imported hash's parameters, is allocated for this hash alone).
fn compute(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), String> {
    let blocks = argon2.params().block_count();
    let default_blocks = Params::default().block_count();
    let kept = if blocks == default_blocks {
        MEMORIES.lock().ok().and_then(|mut kept| kept.pop())
    } else {
        None
    };
    let mut memory = kept.unwrap_or_else(|| vec![Block::new(); blocks]);
    let result = argon2
        .hash_password_into_with_memory(password, salt, out, &mut memory[..])
        .map_err(error);
    if blocks == default_blocks
        && let Ok(mut kept) = MEMORIES.lock()
        && kept.len() < KEPT_MEMORIES
    {
        kept.push(memory);
    }
    result
}

/// Whether `text` is a stored password hash rather than a password: `None` for a
/// password; `Some(Ok(()))` for a well-formed argon2 PHC string, bcrypt hash or LDAP
/// `{SSHA256}`/`{SSHA512}`/`{SSHA}` digest (as nevisIDM exports them); `Some(Err(..))`
/// for one of those prefixes with a malformed body (a typo must not become a password).
pub fn check_stored_hash(text: &str) -> Option<Result<(), String>> {
    if text.starts_with("$argon2") {
        return Some(
            PasswordHash::new(text)
                .map(|_| ())
                .map_err(|e| format!("is not a valid argon2 PHC string: {e}")),
        );
    }
    if BCRYPT_PREFIXES.iter().any(|p| text.starts_with(p)) {
        return Some(check_bcrypt(text));
    }
    for (prefix, digest_len) in [("{SSHA256}", 32), ("{SSHA512}", 64), ("{SSHA}", 20)] {
        if let Some(encoded) = text.strip_prefix(prefix) {
            return Some(match STANDARD.decode(encoded) {
                Ok(raw) if raw.len() > digest_len => Ok(()),
                Ok(_) => Err(format!(
                    "is not a valid {prefix} digest: no salt after the digest"
                )),
                Err(_) => Err(format!("is not a valid {prefix} digest: not base64")),
            });
        }
    }
    None
}

/// The bcrypt versions nevisIDM may have written.
const BCRYPT_PREFIXES: [&str; 3] = ["$2a$", "$2b$", "$2y$"];

/// `$2b$NN$` + 22 characters of salt + 31 of hash, in bcrypt's base64 alphabet.
fn check_bcrypt(text: &str) -> Result<(), String> {
    let bad = || Err("is not a valid bcrypt hash ($2b$<cost>$<53 characters>)".to_owned());
    let parts: Vec<&str> = text.splitn(4, '$').collect();
    let [_, _, cost, body] = parts.as_slice() else {
        return bad();
    };
    let cost_ok = cost.len() == 2 && cost.parse::<u8>().is_ok_and(|c| (4..=31).contains(&c));
    let body_ok = body.len() == 53
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/');
    if cost_ok && body_ok { Ok(()) } else { bad() }
}

/// The highest bcrypt cost this server verifies. Each step doubles the work: cost 14 takes
/// about a second of a hashing slot, as nevisIDM's usual 10-12 take a fraction of one; a
/// higher cost would hold a slot for minutes, so such a hash counts as one this server
/// cannot check.
const MAX_BCRYPT_COST: u32 = 14;

/// Whether `password` matches `stored`: argon2 PHC, bcrypt (`$2a$`, `$2b$`, `$2y$`, cost
/// up to [`MAX_BCRYPT_COST`]) and the LDAP salted digests `{SSHA256}`, `{SSHA512}`, `{SSHA}`
/// (SHA-1) that nevisIDM exports. `None` when this server cannot check the format.
pub fn verify(password: &str, stored: &str) -> Option<bool> {
    if stored.starts_with("$argon2") {
        let parsed = PasswordHash::new(stored).ok()?;
        return Some(verify_argon2(password, &parsed));
    }
    if BCRYPT_PREFIXES.iter().any(|p| stored.starts_with(p)) {
        let cost: u32 = stored.get(4..6)?.parse().ok()?;
        if cost > MAX_BCRYPT_COST {
            return None;
        }
        return bcrypt::verify(password, stored).ok();
    }
    if stored.starts_with("{SSHA256}") {
        return Some(super::ticket::verify(password, stored));
    }
    if let Some(encoded) = stored.strip_prefix("{SSHA512}") {
        return Some(super::ticket::verify_salted::<sha2::Sha512>(
            password, encoded,
        ));
    }
    if let Some(encoded) = stored.strip_prefix("{SSHA}") {
        return Some(super::ticket::verify_salted::<sha1::Sha1>(
            password, encoded,
        ));
    }
    None
}

/// The rules of a `PwdPolicy` this server enforces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordRules {
    pub min_length: usize,
    pub max_length: usize,
    pub min_non_alnum: usize,
    pub min_non_letter: usize,
    pub allow_login_id: bool,
    pub reset_code_enabled: bool,
}

impl PasswordRules {
    pub fn from_parameters(params: &Parameters) -> Result<Self, String> {
        let count = |name, default| -> Result<usize, String> {
            usize::try_from(params.int(name, default)?)
                .map_err(|_| format!("policy parameter {name} must not be negative"))
        };
        let rules = Self {
            min_length: count("minLength", 8)?,
            max_length: count("maxLength", 255)?,
            min_non_alnum: count("minNonAlnum", 0)?,
            min_non_letter: count("minNonLetter", 0)?,
            allow_login_id: params.flag("allowLoginIdInPassword", true)?,
            reset_code_enabled: params.flag("resetCodeEnabled", false)?,
        };
        if rules.max_length < rules.min_length {
            return Err("policy parameter maxLength must not be below minLength".into());
        }
        Ok(rules)
    }

    /// Every rule `password` breaks, each as one `errors.pwdPolicyViolated` entry.
    pub fn violations(&self, password: &str, login_id: &str) -> Vec<ErrorItem> {
        let length = password.chars().count();
        let non_alnum = password.chars().filter(|c| !c.is_alphanumeric()).count();
        let non_letter = password.chars().filter(|c| !c.is_alphabetic()).count();
        let mut found = Vec::new();
        let mut violated = |message: String| {
            found.push(ErrorItem::new(codes::PWD_POLICY_VIOLATED, message));
        };
        if length < self.min_length {
            violated(format!(
                "Password must be at least {} characters long",
                self.min_length
            ));
        }
        if length > self.max_length {
            violated(format!(
                "Password must be at most {} characters long",
                self.max_length
            ));
        }
        if non_alnum < self.min_non_alnum {
            violated(format!(
                "Password must contain at least {} characters that are neither letters nor digits",
                self.min_non_alnum
            ));
        }
        if non_letter < self.min_non_letter {
            violated(format!(
                "Password must contain at least {} characters that are not letters",
                self.min_non_letter
            ));
        }
        if !self.allow_login_id
            && !login_id.is_empty()
            && password.to_lowercase().contains(&login_id.to_lowercase())
        {
            violated("Password must not contain the login id".into());
        }
        found
    }

    /// A random password that satisfies these rules (the reset code handed out once);
    /// `None` when the rules cannot be met (e.g. more symbols required than `maxLength`).
    pub fn generate(&self, login_id: &str) -> Option<String> {
        const LETTERS: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
        const DIGITS: &[u8] = b"23456789";
        const SYMBOLS: &[u8] = b"-_.!#+";
        let length = self.min_length.max(16).min(self.max_length.max(1));
        // Enough non-letters for both rules, the rest letters; shuffled by sorting on noise.
        let specials = self.min_non_alnum.max(1).min(length);
        let digits = self.min_non_letter.saturating_sub(specials).max(1);
        for _ in 0..100 {
            let mut chars: Vec<(u32, u8)> = Vec::with_capacity(length);
            for i in 0..length {
                let pool = if i < specials {
                    SYMBOLS
                } else if i < specials + digits {
                    DIGITS
                } else {
                    LETTERS
                };
                let pick = rand::random::<u32>() as usize % pool.len();
                chars.push((rand::random(), pool[pick]));
            }
            chars.sort_unstable();
            let candidate: String = chars.into_iter().map(|(_, c)| c as char).collect();
            if self.violations(&candidate, login_id).is_empty() {
                return Some(candidate);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::phc::PasswordHash;

    fn rules(pairs: &[(&str, &str)]) -> PasswordRules {
        let params = Parameters(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        PasswordRules::from_parameters(&params).unwrap()
    }

    /// The hash and verify on kept working memories agree with the argon2 crate's own
    /// hasher and verifier, for the default parameters and for others (an imported hash).
    #[test]
    fn hashes_are_argon2id_and_verify() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let stored = hash("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        for _ in 0..3 {
            assert_eq!(verify("correct horse", &stored), Some(true));
            assert_eq!(verify("correct horsf", &stored), Some(false));
        }
        let small = Params::new(64, 1, 1, Some(32)).unwrap();
        for reference in [
            Argon2::default(),
            Argon2::new(Algorithm::Argon2id, Version::V0x13, small.clone()),
            Argon2::new(Algorithm::Argon2i, Version::V0x10, small),
        ] {
            let made = reference
                .hash_password(b"correct horse")
                .unwrap()
                .to_string();
            assert_eq!(verify("correct horse", &made), Some(true), "{made}");
            assert_eq!(verify("correct horse ", &made), Some(false), "{made}");
        }
        let parsed = PasswordHash::new(&stored).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong", &parsed)
                .is_err()
        );
    }

    #[test]
    fn stored_hashes_are_recognized_and_checked() {
        let argon = hash("pw").unwrap();
        let ssha = super::super::ticket::digest("pw");
        let bcrypt = "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW";
        for good in [argon.as_str(), ssha.as_str(), bcrypt] {
            assert_eq!(check_stored_hash(good), Some(Ok(())), "{good}");
        }
        for bad in [
            "$argon2id$nonsense",
            "$2b$12$short",
            "$2b$99$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "{SSHA256}!!",
            "{SSHA256}c2FsdA==",
        ] {
            assert!(matches!(check_stored_hash(bad), Some(Err(_))), "{bad}");
        }
        assert_eq!(check_stored_hash("correct horse"), None);
        assert_eq!(verify("pw", &argon), Some(true));
        assert_eq!(verify("no", &argon), Some(false));
        assert_eq!(verify("pw", &ssha), Some(true));
        assert!(verify("pw", bcrypt).is_some());
    }

    /// `{SSHA*}` of `password` with `salt`, as an LDAP server writes it.
    fn salted<D: sha2::Digest>(prefix: &str, password: &str, salt: &[u8]) -> String {
        let mut hasher = D::new();
        hasher.update(password.as_bytes());
        hasher.update(salt);
        let mut raw = hasher.finalize().to_vec();
        raw.extend_from_slice(salt);
        format!("{prefix}{}", STANDARD.encode(raw))
    }

    #[test]
    fn imported_bcrypt_and_salted_sha_hashes_verify() {
        let bcrypt_hash = bcrypt::hash("Legacy-Passw0rd1", 4).unwrap();
        let ssha512 = salted::<sha2::Sha512>("{SSHA512}", "Legacy-Passw0rd1", b"saltsalt");
        let ssha1 = salted::<sha1::Sha1>("{SSHA}", "Legacy-Passw0rd1", b"pepper");
        for stored in [&bcrypt_hash, &ssha512, &ssha1] {
            assert_eq!(check_stored_hash(stored), Some(Ok(())), "{stored}");
            assert_eq!(verify("Legacy-Passw0rd1", stored), Some(true), "{stored}");
            assert_eq!(verify("legacy-Passw0rd1", stored), Some(false), "{stored}");
        }
        // $2y$ (PHP) and $2a$ are the same algorithm.
        let php = bcrypt_hash.replacen("$2b$", "$2y$", 1);
        assert_eq!(verify("Legacy-Passw0rd1", &php), Some(true));
        // A cost that would hold a hashing slot for minutes is not verified.
        let costly = bcrypt_hash.replacen("$04$", "$15$", 1);
        assert_eq!(verify("Legacy-Passw0rd1", &costly), None);
    }

    #[test]
    fn every_violation_is_reported_at_once() {
        let r = rules(&[
            ("minLength", "10"),
            ("minNonAlnum", "1"),
            ("minNonLetter", "2"),
            ("allowLoginIdInPassword", "false"),
        ]);
        let found = r.violations("jdoe", "JDoe");
        assert_eq!(found.len(), 4, "{found:?}");
        assert!(found.iter().all(|e| e.code == codes::PWD_POLICY_VIOLATED));
        assert!(r.violations("S3cure-Passw0rd", "jdoe").is_empty());
    }

    #[test]
    fn inconsistent_policies_are_refused() {
        let params = Parameters(
            [("minLength", "9"), ("maxLength", "8")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        assert!(PasswordRules::from_parameters(&params).is_err());
    }

    #[test]
    fn generated_passwords_satisfy_their_rules() {
        for r in [
            rules(&[]),
            rules(&[
                ("minLength", "24"),
                ("minNonAlnum", "3"),
                ("minNonLetter", "6"),
            ]),
            rules(&[("minLength", "4"), ("maxLength", "6")]),
        ] {
            let p = r.generate("jdoe").unwrap();
            assert!(r.violations(&p, "jdoe").is_empty(), "{p} vs {r:?}");
        }
        assert_eq!(
            rules(&[("minLength", "2"), ("maxLength", "2"), ("minNonAlnum", "3")]).generate("x"),
            None
        );
    }
}
