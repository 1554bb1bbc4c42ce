//! `/{clientExtId}/users/{userExtId}/password` (seed 003), `.../password/reset` and
//! `.../password/change`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use serde::Deserialize;
use utoipa::ToSchema;

use super::{Password, PasswordCredential};
use crate::api::schema::{create_body, patch_body};
use std::future::Future;

use serde_json::Value;

use crate::api::kind::{Docs, HttpKind, LoginDocs, LoginKind, Named, login_routes, named};
use crate::service::Ctx;
use crate::service::credential::Target;
use crate::api::openapi::{ChangeErrors, ResetErrors};
use crate::api::response;
use crate::api::schema::{IfMatchHeader as IfMatchParam, PasswordChange, UserPath};
use crate::api::{IfMatchHeader, JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::lockout::LoginStatus;
use crate::domain::state::CredentialState;
use crate::error::ApiError;
use crate::service::credential::Outcome;
use crate::types::password;

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

    fn login_routes() -> OpenApiRouter<AppState> {
        login_routes::<Self>()
    }
}

create_body! {
    /// POST `.../password` (seed 003).
    PasswordCreate {
        /// A `PwdPolicy` of the client; the default policy when absent.
        policy_ext_id,
        /// Default `initial`.
        state_name: CredentialState,
        /// The password; may be omitted when the policy has `resetCodeEnabled`, and the
        /// server then generates one (`passwordFragment` in the response).
        #[schema(nullable = false, min_length = 1, max_length = 4096)]
        password: Option<String>,
    }
}

patch_body! {
    /// PATCH `.../password` (seed 003): JSON Merge Patch.
    PasswordPatch {
        state_name: CredentialState,
    }
}

/// POST `.../password/login` (Authentication REST API).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // the document's shape of the body; service.rs reads it
#[serde(deny_unknown_fields)]
pub struct PasswordLogin {
    /// The password to verify; non-empty.
    #[schema(min_length = 1, max_length = 4096)]
    password: String,
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

impl LoginKind for Password {
    const LOGIN: LoginDocs = LoginDocs {
        operation_id: "passwordLogin",
        tag: "authentication",
        summary: "Log in with the user's password (`api/password-login`; `CredentialView` +\n`CredentialModify` + `CredentialChangeState`). A processed attempt is 200 whatever\nits result: check `statusCode`. A credential that cannot log in (locked, not\n`active`, outside its validity) is a 4xx and counts nothing.",
        body: named::<PasswordLogin>(),
    };

    fn login(
        ctx: Ctx<'_>,
        target: Target,
        body: Value,
    ) -> impl Future<Output = Result<LoginStatus, ApiError>> + Send {
        super::login::login(ctx, target, body)
    }
}
