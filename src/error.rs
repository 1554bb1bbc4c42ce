//! The one error type of the API and its one mapping to nevisIDM's error envelope
//! `{"errors":[{"code":"errors.<name>","message":"..."}]}` (decisions.md, "Errors").

use crate::api::response::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One entry of the `errors` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ErrorItem {
    /// A stable `errors.*` code (README, "Errors").
    #[schema(value_type = String, example = "errors.noRecord")]
    pub code: &'static str,
    /// A sentence for humans; never a stack trace, SQL or a secret.
    pub message: String,
}

impl ErrorItem {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(codes::INVALID_DATA, message)
    }
}

/// The `errors.*` codes this server emits.
pub mod codes {
    pub const INVALID_DATA: &str = "errors.invalidData";
    pub const UNAUTHENTICATED: &str = "errors.unauthenticated";
    pub const PERMISSION_DENIED: &str = "errors.permissionDenied";
    pub const NO_RECORD: &str = "errors.noRecord";
    pub const OPTIMISTIC_LOCKING: &str = "errors.optimisticLockingFailure";
    pub const DUPLICATE_VALUE: &str = "errors.duplicateValue";
    pub const TICKET_EXISTS: &str = "errors.ticketExists";
    pub const PASSWORD_EXISTS: &str = "errors.passwordExists";
    pub const MOBILE_SIGNATURE_EXISTS: &str = "errors.mobileSignatureExists";
    pub const MTAN_FORMAT_E164: &str = "errors.mtanFormatE164Violated";
    pub const MISSING_REFERENCE: &str = "errors.missingReferenceData";
    pub const POLICY_VIOLATION: &str = "errors.policyViolation";
    pub const PWD_POLICY_VIOLATED: &str = "errors.pwdPolicyViolated";
    pub const MODIFY_READONLY: &str = "errors.modifyReadonlyData";
    pub const UNDELETED_DEPENDENCIES: &str = "errors.undeletedDependencies";
    pub const INVALID_CONFIG: &str = "errors.invalidConfig";
    pub const FATAL: &str = "errors.fatalError";
    pub const CREDENTIAL_LOCKED: &str = "errors.credentialLocked";
}

/// Every way a request can fail. Handlers and services return this; `into_response`
/// is the only place that decides status codes and bodies.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Unparsable JSON or a bad path parameter.
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Body `version` differs from the stored one.
    #[error("version conflict: {0}")]
    VersionConflict(String),
    /// `If-Match` differs from the stored version.
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// A unique thing exists already (`errors.ticketExists`, `errors.duplicateValue`, ...).
    #[error("conflict {0}: {1}")]
    Conflict(&'static str, String),
    /// A login on a credential that is locked (`tmp-locked`, `fail-locked`).
    #[error("locked: {0}")]
    Locked(String),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    PayloadTooLarge,
    /// Well-formed but breaks a rule; carries every violation found, not just the first.
    #[error("unprocessable: {0:?}")]
    Unprocessable(Vec<ErrorItem>),
    /// The database cannot be reached: the client may retry.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The request took longer than the configured timeout.
    #[error("request timed out")]
    Timeout,
    /// A bug or an unexpected failure; the cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unprocessable(vec![ErrorItem::new(code, message)])
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::unprocessable(codes::INVALID_DATA, message)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::PermissionDenied(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::VersionConflict(_) | Self::Conflict(..) => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::Locked(_) => StatusCode::LOCKED,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) | Self::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `errors` array sent to the client.
    pub fn items(&self) -> Vec<ErrorItem> {
        use codes::*;
        let one = |code, message: &str| vec![ErrorItem::new(code, message)];
        match self {
            Self::BadRequest(m) => one(INVALID_DATA, m),
            Self::Unauthenticated(m) => one(UNAUTHENTICATED, m),
            Self::PermissionDenied(m) => one(PERMISSION_DENIED, m),
            Self::NotFound(m) => one(NO_RECORD, m),
            Self::MethodNotAllowed => one(INVALID_DATA, "Method not allowed on this resource"),
            Self::VersionConflict(m) | Self::PreconditionFailed(m) => one(OPTIMISTIC_LOCKING, m),
            Self::Conflict(code, m) => one(code, m),
            Self::Locked(m) => one(CREDENTIAL_LOCKED, m),
            Self::UnsupportedMediaType => one(
                INVALID_DATA,
                "Content-Type must be application/json or application/merge-patch+json",
            ),
            Self::PayloadTooLarge => one(INVALID_DATA, "Request body is too large"),
            Self::Unprocessable(items) => items.clone(),
            Self::Unavailable(_) => one(
                FATAL,
                "The database is unavailable; retry the request later",
            ),
            Self::Timeout => one(FATAL, "The request timed out; retry it later"),
            Self::Internal(_) => one(FATAL, "An internal error occurred"),
        }
    }
}

