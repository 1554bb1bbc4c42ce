//! HTTP: one router per credential type plus the directory and ops routes, and the
//! extractors that turn malformed requests into nevisIDM errors instead of axum's
//! plain-text rejections.

mod credentials;
mod directory;
mod extract;
mod list;
mod mobile_signature;
mod mtan;
mod oath;
mod password;
mod response;
mod ticket;

use axum::Router;

use crate::app::AppState;
use crate::error::ApiError;

pub use extract::{IfMatchHeader, JsonBody, PathIds};

/// The nevisIDM Core REST API base path.
pub const BASE: &str = "/nevisidm/api/core/v1";

/// All API routes, under [`BASE`].
pub fn routes() -> Router<AppState> {
    let api = Router::new()
        .merge(directory::routes())
        .merge(credentials::routes())
        .merge(password::routes())
        .merge(ticket::routes())
        .merge(mtan::routes())
        .merge(oath::routes())
        .merge(mobile_signature::routes());
    Router::new()
        .nest(BASE, api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("No such endpoint".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
