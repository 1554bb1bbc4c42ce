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
pub(crate) mod kind;
pub(crate) mod list;
pub mod openapi;
mod principal;
pub(crate) mod response;
pub(crate) mod schema;

use axum::{Extension, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::error::ApiError;

pub use extract::{IfMatchHeader, JsonBody, PathIds};

/// The nevisIDM Core REST API base path.
pub const BASE: &str = "/nevisidm/api/core/v1";

/// The nevisIDM Authentication REST API base path (logins).
pub const AUTH_BASE: &str = "/nevisidm/api/auth/v1";

/// The nevisIDM Principal REST API base path (the caller, X-Tokens).
pub const PRINCIPAL_BASE: &str = "/nevisidm/api/principal/v1";

/// Every documented route: the API under [`BASE`], health, metrics and the document itself.
fn documented() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .merge(directory::routes())
        .merge(credentials::routes())
        .merge(kind::every_type());
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest(BASE, api)
        .nest(AUTH_BASE, kind::every_login())
        .nest(PRINCIPAL_BASE, principal::routes())
        .merge(health::routes())
        .merge(openapi::routes())
}

/// The OpenAPI document of every route [`routes`] serves.
pub fn document() -> utoipa::openapi::OpenApi {
    bodies_optional(documented().into_openapi())
}

/// `JsonBody` reads an empty body as `{}` (a PATCH without one changes nothing, a POST
/// without one lists the missing fields), so no request body is required on the wire.
fn bodies_optional(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            if let Some(utoipa::openapi::RefOr::T(body)) = operation.request_body.as_mut() {
                body.required = Some(utoipa::openapi::Required::False);
            }
        }
    }
    doc
}

/// All routes (the Swagger UI too when `swagger_ui` is set) and the extension their
/// document route reads; the caller adds it with its other middleware, in one layer.
pub fn routes(swagger_ui: bool) -> (Router<AppState>, Extension<openapi::Rendered>) {
    let (mut router, doc) = documented().split_for_parts();
    let rendered = Extension(openapi::Rendered::new(&bodies_optional(doc)));
    if swagger_ui {
        router = router.merge(openapi::swagger_ui());
    }
    let router = router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    (router, rendered)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("No such endpoint".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