/// nevisIDM's error envelope: every problem found, not just the first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub errors: Vec<ErrorItem>,
}

/// Seconds a client should wait before retrying when the database is down.
const RETRY_AFTER_SECONDS: &str = "2";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            // The cause is for operators, once; the client gets a fixed sentence.
            Self::Internal(cause) => tracing::error!(cause = cause.as_str(), "internal error"),
            Self::Unavailable(cause) => {
                tracing::warn!(cause = cause.as_str(), "database unavailable")
            }
            _ => {}
        }
        let status = self.status();
        let items = self.items();
        let code = items.first().map(|item| item.code);
        let mut response = Json(ErrorBody { errors: items }).into_response();
        *response.status_mut() = status;
        if let Some(code) = code {
            // Read by the metrics middleware (optimistic-lock conflicts) and the request log.
            response
                .extensions_mut()
                .insert(crate::observe::ErrorCode(code));
        }
        let headers = response.headers_mut();
        match status {
            StatusCode::UNAUTHORIZED => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from_static(RETRY_AFTER_SECONDS),
                );
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_maps_to_the_decided_status_and_code() {
        let cases: Vec<(ApiError, u16, &str)> = vec![
            (ApiError::BadRequest("x".into()), 400, codes::INVALID_DATA),
            (
                ApiError::Unauthenticated("x".into()),
                401,
                codes::UNAUTHENTICATED,
            ),
            (
                ApiError::PermissionDenied("x".into()),
                403,
                codes::PERMISSION_DENIED,
            ),
            (ApiError::NotFound("x".into()), 404, codes::NO_RECORD),
            (ApiError::MethodNotAllowed, 405, codes::INVALID_DATA),
            (
                ApiError::VersionConflict("x".into()),
                409,
                codes::OPTIMISTIC_LOCKING,
            ),
            (
                ApiError::PreconditionFailed("x".into()),
                412,
                codes::OPTIMISTIC_LOCKING,
            ),
            (
                ApiError::Conflict(codes::TICKET_EXISTS, "x".into()),
                409,
                codes::TICKET_EXISTS,
            ),
            (ApiError::Locked("x".into()), 423, codes::CREDENTIAL_LOCKED),
            (ApiError::UnsupportedMediaType, 415, codes::INVALID_DATA),
            (ApiError::PayloadTooLarge, 413, codes::INVALID_DATA),
            (ApiError::invalid("x"), 422, codes::INVALID_DATA),
            (ApiError::Unavailable("x".into()), 503, codes::FATAL),
            (ApiError::Timeout, 503, codes::FATAL),
            (ApiError::Internal("x".into()), 500, codes::FATAL),
        ];
        for (error, status, code) in cases {
            assert_eq!(error.status().as_u16(), status, "{error:?}");
            assert_eq!(error.items()[0].code, code, "{error:?}");
        }
    }

    #[test]
    fn internal_causes_never_reach_the_body() {
        let error = ApiError::Internal("SELECT secret FROM x failed".into());
        let items = error.items();
        assert!(!items[0].message.contains("SELECT"));
    }

    #[test]
    fn unauthenticated_carries_a_bearer_challenge_and_unavailable_a_retry_after() {
        let response = ApiError::Unauthenticated("x".into()).into_response();
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
        let response = ApiError::Unavailable("x".into()).into_response();
        assert!(response.headers().contains_key(header::RETRY_AFTER));
    }
}
