//! The OpenAPI 3.1 document: the parts no single route declares (info, security
//! schemes, the error responses), the error sets routes refer to, and the routes that
//! serve the document and the Swagger UI.
//!
//! Routes document themselves: each handler has a `#[utoipa::path]` and is registered
//! with `routes!(...)` on a `utoipa_axum::router::OpenApiRouter`, so a route cannot be
//! served without being documented. `openapi/idm-credentials.json` is the checked-in
//! copy; `tests/api/openapi.rs` fails when it differs (`UPDATE_OPENAPI=1 cargo test
//! openapi` rewrites it).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{Object, Ref, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, RefOr};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::app::AppState;
use crate::error::{ErrorBody, ErrorItem};

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/openapi.json";
/// Where the Swagger UI is served (`IDM_SWAGGER_UI`).
pub const SWAGGER_UI_PATH: &str = "/swagger-ui";

/// Security scheme names, as `security(...)` in the route attributes spell them.
pub const BEARER: &str = "bearer";
pub const X_TOKEN: &str = "xToken";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "idm-credentials",
        description = "The user-credential part of the nevisIDM Core REST API \
            (`/nevisidm/api/core/v1`): clients, users, policies, and password, ticket, \
            mTAN, OATH, mobile signature and generic credentials with their history.\n\n\
            Every error has the body `{\"errors\":[{\"code\",\"message\"}]}` (`ErrorBody`). \
            A method a path does not have answers 405 `errors.invalidData` \
            (`#/components/responses/MethodNotAllowed`); an unknown path 404 `errors.noRecord`.\n\n\
            Optimistic locking: every credential response carries `ETag: \"<version>\"`; \
            send it back as `If-Match` (412 when stale) or as body `version` (409 when stale)."
    ),
    tags((
        name = "authentication-extensions",
        description = "Extensions of this server, not part of nevisIDM: logins that check the \
            credentials nevisIDM leaves to other components (OATH codes, ticket values), with the \
            password login's answer, permissions and lock engine (docs/compatibility.md §4)."
    )),
    components(schemas(ErrorBody, ErrorItem)),
    modifiers(&Components)
)]
pub struct ApiDoc;

/// An error response every route may refer to: status, component name, description.
const ERRORS: &[(u16, &str, &str)] = &[
    (
        400,
        "BadRequest",
        "`errors.invalidData`: unparsable JSON, a malformed path or query parameter, or a malformed `If-Match`. \
         On a list: a `limit` that is not an integer from 0 to 1000, or a `continuationToken` not of the form `<epoch millis>_<extId>`.",
    ),
    (
        401,
        "Unauthenticated",
        "`errors.unauthenticated`: the Bearer token is missing, malformed, expired or badly signed; or a self-admin caller sent no valid `X-Token` where one is needed; \
         on the principal API's token request, a wrong or missing password or a `username` that is not the caller's loginId.",
    ),
    (
        403,
        "PermissionDenied",
        "`errors.permissionDenied`: the caller lacks a permission of this endpoint, or acts outside its client; \
         on a login, the credential's state or validity does not allow one.",
    ),
    (
        404,
        "NotFound",
        "`errors.noRecord`: the client, user, policy or credential does not exist.",
    ),
    (
        405,
        "MethodNotAllowed",
        "`errors.invalidData`: the path exists, but not with this method.",
    ),
    (
        409,
        "Conflict",
        "`errors.optimisticLockingFailure`: body `version` is not the stored version, or concurrent changes outlasted the retries. \
         `errors.passwordExists`, `errors.ticketExists`, `errors.mobileSignatureExists`, `errors.duplicateValue`: it exists already. \
         `errors.undeletedDependencies`: still in use.",
    ),
    (
        412,
        "PreconditionFailed",
        "`errors.optimisticLockingFailure`: `If-Match` is not the stored version.",
    ),
    (
        413,
        "PayloadTooLarge",
        "`errors.invalidData`: the body is larger than `IDM_BODY_LIMIT`.",
    ),
    (
        415,
        "UnsupportedMediaType",
        "`errors.invalidData`: the body is not `application/json` or `application/merge-patch+json` \
         (the principal API's token request also takes `application/x-www-form-urlencoded`).",
    ),
    (
        422,
        "Unprocessable",
        "Every problem of the body at once. `errors.invalidData`: unknown field, wrong type, bad enum value, `null` for a required field, \
         `validity.from` after `validity.to`, body `version` and `If-Match` disagree. `errors.modifyReadonlyData`: a read-only field changed, \
         or the credential is archived. `errors.pwdPolicyViolated`, `errors.mtanFormatE164Violated`, `errors.missingReferenceData`, \
         `errors.policyViolation`, `errors.invalidConfig`.",
    ),
    (
        423,
        "Locked",
        "`errors.credentialLocked`: a login on a `tmp-locked` or `fail-locked` credential; nothing is counted.",
    ),
    (
        500,
        "InternalError",
        "`errors.fatalError`: a bug; the cause goes to the log only.",
    ),
    (
        503,
        "Unavailable",
        "`errors.fatalError`: the database is unavailable or the request timed out; retry after `Retry-After` seconds.",
    ),
];

