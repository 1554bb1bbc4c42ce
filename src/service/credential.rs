//! The flow every credential type shares: find, create, modify (PATCH, reset), delete.

use super::Ctx;
use crate::auth::Access;
use crate::domain::credential::{
    Attributes, Credential, CredentialType, LoginStats, PolicyRef, Validity, ValidityChange,
};
use crate::domain::directory::{Policy, User};
use crate::domain::patch::{Change, MAX_TEXT_LEN, PatchDocument};
use crate::domain::policy::PolicyType;
use crate::domain::state::{CredentialState, StateChangeReason};
use crate::domain::view::Audience;
use crate::domain::{ExtId, time};
use crate::error::{ApiError, codes};
use crate::store::CredentialKey;

pub mod kind;
mod list;
mod login;
mod write;

pub use kind::{Built, CredentialKind, Rules};

pub use list::{ListQuery, Listing, list};
pub use login::{
    Attempted, Checked, LOGIN, LoginRules, attempt_login, authorize_login, check_usable,
    login_status, verify_login,
};
pub use write::{ApplyFn, Modification, create, delete, modify};

/// Which credential a request is about.
#[derive(Clone, Debug)]
pub struct Target {
    pub client: ExtId,
    pub user: ExtId,
    pub kind: CredentialType,
    /// For types a user may have several of; `None` for password, ticket, mobile signature.
    pub ext_id: Option<ExtId>,
}

impl Target {
    pub(crate) fn key(&self) -> CredentialKey<'_> {
        CredentialKey {
            client: self.client.as_str(),
            user: self.user.as_str(),
            kind: self.kind,
            ext_id: self.ext_id.as_ref().map(ExtId::as_str),
        }
    }
}

/// `If-Match` of a conditional request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: the credential must exist.
    Any,
    Version(i32),
}

/// The fields every credential PATCH body may carry.
#[derive(Debug)]
pub struct CommonPatch {
    pub state: Option<CredentialState>,
    pub comment: Change<String>,
    pub version: Option<i32>,
}

impl CommonPatch {
    /// No common change: for resets, which have no body.
    pub fn none() -> Self {
        Self {
            state: None,
            comment: Change::Keep,
            version: None,
        }
    }

    /// Reads `stateName` (limited to `states`), `modificationComment` and `version`.
    pub fn read(doc: &mut PatchDocument, states: &[CredentialState]) -> Self {
        Self {
            state: doc.state(states),
            comment: doc.clearable_text("modificationComment", MAX_TEXT_LEN),
            version: doc.version(),
        }
    }
}

/// The fields every credential create body may carry.
#[derive(Debug)]
pub struct CreateCommon {
    pub ext_id: Option<ExtId>,
    pub policy: Option<ExtId>,
    pub state: Option<CredentialState>,
}

impl CreateCommon {
    /// Reads `extId`, `policyExtId` and `stateName` (limited to `states`).
    pub fn read(doc: &mut PatchDocument, states: &[CredentialState]) -> Self {
        Self {
            ext_id: doc.ext_id("extId", false).set(),
            policy: doc.ext_id("policyExtId", false).set(),
            state: doc.state(states),
        }
    }
}

/// GET of one credential: authorize with `rule`, then load.
pub async fn get(
    ctx: Ctx<'_>,
    target: &Target,
    rule: crate::auth::Rule,
) -> Result<Outcome, ApiError> {
    let access = ctx
        .authorize_user(target.client.as_str(), target.user.as_str(), rule)
        .await?;
    let credential = load(ctx, target).await?;
    Ok(Outcome {
        credential,
        access,
        secret: None,
    })
}

/// The result of a credential use case: the credential, the capacity the caller acted
/// in (it decides what the response shows), and a secret to show this once.
pub struct Outcome {
    pub credential: Credential,
    pub access: Access,
    pub secret: Option<crate::domain::view::OneTimeSecret>,
}

/// Loads the credential, or says precisely what is missing (404).
pub async fn load(ctx: Ctx<'_>, target: &Target) -> Result<Credential, ApiError> {
    match ctx.store.find_credential(target.key()).await? {
        Some(credential) => Ok(credential),
        None => Err(missing(ctx, target).await),
    }
}

async fn missing(ctx: Ctx<'_>, target: &Target) -> ApiError {
    if let Err(error) = load_user(ctx, &target.client, &target.user).await {
        return error;
    }
    let what = target.kind.display_name();
    ApiError::NotFound(match &target.ext_id {
        Some(ext_id) => format!(
            "User {} has no {what} credential with extId {ext_id}",
            target.user
        ),
        None => format!("User {} has no {what} credential", target.user),
    })
}

/// The user, or 404 naming the client or the user that does not exist.
pub async fn load_user(ctx: Ctx<'_>, client: &ExtId, user: &ExtId) -> Result<User, ApiError> {
    if let Some(found) = ctx.store.find_user(client.as_str(), user.as_str()).await? {
        return Ok(found);
    }
    if ctx.store.find_client(client.as_str()).await?.is_none() {
        return Err(ApiError::NotFound(format!(
            "Client with extId {client} does not exist"
        )));
    }
    Err(ApiError::NotFound(format!(
        "A user with extId {user} doesn't exist on client {client}"
    )))
}

