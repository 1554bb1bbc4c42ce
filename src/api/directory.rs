//! Clients, users and policies: enough to set up data for the credential endpoints.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Map, Value};

use super::response::{created, segment};
use super::{BASE, JsonBody, PathIds};
use crate::app::AppState;
use crate::auth::Caller;
use crate::domain::directory::{Client, Policy, User};
use crate::domain::time;
use crate::error::ApiError;
use crate::service::directory as service;
use crate::service::policies;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/clients", post(create_client))
        .route(
            "/clients/{clientExtId}",
            get(get_client).delete(delete_client),
        )
        .route("/{clientExtId}/users", post(create_user))
        .route(
            "/{clientExtId}/users/{userExtId}",
            get(get_user).delete(delete_user),
        )
        .route(
            "/{clientExtId}/policies",
            post(create_policy).get(list_policies),
        )
        .route(
            "/{clientExtId}/policies/{policyExtId}",
            get(get_policy).patch(patch_policy).delete(delete_policy),
        )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserDto {
    ext_id: String,
    client_ext_id: String,
    login_id: String,
    user_state: &'static str,
    #[serde(flatten)]
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PolicyDto {
    ext_id: String,
    client_ext_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    policy_type: &'static str,
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
            policy_type: p.policy_type.as_str(),
            default_policy: p.default_policy,
            parameters: p.parameters.clone(),
            created: time::format(&p.created),
            last_modified: time::format(&p.last_modified),
            version: p.version,
        }
    }
}

#[derive(Serialize)]
struct Items<T> {
    items: Vec<T>,
}

async fn create_client(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let client = service::create_client(state.ctx(&caller), body).await?;
    let location = format!("{BASE}/clients/{}", segment(&client.ext_id));
    Ok(created(location, ClientDto::from(&client)))
}

async fn get_client(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let client = service::get_client(state.ctx(&caller), ids.ext("clientExtId")?).await?;
    Ok(Json(ClientDto::from(&client)).into_response())
}

async fn delete_client(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    service::delete_client(state.ctx(&caller), ids.ext("clientExtId")?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

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

async fn list_policies(
    State(state): State<AppState>,
    caller: Caller,
    ids: PathIds,
) -> Result<Response, ApiError> {
    let policies = policies::list_policies(state.ctx(&caller), ids.ext("clientExtId")?).await?;
    Ok(Json(Items {
        items: policies.iter().map(PolicyDto::from).collect(),
    })
    .into_response())
}

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
