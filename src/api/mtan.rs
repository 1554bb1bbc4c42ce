//! `/{clientExtId}/users/{userExtId}/mtans` (seed 000): create and list, and
//! `.../mtans/{extId}`: get, patch, delete, and POST to record a login result.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::list::{self, ListParams};
use super::response::{self, segment, user_location};
use super::{IfMatchHeader, JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::service::mtan;

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
    Ok(list::page(listing))
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
