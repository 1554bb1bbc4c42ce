//! What a token says: the claims this server reads from Bearer tokens and writes with the
//! `token` command.

use serde::{Deserialize, Deserializer, Serialize};

/// The claims this server reads from a Bearer token (and writes with `token`). `exp` and
/// `nbf` are NumericDates (RFC 7519 section 2): a fraction of a second is allowed, and cut off.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(deserialize_with = "numeric_date")]
    pub exp: u64,
    /// Not valid before (RFC 7519 section 4.1.5).
    #[serde(
        default,
        deserialize_with = "optional_numeric_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
    #[serde(
        rename = "clientExtId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub client_ext_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    /// What the token is for. Only X-Tokens carry it (`"x-token"`, [`X_TOKEN_USE`]), so
    /// that one is never taken for a Bearer token, nor a Bearer token for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_use: Option<String>,
}

/// The `token_use` of an X-Token: the proof of a re-entered password that
/// `POST /nevisidm/api/principal/v1/token` issues. No Bearer token carries it.
pub const X_TOKEN_USE: &str = "x-token";

/// The claims of an X-Token, as [`crate::auth::Keys::mint_x_token`] writes them: the user
/// (`sub` = their extId) in their client, for a few minutes, for this server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct XTokenClaims {
    pub sub: String,
    #[serde(rename = "clientExtId")]
    pub client_ext_id: String,
    pub token_use: String,
    #[serde(deserialize_with = "numeric_date")]
    pub exp: u64,
    #[serde(deserialize_with = "numeric_date")]
    pub nbf: u64,
    #[serde(
        default,
        deserialize_with = "optional_numeric_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
}

/// `aud`: one string or an array of them (RFC 7519 section 4.1.3); the token is for this
/// server when the configured audience is among them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl From<String> for Audience {
    fn from(audience: String) -> Self {
        Self::One(audience)
    }
}

impl From<&str> for Audience {
    fn from(audience: &str) -> Self {
        Self::One(audience.to_owned())
    }
}

/// A NumericDate in whole seconds: an integer, or a number with a fraction (cut off).
fn numeric_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let seconds = f64::deserialize(deserializer)?;
    if seconds.is_finite() && (0.0..1.8e19).contains(&seconds) {
        Ok(seconds.trunc() as u64)
    } else {
        Err(serde::de::Error::custom("not a NumericDate"))
    }
}

fn optional_numeric_date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    numeric_date(deserializer).map(Some)
}
