//! Building responses: JSON bodies, the credential DTO with its `ETag`, and `Location` on
//! create.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::domain::view::CredentialView;
use crate::service::credential::{Outcome, audience};

/// A JSON response body that ends with a newline, as every body of ours does: a terminal
/// shows the next prompt (or the next `curl`'s output) on a line of its own.
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(128);
        match serde_json::to_writer(&mut body, &self.0) {
            Ok(()) => json_response(StatusCode::OK, body),
            Err(error) => {
                crate::error::ApiError::Internal(format!("serializing a response: {error}"))
                    .into_response()
            }
        }
    }
}

/// `status` with `body` (serialized JSON) and its closing newline.
fn json_response(status: StatusCode, mut body: Vec<u8>) -> Response {
    body.push(b'\n');
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A credential response: the view for the caller's capacity, `ETag: "<version>"`, and
/// `Location` when `location` is given (create).
pub fn credential(status: StatusCode, outcome: Outcome, location: Option<String>) -> Response {
    let view = CredentialView::new(
        &outcome.credential,
        audience(outcome.access),
        outcome.secret,
    );
    // A credential's JSON is 0.3-1 KiB: one buffer that size, instead of axum's `Json`
    // starting at 128 bytes and reallocating on the way up.
    let mut body = Vec::with_capacity(1024);
    if let Err(error) = serde_json::to_writer(&mut body, &view) {
        return crate::error::ApiError::Internal(format!("serializing a credential: {error}"))
            .into_response();
    }
    let mut response = json_response(status, body);
    credential_headers(&mut response, outcome.credential.version, location);
    response
}

/// 201 with the headers of [`credential`] (`ETag`, `Location`) and no body: a create
/// whose nevisIDM page says no content is returned.
pub fn created_without_body(outcome: &Outcome, location: String) -> Response {
    let mut response = StatusCode::CREATED.into_response();
    credential_headers(&mut response, outcome.credential.version, Some(location));
    response
}

/// 200 with `body` (a part of a credential, such as its properties) and the credential's
/// `ETag`.
pub fn part_with_etag<T: serde::Serialize>(outcome: &Outcome, body: T) -> Response {
    let mut response = Json(body).into_response();
    credential_headers(&mut response, outcome.credential.version, None);
    response
}

/// 204 with the new `ETag`: a change whose page returns no content.
pub fn no_content_with_etag(outcome: &Outcome) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    credential_headers(&mut response, outcome.credential.version, None);
    response
}

fn credential_headers(response: &mut Response, version: i32, location: Option<String>) {
    let headers = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{version}\"")) {
        headers.insert(header::ETAG, etag);
    }
    // One-time secrets must not be cached anywhere on the way.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, location);
    }
}

/// 201 with `Location` for a created directory resource.
pub fn created<T: serde::Serialize>(location: String, body: T) -> Response {
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Percent-encodes one path segment (ids may hold characters a URL cannot).
pub fn segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `{BASE}/{client}/users/{user}/{rest}` with each id encoded.
pub fn user_location(client: &str, user: &str, rest: &str) -> String {
    format!(
        "{}/{}/users/{}/{rest}",
        super::BASE,
        segment(client),
        segment(user)
    )
}

/// A login attempt's result: 200 with `{statusCode, description}`. It is about one moment
/// and one caller: no cache keeps it.
pub fn login_status(status: crate::domain::lockout::LoginStatus) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(status)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(segment("user-1"), "user-1");
        assert_eq!(segment("a b/c%"), "a%20b%2Fc%25");
        assert_eq!(segment("ü"), "%C3%BC");
    }
}
