//! `/{clientExtId}/users/{userExtId}/mtans` (seed 000): create and list, and
//! `.../mtans/{extId}`: get, patch, delete, and POST to record a login result.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::kind::{Docs, HttpKind, Named, named};
use super::list::MtanList;
use super::openapi::WriteErrors;
use super::response;
use super::schema::{CredentialPath, LoginResult, MtanCreate, MtanPatch};
use super::{JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::view::MtanCredential;
use crate::error::ApiError;
use crate::service::mtan::{self, Mtan};

impl HttpKind for Mtan {
    const SEGMENT: &'static str = "mtans";
    const TAG: &'static str = "mtan";
    const OPERATION: &'static str = "Mtan";
    const LIST: Option<(&'static str, Named)> = Some(("listMtans", named::<MtanList>()));
    const DOCS: Docs = Docs {
        create: "Create an mTAN credential (`CredentialCreate`).",
        created: "Created",
        list: "The user's mTAN credentials, a page at a time (`CredentialView`, or the user in\nself-admin mode).",
        get: "One mTAN credential (`CredentialView`, or the user in self-admin mode).",
        got: "The mTAN credential",
        patch: "Change state, comment or mobile number (`CredentialModify` + `CredentialView`).",
        patched: "The mTAN after the change",
        delete: "Delete an mTAN credential (`CredentialDelete`, or the user with an `X-Token`).",
    };
    const CREATE_BODY: Named = named::<MtanCreate>();
    const PATCH_BODY: Named = named::<MtanPatch>();
    const VIEW: Named = named::<MtanCredential>();

    fn extra_routes() -> OpenApiRouter<AppState> {
        OpenApiRouter::new().routes(routes!(login_result))
    }
}

/// Record a login result (`api/update-login-info`; `CredentialModify` +
/// `CredentialView`): moves the counters, not the version; the `TANPolicy` thresholds
/// may lock the credential.
#[utoipa::path(
    post, operation_id = "recordMtanLogin", path = "/{clientExtId}/users/{userExtId}/mtans/{extId}", tag = "mtan",
    params(CredentialPath), request_body = LoginResult, security(("bearer" = [])),
    responses(
        (status = 200, description = "The mTAN after the login result", body = MtanCredential, headers(("ETag" = String, description = "The version, `\"<version>\"`: send it as `If-Match`"))),
        WriteErrors,
    )
)]
async fn login_result(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let outcome = mtan::record_login(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
        ids.ext("extId")?,
        body,
    )
    .await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}
