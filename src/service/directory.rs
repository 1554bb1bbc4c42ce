//! Clients, users and policies: enough of nevisIDM's directory to hold credentials
//! (decisions.md, "Resources other than credentials").

use serde_json::{Map, Value};

use super::Ctx;
use super::credential::{ListQuery, Listing, load_user};
use crate::auth::{Permission as P, Rule, SelfAdmin};
use crate::domain::directory::{Client, Policy, User, UserState};
use crate::domain::history::HistoryEntry;
use crate::domain::patch::PatchDocument;
use crate::domain::phone::E164;
use crate::domain::policy::{Parameters, PolicyType};
use crate::domain::{ExtId, time};
use crate::error::{ApiError, codes};
use crate::store::StoreError;

const USER_VIEW: Rule = Rule::or_self(&[P::UserView], SelfAdmin::Allowed);
const USER_CREATE: Rule = Rule::admin(&[P::UserCreate]);
const USER_DELETE: Rule = Rule::admin(&[P::UserDelete]);
const CLIENT_VIEW: Rule = Rule::admin(&[P::ClientView]);
const CREDENTIALS_VIEW: Rule = Rule::or_self(&[P::CredentialView], SelfAdmin::Allowed);
const HISTORY_VIEW: Rule = Rule::admin(&[P::CredentialView]);

pub(super) fn duplicate(what: &str) -> impl FnOnce(StoreError) -> ApiError + '_ {
    move |error| match error {
        StoreError::UniqueViolation(_) => {
            ApiError::Conflict(codes::DUPLICATE_VALUE, format!("{what} exists already"))
        }
        other => other.into(),
    }
}

/// The client, or 404.
pub(super) async fn load_client(ctx: Ctx<'_>, client: &ExtId) -> Result<Client, ApiError> {
    ctx.store
        .find_client(client.as_str())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Client with extId {client} does not exist")))
}

/// POST /clients `{extId?, name}`: the client and one default policy per credential type.
pub async fn create_client(ctx: Ctx<'_>, body: Value) -> Result<Client, ApiError> {
    ctx.caller.authorize_global(P::ClientCreate)?;
    let mut doc = PatchDocument::new(body)?;
    let ext_id = doc.ext_id("extId", false).set();
    let name = doc.required_text("name", 255);
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
    load_client(ctx, &client).await
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

/// What a new user is made of: read from a create body or a fixture record.
pub struct UserFields {
    pub ext_id: Option<ExtId>,
    pub login_id: String,
    pub state: UserState,
    /// `name`, `contacts`, `languageCode`, `isTechnicalUser`, validated.
    pub profile: Map<String, Value>,
}

/// Reads `{extId?, loginId, userState?, name?, contacts?, languageCode?, isTechnicalUser?}`;
/// problems are collected in `doc` (the caller finishes it).
pub fn read_user(doc: &mut PatchDocument) -> UserFields {
    let ext_id = doc.ext_id("extId", false).set();
    let login_id = doc.required_text("loginId", 255);
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
        doc,
        "name",
        &["title", "firstName", "familyName"],
        |_, _| Ok(()),
    ) {
        profile.insert("name".into(), Value::Object(name));
    }
    let phone_fields = ["mobile", "telephone", "telefax"];
    if let Some(contacts) = string_object(
        doc,
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
    UserFields {
        ext_id,
        login_id: login_id.unwrap_or_default(),
        state: state.unwrap_or(UserState::Active),
        profile,
    }
}

/// POST .../users `{extId?, loginId, userState?, name?, contacts?, languageCode?, isTechnicalUser?}`.
pub async fn create_user(ctx: Ctx<'_>, client: ExtId, body: Value) -> Result<User, ApiError> {
    ctx.caller.authorize(client.as_str(), None, USER_CREATE)?;
    let mut doc = PatchDocument::new(body)?;
    let fields = read_user(&mut doc);
    doc.finish(&[])?;

    let owner = load_client(ctx, &client).await?;
    let now = time::now();
    let user = User {
        id: uuid::Uuid::new_v4().to_string(),
        client_id: owner.id,
        client_ext_id: owner.ext_id,
        ext_id: fields.ext_id.unwrap_or_else(ExtId::generate).into_string(),
        login_id: fields.login_id,
        state: fields.state,
        profile: fields.profile,
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
    ctx.authorize_user(client.as_str(), user.as_str(), USER_VIEW)
        .await?;
    load_user(ctx, &client, &user).await
}

pub async fn delete_user(ctx: Ctx<'_>, client: ExtId, user: ExtId) -> Result<(), ApiError> {
    ctx.authorize_user(client.as_str(), user.as_str(), USER_DELETE)
        .await?;
    let found = load_user(ctx, &client, &user).await?;
    ctx.store.delete_user(&found.id).await?;
    Ok(())
}

/// GET .../users/{userExtId}/credentials: a page of the user's credentials of all types,
/// by the same pagination as the mTAN and OATH lists.
pub async fn list_credentials(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    query: ListQuery,
) -> Result<Listing, ApiError> {
    super::credential::list(ctx, client, user, None, CREDENTIALS_VIEW, query).await
}

/// GET .../credentials/{extId}/history: the audit trail of one credential, oldest first.
pub async fn history(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    ext_id: ExtId,
) -> Result<Vec<HistoryEntry>, ApiError> {
    ctx.authorize_user(client.as_str(), user.as_str(), HISTORY_VIEW)
        .await?;
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
