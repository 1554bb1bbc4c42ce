//! `/{clientExtId}/users/{userExtId}/ticket` (seed 004) and `.../ticket/reset`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::kind::{Docs, HttpKind, Named, named};
use super::openapi::ResetErrors;
use super::response;
use super::schema::{IfMatchHeader as IfMatchParam, TicketCreate, TicketPatch, UserPath};
use super::{IfMatchHeader, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::view::TicketCredential;
use crate::error::ApiError;
use crate::service::ticket::{self, Ticket};

impl HttpKind for Ticket {
    const SEGMENT: &'static str = "ticket";
    const TAG: &'static str = "ticket";
    const OPERATION: &'static str = "Ticket";
    const DOCS: Docs = Docs {
        create: "Create the user's ticket (`CredentialCreate`); the value is shown once as `ticketValue`.",
        created: "Created, with the one-time `ticketValue`",
        get: "The user's ticket (`CredentialView`, or the user in self-admin mode, who does not\nsee the digest or the context).",
        got: "The ticket credential",
        patch: "Change state, comment, policy, identification or validity (`CredentialModify` +\n`CredentialView`).",
        patched: "The ticket after the change",
        delete: "Delete the ticket (`CredentialDelete`).",
        list: "",
    };
    const CREATE_BODY: Named = named::<TicketCreate>();
    const PATCH_BODY: Named = named::<TicketPatch>();
    const VIEW: Named = named::<TicketCredential>();

    fn extra_routes() -> OpenApiRouter<AppState> {
        OpenApiRouter::new().routes(routes!(reset))
    }
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
