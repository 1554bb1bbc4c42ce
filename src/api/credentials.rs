//! `/{clientExtId}/users/{userExtId}/credentials`: every credential of a user, and the
//! history of one.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::PathIds;
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::history::{FieldChange, HistoryEntry};
use crate::domain::time;
use crate::domain::view::CredentialView;
use crate::error::ApiError;
use crate::service::credential::audience;
use crate::service::directory as service;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{clientExtId}/users/{userExtId}/credentials", get(list))
        .route(
            "/{clientExtId}/users/{userExtId}/credentials/{extId}/history",
            get(history),
        )
}

#[derive(Serialize)]
struct Items<T> {
    items: Vec<T>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HistoryDto {
    version: i32,
    timestamp: String,
    actor: String,
    action: &'static str,
    changes: Vec<FieldChange>,
}

impl From<HistoryEntry> for HistoryDto {
    fn from(entry: HistoryEntry) -> Self {
        Self {
            version: entry.version,
            timestamp: time::format(&entry.at),
            actor: entry.actor,
            action: entry.action.as_str(),
            changes: entry.changes,
        }
    }
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let (credentials, access) = service::list_credentials(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
    )
    .await?;
    let items = credentials
        .iter()
        .map(|c| CredentialView::new(c, audience(access), None))
        .collect();
    Ok(Json(Items { items }).into_response())
}

async fn history(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let entries = service::history(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
        ids.ext("extId")?,
    )
    .await?;
    Ok(Json(Items {
        items: entries
            .into_iter()
            .map(HistoryDto::from)
            .collect::<Vec<_>>(),
    })
    .into_response())
}