/// Adds the security schemes and the error responses to the document.
struct Components;

impl Modify for Components {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A JWT with `sub`, `exp`, and `roles` (nevisIDM role names) and/or \
                         `permissions` (`AccessControl.*`), plus `clientExtId` for every role but Root.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            X_TOKEN,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Token",
                "Self-admin only, where the endpoint asks for it: the `access_token` of \
                 POST /nevisidm/api/principal/v1/token (issued to the path's user in the \
                 path's client, unexpired). No other token is accepted here.",
            ))),
        );
        for (status, name, description) in ERRORS {
            let mut response = ResponseBuilder::new().description(*description).content(
                "application/json",
                Content::new(Some(Ref::from_schema_name(ErrorBody::name()))),
            );
            match status {
                401 => {
                    response = response.header(
                        "WWW-Authenticate",
                        HeaderBuilder::new().description(Some("`Bearer`")).build(),
                    );
                }
                503 => {
                    response = response.header(
                        "Retry-After",
                        HeaderBuilder::new()
                            .schema(Some(Object::with_type(Type::Integer)))
                            .description(Some("Seconds to wait before retrying."))
                            .build(),
                    );
                }
                _ => {}
            }
            components
                .responses
                .insert((*name).to_owned(), RefOr::T(response.build()));
        }
    }
}

/// References to the error responses of `statuses`.
fn error_refs(statuses: &[u16]) -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
    statuses
        .iter()
        .filter_map(|status| {
            let (_, name, _) = ERRORS.iter().find(|(s, ..)| s == status)?;
            Some((
                status.to_string(),
                RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))),
            ))
        })
        .collect()
}

/// Named sets of error statuses, for `responses(...)` of a route.
macro_rules! error_sets {
    ($($(#[$doc:meta])* $name:ident = [$($status:literal),*];)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
                error_refs(&[$($status),*])
            }
        }
    )*};
}

error_sets! {
    /// A read: GET of one thing or a list.
    ReadErrors = [400, 401, 403, 404, 500, 503];
    /// A write with a JSON body and no `If-Match` (create, login result, policy PATCH).
    WriteErrors = [400, 401, 403, 404, 409, 413, 415, 422, 500, 503];
    /// POST `/clients`: like [`WriteErrors`], but there is no parent to miss.
    CreateClientErrors = [400, 401, 403, 409, 413, 415, 422, 500, 503];
    /// A credential PATCH: a JSON body and `If-Match`.
    PatchErrors = [400, 401, 403, 404, 409, 412, 413, 415, 422, 500, 503];
    /// A credential DELETE with `If-Match`.
    DeleteErrors = [400, 401, 403, 404, 409, 412, 500, 503];
    /// A credential reset with `If-Match` (no body).
    ResetErrors = [400, 401, 403, 404, 409, 412, 422, 500, 503];
    /// A password change: a JSON body and `If-Match`; 423 when a wrong old password locks.
    ChangeErrors = [400, 401, 403, 404, 409, 412, 413, 415, 422, 423, 500, 503];
    /// DELETE of a client, user or policy (409 while still in use).
    DirectoryDeleteErrors = [400, 401, 403, 404, 409, 500, 503];
    /// A login (`/nevisidm/api/auth/v1`): a JSON body; 403/423 when the credential cannot log in.
    LoginErrors = [400, 401, 403, 404, 409, 413, 415, 422, 423, 500, 503];
    /// POST `/nevisidm/api/principal/v1/token`: 401 for a wrong password too; the
    /// password login's 403/404/423 when the credential cannot log in.
    TokenErrors = [400, 401, 403, 404, 409, 413, 415, 422, 423, 500, 503];
    /// GET of the principal API (`/me`, `/permissions`).
    PrincipalReadErrors = [401, 403, 404, 500, 503];
    /// The readiness probe.
    ReadyErrors = [500, 503];
}

/// The document as served, rendered once.
#[derive(Clone)]
pub struct Rendered(Arc<str>);

impl Rendered {
    pub fn new(doc: &Document) -> Self {
        Self(render(doc).into())
    }
}

/// The document as pretty JSON with a final newline: the checked-in file's format.
pub fn render(doc: &Document) -> String {
    let mut text = serde_json::to_string_pretty(doc)
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot render the document: {e}\"}}"));
    text.push('\n');
    text
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(document))
}

/// This document (OpenAPI 3.1).
#[utoipa::path(
    get, operation_id = "openApiDocument",
    path = "/openapi.json",
    tag = "ops",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
async fn document(Extension(doc): Extension<Rendered>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        doc.0.to_string(),
    )
        .into_response()
}

/// The Swagger UI at [`SWAGGER_UI_PATH`], served from the binary (no CDN), reading
/// [`DOCUMENT_PATH`].
pub fn swagger_ui() -> SwaggerUi {
    SwaggerUi::new(SWAGGER_UI_PATH).config(Config::from(DOCUMENT_PATH))
}
