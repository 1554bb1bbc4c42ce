//! Clients, users and policies: enough of nevisIDM's directory to hold credentials
//! (decisions.md, "Resources other than credentials").

use serde_json::{Map, Value};

use super::Ctx;
use super::credential::load_user;
use crate::auth::{Access, Permission as P, Rule, SelfAdmin};
use crate::domain::credential::Credential;
use crate::domain::directory::{Client, Policy, User, UserState};
use crate::domain::history::HistoryEntry;
use crate::domain::password::PasswordRules;
use crate::domain::patch::{Change, MAX_TEXT_LEN, PatchDocument};
use crate::domain::phone::E164;
use crate::domain::policy::{Parameters, PolicyType, parameters_from_json};
use crate::domain::{ExtId, time};
use crate::error::{ApiError, codes};
use crate::store::{Page, StoreError};

const USER_VIEW: Rule = Rule::or_self(&[P::UserView], SelfAdmin::Allowed);
const USER_CREATE: Rule = Rule::admin(&[P::UserCreate]);
const USER_DELETE: Rule = Rule::admin(&[P::UserDelete]);
const CLIENT_VIEW: Rule = Rule::admin(&[P::ClientView]);
const POLICY_CREATE: Rule = Rule::admin(&[P::PolicyCreate]);
const POLICY_VIEW: Rule = Rule::admin(&[P::PolicyView]);
const POLICY_MODIFY: Rule = Rule::admin(&[P::PolicyView, P::PolicyModify]);
const POLICY_DELETE: Rule = Rule::admin(&[P::PolicyDelete]);
const CREDENTIALS_VIEW: Rule = Rule::or_self(&[P::CredentialView], SelfAdmin::Allowed);
const HISTORY_VIEW: Rule = Rule::admin(&[P::CredentialView]);

/// The longest list one request returns.
pub const MAX_PAGE: i64 = 1000;

fn duplicate(what: &str) -> impl FnOnce(StoreError) -> ApiError + '_ {
    move |error| match error {
        StoreError::UniqueViolation(_) => {
            ApiError::Conflict(codes::DUPLICATE_VALUE, format!("{what} exists already"))
        }
        other => other.into(),
    }
}

/// POST /clients `{extId?, name}`: the client and one default policy per credential type.
pub async fn create_client(ctx: Ctx<'_>, body: Value) -> Result<Client, ApiError> {
    ctx.caller.authorize_global(P::ClientCreate)?;
    let mut doc = PatchDocument::new(body)?;
    let ext_id = doc.ext_id("extId", false).set();
    let name = doc.text("name", 255);
    if name.is_none() {
        doc.problem("name", "is required");
    }
    doc.finish(&[])?;
    let ext_id = ext_id.unwrap_or_else(ExtId::generate);
    if ext_id.as_str() == "clients" {
        return Err(ApiError::invalid(
            "Field 'extId' must not be 'clients' (a reserved path)",
        ));
    }
    let now = time::now();
    let client = Client {
        id: uuid::Uuid::new_v4().to_string(),
        ext_id: ext_id.into_string(),
        name: name.unwrap_or_default(),
        version: 1,
        created: now,
        last_modified: now,
    };
    let policies: Vec<Policy> = PolicyType::ALL
        .into_iter()
        .map(|policy_type| Policy {
            id: uuid::Uuid::new_v4().to_string(),
            client_id: client.id.clone(),
            client_ext_id: client.ext_id.clone(),
            ext_id: format!("default-{}", policy_type.as_str()),
            name: format!("Default {}", policy_type.as_str()),
            description: Some("Created with the client".into()),
            policy_type,
            default_policy: true,
            parameters: Parameters::default(),
            version: 1,
            created: now,
            last_modified: now,
        })
        .collect();
    ctx.store
        .insert_client(&client, &policies)
        .await
        .map_err(duplicate("A client with this extId or name"))?;
    Ok(client)
}

pub async fn get_client(ctx: Ctx<'_>, client: ExtId) -> Result<Client, ApiError> {
    ctx.caller.authorize(client.as_str(), None, CLIENT_VIEW)?;
    ctx.store
        .find_client(client.as_str())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Client with extId {client} does not exist")))
}

pub async fn delete_client(ctx: Ctx<'_>, client: ExtId) -> Result<(), ApiError> {
    ctx.caller.authorize_global(P::ClientDelete)?;
    if ctx.store.delete_client(client.as_str()).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "Client with extId {client} does not exist"
        )))
    }
}

/// Reads an object of optional strings (`name`, `contacts`), each checked by `check`.
fn string_object(
    doc: &mut PatchDocument,
    name: &str,
    fields: &[&str],
    check: impl Fn(&str, &str) -> Result<(), String>,
) -> Option<Map<String, Value>> {
    doc.object(name, |nested| {
        let mut out = Map::new();
        for field in fields {
            if let Some(text) = nested.text(field, 255) {
                match check(field, &text) {
                    Ok(()) => {
                        out.insert((*field).to_owned(), Value::String(text));
                    }
                    Err(problem) => nested.problem(field, &problem),
                }
            }
        }
        out
    })
}

