//! Password credentials (seed 003): one per user, stored as an argon2id hash.

mod change;
mod login;

pub use change::{CHANGE, change};
pub use login::{LOGIN, attempt as login_attempt, login};

use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

use super::Ctx;
use super::credential::{
    self, ApplyFn, Built, CredentialKind, IfMatch, Modification, Outcome, Rules, Target,
};
use crate::auth::{Access, Permission as P, Rule, SelfAdmin};
use crate::domain::ExtId;
use crate::domain::credential::{Attributes, CredentialType, PasswordAttributes};
use crate::domain::directory::{Policy, User};
use crate::domain::password::{self, PasswordRules};
use crate::domain::patch::PatchDocument;
use crate::domain::policy::PolicyType;
use crate::domain::state::{CredentialState, StateChangeReason};
use crate::domain::view::OneTimeSecret;
use crate::error::{ApiError, codes};

/// Password credentials.
pub struct Password;

pub const RULES: Rules = Rules {
    create: Rule::admin(&[P::CredentialCreate, P::CredentialChangeState]),
    view: Rule::or_self(&[P::CredentialView], SelfAdmin::Allowed),
    modify: Rule::admin(&[P::CredentialView, P::CredentialModify]),
    delete: Rule::or_self(&[P::CredentialDelete], SelfAdmin::WithXToken),
};
pub const RESET: Rule = Rule::or_self(
    &[P::CredentialView, P::CredentialModify],
    SelfAdmin::WithXToken,
);

/// The longest password accepted at all, whatever the policy says (hashing cost).
const MAX_PASSWORD_BYTES: usize = 4096;

/// The most argon2id hashes computed at once, whatever the core count.
const MAX_CONCURRENT_HASHES: usize = 4;

/// Each argon2id hash holds 19 MiB while it runs, so a burst of password creations would
/// take memory without bound (10 at once took 145 MiB); more hashes than cores would not
/// finish sooner anyway. The others wait their turn, within the request timeout.
fn hashing_slots() -> Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    SLOTS
        .get_or_init(|| Arc::new(Semaphore::new(hashing_slot_count())))
        .clone()
}

/// How many argon2id hashes or verifies run at once: the cores, at most
/// [`MAX_CONCURRENT_HASHES`] (bench/run measures the verify rate on as many threads).
pub fn hashing_slot_count() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.clamp(1, MAX_CONCURRENT_HASHES)
}

async fn hash(password: String) -> Result<String, ApiError> {
    on_hashing_slot(move || password::hash(&password))
        .await?
        .map_err(ApiError::Internal)
}

/// Runs `work` (an argon2id hash or verify) on the blocking pool once a hashing slot is
/// free. The slot goes with the work, not the request: a request given up on (timeout,
/// disconnect) still holds it until its work has finished and freed the memory.
async fn on_hashing_slot<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let slot = hashing_slots()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::Internal(format!("hashing slots: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        work()
    })
    .await
    .map_err(|e| ApiError::Internal(format!("hashing task: {e}")))
}

/// A stored hash in a format imported from nevisIDM that this server cannot verify.
fn unverifiable_hash() -> ApiError {
    ApiError::unprocessable(
        codes::INVALID_CONFIG,
        "The stored password hash is in a format this server cannot verify (bcrypt, {SSHA512}, {SSHA})",
    )
}

fn rules(policy: &crate::domain::directory::Policy) -> Result<PasswordRules, ApiError> {
    PasswordRules::from_parameters(&policy.parameters)
        .map_err(|m| ApiError::unprocessable(codes::INVALID_CONFIG, m))
}

