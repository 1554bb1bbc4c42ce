//! `/{clientExtId}/users/{userExtId}/credentials`: the credentials of a user, a page at a
//! time, and the history of one.

use crate::api::response::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::PathIds;
use super::list::{self, CredentialList, ListParams};
use super::openapi::ReadErrors;
use super::schema::{CredentialPath, ListQuery as ListQueryParams, UserPath};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::history::{Action, FieldChange, HistoryEntry};
use crate::domain::time;
use crate::error::ApiError;
use crate::service::directory as service;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(history))
}

/// The history of one credential, oldest first.
#[derive(Serialize, ToSchema)]
struct HistoryList {
    items: Vec<HistoryDto>,
}

/// One change of a credential.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = HistoryEntry)]
struct HistoryDto {
    /// The version the change produced.
    version: i32,
    timestamp: String,
    /// The caller's `sub`.
    actor: String,
    action: Action,
    changes: Vec<FieldChange>,
}

impl From<HistoryEntry> for HistoryDto {
    fn from(entry: HistoryEntry) -> Self {
        Self {
            version: entry.version,
            timestamp: time::format(&entry.at),
            actor: entry.actor,
            action: entry.action,
            changes: entry.changes,
        }
    }
}

/// The user's credentials of all types, a page at a time (`CredentialView`, or the user
/// in self-admin mode, who does not see the types their GET refuses them).
#[utoipa::path(
    get, operation_id = "listCredentials", path = "/{clientExtId}/users/{userExtId}/credentials", tag = "credentials",
    params(UserPath, ListQueryParams), security(("bearer" = [])),
    responses((status = 200, description = "One page", body = CredentialList), ReadErrors)
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    ListParams(query): ListParams,
) -> Result<Response, ApiError> {
    let listing = service::list_credentials(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
        query,
    )
    .await?;
    Ok(list::page(listing))
}

/// The history of one credential, secrets redacted (`CredentialView`).
#[utoipa::path(
    get, operation_id = "credentialHistory", path = "/{clientExtId}/users/{userExtId}/credentials/{extId}/history", tag = "credentials",
    params(CredentialPath), security(("bearer" = [])),
    responses((status = 200, description = "The credential's history", body = HistoryList), ReadErrors)
)]
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
    Ok(Json(HistoryList {
        items: entries.into_iter().map(HistoryDto::from).collect(),
    })
    .into_response())
}
