//! One login attempt on any credential type, through the lock engine
//! (`domain::lockout`) in one store transaction (`Store::login_attempt`).

use super::write::{admin_view, history_entry};
use super::{Target, policy_for};
use crate::domain::credential::{Attributes, Credential};
use crate::domain::history::{self, Action};
use crate::domain::lockout::{self, LockPolicy, Verdict};
use crate::domain::policy::PolicyType;
use crate::domain::state::CredentialState;
use crate::domain::{ExtId, time};
use crate::error::{ApiError, codes};
use crate::service::Ctx;
use crate::store::LoginWrite;

/// What a type's login counts on.
pub struct LoginRules<'a> {
    pub policy_type: PolicyType,
    /// The states in which an attempt counts; in the others it is refused.
    pub allowed: &'a [CredentialState],
}

/// The end of [`attempt_login`].
pub enum Attempted {
    Done {
        verdict: Verdict,
        credential: Box<Credential>,
    },
    /// The credential is gone.
    Missing,
    /// Its attributes are no longer the ones the result was found against (a password
    /// reset in between, say): the caller checks again.
    Changed,
}

/// Records one attempt with result `success` on the credential `target` names, which
/// was `checked` (its attributes, as the result was found against them, if that matters).
/// The count, the lock decision and the state change happen in one transaction, under
/// the credential's row lock; automatic state changes get history rows of their own
/// (`unlock` when a temporary lock had ended, `lock` when this attempt locks).
pub async fn attempt_login(
    ctx: Ctx<'_>,
    target: &Target,
    checked: &Credential,
    against: Option<&Attributes>,
    success: bool,
    rules: &LoginRules<'_>,
) -> Result<Attempted, ApiError> {
    let policy_ext_id = checked
        .policy
        .as_ref()
        .and_then(|p| ExtId::parse(&p.ext_id).ok());
    let policy = policy_for(
        ctx,
        &target.client,
        rules.policy_type,
        policy_ext_id.as_ref(),
    )
    .await?;
    let lock_policy =
        LockPolicy::of(&policy).map_err(|m| ApiError::unprocessable(codes::INVALID_CONFIG, m))?;
    let answer = ctx
        .store
        .login_attempt(target.key(), |stored| {
            let Some(stored) = stored else {
                return (None, Attempted::Missing);
            };
            if against.is_some_and(|a| *a != stored.attributes) {
                return (None, Attempted::Changed);
            }
            decide(ctx, stored, success, &lock_policy, rules.allowed)
        })
        .await?;
    Ok(answer)
}

/// The lock engine's decision on `stored`, as a write and an answer.
fn decide(
    ctx: Ctx<'_>,
    stored: Credential,
    success: bool,
    policy: &LockPolicy,
    allowed: &[CredentialState],
) -> (Option<LoginWrite>, Attempted) {
    let now = time::now();
    let mut history = Vec::new();
    let mut current = stored.clone();
    if lockout::settle(&mut current, now) {
        current.version += 1;
        current.last_modified = now;
        let changes = history::diff(
            &admin_view(&stored).fields(),
            &admin_view(&current).fields(),
        );
        history.push(history_entry(ctx, &current, Action::Unlock, changes));
    }
    let attempt = lockout::attempt(&current, success, policy, allowed, now);
    let refused = attempt.after.is_none();
    let credential = match attempt.after {
        Some(mut next) => {
            if next.state != current.state {
                next.version = current.version + 1;
                next.last_modified = now;
                let changes =
                    history::diff(&admin_view(&current).fields(), &admin_view(&next).fields());
                history.push(history_entry(ctx, &next, Action::Lock, changes));
            }
            next
        }
        None => current,
    };
    let write = (!refused || !history.is_empty()).then(|| LoginWrite {
        new: credential.clone(),
        history,
    });
    let answer = Attempted::Done {
        verdict: attempt.verdict,
        credential: Box::new(credential),
    };
    (write, answer)
}