impl CredentialKind for Password {
    const TYPE: CredentialType = CredentialType::Password;
    const POLICY: PolicyType = PolicyType::Pwd;
    const RULES: Rules = RULES;
    const READ_ONLY: &'static [&'static str] = &["resetCount", "password"];

    type Draft = Option<String>;

    fn read_create(doc: &mut PatchDocument) -> Result<Option<String>, ApiError> {
        Ok(doc.text("password", MAX_PASSWORD_BYTES))
    }

    /// With a password, checks it against the policy and stores its hash; a policy with
    /// `resetCodeEnabled` instead makes the server generate it and show it once, and then
    /// a given password is refused.
    async fn build(
        _ctx: Ctx<'_>,
        given: Option<String>,
        owner: &User,
        policy: &Policy,
    ) -> Result<Built, ApiError> {
        let rules = rules(policy)?;
        let (plain, secret) = match given {
            // create-password: the password "must be omitted when resetCodeEnabled is true".
            Some(_) if rules.reset_code_enabled => {
                return Err(ApiError::invalid(format!(
                    "Field 'password' must be omitted: policy {} has resetCodeEnabled, so \
                     the server generates the password",
                    policy.ext_id
                )));
            }
            Some(plain) => (plain, None),
            None if rules.reset_code_enabled => {
                let generated = rules.generate(&owner.login_id).ok_or_else(|| {
                    ApiError::unprocessable(
                        codes::INVALID_CONFIG,
                        "The password policy cannot be satisfied",
                    )
                })?;
                (
                    generated.clone(),
                    Some(OneTimeSecret::PasswordFragment(generated)),
                )
            }
            None => {
                return Err(ApiError::invalid(
                    "Field 'password' is required by this policy",
                ));
            }
        };
        let violations = rules.violations(&plain, &owner.login_id);
        if !violations.is_empty() {
            return Err(ApiError::Unprocessable(violations));
        }
        let attributes = Attributes::Password(PasswordAttributes {
            hash: hash(plain).await?,
        });
        let mut built = Built::new(attributes, CredentialState::Initial);
        built.secret = secret;
        Ok(built)
    }

    /// Seed 003: nothing beyond the common fields (a new password is a change or reset).
    type Edit = ();

    fn read_patch(_doc: &mut PatchDocument) -> Result<(), ApiError> {
        Ok(())
    }

    async fn prepare(
        _ctx: Ctx<'_>,
        _target: &Target,
        (): (),
    ) -> Result<ApplyFn<'static>, ApiError> {
        Ok(Box::new(|_| Ok(())))
    }
}

/// POST .../password/reset: state `initial`, `resetCount` + 1, login counters from zero;
/// with a reset-code policy a new password is generated and shown once.
pub async fn reset(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    if_match: Option<IfMatch>,
) -> Result<Outcome, ApiError> {
    let access = ctx
        .authorize_user(client.as_str(), user.as_str(), RESET)
        .await?;
    let target = Password::target(client, user, None);
    let policy = credential::current_policy(ctx, &target, PolicyType::Pwd).await?;
    let rules = rules(&policy)?;
    let owner = credential::load_user(ctx, &target.client, &target.user).await?;
    let (new_hash, secret) = if rules.reset_code_enabled {
        let generated = rules.generate(&owner.login_id).ok_or_else(|| {
            ApiError::unprocessable(
                codes::INVALID_CONFIG,
                "The password policy cannot be satisfied",
            )
        })?;
        (
            Some(hash(generated.clone()).await?),
            Some(OneTimeSecret::PasswordFragment(generated)),
        )
    } else {
        (None, None)
    };
    let reason = match access {
        Access::Admin => StateChangeReason::ResetByAdmin,
        Access::SelfAdmin => StateChangeReason::Reset,
    };
    let modification = Modification::reset(
        access,
        if_match,
        Box::new(move |c| {
            c.state = CredentialState::Initial;
            c.state_change_reason = Some(reason);
            c.state_change_detail = None;
            c.reset_count += 1;
            c.logins.success_count = 0;
            c.logins.failure_count = 0;
            if let (Some(hash), Attributes::Password(p)) = (&new_hash, &mut c.attributes) {
                p.hash = hash.clone();
            }
            Ok(())
        }),
    );
    let mut outcome = credential::modify(ctx, &target, modification).await?;
    outcome.secret = secret;
    Ok(outcome)
}
