//! The nevisIDM Authentication REST API (`/nevisidm/api/auth/v1`): logins that check a
//! credential and record the attempt with the lock engine.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::LoginErrors;
use super::response::Json;
use super::schema::{PasswordLogin, UserPath};
use super::{JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::lockout::LoginStatus;
use crate::error::ApiError;
use crate::service::password;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(password_login))
}

/// Log in with the user's password (`api/password-login`; `CredentialView` +
/// `CredentialModify` + `CredentialChangeState`). A processed attempt is 200 whatever
/// its result: check `statusCode`. A credential that cannot log in (locked, not
/// `active`, outside its validity) is a 4xx and counts nothing.
#[utoipa::path(
    post, operation_id = "passwordLogin", path = "/{clientExtId}/users/{userExtId}/password/login", tag = "authentication",
    params(UserPath), request_body = PasswordLogin, security(("bearer" = [])),
    responses(
        (status = 200, description = "The attempt was processed: 2 = Failed, 3 = Failed (lock warning), 4 = Failed (now locked), 5 = Login Ok, 9 = Failed (now temporarily locked)", body = LoginStatus),
        LoginErrors,
    )
)]
async fn password_login(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let status = password::login(state.ctx(&caller), client, user, body).await?;
    // A login result is about one moment and one caller: no cache keeps it.
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(status)).into_response())
}
