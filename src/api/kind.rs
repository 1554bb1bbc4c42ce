//! The create / get / list / PATCH / delete routes of every credential type, written
//! once: a type says where it lives and how the document describes it
//! ([`HttpKind`]); [`routes`] serves its handlers and documents each operation from the
//! same description, so a route cannot be served undocumented.
//!
//! `#[utoipa::path]` needs literal paths, so these operations are built with utoipa's
//! builders; a type's extra endpoints (reset, change, login results) keep the macro.

use std::borrow::Cow;
use std::future::Future;

use serde_json::Value;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, Parameter, Paths};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Header, Ref, RefOr, ResponseBuilder};
use utoipa::{IntoParams, IntoResponses, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use super::list::{self, ListParams};
use super::openapi::{DeleteErrors, LoginErrors, PatchErrors, ReadErrors, WriteErrors};
use super::response::{self, segment, user_location};
use super::schema::{CredentialPath, IfMatchHeader as IfMatchParam, ListQuery, UserPath};
use super::{IfMatchHeader, JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::{Caller, SelfAdmin};
use crate::domain::lockout::LoginStatus;
use crate::error::ApiError;
use crate::service::Ctx;
use crate::service::credential::{CredentialKind, Outcome, Target, kind};

/// A schema the document names: its component name and how to collect it.
#[derive(Clone, Copy)]
pub struct Named {
    name: fn() -> Cow<'static, str>,
    collect: fn(&mut Vec<(String, RefOr<Schema>)>),
}

/// The component `T` (and the ones it refers to).
pub const fn named<T: ToSchema>() -> Named {
    Named {
        name: T::name,
        collect: collect::<T>,
    }
}

fn collect<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

impl Named {
    fn reference(self) -> RefOr<Schema> {
        RefOr::Ref(Ref::from_schema_name((self.name)()))
    }
}

/// How the document describes a type's operations: each operation's summary (what its
/// doc comment would say) and its success response's description.
pub struct Docs {
    pub create: &'static str,
    pub created: &'static str,
    pub get: &'static str,
    pub got: &'static str,
    pub patch: &'static str,
    pub patched: &'static str,
    pub delete: &'static str,
    /// Types a user may have several of: the list's summary.
    pub list: &'static str,
}

/// Everything the HTTP layer needs of a credential type beyond [`CredentialKind`].
pub trait HttpKind: CredentialKind {
    /// The path below `/{clientExtId}/users/{userExtId}/`.
    const SEGMENT: &'static str;
    const TAG: &'static str;
    /// The operation ids are `create{OPERATION}`, `get{OPERATION}`, ...
    const OPERATION: &'static str;
    /// Types a user may have several of: the list's operation id and page schema.
    const LIST: Option<(&'static str, Named)> = None;
    const DOCS: Docs;
    const CREATE_BODY: Named;
    const PATCH_BODY: Named;
    /// The credential as GET and PATCH answer it.
    const VIEW: Named;
    /// The credential as create answers it.
    const CREATED: Named = Self::VIEW;

    /// The create response: the credential, its `ETag` and `Location`.
    fn created(outcome: Outcome, location: String) -> Response {
        response::credential(StatusCode::CREATED, outcome, Some(location))
    }

    /// The type's endpoints beyond the five shared ones.
    fn extra_routes() -> OpenApiRouter<AppState> {
        OpenApiRouter::new()
    }

    /// The type's login verb, below the Authentication API's base (`api::AUTH_BASE`):
    /// [`login_routes`] for a [`LoginKind`].
    fn login_routes() -> OpenApiRouter<AppState> {
        OpenApiRouter::new()
    }
}

/// How the document describes a type's login verb.
pub struct LoginDocs {
    pub operation_id: &'static str,
    /// `authentication` for nevisIDM's own verbs, `authentication-extensions` for this
    /// server's.
    pub tag: &'static str,
    pub summary: &'static str,
    pub body: Named,
}

/// A type with a login verb: `POST {the credential's path}/login` in the Authentication
/// API, answered with the lock engine's `{statusCode, description}`.
pub trait LoginKind: HttpKind {
    const LOGIN: LoginDocs;

    /// Checks the secret in `body` against the credential `target` names and records the
    /// attempt.
    fn login(
        ctx: Ctx<'_>,
        target: Target,
        body: Value,
    ) -> impl Future<Output = Result<LoginStatus, ApiError>> + Send;
}

async fn login_one<K: LoginKind>(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let status = K::login(state.ctx(&caller), target::<K>(&ids)?, body).await?;
    Ok(response::login_status(status))
}

/// The login verb of `K`, documented.
pub fn login_routes<K: LoginKind>() -> OpenApiRouter<AppState> {
    let mut path = format!("/{{clientExtId}}/users/{{userExtId}}/{}", K::SEGMENT);
    let params = if several::<K>() {
        path.push_str("/{extId}");
        CredentialPath::into_params(|| None)
    } else {
        UserPath::into_params(|| None)
    };
    path.push_str("/login");
    let docs = &K::LOGIN;
    let operation = OperationBuilder::new()
        .tag(docs.tag)
        .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
        .summary(Some(docs.summary))
        .operation_id(Some(docs.operation_id))
        .parameters(Some(params))
        .request_body(Some(body(docs.body, false)))
        .responses(responses::<LoginErrors>(
            "200",
            "The attempt was processed: 2 = Failed, 3 = Failed (lock warning), 4 = Failed \
             (now locked), 5 = Login Ok, 9 = Failed (now temporarily locked)",
            Some(named::<LoginStatus>()),
            &[],
        ));
    let mut schemas = Vec::new();
    for named in [docs.body, named::<LoginStatus>()] {
        (named.collect)(&mut schemas);
    }
    let mut paths = Paths::new();
    paths.add_path_operation(&path, vec![HttpMethod::Post], operation.build());
    OpenApiRouter::new().routes((schemas, paths, post(login_one::<K>)))
}

/// [`every_type`] and [`every_login`]: each type's routes.
macro_rules! routes_of_each {
    ($($variant:ident = $module:ident: $wire:tt, $policy:ident = $policy_wire:tt;)*) => {
        /// The routes of every credential type, below the Core API's base.
        pub fn every_type() -> OpenApiRouter<AppState> {
            OpenApiRouter::new()$(.merge(routes::<crate::types::$module::$variant>()))*
        }

        /// The login verbs of every credential type, below the Authentication API's base.
        pub fn every_login() -> OpenApiRouter<AppState> {
            OpenApiRouter::new()
                $(.merge(<crate::types::$module::$variant as HttpKind>::login_routes()))*
        }
    };
}
crate::types::for_each_type!(routes_of_each);

fn several<K: HttpKind>() -> bool {
    !K::TYPE.one_per_user()
}

/// The credential a path names.
fn target<K: HttpKind>(ids: &PathIds) -> Result<Target, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let ext_id = if several::<K>() {
        Some(ids.ext("extId")?)
    } else {
        None
    };
    Ok(K::target(client, user, ext_id))
}

async fn create_one<K: HttpKind>(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let outcome = kind::create::<K>(state.ctx(&caller), client.clone(), user.clone(), body).await?;
    let rest = if several::<K>() {
        Cow::Owned(format!(
            "{}/{}",
            K::SEGMENT,
            segment(&outcome.credential.ext_id)
        ))
    } else {
        Cow::Borrowed(K::SEGMENT)
    };
    let location = user_location(client.as_str(), user.as_str(), &rest);
    Ok(K::created(outcome, location))
}

async fn list_page<K: HttpKind>(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    ListParams(query): ListParams,
) -> Result<Response, ApiError> {
    let (client, user) = (ids.ext("clientExtId")?, ids.ext("userExtId")?);
    let listing = kind::list::<K>(state.ctx(&caller), client, user, query).await?;
    Ok(list::page(listing))
}

async fn get_one<K: HttpKind>(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let outcome = kind::get::<K>(state.ctx(&caller), target::<K>(&ids)?).await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}

async fn patch_one<K: HttpKind>(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    IfMatchHeader(if_match): IfMatchHeader,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let target = target::<K>(&ids)?;
    let outcome = kind::patch::<K>(state.ctx(&caller), target, body, if_match).await?;
    Ok(response::credential(StatusCode::OK, outcome, None))
}

async fn delete_one<K: HttpKind>(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    IfMatchHeader(if_match): IfMatchHeader,
) -> Result<Response, ApiError> {
    kind::delete::<K>(state.ctx(&caller), target::<K>(&ids)?, if_match).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The routes of type `K`: create, get, PATCH, delete (and list when a user may have
/// several), documented, and the type's extra routes.
pub fn routes<K: HttpKind>() -> OpenApiRouter<AppState> {
    let user_path = format!("/{{clientExtId}}/users/{{userExtId}}/{}", K::SEGMENT);
    let one_path = if several::<K>() {
        format!("{user_path}/{{extId}}")
    } else {
        user_path.clone()
    };
    let one_params = || {
        if several::<K>() {
            CredentialPath::into_params(|| None)
        } else {
            UserPath::into_params(|| None)
        }
    };
    let mut schemas = Vec::new();
    for named in [K::CREATE_BODY, K::PATCH_BODY, K::VIEW, K::CREATED] {
        (named.collect)(&mut schemas);
    }
    let docs = &K::DOCS;
    let operation = |id: &str| Some(format!("{id}{}", K::OPERATION));

    let create = document::<K>(K::RULES.create.self_admin)
        .summary(Some(docs.create))
        .operation_id(operation("create"))
        .parameters(Some(UserPath::into_params(|| None)))
        .request_body(Some(body(K::CREATE_BODY, false)))
        .responses(responses::<WriteErrors>(
            "201",
            docs.created,
            Some(K::CREATED),
            &[ETAG, LOCATION],
        ));
    let read = document::<K>(K::RULES.view.self_admin)
        .summary(Some(docs.get))
        .operation_id(operation("get"))
        .parameters(Some(one_params()))
        .responses(responses::<ReadErrors>(
            "200",
            docs.got,
            Some(K::VIEW),
            &[ETAG],
        ));
    let change = document::<K>(K::RULES.modify.self_admin)
        .summary(Some(docs.patch))
        .operation_id(operation("patch"))
        .parameters(Some(with_if_match(one_params())))
        .request_body(Some(body(K::PATCH_BODY, true)))
        .responses(responses::<PatchErrors>(
            "200",
            docs.patched,
            Some(K::VIEW),
            &[ETAG],
        ));
    let remove = document::<K>(K::RULES.delete.self_admin)
        .summary(Some(docs.delete))
        .operation_id(operation("delete"))
        .parameters(Some(with_if_match(one_params())))
        .responses(responses::<DeleteErrors>("204", "Deleted", None, &[]));

    let mut user_paths = Paths::new();
    let mut user_routes: MethodRouter<AppState> = post(create_one::<K>);
    user_paths.add_path_operation(&user_path, vec![HttpMethod::Post], create.build());
    if let Some((list_id, page)) = K::LIST {
        (page.collect)(&mut schemas);
        let mut params = UserPath::into_params(|| None);
        params.extend(ListQuery::into_params(|| None));
        let listing = document::<K>(K::RULES.view.self_admin)
            .summary(Some(docs.list))
            .operation_id(Some(list_id))
            .parameters(Some(params))
            .responses(responses::<ReadErrors>("200", "One page", Some(page), &[]));
        user_paths.add_path_operation(&user_path, vec![HttpMethod::Get], listing.build());
        user_routes = user_routes.get(list_page::<K>);
    }
    let mut one_paths = Paths::new();
    one_paths.add_path_operation(&one_path, vec![HttpMethod::Get], read.build());
    one_paths.add_path_operation(&one_path, vec![HttpMethod::Patch], change.build());
    one_paths.add_path_operation(&one_path, vec![HttpMethod::Delete], remove.build());
    let one_routes = get(get_one::<K>)
        .patch(patch_one::<K>)
        .delete(delete_one::<K>);

    // Each `routes` call serves its method router on every path its `Paths` names.
    let router = if several::<K>() {
        OpenApiRouter::new()
            .routes((schemas, user_paths, user_routes))
            .routes((Vec::new(), one_paths, one_routes))
    } else {
        for (path, item) in one_paths.paths {
            if let Some(existing) = user_paths.paths.get_mut(&path) {
                existing.merge_operations(item);
            }
        }
        OpenApiRouter::new().routes((schemas, user_paths, user_routes.merge(one_routes)))
    };
    router.merge(K::extra_routes())
}

/// An operation of `K`'s tag, with the security its rule asks for: a Bearer token, and
/// where self-admin needs one, a Bearer token with an `X-Token`.
fn document<K: HttpKind>(self_admin: SelfAdmin) -> OperationBuilder {
    let bearer = SecurityRequirement::new("bearer", Vec::<String>::new());
    let mut builder = OperationBuilder::new().tag(K::TAG).security(bearer.clone());
    if self_admin == SelfAdmin::WithXToken {
        builder = builder.security(bearer.add("xToken", Vec::<String>::new()));
    }
    builder
}

fn with_if_match(mut params: Vec<Parameter>) -> Vec<Parameter> {
    params.extend(IfMatchParam::into_params(|| None));
    params
}

/// A JSON body (also as `application/merge-patch+json` for a PATCH).
fn body(schema: Named, merge_patch: bool) -> utoipa::openapi::request_body::RequestBody {
    let content = || {
        ContentBuilder::new()
            .schema(Some(schema.reference()))
            .build()
    };
    let mut builder = RequestBodyBuilder::new().content("application/json", content());
    if merge_patch {
        builder = builder.content("application/merge-patch+json", content());
    }
    builder.build()
}

const ETAG: (&str, &str) = (
    "ETag",
    "The version, `\"<version>\"`: send it as `If-Match`",
);
const LOCATION: (&str, &str) = ("Location", "The URL of the new resource");

/// The success response (its body `schema`, its `headers`) and the error set `E`.
fn responses<E: IntoResponses>(
    status: &str,
    description: &str,
    schema: Option<Named>,
    headers: &[(&str, &str)],
) -> utoipa::openapi::Responses {
    let mut success = ResponseBuilder::new().description(description);
    for (name, description) in headers {
        let mut header = Header::new(String::schema());
        header.description = Some((*description).to_owned());
        success = success.header(*name, header);
    }
    if let Some(schema) = schema {
        success = success.content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(schema.reference()))
                .build(),
        );
    }
    let mut all = utoipa::openapi::ResponsesBuilder::new().response(status, success.build());
    for (status, response) in E::responses() {
        all = all.response(status, response);
    }
    all.build()
}
