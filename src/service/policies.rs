//! Policies: create, read, PATCH (parameters replaced whole), delete.

use serde_json::Value;

use super::Ctx;
use super::directory::{duplicate, load_client};
use crate::auth::{Permission as P, Rule};
use crate::domain::directory::Policy;
use crate::domain::patch::{Change, MAX_TEXT_LEN, PatchDocument};
use crate::domain::policy::{Parameters, PolicyType, parameters_from_json};
use crate::domain::{ExtId, time};
use crate::error::{ApiError, codes};
use crate::store::StoreError;

const POLICY_CREATE: Rule = Rule::admin(&[P::PolicyCreate]);
const POLICY_VIEW: Rule = Rule::admin(&[P::PolicyView]);
const POLICY_MODIFY: Rule = Rule::admin(&[P::PolicyView, P::PolicyModify]);
const POLICY_DELETE: Rule = Rule::admin(&[P::PolicyDelete]);

/// The parameters must make sense for the type (a `PwdPolicy` must be satisfiable): the
/// credential type's own check (`CredentialKind::check_policy`).
pub fn check_parameters(policy_type: PolicyType, parameters: &Parameters) -> Result<(), ApiError> {
    super::check_policy(policy_type.credential_type(), parameters)
        .map_err(|m| ApiError::unprocessable(codes::INVALID_CONFIG, m))
}

fn read_parameters(doc: &mut PatchDocument) -> Option<Parameters> {
    let raw = doc.raw("parameters")?;
    match parameters_from_json(&raw) {
        Ok(parameters) => Some(parameters),
        Err(problem) => {
            doc.problem("parameters", &problem);
            None
        }
    }
}

/// POST .../policies `{extId?, name, policyType, defaultPolicy?, description?, parameters?}`.
pub async fn create_policy(ctx: Ctx<'_>, client: ExtId, body: Value) -> Result<Policy, ApiError> {
    ctx.caller.authorize(client.as_str(), None, POLICY_CREATE)?;
    let mut doc = PatchDocument::new(body)?;
    let ext_id = doc.ext_id("extId", false).set();
    let name = doc.text("name", 255);
    let policy_type = doc.text("policyType", 64);
    let parsed_type = policy_type.as_deref().and_then(PolicyType::parse);
    if parsed_type.is_none() {
        let names: Vec<_> = PolicyType::ALL.iter().map(|t| t.as_str()).collect();
        doc.problem(
            "policyType",
            &format!("is required, one of [{}]", names.join(", ")),
        );
    }
    let default_policy = doc.boolean("defaultPolicy").unwrap_or(false);
    let description = doc.clearable_text("description", MAX_TEXT_LEN).set();
    let parameters = read_parameters(&mut doc).unwrap_or_default();
    doc.finish(&[])?;
    let policy_type =
        parsed_type.ok_or_else(|| ApiError::invalid("Field 'policyType' is required"))?;
    check_parameters(policy_type, &parameters)?;
    let owner = load_client(ctx, &client).await?;
    let ext_id = ext_id.unwrap_or_else(ExtId::generate).into_string();
    let now = time::now();
    let policy = Policy {
        id: uuid::Uuid::new_v4().to_string(),
        client_id: owner.id,
        client_ext_id: owner.ext_id,
        name: name.unwrap_or_else(|| ext_id.clone()),
        ext_id,
        description,
        policy_type,
        default_policy,
        parameters,
        version: 1,
        created: now,
        last_modified: now,
    };
    ctx.store
        .insert_policy(&policy)
        .await
        .map_err(duplicate("A policy with this extId"))?;
    Ok(policy)
}

async fn load_policy(ctx: Ctx<'_>, client: &ExtId, policy: &ExtId) -> Result<Policy, ApiError> {
    ctx.store
        .find_policy(client.as_str(), policy.as_str())
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "Policy with extId {policy} does not exist in client {client}"
            ))
        })
}

