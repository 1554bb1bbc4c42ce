//! `/{clientExtId}/users/{userExtId}/mtans` (seed 000): create and list, and
//! `.../mtans/{extId}`: get, patch, delete, and POST to record a login result.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::{DeleteErrors, PatchErrors, ReadErrors, WriteErrors};
use super::response::{self, segment, user_location};
use super::schema::{
    CredentialPath, IfMatchHeader as IfMatchParam, ListQuery as ListQueryParams, LoginResult,
    MtanCreate, MtanPatch, UserPath,
};
use super::{IfMatchHeader, JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::view::{CredentialView, MtanCredential};
use crate::error::ApiError;
use crate::service::credential::audience;
use crate::service::mtan::{self, ListQuery};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(login_result, get, patch, delete))
}

/// The list query; a malformed one is 400 `errors.invalidData`, not axum's plain text.
/// Parameters nevisIDM knows but this server does not use (sorting, offset) are ignored.
struct ListParams(ListQuery);

impl<S: Send + Sync> FromRequestParts<S> for ListParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(mut params) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| {
                ApiError::BadRequest(format!("Bad query string: {}", rejection.body_text()))
            })?;
        let limit = params
            .remove("limit")
            .map(|text| {
                text.trim().parse::<i64>().map_err(|_| {
                    ApiError::BadRequest(format!("limit must be an integer, not {text:?}"))
                })
            })
            .transpose()?;
        Ok(Self(ListQuery {
            limit,
            continuation_token: params.remove("continuationToken"),
        }))
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    /// Send it back as `continuationToken` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    continuation_token: Option<String>,
    limit: i64,
}

/// One page of a user's mTAN credentials.
#[derive(Serialize, ToSchema)]
#[schema(as = MtanList)]
struct ListDto {
    #[schema(value_type = Vec<MtanCredential>)]
    items: Vec<CredentialView>,
    #[serde(rename = "_pagination")]
    pagination: Pagination,
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
    responses((status = 200, description = "One page", body = ListDto), ReadErrors)
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    ListParams(query): ListParams,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let listing = mtan::list(state.ctx(&caller), client, user, query).await?;
    let items = listing
        .items
        .iter()
        .map(|c| CredentialView::new(c, audience(listing.access), None))
        .collect();
    let dto = ListDto {
        items,
        pagination: Pagination {
            continuation_token: listing.continuation_token,
            limit: listing.limit,
        },
    };
    Ok(Json(dto).into_response())
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
