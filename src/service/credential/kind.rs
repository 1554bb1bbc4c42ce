//! What a credential type must say about itself, and the create / get / list / PATCH /
//! delete flow that every type runs through it.
//!
//! A type implements [`CredentialKind`] (on top of its `DomainKind`): its rules, which states a
//! body may set, and three readers (create body, PATCH body, the change a PATCH makes).
//! Everything else — authorization, the body's common fields, the owner and policy
//! lookup, the new row, the optimistic lock, history — is written once here and in
//! `write.rs`.

use std::future::Future;

use serde_json::Value;

use super::{
    ApplyFn, CommonPatch, CreateCommon, IfMatch, ListQuery, Listing, Modification, Outcome,
    PolicyAndValidity, Target,
};
use crate::auth::{Access, Rule};
use crate::domain::ExtId;
use crate::domain::credential::{Attributes, Credential};
use crate::domain::directory::{Policy, User};
use crate::domain::history::Action;
use crate::domain::kind::DomainKind;
use crate::domain::patch::PatchDocument;
use crate::domain::policy::{Parameters, PolicyType};
use crate::domain::state::CredentialState;
use crate::domain::view::{COMMON_FIELDS, OneTimeSecret};
use crate::error::ApiError;
use crate::service::Ctx;

/// Who may do what with a credential type (`auth::Rule` per operation).
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    pub create: Rule,
    pub view: Rule,
    pub modify: Rule,
    pub delete: Rule,
}

/// Finishes a new credential once it has its id.
pub type SealFn = Box<dyn FnOnce(&mut Credential) -> Result<(), ApiError> + Send>;

/// The type's part of a new credential.
pub struct Built {
    pub attributes: Attributes,
    /// Shown once, in the create response.
    pub secret: Option<OneTimeSecret>,
    /// Runs once the new credential has its id, before it is stored (OATH seals its
    /// secret with the id as associated data).
    pub seal: Option<SealFn>,
}

impl Built {
    pub fn new(attributes: Attributes) -> Self {
        Self {
            attributes,
            secret: None,
            seal: None,
        }
    }
}

/// Everything particular to one credential type that the shared flow needs.
///
/// The readers record their problems in the document (all of them are reported in one
/// 422). Their `Err` is for checks that only make sense once the body is known to be
/// well-formed: the flow returns it after the document's own problems.
pub trait CredentialKind: DomainKind + Send + Sync {
    /// The policy type its credentials use.
    const POLICY: PolicyType = PolicyType::for_credential(Self::TYPE);
    const RULES: Rules;
    /// The states a create or PATCH body may set.
    const STATES: &'static [CredentialState] = &CredentialState::ALL;
    /// Fields a create body must carry, reported before any other problem.
    const REQUIRED: &'static [&'static str] = &[];
    /// Response fields (beyond the common ones) a PATCH body may echo back unchanged.
    const READ_ONLY: &'static [&'static str] = &[];
    /// Fields a body must not carry in self-admin mode (422).
    const NOT_IN_SELF_ADMIN: &'static [&'static str] = &[];
    /// A PATCH may move the credential to another policy of its type (`policyExtId`,
    /// `null` for the client's default) and change its `validity`: read, resolved and
    /// applied by the shared flow ([`PolicyAndValidity`]), before the type's own change.
    const PATCH_POLICY_AND_VALIDITY: bool = false;

    /// Whether a policy of the type's policy type may have `parameters` (checked when a
    /// policy is created, changed or imported); `Err` says what is wrong.
    fn check_policy(_parameters: &Parameters) -> Result<(), String> {
        Ok(())
    }

    /// What a create body says beyond the common fields.
    type Draft: Send;
    fn read_create(doc: &mut PatchDocument) -> Result<Self::Draft, ApiError>;
    /// The attributes of a new credential of `owner` under `policy`.
    fn build(
        ctx: Ctx<'_>,
        draft: Self::Draft,
        owner: &User,
        policy: &Policy,
    ) -> impl Future<Output = Result<Built, ApiError>> + Send;

    /// What a PATCH body says beyond the common fields.
    type Edit: Send;
    fn read_patch(doc: &mut PatchDocument) -> Result<Self::Edit, ApiError>;
    /// The change to apply to the stored credential (it may run again on a retry).
    fn prepare(
        ctx: Ctx<'_>,
        target: &Target,
        edit: Self::Edit,
    ) -> impl Future<Output = Result<ApplyFn<'static>, ApiError>> + Send;

    /// The credential a request names: by type alone, or by extId when a user may have
    /// several.
    fn target(client: ExtId, user: ExtId, ext_id: Option<ExtId>) -> Target {
        Target {
            client,
            user,
            kind: Self::TYPE,
            ext_id,
        }
    }
}

