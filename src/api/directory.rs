//! Clients, users and policies: enough to set up data for the credential endpoints.

use crate::api::response::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::{CreateClientErrors, DirectoryDeleteErrors, ReadErrors, WriteErrors};
use super::response::{created, segment};
use super::schema::{
    ClientCreate, ClientPath, PolicyCreate, PolicyPatch, PolicyPath, UserCreate, UserPath,
    UserProfile, UserState,
};
use super::{BASE, JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::directory::{Client, Policy, User};
use crate::domain::policy::PolicyType;
use crate::domain::time;
use crate::error::ApiError;
use crate::service::directory as service;
use crate::service::policies;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_client))
        .routes(routes!(get_client, delete_client))
        .routes(routes!(create_user))
        .routes(routes!(get_user, delete_user))
        .routes(routes!(create_policy, list_policies))
        .routes(routes!(get_policy, patch_policy, delete_policy))
}

/// A client (tenant).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Client)]
struct ClientDto {
    ext_id: String,
    name: String,
    created: String,
    last_modified: String,
    version: i32,
}

impl From<&Client> for ClientDto {
    fn from(c: &Client) -> Self {
        Self {
            ext_id: c.ext_id.clone(),
            name: c.name.clone(),
            created: time::format(&c.created),
            last_modified: time::format(&c.last_modified),
            version: c.version,
        }
    }
}

/// A user.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = User)]
struct UserDto {
    ext_id: String,
    client_ext_id: String,
    login_id: String,
    #[schema(value_type = UserState)]
    user_state: &'static str,
    #[serde(flatten)]
    #[schema(value_type = UserProfile)]
    profile: Map<String, Value>,
    created: String,
    last_modified: String,
    version: i32,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        Self {
            ext_id: u.ext_id.clone(),
            client_ext_id: u.client_ext_id.clone(),
            login_id: u.login_id.clone(),
            user_state: u.state.as_str(),
            profile: u.profile.clone(),
            created: time::format(&u.created),
            last_modified: time::format(&u.last_modified),
            version: u.version,
        }
    }
}

/// A policy: the parameters of the credentials that use it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Policy)]
struct PolicyDto {
    ext_id: String,
    client_ext_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    policy_type: PolicyType,
    default_policy: bool,
    parameters: crate::domain::policy::Parameters,
    created: String,
    last_modified: String,
    version: i32,
}

impl From<&Policy> for PolicyDto {
    fn from(p: &Policy) -> Self {
        Self {
            ext_id: p.ext_id.clone(),
            client_ext_id: p.client_ext_id.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            policy_type: p.policy_type,
            default_policy: p.default_policy,
            parameters: p.parameters.clone(),
            created: time::format(&p.created),
            last_modified: time::format(&p.last_modified),
            version: p.version,
        }
    }
}

/// The policies of a client.
#[derive(Serialize, ToSchema)]
struct PolicyList {
    items: Vec<PolicyDto>,
}

/// Create a client with one default policy per credential type (`ClientCreate`, not bound to a client).
#[utoipa::path(
    post, operation_id = "createClient", path = "/clients", tag = "directory",
    request_body = ClientCreate, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = ClientDto, headers(("Location" = String, description = "The URL of the new resource"))), CreateClientErrors)
)]
async fn create_client(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let client = service::create_client(state.ctx(&caller), body).await?;
    let location = format!("{BASE}/clients/{}", segment(&client.ext_id));
    Ok(created(location, ClientDto::from(&client)))
}

/// A client (`ClientView`).
#[utoipa::path(
    get, operation_id = "getClient", path = "/clients/{clientExtId}", tag = "directory",
    params(ClientPath), security(("bearer" = [])),
    responses((status = 200, description = "The client", body = ClientDto), ReadErrors)
)]
async fn get_client(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let client = service::get_client(state.ctx(&caller), ids.ext("clientExtId")?).await?;
    Ok(Json(ClientDto::from(&client)).into_response())
}

