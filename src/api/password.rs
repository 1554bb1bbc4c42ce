//! `/{clientExtId}/users/{userExtId}/password` (seed 003), `.../password/reset` and
//! `.../password/change`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::{
    ChangeErrors, DeleteErrors, PatchErrors, ReadErrors, ResetErrors, WriteErrors,
};
use super::response::{self, user_location};
use super::schema::{
    IfMatchHeader as IfMatchParam, PasswordChange, PasswordCreate, PasswordPatch, UserPath,
};
use super::{IfMatchHeader, JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::view::PasswordCredential;
use crate::error::ApiError;
use crate::service::password;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, get, patch, delete))
        .routes(routes!(reset))
        .routes(routes!(change))
}

/// Create the user's password (`CredentialCreate` + `CredentialChangeState`).
#[utoipa::path(
    post, operation_id = "createPassword", path = "/{clientExtId}/users/{userExtId}/password", tag = "password",
    params(UserPath), request_body = PasswordCreate, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created. When the policy has `resetCodeEnabled`, the server generated the password: the body is the credential with the password, shown this once, as `passwordFragment`. Otherwise there is no body (nevisIDM's create-password page: no content is returned), only the headers.",
         body = PasswordCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"), ("Location" = String, description = "The URL of the new resource"))),
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
    let location = user_location(client.as_str(), user.as_str(), "password");
    let outcome = password::create(state.ctx(&caller), client, user, body).await?;
    if outcome.secret.is_none() {
        return Ok(response::created_without_body(&outcome, location));
    }
    Ok(response::credential(
        StatusCode::CREATED,
        outcome,
        Some(location),
    ))
}

/// The user's password (`CredentialView`, or the user in self-admin mode, who does not
/// see the hash).
#[utoipa::path(
    get, operation_id = "getPassword", path = "/{clientExtId}/users/{userExtId}/password", tag = "password",
    params(UserPath), security(("bearer" = [])),
    responses(
        (status = 200, description = "The password credential", body = PasswordCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"))),
        ReadErrors,
    )
)]
async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let outcome = password::get(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
    )
    .await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}

/// Change state or comment (`CredentialView` + `CredentialModify`).
#[utoipa::path(
    patch, operation_id = "patchPassword", path = "/{clientExtId}/users/{userExtId}/password", tag = "password",
    params(UserPath, IfMatchParam), security(("bearer" = [])),
    request_body(content(
        (PasswordPatch = "application/json"),
        (PasswordPatch = "application/merge-patch+json"),
    )),
    responses(
        (status = 200, description = "The password after the change", body = PasswordCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"))),
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
    let outcome = password::patch(state.ctx(&caller), client, user, body, if_match).await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}

/// Delete the password (`CredentialDelete`, or the user with an `X-Token`).
#[utoipa::path(
    delete, operation_id = "deletePassword", path = "/{clientExtId}/users/{userExtId}/password", tag = "password",
    params(UserPath, IfMatchParam), security(("bearer" = []), ("bearer" = [], "xToken" = [])),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, ApiError> {
    password::delete(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
        if_match,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Reset the password (`CredentialView` + `CredentialModify`, or the user with an
/// `X-Token`): 201 with the DTO and its one-time `passwordFragment` when the policy
/// generates reset codes; 204 otherwise (nevisIDM's reset-password page).
#[utoipa::path(
    post, operation_id = "resetPassword", path = "/{clientExtId}/users/{userExtId}/password/reset", tag = "password",
    params(UserPath, IfMatchParam), security(("bearer" = []), ("bearer" = [], "xToken" = [])),
    responses(
        (status = 201, description = "Reset to a generated password, shown once as `passwordFragment`",
         body = PasswordCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"))),
        (status = 204, description = "Reset; the password is in state `initial` with reason `reset`"),
        ResetErrors,
    )
)]
async fn reset(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, ApiError> {
    let outcome = password::reset(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
        if_match,
    )
    .await?;
    if outcome.secret.is_some() {
        Ok(response::credential(StatusCode::CREATED, outcome, None))
    } else {
        Ok(StatusCode::NO_CONTENT.into_response())
    }
}

/// Give the user a new password (`CredentialModify`, or the user with an `X-Token` and
/// the old password). The credential leaves `initial`, `reset-code` and `admin-changed`
/// (and, by an administrator, a lock) for `active`; its failure count starts from zero.
/// Not available when the policy has `resetCodeEnabled` (422). A self-admin's wrong
/// `oldPassword` counts as a failed login: 403, or 423 when it locks the credential.
#[utoipa::path(
    post, operation_id = "changePassword", path = "/{clientExtId}/users/{userExtId}/password/change", tag = "password",
    params(UserPath, IfMatchParam), request_body = PasswordChange,
    security(("bearer" = []), ("bearer" = [], "xToken" = [])),
    responses(
        (status = 204, description = "Changed (the change pages return no content)",
         headers(("ETag" = String, description = "The new version, `\"<version>\"`: send it as `If-Match`"))),
        ChangeErrors,
    )
)]
async fn change(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    IfMatchHeader(if_match): IfMatchHeader,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let outcome = password::change(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
        body,
        if_match,
    )
    .await?;
    Ok(response::no_content_with_etag(&outcome))
}
