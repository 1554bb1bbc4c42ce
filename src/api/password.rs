//! `/{clientExtId}/users/{userExtId}/password` (seed 003), `.../password/reset` and
//! `.../password/change`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::kind::{Docs, HttpKind, Named, named};
use super::openapi::{ChangeErrors, ResetErrors};
use super::response;
use super::schema::{
    IfMatchHeader as IfMatchParam, PasswordChange, PasswordCreate, PasswordPatch, UserPath,
};
use super::{IfMatchHeader, JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::view::PasswordCredential;
use crate::error::ApiError;
use crate::service::credential::Outcome;
use crate::service::password::{self, Password};

impl HttpKind for Password {
    const SEGMENT: &'static str = "password";
    const TAG: &'static str = "password";
    const OPERATION: &'static str = "Password";
    const DOCS: Docs = Docs {
        create: "Create the user's password (`CredentialCreate` + `CredentialChangeState`).",
        created: "Created. When the policy has `resetCodeEnabled`, the server generated the password: the body is the credential with the password, shown this once, as `passwordFragment`. Otherwise there is no body (nevisIDM's create-password page: no content is returned), only the headers.",
        get: "The user's password (`CredentialView`, or the user in self-admin mode, who does not\nsee the hash).",
        got: "The password credential",
        patch: "Change state or comment (`CredentialView` + `CredentialModify`).",
        patched: "The password after the change",
        delete: "Delete the password (`CredentialDelete`, or the user with an `X-Token`).",
        list: "",
    };
    const CREATE_BODY: Named = named::<PasswordCreate>();
    const PATCH_BODY: Named = named::<PasswordPatch>();
    const VIEW: Named = named::<PasswordCredential>();

    /// No body unless the server generated the password (nevisIDM's create-password
    /// page: no content is returned).
    fn created(outcome: Outcome, location: String) -> Response {
        if outcome.secret.is_none() {
            return response::created_without_body(&outcome, location);
        }
        response::credential(StatusCode::CREATED, outcome, Some(location))
    }

    fn extra_routes() -> OpenApiRouter<AppState> {
        OpenApiRouter::new()
            .routes(routes!(reset))
            .routes(routes!(change))
    }
}

/// Reset the password (`CredentialView` + `CredentialModify`, or the user with an
/// `X-Token`): 201 with the DTO and its one-time `passwordFragment` when the policy
/// generates reset codes; 204 otherwise (nevisIDM's reset-password page).
#[utoipa::path(
    post, operation_id = "resetPassword", path = "/{clientExtId}/users/{userExtId}/password/reset", tag = "password",
    params(UserPath, IfMatchParam), security(("bearer" = []), ("bearer" = [], "xToken" = [])),
    responses(
        (status = 201, description = "Reset to a generated password, shown once as `passwordFragment`",
         body = PasswordCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"))),
        (status = 204, description = "Reset; the password is in state `initial` with reason `reset`"),
        ResetErrors,
    )
)]
async fn reset(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, ApiError> {
    let outcome = password::reset(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
        if_match,
    )
    .await?;
    if outcome.secret.is_some() {
        Ok(response::credential(StatusCode::CREATED, outcome, None))
    } else {
        Ok(StatusCode::NO_CONTENT.into_response())
    }
}

/// Give the user a new password (`CredentialModify`, or the user with an `X-Token` and
/// the old password). The credential leaves `initial`, `reset-code` and `admin-changed`
/// (and, by an administrator, a lock) for `active`; its failure count starts from zero.
/// Not available when the policy has `resetCodeEnabled` (422). A self-admin's wrong
/// `oldPassword` counts as a failed login: 403, or 423 when it locks the credential.
#[utoipa::path(
    post, operation_id = "changePassword", path = "/{clientExtId}/users/{userExtId}/password/change", tag = "password",
    params(UserPath, IfMatchParam), request_body = PasswordChange,
    security(("bearer" = []), ("bearer" = [], "xToken" = [])),
    responses(
        (status = 204, description = "Changed (the change pages return no content)",
         headers(("ETag" = String, description = "The new version, `\"<version>\"`: send it as `If-Match`"))),
        ChangeErrors,
    )
)]
async fn change(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    IfMatchHeader(if_match): IfMatchHeader,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let outcome = password::change(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
        body,
        if_match,
    )
    .await?;
    Ok(response::no_content_with_etag(&outcome))
}
