//! HTTP: one router per credential type plus the directory and ops routes, and the
//! extractors that turn malformed requests into nevisIDM errors instead of axum's
//! plain-text rejections.
//!
//! Every router is a `utoipa_axum::router::OpenApiRouter` whose routes are registered
//! with `routes!(...)`: the route and its OpenAPI operation come from the same
//! `#[utoipa::path]` (see `openapi.rs`).

mod credentials;
mod directory;
mod extract;
mod health;
mod list;
mod mobile_signature;
mod mtan;
mod oath;
pub mod openapi;
mod password;
mod response;
mod schema;
mod ticket;

use axum::{Extension, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::error::ApiError;

pub use extract::{IfMatchHeader, JsonBody, PathIds};

/// The nevisIDM Core REST API base path.
pub const BASE: &str = "/nevisidm/api/core/v1";

/// Every documented route: the API under [`BASE`], health, metrics and the document itself.
fn documented() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .merge(directory::routes())
        .merge(credentials::routes())
        .merge(password::routes())
        .merge(ticket::routes())
        .merge(mtan::routes())
        .merge(oath::routes())
        .merge(mobile_signature::routes());
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest(BASE, api)
        .merge(health::routes())
        .merge(openapi::routes())
}

/// The OpenAPI document of every route [`routes`] serves.
pub fn document() -> utoipa::openapi::OpenApi {
    documented().into_openapi()
}

/// All routes; the Swagger UI too when `swagger_ui` is set.
pub fn routes(swagger_ui: bool) -> Router<AppState> {
    let (router, doc) = documented().split_for_parts();
    let mut router = router.layer(Extension(openapi::Rendered::new(&doc)));
    if swagger_ui {
        router = router.merge(openapi::swagger_ui());
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("No such endpoint".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
