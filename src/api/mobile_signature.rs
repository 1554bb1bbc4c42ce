//! `/{clientExtId}/users/{userExtId}/mobile-signature` (seed 001).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::response::{self, user_location};
use super::{IfMatchHeader, JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::service::mobile_signature as service;

const PATH: &str = "mobile-signature";

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/{clientExtId}/users/{userExtId}/mobile-signature",
        post(create).get(get).patch(patch).delete(delete),
    )
}

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

async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let outcome = service::get(state.ctx(&caller), client, user).await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}

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