/// Delete a client with everything in it (`ClientDelete`, not bound to a client).
#[utoipa::path(
    delete, operation_id = "deleteClient", path = "/clients/{clientExtId}", tag = "directory",
    params(ClientPath), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), DirectoryDeleteErrors)
)]
async fn delete_client(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    service::delete_client(state.ctx(&caller), ids.ext("clientExtId")?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Create a user (`UserCreate`).
#[utoipa::path(
    post, operation_id = "createUser", path = "/{clientExtId}/users", tag = "directory",
    params(ClientPath), request_body = UserCreate, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = UserDto, headers(("Location" = String, description = "The URL of the new resource"))), WriteErrors)
)]
async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let user = service::create_user(state.ctx(&caller), ids.ext("clientExtId")?, body).await?;
    let location = format!(
        "{BASE}/{}/users/{}",
        segment(&user.client_ext_id),
        segment(&user.ext_id)
    );
    Ok(created(location, UserDto::from(&user)))
}

/// A user (`UserView`, or the user in self-admin mode).
#[utoipa::path(
    get, operation_id = "getUser", path = "/{clientExtId}/users/{userExtId}", tag = "directory",
    params(UserPath), security(("bearer" = [])),
    responses((status = 200, description = "The user", body = UserDto), ReadErrors)
)]
async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let user = service::get_user(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
    )
    .await?;
    Ok(Json(UserDto::from(&user)).into_response())
}

/// Delete a user with their credentials (`UserDelete`).
#[utoipa::path(
    delete, operation_id = "deleteUser", path = "/{clientExtId}/users/{userExtId}", tag = "directory",
    params(UserPath), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), DirectoryDeleteErrors)
)]
async fn delete_user(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    service::delete_user(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("userExtId")?,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Create a policy (`PolicyCreate`).
#[utoipa::path(
    post, operation_id = "createPolicy", path = "/{clientExtId}/policies", tag = "directory",
    params(ClientPath), request_body = PolicyCreate, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = PolicyDto, headers(("Location" = String, description = "The URL of the new resource"))), WriteErrors)
)]
async fn create_policy(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let policy = policies::create_policy(state.ctx(&caller), ids.ext("clientExtId")?, body).await?;
    let location = format!(
        "{BASE}/{}/policies/{}",
        segment(&policy.client_ext_id),
        segment(&policy.ext_id)
    );
    Ok(created(location, PolicyDto::from(&policy)))
}

/// The client's policies (`PolicyView`).
#[utoipa::path(
    get, operation_id = "listPolicies", path = "/{clientExtId}/policies", tag = "directory",
    params(ClientPath), security(("bearer" = [])),
    responses((status = 200, description = "The policies", body = PolicyList), ReadErrors)
)]
async fn list_policies(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let policies = policies::list_policies(state.ctx(&caller), ids.ext("clientExtId")?).await?;
    Ok(Json(PolicyList {
        items: policies.iter().map(PolicyDto::from).collect(),
    })
    .into_response())
}

/// A policy (`PolicyView`).
#[utoipa::path(
    get, operation_id = "getPolicy", path = "/{clientExtId}/policies/{policyExtId}", tag = "directory",
    params(PolicyPath), security(("bearer" = [])),
    responses((status = 200, description = "The policy", body = PolicyDto), ReadErrors)
)]
async fn get_policy(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let policy = policies::get_policy(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("policyExtId")?,
    )
    .await?;
    Ok(Json(PolicyDto::from(&policy)).into_response())
}

/// Change a policy (`PolicyView` + `PolicyModify`).
#[utoipa::path(
    patch, operation_id = "patchPolicy", path = "/{clientExtId}/policies/{policyExtId}", tag = "directory",
    params(PolicyPath), security(("bearer" = [])),
    request_body(content(
        (PolicyPatch = "application/json"),
        (PolicyPatch = "application/merge-patch+json"),
    )),
    responses((status = 200, description = "The policy after the change", body = PolicyDto), WriteErrors)
)]
async fn patch_policy(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (client, policy) = (ids.ext("clientExtId")?, ids.ext("policyExtId")?);
    let policy = policies::patch_policy(state.ctx(&caller), client, policy, body).await?;
    Ok(Json(PolicyDto::from(&policy)).into_response())
}

/// Delete a policy that no credential uses (`PolicyDelete`; 409 while in use).
#[utoipa::path(
    delete, operation_id = "deletePolicy", path = "/{clientExtId}/policies/{policyExtId}", tag = "directory",
    params(PolicyPath), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), DirectoryDeleteErrors)
)]
async fn delete_policy(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    policies::delete_policy(
        state.ctx(&caller),
        ids.ext("clientExtId")?,
        ids.ext("policyExtId")?,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
