//! `/{clientExtId}/users/{userExtId}/password` (seed 003) and `.../password/reset`.

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
use crate::service::password;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/{clientExtId}/users/{userExtId}/password",
            post(create).get(get).patch(patch).delete(delete),
        )
        .route(
            "/{clientExtId}/users/{userExtId}/password/reset",
            post(reset),
        )
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let location = user_location(client.as_str(), user.as_str(), "password");
    let outcome = password::create(state.ctx(&caller), client, user, body).await?;
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
    let outcome = password::get(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
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
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let outcome = password::patch(state.ctx(&caller), client, user, body, if_match).await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}

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

/// 201 with the DTO and its one-time `passwordFragment` when the policy generates reset
/// codes; 204 otherwise (nevisIDM's reset-password page).
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
