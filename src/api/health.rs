//! Liveness and readiness probes (no authentication).

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::ReadyErrors;
use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(live))
        .routes(routes!(ready))
}

/// Liveness: the process answers.
#[utoipa::path(
    get, operation_id = "live",
    path = "/health/live",
    tag = "ops",
    responses((status = 200, description = "Alive", body = String, content_type = "text/plain", example = "ok"))
)]
async fn live() -> &'static str {
    "ok"
}

/// Readiness: the database answers (503 while it does not).
#[utoipa::path(
    get, operation_id = "ready",
    path = "/health/ready",
    tag = "ops",
    responses(
        (status = 200, description = "Ready", body = String, content_type = "text/plain", example = "ok"),
        ReadyErrors,
    )
)]
async fn ready(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.store.ping().await?;
    Ok("ok")
}
