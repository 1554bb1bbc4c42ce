//! `/{clientExtId}/users/{userExtId}/generic-credentials` (`api/create-generic-credential`):
//! create and list, `.../generic-credentials/{extId}`: get, patch, delete, and
//! `.../generic-credentials/{extId}/properties`: get and patch the custom properties.

use axum::extract::State;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use std::collections::BTreeMap;


use super::{Generic, GenericCredential, service as generic};
use crate::api::schema::{create_body, patch_body};
use crate::api::kind::{Docs, HttpKind, Named, named};
use crate::api::list::page_schema;
use crate::api::openapi::{PatchErrors, ReadErrors};
use crate::api::response::{self, Json};
use crate::api::schema::{CredentialPath, IfMatchHeader as IfMatchParam, ValidityPatch};
use crate::api::{IfMatchHeader, JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::state::CredentialState;
use crate::error::ApiError;
use crate::service::credential::{CredentialKind, Target};

impl HttpKind for Generic {
    const SEGMENT: &'static str = "generic-credentials";
    const TAG: &'static str = "generic-credential";
    const OPERATION: &'static str = "GenericCredential";
    const LIST: Option<(&'static str, Named)> =
        Some(("listGenericCredentials", named::<GenericList>()));
    const DOCS: Docs = Docs {
        create: "Create a generic credential: `identification` required, custom `properties`\n(`CredentialCreate` + `CredentialView` + `CredentialModify` and the property rights, or\nthe user with an `X-Token`, who must not send `validity`).",
        created: "Created",
        list: "The user's generic credentials, a page at a time (`CredentialView`, or the user in\nself-admin mode).",
        get: "One generic credential with its properties (`CredentialView`, or the user in\nself-admin mode).",
        got: "The generic credential",
        patch: "Change state, comment, policy, identification or validity (`CredentialModify` +\n`CredentialView`, or the user with an `X-Token`, who must not send `validity`).\nProperties change through `.../properties`.",
        patched: "The generic credential after the change",
        delete: "Delete a generic credential (`CredentialDelete`, or the user with an `X-Token`).",
    };
    const CREATE_BODY: Named = named::<GenericCreate>();
    const PATCH_BODY: Named = named::<GenericPatch>();
    const VIEW: Named = named::<GenericCredential>();

    fn extra_routes() -> OpenApiRouter<AppState> {
        OpenApiRouter::new().routes(routes!(properties, patch_properties))
    }
}

create_body! {
    /// POST `.../generic-credentials` (`api/create-generic-credential`).
    GenericCreate {
        /// A `GenericCredentialPolicy` of the client; the default policy when absent.
        policy_ext_id,
        /// Default `active`.
        state_name: CredentialState,
        /// The identification of the external credential; required, not empty.
        #[schema(min_length = 1, max_length = 1024)]
        identification: String,
        /// Custom properties, name -> value (at most 64; `null` or `""` sets none).
        #[schema(nullable = false)]
        properties: Option<BTreeMap<String, Option<String>>>,
        /// Default: from now for the policy's `credentialLifetime`. Not in self-admin mode.
        #[schema(nullable = false)]
        validity: Option<ValidityPatch>,
    }
}

patch_body! {
    /// PATCH `.../generic-credentials/{extId}`: JSON Merge Patch. `properties` change
    /// through `.../properties`; sent here, they must be as stored.
    GenericPatch {
        state_name: CredentialState,
        /// `null`: back to the client's default `GenericCredentialPolicy`.
        policy_ext_id: Option<String>,
        #[schema(nullable = false, min_length = 1, max_length = 1024)]
        identification: Option<String>,
        /// Not in self-admin mode.
        #[schema(nullable = false)]
        validity: Option<ValidityPatch>,
    }
}

page_schema!(
    GenericList,
    GenericCredential,
    "One page of a user's generic credentials."
);

fn target(ids: &PathIds) -> Result<Target, ApiError> {
    Ok(Generic::target(
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
        Some(ids.ext("extId")?),
    ))
}

/// The generic credential's custom properties, name -> value
/// (`api/get-generic-credential-properties`: `CredentialView`, `PropertyView`,
/// `PropertyValueView`, `PropertyAllowedValueView`, or the user in self-admin mode).
#[utoipa::path(
    get, operation_id = "getGenericCredentialProperties",
    path = "/{clientExtId}/users/{userExtId}/generic-credentials/{extId}/properties", tag = "generic-credential",
    params(CredentialPath), security(("bearer" = [])),
    responses(
        (status = 200, description = "The properties", body = BTreeMap<String, String>),
        ReadErrors,
    )
)]
async fn properties(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let properties = generic::properties(state.ctx(&caller), target(&ids)?).await?;
    Ok(axum::response::IntoResponse::into_response(Json(
        properties,
    )))
}

/// Set properties: the ones given are set, `null` or `""` removes one, the others stay;
/// a new version and a history row like any PATCH (`api/patch-generic-credential-properties`:
/// `CredentialView`, `CredentialModify` and the property rights, or the user with an
/// `X-Token`).
#[utoipa::path(
    patch, operation_id = "patchGenericCredentialProperties",
    path = "/{clientExtId}/users/{userExtId}/generic-credentials/{extId}/properties", tag = "generic-credential",
    params(CredentialPath, IfMatchParam),
    request_body(content = BTreeMap<String, Option<String>>, content_type = "application/json",
                 description = "Property name -> new value; `null` or `\"\"` removes the property"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "All properties after the change", body = BTreeMap<String, String>,
         headers(("ETag" = String, description = "The credential's new version, `\"<version>\"`"))),
        PatchErrors,
    )
)]
async fn patch_properties(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    IfMatchHeader(if_match): IfMatchHeader,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (outcome, properties) =
        generic::patch_properties(state.ctx(&caller), target(&ids)?, body, if_match).await?;
    Ok(response::part_with_etag(&outcome, properties))
}
