//! Liveness and readiness probes and the Prometheus metrics (no authentication).

use axum::extract::State;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::ReadyErrors;
use crate::app::AppState;
use crate::error::ApiError;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(live))
        .routes(routes!(ready))
        .routes(routes!(metrics))
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

/// Prometheus metrics: requests by route template and status, latency, pool gauges,
/// optimistic-lock conflicts.
#[utoipa::path(
    get, operation_id = "metrics",
    path = "/metrics",
    tag = "ops",
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain; version=0.0.4; charset=utf-8"))
)]
async fn metrics(state: State<AppState>) -> Response {
    crate::observe::scrape(state).await
}
