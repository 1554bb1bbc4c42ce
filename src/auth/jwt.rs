use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use super::claims::{Audience, Claims, X_TOKEN_USE, XTokenClaims};
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
};

/// Clock skew allowed on `exp` and `nbf`, in seconds.
const LEEWAY_SECS: u64 = 5;
/// How many verified Bearer tokens [`Keys::verify_bearer`] remembers before it starts over.
const VERIFIED_CAPACITY: usize = 1024;

/// How long an X-Token is valid unless configured (`IDM_X_TOKEN_TTL`).
pub const DEFAULT_X_TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(300);

/// Whom a verified X-Token vouches for: the user `sub` of client `client`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XTokenSubject {
    pub sub: String,
    pub client: String,
}

/// Verification (and, for HS256, signing) keys. Never printed: `Debug` is redacted.
pub struct Keys {
    secret: Vec<u8>,
    hs_decoding: DecodingKey,
    /// RS256 or ES256 public key from `IDM_JWT_PUBLIC_KEY_FILE`.
    public: Option<(Algorithm, DecodingKey)>,
    issuer: Option<String>,
    audience: Option<String>,
    /// Lifetime of the X-Tokens [`Keys::mint_x_token`] signs.
    x_token_ttl: std::time::Duration,
    /// Tokens that passed [`Keys::verify_bearer`], by their whole text. A client sends
    /// the same token with every request, and checking its signature was about 14 % of
    /// the instructions of a PATCH (callgrind); a token seen before only needs its `exp`
    /// checked again. Only a token verified with these very keys gets in, and the builder
    /// methods empty it.
    verified: RwLock<HashMap<Box<str>, Claims>>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("secret", &"[redacted]")
            .field("public_key", &self.public.as_ref().map(|(alg, _)| alg))
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

impl Keys {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            secret: secret.to_vec(),
            hs_decoding: DecodingKey::from_secret(secret),
            public: None,
            issuer: None,
            audience: None,
            x_token_ttl: DEFAULT_X_TOKEN_TTL,
            verified: RwLock::default(),
        }
    }

    pub fn with_x_token_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.x_token_ttl = ttl;
        self
    }

    /// Adds an RSA or EC public key (PEM) for RS256 / ES256 tokens.
    pub fn with_public_key_pem(mut self, pem: &[u8]) -> Result<Self, String> {
        let key = match DecodingKey::from_rsa_pem(pem) {
            Ok(key) => (Algorithm::RS256, key),
            Err(_) => (
                Algorithm::ES256,
                DecodingKey::from_ec_pem(pem)
                    .map_err(|e| format!("public key is neither RSA nor EC PEM: {e}"))?,
            ),
        };
        self.public = Some(key);
        self.verified = RwLock::default();
        Ok(self)
    }

    pub fn with_issuer(mut self, issuer: Option<String>) -> Self {
        self.issuer = issuer;
        self.verified = RwLock::default();
        self
    }

    pub fn with_audience(mut self, audience: Option<String>) -> Self {
        self.audience = audience;
        self.verified = RwLock::default();
        self
    }

    /// Verifies a Bearer token: signature with the algorithm the key allows (never the
    /// one the header merely claims), `exp` required and in the future, `iss`/`aud` when
    /// configured.
    pub fn verify_bearer(&self, token: &str) -> Result<Claims, String> {
        self.verify_bearer_at(token, now_secs())
    }

    /// [`Keys::verify_bearer`] at `now` (seconds since the epoch) for a remembered token;
    /// a new one is checked against the real clock.
    fn verify_bearer_at(&self, token: &str, now: u64) -> Result<Claims, String> {
        // Readers share the lock: a hit, the common case, never waits for another hit.
        let remembered = self.remembered().get(token).cloned();
        if let Some(claims) = remembered {
            // The same text verified before with these keys: only time can have changed.
            if claims.exp.saturating_add(LEEWAY_SECS) < now {
                self.remember().remove(token);
                return Err("invalid token: ExpiredSignature".into());
            }
            if claims
                .nbf
                .is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECS))
            {
                return Err("invalid token: ImmatureSignature".into());
            }
            return Ok(claims);
        }
        let claims = self.verify_signature(token)?;
        let mut verified = self.remember();
        if verified.len() >= VERIFIED_CAPACITY {
            verified.clear();
        }
        verified.insert(token.into(), claims.clone());
        Ok(claims)
    }

    // A panic while the lock was held leaves at worst a missing entry: poisoning is ignored.
    fn remembered(&self) -> RwLockReadGuard<'_, HashMap<Box<str>, Claims>> {
        self.verified
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn remember(&self) -> RwLockWriteGuard<'_, HashMap<Box<str>, Claims>> {
        self.verified
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn verify_signature(&self, token: &str) -> Result<Claims, String> {
        let header = header_of(token)?;
        let key = match (header.alg, &self.public) {
            (Algorithm::HS256, _) => &self.hs_decoding,
            (alg, Some((allowed, key))) if alg == *allowed => key,
            (alg, _) => return Err(format!("token algorithm {alg:?} is not accepted")),
        };
        let mut validation = validation(header.alg);
        let mut required = vec!["exp", "sub"];
        if self.issuer.is_some() {
            required.push("iss");
        }
        if self.audience.is_some() {
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        match &self.issuer {
            Some(iss) => validation.set_issuer(&[iss]),
            None => validation.iss = None,
        }
        match &self.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        let claims = decode::<Claims>(token, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| format!("invalid token: {e}"))?;
        named(&claims.sub)?;
        if claims.token_use.as_deref() == Some(X_TOKEN_USE) {
            return Err("an X-Token is not a Bearer token".into());
        }
        Ok(claims)
    }

    /// Verifies an `X-Token`: HS256 with the server secret, `token_use` = `"x-token"` (so
    /// no Bearer token passes, whoever it names), `sub` and `clientExtId` present, `exp`
    /// and `nbf` required and checked, `iss`/`aud` as for Bearer tokens when configured.
    /// Never remembered: an X-Token is short-lived and sent a few times at most.
    pub fn verify_x_token(&self, token: &str) -> Result<XTokenSubject, String> {
        let header = header_of(token)?;
        if header.alg != Algorithm::HS256 {
            return Err(format!("X-Token algorithm {:?} is not HS256", header.alg));
        }
        let mut validation = validation(Algorithm::HS256);
        let mut required = vec!["exp", "nbf", "sub"];
        if self.issuer.is_some() {
            required.push("iss");
        }
        if self.audience.is_some() {
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        match &self.issuer {
            Some(iss) => validation.set_issuer(&[iss]),
            None => validation.iss = None,
        }
        match &self.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        let claims = decode::<XTokenClaims>(token, &self.hs_decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| format!("invalid X-Token: {e}"))?;
        if claims.token_use != X_TOKEN_USE {
            return Err("not an X-Token: token_use is not \"x-token\"".into());
        }
        named(&claims.sub)?;
        named(&claims.client_ext_id)?;
        Ok(XTokenSubject {
            sub: claims.sub,
            client: claims.client_ext_id,
        })
    }

    /// An X-Token for user `sub` of client `client`, valid from now for the configured
    /// lifetime, with the configured `iss` and `aud`.
    pub fn mint_x_token(&self, client: &str, sub: &str) -> Result<String, String> {
        self.mint_x_token_for(client, sub, self.x_token_ttl)
    }

    /// [`Keys::mint_x_token`] with another lifetime (the `token` command's `--ttl`).
    pub fn mint_x_token_for(
        &self,
        client: &str,
        sub: &str,
        ttl: std::time::Duration,
    ) -> Result<String, String> {
        let now = now_secs();
        let claims = XTokenClaims {
            sub: sub.to_owned(),
            client_ext_id: client.to_owned(),
            token_use: X_TOKEN_USE.to_owned(),
            exp: now + ttl.as_secs(),
            nbf: now,
            iat: Some(now),
            iss: self.issuer.clone(),
            aud: self.audience.clone().map(Audience::One),
        };
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&self.secret),
        )
        .map_err(|e| format!("cannot sign token: {e}"))
    }

    /// Signs `claims` with HS256 and the server secret (`idm-credentials token`).
    pub fn mint(&self, claims: &Claims) -> Result<String, String> {
        encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(&self.secret),
        )
        .map_err(|e| format!("cannot sign token: {e}"))
    }
}

