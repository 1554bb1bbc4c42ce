//! Extractors that own their rejections: every malformed request gets the nevisIDM
//! error envelope and the status of decisions.md.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, IF_MATCH};
use axum::http::request::Parts;
use serde_json::Value;

use crate::domain::ExtId;
use crate::error::ApiError;
use crate::service::credential::IfMatch;

/// The path parameters, each read as an external id on demand.
pub struct PathIds(HashMap<String, String>);

impl PathIds {
    /// The parameter `name` as an [`ExtId`]; a malformed one is 400.
    pub fn ext(&self, name: &str) -> Result<ExtId, ApiError> {
        let raw = self
            .0
            .get(name)
            .ok_or_else(|| ApiError::Internal(format!("route has no parameter {name}")))?;
        ExtId::parse(raw)
            .map_err(|problem| ApiError::BadRequest(format!("Path parameter {name} {problem}")))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<HashMap<String, String>>::from_request_parts(parts, state).await {
            Ok(Path(ids)) => Ok(Self(ids)),
            Err(rejection) => Err(ApiError::BadRequest(format!(
                "Bad path parameter: {}",
                rejection.body_text()
            ))),
        }
    }
}

/// A JSON request body as a [`Value`] (the services read it field by field).
///
/// `Content-Type` must be `application/json` or `application/merge-patch+json` (415
/// otherwise); an empty body counts as `{}` so that `curl -X POST` works for endpoints
/// whose fields are all optional; too large is 413; unparsable is 400.
pub struct JsonBody(pub Value);

fn is_json(content_type: &str) -> bool {
    let essence = media_type(content_type);
    essence == "application/json" || essence == "application/merge-patch+json"
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        read_body(request, state, false).await.map(Self)
    }
}

/// A body as [`JsonBody`] reads it, or an `application/x-www-form-urlencoded` form (the
/// form of OAuth's token requests, RFC 6749 section 4.3.2), each field a JSON string. A
/// field given twice is 400.
pub struct FormOrJsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for FormOrJsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        read_body(request, state, true).await.map(Self)
    }
}

fn is_form(content_type: &str) -> bool {
    media_type(content_type) == "application/x-www-form-urlencoded"
}

fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The body as a JSON value: JSON, or (when `form` is allowed) a form.
async fn read_body<S: Send + Sync>(
    request: Request,
    state: &S,
    form: bool,
) -> Result<Value, ApiError> {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().map(str::to_owned).unwrap_or_default());
    let bytes =
        Bytes::from_request(request, state)
            .await
            .map_err(|rejection: BytesRejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest(format!(
                        "Cannot read the request body: {}",
                        rejection.body_text()
                    ))
                }
            })?;
    let blank = bytes.iter().all(u8::is_ascii_whitespace);
    match content_type {
        Some(ct) if is_json(&ct) => {}
        Some(ct) if form && is_form(&ct) => return form_fields(&bytes),
        None if blank => return Ok(Value::Object(Default::default())),
        _ => return Err(ApiError::UnsupportedMediaType),
    }
    if blank {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("The request body is not valid JSON: {e}")))
}

/// `a=1&b=2` as `{"a":"1","b":"2"}`; bytes that are not UTF-8 once decoded, or a name
/// given twice, are 400.
fn form_fields(bytes: &[u8]) -> Result<Value, ApiError> {
    let mut fields = serde_json::Map::new();
    for pair in bytes.split(|b| *b == b'&').filter(|pair| !pair.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &b""[..]),
        };
        let decode = |part: &[u8]| {
            let plus_as_space: Vec<u8> = part
                .iter()
                .map(|b| if *b == b'+' { b' ' } else { *b })
                .collect();
            let decoded: Vec<u8> = percent_encoding::percent_decode(&plus_as_space).collect();
            String::from_utf8(decoded).map_err(|_| {
                ApiError::BadRequest("The form is not UTF-8 once percent-decoded".into())
            })
        };
        let name = decode(name)?;
        if fields.contains_key(&name) {
            return Err(ApiError::BadRequest(format!(
                "The form gives the field '{name}' more than once"
            )));
        }
        fields.insert(name, Value::String(decode(value)?));
    }
    Ok(Value::Object(fields))
}

/// `If-Match: "<version>"` (RFC 9110), `W/"<version>"` or `*`.
pub struct IfMatchHeader(pub Option<IfMatch>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatchHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(IF_MATCH) else {
            return Ok(Self(None));
        };
        let text = value.to_str().unwrap_or("").trim();
        if text == "*" {
            return Ok(Self(Some(IfMatch::Any)));
        }
        let tag = text.strip_prefix("W/").unwrap_or(text);
        let inner = tag
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(tag);
        inner
            .parse::<i32>()
            .ok()
            .filter(|v| *v >= 1)
            .map(|v| Self(Some(IfMatch::Version(v))))
            .ok_or_else(|| ApiError::BadRequest("If-Match must be \"<version>\" or *".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("Application/Merge-Patch+JSON"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
        assert!(!is_json(""));
        assert!(is_form("application/x-www-form-urlencoded; charset=UTF-8"));
    }

    #[test]
    fn forms_decode_to_string_fields() {
        let fields =
            form_fields(b"username=j%20doe&password=a+b%26c%3D&grant_type=password&empty=&bare")
                .unwrap();
        assert_eq!(
            fields,
            serde_json::json!({"username": "j doe", "password": "a b&c=", "grant_type": "password", "empty": "", "bare": ""})
        );
        assert!(form_fields(b"a=1&a=2").is_err());
        assert!(form_fields(b"a=%FF").is_err());
    }
}
