//! `/{clientExtId}/users/{userExtId}/ticket` (seed 004) and `.../ticket/reset`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::{DeleteErrors, PatchErrors, ReadErrors, ResetErrors, WriteErrors};
use super::response::{self, user_location};
use super::schema::{IfMatchHeader as IfMatchParam, TicketCreate, TicketPatch, UserPath};
use super::{IfMatchHeader, JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::view::TicketCredential;
use crate::error::ApiError;
use crate::service::ticket;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, get, patch, delete))
        .routes(routes!(reset))
}

/// Create the user's ticket (`CredentialCreate`); the value is shown once as `ticketValue`.
#[utoipa::path(
    post, operation_id = "createTicket", path = "/{clientExtId}/users/{userExtId}/ticket", tag = "ticket",
    params(UserPath), request_body = TicketCreate, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created, with the one-time `ticketValue`",
         body = TicketCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"), ("Location" = String, description = "The URL of the new resource"))),
        WriteErrors,
    )
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let location = user_location(client.as_str(), user.as_str(), "ticket");
    let outcome = ticket::create(state.ctx(&caller), client, user, body).await?;
    Ok(response::credential(
        StatusCode::CREATED,
        outcome,
        Some(location),
    ))
}

/// The user's ticket (`CredentialView`, or the user in self-admin mode, who does not
/// see the digest or the context).
#[utoipa::path(
    get, operation_id = "getTicket", path = "/{clientExtId}/users/{userExtId}/ticket", tag = "ticket",
    params(UserPath), security(("bearer" = [])),
    responses(
        (status = 200, description = "The ticket credential", body = TicketCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"))),
        ReadErrors,
    )
)]
async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let outcome = ticket::get(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
    )
    .await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}

/// Change state, comment, policy, identification or validity (`CredentialModify` +
/// `CredentialView`).
#[utoipa::path(
    patch, operation_id = "patchTicket", path = "/{clientExtId}/users/{userExtId}/ticket", tag = "ticket",
    params(UserPath, IfMatchParam), security(("bearer" = [])),
    request_body(content(
        (TicketPatch = "application/json"),
        (TicketPatch = "application/merge-patch+json"),
    )),
    responses(
        (status = 200, description = "The ticket after the change", body = TicketCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"))),
        PatchErrors,
    )
)]
async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    IfMatchHeader(if_match): IfMatchHeader,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let outcome = ticket::patch(state.ctx(&caller), client, user, body, if_match).await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}

/// Delete the ticket (`CredentialDelete`).
#[utoipa::path(
    delete, operation_id = "deleteTicket", path = "/{clientExtId}/users/{userExtId}/ticket", tag = "ticket",
    params(UserPath, IfMatchParam), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, ApiError> {
    ticket::delete(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
        if_match,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Reset the ticket: a new value (shown once), `resetCount` + 1, counters to zero, a
/// fresh validity period (`CredentialModify` + `CredentialView`).
#[utoipa::path(
    post, operation_id = "resetTicket", path = "/{clientExtId}/users/{userExtId}/ticket/reset", tag = "ticket",
    params(UserPath, IfMatchParam), security(("bearer" = [])),
    responses(
        (status = 200, description = "The ticket with its new one-time `ticketValue`",
         body = TicketCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"))),
        ResetErrors,
    )
)]
async fn reset(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, ApiError> {
    let outcome = ticket::reset(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
        if_match,
    )
    .await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}