/// POST .../users `{extId?, loginId, userState?, name?, contacts?, languageCode?, isTechnicalUser?}`.
pub async fn create_user(ctx: Ctx<'_>, client: ExtId, body: Value) -> Result<User, ApiError> {
    ctx.caller.authorize(client.as_str(), None, USER_CREATE)?;
    let mut doc = PatchDocument::new(body)?;
    let ext_id = doc.ext_id("extId", false).set();
    let login_id = doc.text("loginId", 255);
    if login_id.is_none() {
        doc.problem("loginId", "is required");
    }
    let state = match doc.text("userState", 32) {
        None => Some(UserState::Active),
        Some(text) => {
            let state = UserState::parse(&text);
            if state.is_none() {
                doc.problem("userState", "must be one of [active, disabled, archived]");
            }
            state
        }
    };
    let mut profile = Map::new();
    if let Some(name) = string_object(
        &mut doc,
        "name",
        &["title", "firstName", "familyName"],
        |_, _| Ok(()),
    ) {
        profile.insert("name".into(), Value::Object(name));
    }
    let phone_fields = ["mobile", "telephone", "telefax"];
    if let Some(contacts) = string_object(
        &mut doc,
        "contacts",
        &["email", "mobile", "telephone", "telefax"],
        |field, text| {
            if phone_fields.contains(&field) {
                E164::parse(text)
                    .map(|_| ())
                    .map_err(|_| "must be a phone number in E.164 format".to_owned())
            } else if !text.contains('@') {
                Err("must be an email address".into())
            } else {
                Ok(())
            }
        },
    ) {
        profile.insert("contacts".into(), Value::Object(contacts));
    }
    if let Some(language) = doc.text("languageCode", 8) {
        if ["EN", "DE", "FR", "IT"].contains(&language.to_uppercase().as_str()) {
            profile.insert(
                "languageCode".into(),
                Value::String(language.to_uppercase()),
            );
        } else {
            doc.problem("languageCode", "must be one of [EN, DE, FR, IT]");
        }
    }
    if let Some(technical) = doc.boolean("isTechnicalUser") {
        profile.insert("isTechnicalUser".into(), Value::Bool(technical));
    }
    doc.finish(&[])?;

    let owner = ctx
        .store
        .find_client(client.as_str())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Client with extId {client} does not exist")))?;
    let now = time::now();
    let user = User {
        id: uuid::Uuid::new_v4().to_string(),
        client_id: owner.id,
        client_ext_id: owner.ext_id,
        ext_id: ext_id.unwrap_or_else(ExtId::generate).into_string(),
        login_id: login_id.unwrap_or_default(),
        state: state.unwrap_or(UserState::Active),
        profile,
        version: 1,
        created: now,
        last_modified: now,
    };
    ctx.store
        .insert_user(&user)
        .await
        .map_err(duplicate("A user with this extId or loginId"))?;
    Ok(user)
}

pub async fn get_user(ctx: Ctx<'_>, client: ExtId, user: ExtId) -> Result<User, ApiError> {
    ctx.caller
        .authorize(client.as_str(), Some(user.as_str()), USER_VIEW)?;
    load_user(ctx, &client, &user).await
}

pub async fn delete_user(ctx: Ctx<'_>, client: ExtId, user: ExtId) -> Result<(), ApiError> {
    ctx.caller
        .authorize(client.as_str(), Some(user.as_str()), USER_DELETE)?;
    let found = load_user(ctx, &client, &user).await?;
    ctx.store.delete_user(&found.id).await?;
    Ok(())
}

fn check_parameters(policy_type: PolicyType, parameters: &Parameters) -> Result<(), ApiError> {
    if policy_type == PolicyType::Pwd {
        PasswordRules::from_parameters(parameters)
            .map_err(|m| ApiError::unprocessable(codes::INVALID_CONFIG, m))?;
    }
    Ok(())
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
    let owner = ctx
        .store
        .find_client(client.as_str())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Client with extId {client} does not exist")))?;
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
    Ok(ctx.store.list_policies(client.as_str()).await?)
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
    doc.finish(&[
        "extId",
        "clientExtId",
        "policyType",
        "created",
        "lastModified",
    ])?;
    let current = load_policy(ctx, &client, &policy).await?;
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

/// GET .../users/{userExtId}/credentials: every credential of the user.
pub async fn list_credentials(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
) -> Result<(Vec<Credential>, Access), ApiError> {
    let access = ctx
        .caller
        .authorize(client.as_str(), Some(user.as_str()), CREDENTIALS_VIEW)?;
    load_user(ctx, &client, &user).await?;
    let page = Page {
        limit: MAX_PAGE,
        after: None,
    };
    let items = ctx
        .store
        .list_credentials(client.as_str(), user.as_str(), None, &page)
        .await?;
    Ok((items, access))
}

/// GET .../credentials/{extId}/history: the audit trail of one credential, oldest first.
pub async fn history(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    ext_id: ExtId,
) -> Result<Vec<HistoryEntry>, ApiError> {
    ctx.caller
        .authorize(client.as_str(), Some(user.as_str()), HISTORY_VIEW)?;
    let found = ctx
        .store
        .find_credential_by_ext_id(client.as_str(), user.as_str(), ext_id.as_str())
        .await?;
    let Some(found) = found else {
        load_user(ctx, &client, &user).await?;
        return Err(ApiError::NotFound(format!(
            "User {user} has no credential with extId {ext_id}"
        )));
    };
    Ok(ctx.store.credential_history(&found.id).await?)
}