/// The policy named by `ext_id`, or the client's default one of `policy_type`. A missing
/// policy is `errors.missingReferenceData`, one of another type `errors.policyViolation`.
pub async fn policy_for(
    ctx: Ctx<'_>,
    client: &ExtId,
    policy_type: PolicyType,
    ext_id: Option<&ExtId>,
) -> Result<Policy, ApiError> {
    let found = match ext_id {
        Some(ext_id) => {
            ctx.store
                .find_policy(client.as_str(), ext_id.as_str())
                .await?
        }
        None => {
            ctx.store
                .default_policy(client.as_str(), policy_type)
                .await?
        }
    };
    let policy = found.ok_or_else(|| {
        ApiError::unprocessable(
            codes::MISSING_REFERENCE,
            match ext_id {
                Some(ext_id) => {
                    format!("Policy with extId {ext_id} does not exist in client {client}")
                }
                None => format!("Client {client} has no default {}", policy_type.as_str()),
            },
        )
    })?;
    if policy.policy_type != policy_type {
        return Err(ApiError::unprocessable(
            codes::POLICY_VIOLATION,
            format!(
                "Policy {} is a {}, not a {}",
                policy.ext_id,
                policy.policy_type.as_str(),
                policy_type.as_str()
            ),
        ));
    }
    Ok(policy)
}

/// The policy a stored credential uses (its default one if it has none).
pub async fn current_policy(
    ctx: Ctx<'_>,
    target: &Target,
    policy_type: PolicyType,
) -> Result<Policy, ApiError> {
    let current = load(ctx, target).await?;
    let ext_id = current
        .policy
        .as_ref()
        .and_then(|p| ExtId::parse(&p.ext_id).ok());
    policy_for(ctx, &target.client, policy_type, ext_id.as_ref()).await
}

/// Resolves a PATCH of `policyExtId`: a new policy, the default one for `null`.
pub async fn policy_change(
    ctx: Ctx<'_>,
    client: &ExtId,
    policy_type: PolicyType,
    change: Change<ExtId>,
) -> Result<Option<Policy>, ApiError> {
    match change {
        Change::Keep => Ok(None),
        Change::Clear => policy_for(ctx, client, policy_type, None).await.map(Some),
        Change::Set(ext_id) => policy_for(ctx, client, policy_type, Some(&ext_id))
            .await
            .map(Some),
    }
}

/// The part of a PATCH that moves a credential to another policy and changes its
/// validity period (ticket, generic credential): read once, resolved once, applied once.
pub struct PolicyAndValidity {
    policy: Change<ExtId>,
    validity: ValidityChange,
}

/// [`PolicyAndValidity`] resolved: what it does to the stored credential.
pub struct PolicyAndValidityChange {
    policy: Option<PolicyRef>,
    validity: ValidityChange,
}

impl PolicyAndValidity {
    /// Reads `policyExtId` (`null`: the client's default policy) and `validity`.
    pub fn read(doc: &mut PatchDocument) -> Self {
        Self {
            policy: doc.ext_id("policyExtId", true),
            validity: doc.validity(),
        }
    }

    /// Looks the new policy up (it must be a `policy_type` of the credential's client).
    pub async fn resolve(
        self,
        ctx: Ctx<'_>,
        target: &Target,
        policy_type: PolicyType,
    ) -> Result<PolicyAndValidityChange, ApiError> {
        let policy = policy_change(ctx, &target.client, policy_type, self.policy)
            .await?
            .map(|p| policy_ref(&p));
        Ok(PolicyAndValidityChange {
            policy,
            validity: self.validity,
        })
    }
}

impl PolicyAndValidityChange {
    /// `Err` when the period would end before it starts.
    pub fn apply(&self, c: &mut Credential) -> Result<(), ApiError> {
        if let Some(policy) = &self.policy {
            c.policy = Some(policy.clone());
        }
        c.validity.apply(&self.validity).map_err(ApiError::invalid)
    }
}

pub fn policy_ref(policy: &Policy) -> PolicyRef {
    PolicyRef {
        id: policy.id.clone(),
        ext_id: policy.ext_id.clone(),
    }
}

/// A new credential of `user`, valid from now for the policy's `credentialLifetime`.
pub fn new_credential(
    user: &User,
    ext_id: Option<ExtId>,
    policy: &Policy,
    state: CredentialState,
    attributes: Attributes,
) -> Result<Credential, ApiError> {
    let now = time::now();
    let lifetime = policy
        .parameters
        .credential_lifetime(attributes.kind())
        .map_err(|m| ApiError::unprocessable(codes::INVALID_CONFIG, m))?;
    Ok(Credential {
        id: uuid::Uuid::new_v4().to_string(),
        client_id: user.client_id.clone(),
        user_id: user.id.clone(),
        user_ext_id: user.ext_id.clone(),
        ext_id: ext_id.unwrap_or_else(ExtId::generate).into_string(),
        policy: Some(policy_ref(policy)),
        state,
        state_change_reason: Some(StateChangeReason::on_creation(state)),
        state_change_detail: None,
        modification_comment: None,
        version: 1,
        created: now,
        last_modified: now,
        validity: Validity {
            from: Some(now),
            to: Some(time::after(now, lifetime)),
        },
        logins: LoginStats::default(),
        reset_count: 0,
        attributes,
    })
}

/// The response view for the caller's capacity.
pub fn audience(access: Access) -> Audience {
    match access {
        Access::Admin => Audience::Admin,
        Access::SelfAdmin => Audience::SelfAdmin,
    }
}
