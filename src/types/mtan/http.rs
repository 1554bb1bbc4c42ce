//! `/{clientExtId}/users/{userExtId}/mtans` (seed 000): create and list, and
//! `.../mtans/{extId}`: get, patch, delete, and POST to record a login result.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{Mtan, MtanCredential};
use crate::api::schema::{create_body, patch_body};
use crate::api::kind::{Docs, HttpKind, Named, named};
use crate::api::list::page_schema;
use crate::api::openapi::WriteErrors;
use crate::api::response;
use crate::api::schema::CredentialPath;
use crate::api::{JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::types::mtan;

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

create_body! {
    /// POST `.../mtans` (seed 000).
    MtanCreate {
        /// A `TANPolicy` of the client; the default policy when absent.
        policy_ext_id,
        /// Default `active`.
        state_name: MtanState,
        /// International form, e.g. `+41 79 123 45 67` (422 `errors.mtanFormatE164Violated`
        /// otherwise).
        #[schema(example = "+41 79 123 45 67", pattern = r"^\+")]
        mobile_number: String,
    }
}

patch_body! {
    /// PATCH `.../mtans/{extId}` (seed 000): JSON Merge Patch; `stateName` may not be
    /// `archived`.
    MtanPatch {
        state_name: MtanState,
        /// A string; the `{raw, e164}` object a GET returned is accepted back unchanged.
        #[schema(value_type = Option<String>, nullable = false, pattern = r"^\+")]
        mobile_number: Option<Value>,
    }
}

/// The states an mTAN may be given: all but `archived` (seed 000).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // the document's shape of the body; service.rs reads it
#[serde(rename_all = "kebab-case")]
pub enum MtanState {
    Initial,
    Active,
    TmpLocked,
    FailLocked,
    ResetCode,
    AdminChanged,
    Disabled,
}

/// POST `.../mtans/{extId}`: the result of a login with this mTAN.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // the document's shape of the body; service.rs reads it
#[serde(deny_unknown_fields)]
pub struct LoginResult {
    /// `true` counts a success, `false` a failure (which may lock the credential).
    success: bool,
}


page_schema!(
    MtanList,
    MtanCredential,
    "One page of a user's mTAN credentials."
);

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
