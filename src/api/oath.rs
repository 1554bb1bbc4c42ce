//! `/{clientExtId}/users/{userExtId}/oath-credentials` (seed 002): create and list, and
//! `.../oath-credentials/{extId}`: get, patch, delete.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::list::{self, ListParams, OathList};
use super::openapi::{DeleteErrors, PatchErrors, ReadErrors, WriteErrors};
use super::response::{self, segment, user_location};
use super::schema::{
    CredentialPath, IfMatchHeader as IfMatchParam, ListQuery as ListQueryParams, OathCreate,
    OathPatch, UserPath,
};
use super::{IfMatchHeader, JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::view::{OathCredential, OathCredentialCreated};
use crate::error::ApiError;
use crate::service::oath;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, patch, delete))
}

/// Create an OATH credential with a server-generated secret (`CredentialCreate` +
/// `CredentialView` + `PolicyConfigurationView`, or the user with an `X-Token`).
#[utoipa::path(
    post, operation_id = "createOath", path = "/{clientExtId}/users/{userExtId}/oath-credentials", tag = "oath",
    params(UserPath), request_body = OathCreate, security(("bearer" = []), ("bearer" = [], "xToken" = [])),
    responses(
        (status = 201, description = "Created; the `otpauth://` `uri` with the secret is shown this once",
         body = OathCredentialCreated, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"), ("Location" = String, description = "The URL of the new resource"))),
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
    let ctx = state.ctx(&caller);
    let outcome = oath::create(ctx, &state.secret_key, client.clone(), user.clone(), body).await?;
    let rest = format!("oath-credentials/{}", segment(&outcome.credential.ext_id));
    let location = user_location(client.as_str(), user.as_str(), &rest);
    Ok(response::credential(
        StatusCode::CREATED,
        outcome,
        Some(location),
    ))
}

/// The user's OATH credentials, a page at a time, never with a `uri` (`CredentialView`,
/// or the user in self-admin mode, who does not see `secret`).
#[utoipa::path(
    get, operation_id = "listOathCredentials", path = "/{clientExtId}/users/{userExtId}/oath-credentials", tag = "oath",
    params(UserPath, ListQueryParams), security(("bearer" = [])),
    responses((status = 200, description = "One page", body = OathList), ReadErrors)
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    ListParams(query): ListParams,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let listing = oath::list(state.ctx(&caller), client, user, query).await?;
    Ok(list::page(listing))
}

/// One OATH credential, without the `uri` (`CredentialView`, or the user in self-admin
/// mode, who does not see `secret`).
#[utoipa::path(
    get, operation_id = "getOath", path = "/{clientExtId}/users/{userExtId}/oath-credentials/{extId}", tag = "oath",
    params(CredentialPath), security(("bearer" = [])),
    responses(
        (status = 200, description = "The OATH credential", body = OathCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"))),
        ReadErrors,
    )
)]
async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let outcome = oath::get(state.ctx(&caller), client, user, ids.ext("extId")?).await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}

/// Change label, state, comment, policy or extId (`CredentialModify` + `CredentialView`,
/// or the user with an `X-Token`).
#[utoipa::path(
    patch, operation_id = "patchOath", path = "/{clientExtId}/users/{userExtId}/oath-credentials/{extId}", tag = "oath",
    params(CredentialPath, IfMatchParam), security(("bearer" = []), ("bearer" = [], "xToken" = [])),
    request_body(content(
        (OathPatch = "application/json"),
        (OathPatch = "application/merge-patch+json"),
    )),
    responses(
        (status = 200, description = "The OATH credential after the change", body = OathCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"))),
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
    let ext_id = ids.ext("extId")?;
    let outcome = oath::patch(state.ctx(&caller), client, user, ext_id, body, if_match).await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}

/// Delete an OATH credential (`CredentialDelete`, or the user with an `X-Token`).
#[utoipa::path(
    delete, operation_id = "deleteOath", path = "/{clientExtId}/users/{userExtId}/oath-credentials/{extId}", tag = "oath",
    params(CredentialPath, IfMatchParam), security(("bearer" = []), ("bearer" = [], "xToken" = [])),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    oath::delete(
        state.ctx(&caller),
        client,
        user,
        ids.ext("extId")?,
        if_match,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