/// The header of `token`, refused when it names extensions that must be understood
/// (`crit`, RFC 7515 section 4.1.11): this server understands none.
fn header_of(token: &str) -> Result<Header, String> {
    let header = decode_header(token).map_err(|e| format!("malformed token: {e}"))?;
    match &header.crit {
        Some(names) => Err(format!("unsupported critical header parameters {names:?}")),
        None => Ok(header),
    }
}

/// The checks common to Bearer tokens and X-Tokens: `exp` and `nbf` with [`LEEWAY_SECS`].
fn validation(alg: Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.leeway = LEEWAY_SECS;
    validation.validate_nbf = true;
    validation
}

/// A `sub` must name someone: it is the actor of history and the self-admin's user. No
/// control characters either: PostgreSQL cannot store a NUL, and the log would show the rest.
fn named(sub: &str) -> Result<(), String> {
    if sub.trim().is_empty() || sub.chars().any(char::is_control) {
        return Err("invalid token: empty sub, or one with control characters".into());
    }
    Ok(())
}

/// Seconds since the epoch, `ttl` from now.
pub fn expiry_in(ttl: std::time::Duration) -> u64 {
    now_secs() + ttl.as_secs()
}

fn now_secs() -> u64 {
    chrono::Utc::now().timestamp().max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn claims(exp: u64) -> Claims {
        Claims {
            sub: "admin".into(),
            exp,
            roles: vec!["nevisIdm.Root".into()],
            ..Claims::default()
        }
    }

    /// A token `keys` signed, valid for another minute.
    fn valid_token(keys: &Keys) -> String {
        keys.mint(&claims(expiry_in(Duration::from_secs(60))))
            .unwrap()
    }

    #[test]
    fn minted_tokens_verify() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef");
        let token = valid_token(&keys);
        assert_eq!(keys.verify_bearer(&token).unwrap().sub, "admin");
    }

    #[test]
    fn x_tokens_and_bearer_tokens_are_not_interchangeable() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef");
        let x = keys.mint_x_token("acme", "jdoe").unwrap();
        assert_eq!(
            keys.verify_x_token(&x).unwrap(),
            XTokenSubject {
                sub: "jdoe".into(),
                client: "acme".into()
            }
        );
        assert!(keys.verify_bearer(&x).is_err(), "an X-Token is no Bearer");
        let bearer = keys
            .mint(&Claims {
                sub: "jdoe".into(),
                exp: expiry_in(Duration::from_secs(60)),
                client_ext_id: Some("acme".into()),
                roles: vec!["SelfAdmin".into()],
                ..Claims::default()
            })
            .unwrap();
        assert!(
            keys.verify_x_token(&bearer).is_err(),
            "a Bearer is no X-Token"
        );
        let mut forged = Claims {
            sub: "jdoe".into(),
            exp: expiry_in(Duration::from_secs(60)),
            nbf: Some(0),
            client_ext_id: Some("acme".into()),
            token_use: Some("access".into()),
            ..Claims::default()
        };
        assert!(keys.verify_x_token(&keys.mint(&forged).unwrap()).is_err());
        forged.token_use = Some(X_TOKEN_USE.into());
        assert!(keys.verify_x_token(&keys.mint(&forged).unwrap()).is_ok());
    }

    #[test]
    fn x_tokens_carry_and_need_the_configured_issuer_and_audience() {
        let plain = Keys::new(b"0123456789abcdef0123456789abcdef");
        let scoped = Keys::new(b"0123456789abcdef0123456789abcdef")
            .with_issuer(Some("https://idp".into()))
            .with_audience(Some("idm".into()));
        let unscoped = plain.mint_x_token("acme", "jdoe").unwrap();
        assert!(scoped.verify_x_token(&unscoped).is_err());
        let x = scoped.mint_x_token("acme", "jdoe").unwrap();
        assert!(scoped.verify_x_token(&x).is_ok());
        let other = Keys::new(b"0123456789abcdef0123456789abcdef")
            .with_issuer(Some("https://other".into()))
            .with_audience(Some("idm".into()));
        assert!(other.verify_x_token(&x).is_err());
    }

    #[test]
    fn expired_foreign_and_unsigned_tokens_are_refused() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef");
        let expired = keys.mint(&claims(expiry_in(Duration::ZERO) - 120)).unwrap();
        assert!(keys.verify_bearer(&expired).is_err());
        let other = Keys::new(b"another secret, another server!!");
        let foreign = valid_token(&other);
        assert!(keys.verify_bearer(&foreign).is_err());
        // alg "none": header {"alg":"none"}, no signature.
        let payload = foreign.split('.').nth(1).unwrap();
        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert!(keys.verify_bearer(&unsigned).is_err());
        assert!(keys.verify_bearer("not a token").is_err());
    }

    #[test]
    fn issuer_and_audience_are_checked_when_configured() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef")
            .with_issuer(Some("https://idp".into()))
            .with_audience(Some("idm".into()));
        let mut c = claims(expiry_in(Duration::from_secs(60)));
        let token = keys.mint(&c).unwrap();
        assert!(keys.verify_bearer(&token).is_err());
        c.iss = Some("https://idp".into());
        c.aud = Some("idm".into());
        let token = keys.mint(&c).unwrap();
        assert!(keys.verify_bearer(&token).is_ok());
        c.aud = Some(Audience::Many(vec!["other".into(), "idm".into()]));
        assert!(keys.verify_bearer(&keys.mint(&c).unwrap()).is_ok());
        c.aud = Some(Audience::Many(vec!["other".into()]));
        assert!(keys.verify_bearer(&keys.mint(&c).unwrap()).is_err());
    }

    #[test]
    fn a_remembered_token_is_refused_before_its_nbf() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef");
        let now = now_secs();
        let mut c = claims(now + 600);
        c.nbf = Some(now);
        let token = keys.mint(&c).unwrap();
        assert!(keys.verify_bearer(&token).is_ok());
        assert!(
            keys.verify_bearer_at(&token, now - LEEWAY_SECS - 1)
                .is_err()
        );
        assert!(keys.verify_bearer_at(&token, now).is_ok());
    }

    #[test]
    fn a_remembered_token_is_refused_once_it_expires() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef");
        let exp = expiry_in(Duration::from_secs(60));
        let token = keys.mint(&claims(exp)).unwrap();
        assert_eq!(keys.verify_bearer(&token).unwrap().exp, exp);
        // Remembered now: the second answer comes from the cache, still checked for time.
        assert_eq!(keys.verify_bearer_at(&token, exp).unwrap().exp, exp);
        assert_eq!(
            keys.verify_bearer_at(&token, exp + LEEWAY_SECS)
                .unwrap()
                .exp,
            exp
        );
        assert!(
            keys.verify_bearer_at(&token, exp + LEEWAY_SECS + 1)
                .is_err()
        );
    }

    #[test]
    fn only_the_exact_verified_text_is_remembered() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef");
        let token = valid_token(&keys);
        assert!(keys.verify_bearer(&token).is_ok());
        // The same header and claims with a signature that is one character off.
        let at = token.len() - 10;
        let swapped = if &token[at..=at] == "A" { "B" } else { "A" };
        let forged = format!("{}{swapped}{}", &token[..at], &token[at + 1..]);
        assert!(keys.verify_bearer(&forged).is_err());
        // Tokens refused are not remembered either.
        assert!(keys.verify_bearer(&forged).is_err());
        assert_eq!(keys.remembered().len(), 1);
    }

    #[test]
    fn configuring_the_keys_forgets_remembered_tokens() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef");
        let token = valid_token(&keys);
        assert!(keys.verify_bearer(&token).is_ok());
        let keys = keys.with_issuer(Some("https://idp".into()));
        assert!(keys.verify_bearer(&token).is_err(), "no iss claim");
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let keys = Keys::new(b"super-secret-value");
        assert!(!format!("{keys:?}").contains("super-secret"));
    }
}
