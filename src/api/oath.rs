//! `/{clientExtId}/users/{userExtId}/oath-credentials` (seed 002): create and list, and
//! `.../oath-credentials/{extId}`: get, patch, delete.

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
use crate::service::oath;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/{clientExtId}/users/{userExtId}/oath-credentials",
            post(create).get(list),
        )
        .route(
            "/{clientExtId}/users/{userExtId}/oath-credentials/{extId}",
            axum::routing::get(get).patch(patch).delete(delete),
        )
}

/// 201 with `Location` and the DTO including the one-time `uri`.
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

async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let outcome = oath::get(state.ctx(&caller), client, user, ids.ext("extId")?).await?;
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
    let ext_id = ids.ext("extId")?;
    let outcome = oath::patch(state.ctx(&caller), client, user, ext_id, body, if_match).await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}

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