/// POST: a new credential of type `K` for `user`.
pub async fn create<K: CredentialKind>(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    body: Value,
) -> Result<Outcome, ApiError> {
    let access = ctx
        .authorize_user(client.as_str(), user.as_str(), K::RULES.create)
        .await?;
    let absent: Vec<&str> = K::REQUIRED
        .iter()
        .copied()
        .filter(|name| body.get(name).is_none())
        .collect();
    let mut doc = PatchDocument::new(body)?;
    for name in absent {
        doc.problem(name, "is required");
    }
    refuse_in_self_admin::<K>(&mut doc, access);
    let common = CreateCommon::read(&mut doc, K::STATES);
    let draft = K::read_create(&mut doc);
    doc.finish(&[])?;
    let draft = draft?;

    let owner = super::load_user(ctx, &client, &user).await?;
    let policy = super::policy_for(ctx, &client, K::POLICY, common.policy.as_ref()).await?;
    let built = K::build(ctx, draft, &owner, &policy).await?;
    let state = common.state.unwrap_or(K::DEFAULT_STATE);
    let mut new = super::new_credential(&owner, common.ext_id, &policy, state, built.attributes)?;
    if let Some(seal) = built.seal {
        seal(&mut new)?;
    }
    super::create(ctx, &client, &new).await?;
    Ok(Outcome {
        credential: new,
        access,
        secret: built.secret,
    })
}

/// Records a problem for each field of `K::NOT_IN_SELF_ADMIN` that a self-admin body carries.
fn refuse_in_self_admin<K: CredentialKind>(doc: &mut PatchDocument, access: Access) {
    if access != Access::SelfAdmin {
        return;
    }
    for name in K::NOT_IN_SELF_ADMIN {
        if doc.has(name) {
            doc.problem(name, "must not be given in self-admin mode");
        }
    }
}

/// GET of one credential of type `K`.
pub async fn get<K: CredentialKind>(ctx: Ctx<'_>, target: Target) -> Result<Outcome, ApiError> {
    super::get(ctx, &target, K::RULES.view).await
}

/// GET of a page of the user's credentials of type `K`.
pub async fn list<K: CredentialKind>(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    query: ListQuery,
) -> Result<Listing, ApiError> {
    super::list(ctx, client, user, Some(K::TYPE), K::RULES.view, query).await
}

/// PATCH (merge-patch): the common fields, then the type's own, under the optimistic lock.
pub async fn patch<K: CredentialKind>(
    ctx: Ctx<'_>,
    target: Target,
    body: Value,
    if_match: Option<IfMatch>,
) -> Result<Outcome, ApiError> {
    let access = ctx
        .authorize_user(
            target.client.as_str(),
            target.user.as_str(),
            K::RULES.modify,
        )
        .await?;
    let mut doc = PatchDocument::new(body)?;
    refuse_in_self_admin::<K>(&mut doc, access);
    let common = CommonPatch::read(&mut doc, K::STATES);
    let policy_and_validity =
        K::PATCH_POLICY_AND_VALIDITY.then(|| PolicyAndValidity::read(&mut doc));
    let edit = K::read_patch(&mut doc);
    let echo = doc.finish(&[COMMON_FIELDS, K::READ_ONLY].concat())?;
    let edit = edit?;
    let apply: ApplyFn<'static> = match policy_and_validity {
        None => K::prepare(ctx, &target, edit).await?,
        Some(shared) => {
            let shared = shared.resolve(ctx, &target, K::POLICY).await?;
            let mut own = K::prepare(ctx, &target, edit).await?;
            Box::new(move |c: &mut Credential| {
                own(&mut *c)?;
                shared.apply(c)
            })
        }
    };
    let modification = Modification {
        action: Action::Patch,
        access,
        common,
        echo,
        if_match,
        apply,
    };
    super::modify(ctx, &target, modification).await
}

/// DELETE of one credential of type `K`.
pub async fn delete<K: CredentialKind>(
    ctx: Ctx<'_>,
    target: Target,
    if_match: Option<IfMatch>,
) -> Result<(), ApiError> {
    super::delete(ctx, &target, K::RULES.delete, if_match).await
}
