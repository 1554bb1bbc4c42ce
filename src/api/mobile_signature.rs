//! `/{clientExtId}/users/{userExtId}/mobile-signature` (seed 001). nevisIDM grants no
//! self-admin mode here, so every operation needs a Bearer token with admin permissions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::{DeleteErrors, PatchErrors, ReadErrors, WriteErrors};
use super::response::{self, user_location};
use super::schema::{
    IfMatchHeader as IfMatchParam, MobileSignatureCreate, MobileSignaturePatch, UserPath,
};
use super::{IfMatchHeader, JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::view::MobileSignatureCredential;
use crate::error::ApiError;
use crate::service::mobile_signature as service;

const PATH: &str = "mobile-signature";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create, get, patch, delete))
}

/// Create the user's mobile signature (`CredentialCreate`); a second one is 409
/// `errors.mobileSignatureExists`.
#[utoipa::path(
    post, operation_id = "createMobileSignature", path = "/{clientExtId}/users/{userExtId}/mobile-signature", tag = "mobile-signature",
    params(UserPath), request_body = MobileSignatureCreate, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = MobileSignatureCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"), ("Location" = String, description = "The URL of the new resource"))),
        WriteErrors,
    )
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let location = user_location(client.as_str(), user.as_str(), PATH);
    let outcome = service::create(state.ctx(&caller), client, user, body).await?;
    Ok(response::credential(
        StatusCode::CREATED,
        outcome,
        Some(location),
    ))
}

/// The user's mobile signature (`CredentialView`).
#[utoipa::path(
    get, operation_id = "getMobileSignature", path = "/{clientExtId}/users/{userExtId}/mobile-signature", tag = "mobile-signature",
    params(UserPath), security(("bearer" = [])),
    responses(
        (status = 200, description = "The mobile signature credential", body = MobileSignatureCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"))),
        ReadErrors,
    )
)]
async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let outcome = service::get(state.ctx(&caller), client, user).await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}

/// Change state, comment, policy, identificator, MSSP, msisdn or certificate
/// (`CredentialModify`).
#[utoipa::path(
    patch, operation_id = "patchMobileSignature", path = "/{clientExtId}/users/{userExtId}/mobile-signature", tag = "mobile-signature",
    params(UserPath, IfMatchParam), security(("bearer" = [])),
    request_body(content(
        (MobileSignaturePatch = "application/json"),
        (MobileSignaturePatch = "application/merge-patch+json"),
    )),
    responses(
        (status = 200, description = "The mobile signature after the change", body = MobileSignatureCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"))),
        PatchErrors,
    )
)]
async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    IfMatchHeader(if_match): IfMatchHeader,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let outcome = service::patch(state.ctx(&caller), client, user, body, if_match).await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}

/// Delete the user's mobile signature (`CredentialDelete`).
#[utoipa::path(
    delete, operation_id = "deleteMobileSignature", path = "/{clientExtId}/users/{userExtId}/mobile-signature", tag = "mobile-signature",
    params(UserPath, IfMatchParam), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    service::delete(state.ctx(&caller), client, user, if_match).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