pub async fn get_policy(ctx: Ctx<'_>, client: ExtId, policy: ExtId) -> Result<Policy, ApiError> {
    ctx.caller.authorize(client.as_str(), None, POLICY_VIEW)?;
    load_policy(ctx, &client, &policy).await
}

pub async fn list_policies(ctx: Ctx<'_>, client: ExtId) -> Result<Vec<Policy>, ApiError> {
    ctx.caller.authorize(client.as_str(), None, POLICY_VIEW)?;
    // An empty list would claim the client exists.
    load_client(ctx, &client).await?;
    Ok(ctx.store.list_policies(client.as_str()).await?)
}

/// The read-only fields of a policy as its response shows them, so a client may send
/// back what it read but cannot change them.
fn read_only_fields(policy: &Policy) -> serde_json::Map<String, Value> {
    serde_json::Map::from_iter([
        ("extId".into(), Value::from(policy.ext_id.as_str())),
        (
            "clientExtId".into(),
            Value::from(policy.client_ext_id.as_str()),
        ),
        (
            "policyType".into(),
            Value::from(policy.policy_type.as_str()),
        ),
        ("created".into(), Value::from(time::format(&policy.created))),
        (
            "lastModified".into(),
            Value::from(time::format(&policy.last_modified)),
        ),
    ])
}

/// PATCH a policy: `name`, `description`, `defaultPolicy`, `parameters` (replaced whole),
/// with `version` for optimistic locking.
pub async fn patch_policy(
    ctx: Ctx<'_>,
    client: ExtId,
    policy: ExtId,
    body: Value,
) -> Result<Policy, ApiError> {
    ctx.caller.authorize(client.as_str(), None, POLICY_MODIFY)?;
    let mut doc = PatchDocument::new(body)?;
    let name = doc.text("name", 255);
    let description = doc.clearable_text("description", MAX_TEXT_LEN);
    let default_policy = doc.boolean("defaultPolicy");
    let parameters = read_parameters(&mut doc);
    let version = doc.version();
    let echo = doc.finish(&[
        "extId",
        "clientExtId",
        "policyType",
        "created",
        "lastModified",
    ])?;
    let current = load_policy(ctx, &client, &policy).await?;
    echo.check(&read_only_fields(&current))?;
    if let Some(version) = version.filter(|v| *v != current.version) {
        return Err(ApiError::VersionConflict(format!(
            "Version {version} is outdated: the policy is at version {}",
            current.version
        )));
    }
    let mut next = current.clone();
    if let Some(name) = name {
        next.name = name;
    }
    match description {
        Change::Keep => {}
        Change::Clear => next.description = None,
        Change::Set(text) => next.description = Some(text),
    }
    if let Some(flag) = default_policy {
        next.default_policy = flag;
    }
    if let Some(parameters) = parameters {
        check_parameters(next.policy_type, &parameters)?;
        next.parameters = parameters;
    }
    if next == current {
        return Ok(current);
    }
    next.version = current.version + 1;
    next.last_modified = time::now();
    if ctx.store.update_policy(&next, current.version).await? {
        Ok(next)
    } else {
        Err(ApiError::VersionConflict(
            "The policy was modified concurrently; retry".into(),
        ))
    }
}

pub async fn delete_policy(ctx: Ctx<'_>, client: ExtId, policy: ExtId) -> Result<(), ApiError> {
    ctx.caller.authorize(client.as_str(), None, POLICY_DELETE)?;
    let found = load_policy(ctx, &client, &policy).await?;
    match ctx.store.delete_policy(&found.id).await {
        Ok(_) => Ok(()),
        Err(StoreError::ForeignKeyViolation(_)) => Err(ApiError::Conflict(
            codes::UNDELETED_DEPENDENCIES,
            format!("Policy {policy} is still used by credentials"),
        )),
        Err(other) => Err(other.into()),
    }
}
