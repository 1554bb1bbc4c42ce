//! `/{clientExtId}/users/{userExtId}/mtans` (seed 000): create and list, and
//! `.../mtans/{extId}`: get, patch, delete, and POST to record a login result.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;

use super::response::{self, segment, user_location};
use super::{IfMatchHeader, JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::view::CredentialView;
use crate::error::ApiError;
use crate::service::credential::audience;
use crate::service::mtan::{self, ListQuery};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/{clientExtId}/users/{userExtId}/mtans",
            post(create).get(list),
        )
        .route(
            "/{clientExtId}/users/{userExtId}/mtans/{extId}",
            post(login_result).get(get).patch(patch).delete(delete),
        )
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    #[serde(skip_serializing_if = "Option::is_none")]
    continuation_token: Option<String>,
    limit: i64,
}

#[derive(Serialize)]
struct ListDto {
    items: Vec<CredentialView>,
    #[serde(rename = "_pagination")]
    pagination: Pagination,
}

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

/// 200 with the DTO after the login result (`api/update-login-info`).
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
