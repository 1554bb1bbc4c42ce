//! The nevisIDM Principal REST API (`/nevisidm/api/principal/v1`): the caller's own user,
//! their elementary rights, and the X-Token that proves a re-entered password.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::FormOrJsonBody;
use super::openapi::{PrincipalReadErrors, TokenErrors};
use super::response::Json;
use super::schema::TokenRequest;
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::directory::{Client, User};
use crate::error::ApiError;
use crate::service::principal;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token))
        .routes(routes!(me))
        .routes(routes!(permissions))
}

/// The answer of POST `/token`.
#[derive(Serialize, ToSchema)]
pub struct IssuedToken {
    /// An X-Token: send it as `X-Token` where self-admin mode asks for one.
    access_token: String,
    #[schema(value_type = String, example = "bearer")]
    token_type: &'static str,
}

/// GET `/me`: fields the user record does not hold (`profileExtId`, `unitExtId`, and
/// `fullName`, `email`, `displayLanguageCode` when unset) are left out.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallerUserInfo {
    user_ext_id: String,
    login_id: String,
    /// `name.firstName` and `name.familyName`, separated by a space.
    #[serde(skip_serializing_if = "Option::is_none")]
    full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    /// The user's `languageCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    display_language_code: Option<String>,
    client_ext_id: String,
    client_name: String,
}

impl CallerUserInfo {
    fn new(user: User, client: Client) -> Self {
        let text = |object: &str, field: &str| {
            user.profile
                .get(object)
                .and_then(|o| o.get(field))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        let names: Vec<String> = [text("name", "firstName"), text("name", "familyName")]
            .into_iter()
            .flatten()
            .collect();
        Self {
            full_name: (!names.is_empty()).then(|| names.join(" ")),
            email: text("contacts", "email"),
            display_language_code: user
                .profile
                .get("languageCode")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            user_ext_id: user.ext_id,
            login_id: user.login_id,
            client_ext_id: client.ext_id,
            client_name: client.name,
        }
    }
}

/// GET `/permissions`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallerPermissions {
    #[schema(example = json!(["AccessControl.CredentialView", "AccessControl.SelfAdmin"]))]
    elementary_permissions: Vec<&'static str>,
}

/// Generate an X-Token (`api/generate-bearer-token`; SelfAdmin role). The caller re-enters
/// their password: `username` (the caller's loginId), `password`, `grant_type=password`,
/// as a form or as JSON. The password is checked as a password login: a wrong one is 401
/// and counts as a failed login (the lock engine may lock the credential); a credential
/// that cannot log in answers as the password login does (404, 403, 423).
#[utoipa::path(
    post, operation_id = "generateXToken", path = "/token", tag = "principal",
    request_body(content(
        (TokenRequest = "application/x-www-form-urlencoded"),
        (TokenRequest = "application/json"),
    )),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The password was right: an X-Token for the caller's user, valid for `IDM_X_TOKEN_TTL`", body = IssuedToken,
            headers(("Cache-Control" = String, description = "`no-store`"), ("Pragma" = String, description = "`no-cache`"))),
        TokenErrors,
    )
)]
async fn token(
    State(state): State<AppState>,
    caller: Caller,
    FormOrJsonBody(body): FormOrJsonBody,
) -> Result<Response, ApiError> {
    let token = principal::token(state.ctx(&caller), &state.keys, body).await?;
    let answer = IssuedToken {
        access_token: token,
        token_type: "bearer",
    };
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(answer),
    )
        .into_response())
}

/// The caller's user (`api/get-caller-user-info`; SelfAdmin role).
#[utoipa::path(
    get, operation_id = "getCallerUserInfo", path = "/me", tag = "principal",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's user and client", body = CallerUserInfo),
        PrincipalReadErrors,
    )
)]
async fn me(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let (user, client) = principal::me(state.ctx(&caller)).await?;
    Ok(Json(CallerUserInfo::new(user, client)).into_response())
}

/// The caller's elementary rights (`api/get-caller-user-permissions`; any valid token).
#[utoipa::path(
    get, operation_id = "getCallerUserPermissions", path = "/permissions", tag = "principal",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rights the token grants through its roles and permissions", body = CallerPermissions),
        PrincipalReadErrors,
    )
)]
async fn permissions(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let elementary_permissions = principal::permissions(state.ctx(&caller));
    Ok(Json(CallerPermissions {
        elementary_permissions,
    })
    .into_response())
}
