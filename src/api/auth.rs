//! The nevisIDM Authentication REST API (`/nevisidm/api/auth/v1`): logins that check a
//! credential and record the attempt with the lock engine. The OATH and ticket logins
//! are extensions of this server (tag `authentication-extensions`): nevisIDM leaves
//! checking those credentials to other components.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::LoginErrors;
use super::response::Json;
use super::schema::{CredentialPath, OathLogin, PasswordLogin, TicketLogin, UserPath};
use super::{JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::lockout::LoginStatus;
use crate::error::ApiError;
use crate::service::{oath, password, ticket};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(password_login))
        .routes(routes!(oath_login))
        .routes(routes!(ticket_login))
}

/// A login result is about one moment and one caller: no cache keeps it.
fn uncached(status: LoginStatus) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(status)).into_response()
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
    Ok(uncached(status))
}

/// Log in with a one-time code of an OATH credential (**extension**: nevisIDM has no such
/// endpoint; same answer, permissions and 4xx as `passwordLogin`). TOTP accepts the time
/// steps now ± 1, HOTP the counter values from the expected one up to 10 ahead (an
/// accepted code moves the credential's `counter` past it); a code at or before the last
/// accepted one fails, so no code works twice.
#[utoipa::path(
    post, operation_id = "oathLogin", path = "/{clientExtId}/users/{userExtId}/oath-credentials/{extId}/login", tag = "authentication-extensions",
    params(CredentialPath), request_body = OathLogin, security(("bearer" = [])),
    responses(
        (status = 200, description = "The attempt was processed: 2 = Failed, 3 = Failed (lock warning), 4 = Failed (now locked), 5 = Login Ok, 9 = Failed (now temporarily locked)", body = LoginStatus),
        LoginErrors,
    )
)]
async fn oath_login(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let ext_id = ids.ext("extId")?;
    let ctx = state.ctx(&caller);
    let status = oath::login(ctx, client, user, ext_id, body).await?;
    Ok(uncached(status))
}

/// Log in with the user's ticket value (**extension**: nevisIDM has no such endpoint;
/// same answer, permissions and 4xx as `passwordLogin`). The value is compared with the
/// stored digest in constant time; the ticket's `successCount` or `failureCount` goes up.
#[utoipa::path(
    post, operation_id = "ticketLogin", path = "/{clientExtId}/users/{userExtId}/ticket/login", tag = "authentication-extensions",
    params(UserPath), request_body = TicketLogin, security(("bearer" = [])),
    responses(
        (status = 200, description = "The attempt was processed: 2 = Failed, 3 = Failed (lock warning), 4 = Failed (now locked), 5 = Login Ok, 9 = Failed (now temporarily locked)", body = LoginStatus),
        LoginErrors,
    )
)]
async fn ticket_login(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let status = ticket::login(state.ctx(&caller), client, user, body).await?;
    Ok(uncached(status))
}
