//! `/{clientExtId}/users/{userExtId}/mtans` (seed 000): create and list, and
//! `.../mtans/{extId}`: get, patch, delete, and POST to record a login result.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::list::{self, ListParams, MtanList};
use super::openapi::{DeleteErrors, PatchErrors, ReadErrors, WriteErrors};
use super::response::{self, segment, user_location};
use super::schema::{
    CredentialPath, IfMatchHeader as IfMatchParam, ListQuery as ListQueryParams, LoginResult,
    MtanCreate, MtanPatch, UserPath,
};
use super::{IfMatchHeader, JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::view::MtanCredential;
use crate::error::ApiError;
use crate::service::mtan;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(login_result, get, patch, delete))
}

/// Create an mTAN credential (`CredentialCreate`).
#[utoipa::path(
    post, operation_id = "createMtan", path = "/{clientExtId}/users/{userExtId}/mtans", tag = "mtan",
    params(UserPath), request_body = MtanCreate, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = MtanCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"), ("Location" = String, description = "The URL of the new resource"))),
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
    let outcome = mtan::create(state.ctx(&caller), client.clone(), user.clone(), body).await?;
    let rest = format!("mtans/{}", segment(&outcome.credential.ext_id));
    let location = user_location(client.as_str(), user.as_str(), &rest);
    Ok(response::credential(
        StatusCode::CREATED,
        outcome,
        Some(location),
    ))
}

/// The user's mTAN credentials, a page at a time (`CredentialView`, or the user in
/// self-admin mode).
#[utoipa::path(
    get, operation_id = "listMtans", path = "/{clientExtId}/users/{userExtId}/mtans", tag = "mtan",
    params(UserPath, ListQueryParams), security(("bearer" = [])),
    responses((status = 200, description = "One page", body = MtanList), ReadErrors)
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    ListParams(query): ListParams,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let listing = mtan::list(state.ctx(&caller), client, user, query).await?;
    Ok(list::page(listing))
}

/// One mTAN credential (`CredentialView`, or the user in self-admin mode).
#[utoipa::path(
    get, operation_id = "getMtan", path = "/{clientExtId}/users/{userExtId}/mtans/{extId}", tag = "mtan",
    params(CredentialPath), security(("bearer" = [])),
    responses(
        (status = 200, description = "The mTAN credential", body = MtanCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"))),
        ReadErrors,
    )
)]
async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let outcome = mtan::get(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
        ids.ext("extId")?,
    )
    .await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}

/// Change state, comment or mobile number (`CredentialModify` + `CredentialView`).
#[utoipa::path(
    patch, operation_id = "patchMtan", path = "/{clientExtId}/users/{userExtId}/mtans/{extId}", tag = "mtan",
    params(CredentialPath, IfMatchParam), security(("bearer" = [])),
    request_body(content(
        (MtanPatch = "application/json"),
        (MtanPatch = "application/merge-patch+json"),
    )),
    responses(
        (status = 200, description = "The mTAN after the change", body = MtanCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"))),
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
    let outcome = mtan::patch(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
        ids.ext("extId")?,
        body,
        if_match,
    )
    .await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}

/// Delete an mTAN credential (`CredentialDelete`, or the user with an `X-Token`).
#[utoipa::path(
    delete, operation_id = "deleteMtan", path = "/{clientExtId}/users/{userExtId}/mtans/{extId}", tag = "mtan",
    params(CredentialPath, IfMatchParam), security(("bearer" = []), ("bearer" = [], "xToken" = [])),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, ApiError> {
    mtan::delete(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
        ids.ext("extId")?,
        if_match,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Record a login result (`api/update-login-info`; `CredentialModify` +
/// `CredentialView`): moves the counters, not the version; the `TANPolicy` thresholds
/// may lock the credential.
#[utoipa::path(
    post, operation_id = "recordMtanLogin", path = "/{clientExtId}/users/{userExtId}/mtans/{extId}", tag = "mtan",
    params(CredentialPath), request_body = LoginResult, security(("bearer" = [])),
    responses(
        (status = 200, description = "The mTAN after the login result", body = MtanCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"))),
        WriteErrors,
    )
)]
async fn login_result(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let outcome = mtan::record_login(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
        ids.ext("extId")?,
        body,
    )
    .await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}
