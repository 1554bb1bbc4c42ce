//! One login attempt on any credential type, through the lock engine
//! (`domain::lockout`) in one store transaction (`Store::login_attempt`), and the
//! preconditions and answers every login verb shares.

use super::write::{admin_view, history_entry};
use super::{Target, policy_for};
use crate::auth::{Permission as P, Rule};
use crate::domain::credential::{Attributes, Credential};
use crate::domain::history::{self, Action};
use crate::domain::lockout::{self, LockPolicy, LoginStatus, Verdict};
use crate::domain::policy::PolicyType;
use crate::domain::state::CredentialState;
use crate::domain::{ExtId, time};
use crate::error::{ApiError, codes};
use crate::service::Ctx;
use crate::store::LoginWrite;

/// The Authentication REST API's permissions for a login. (The newer
/// `api/password-login` page names only `CredentialView`; a login moves counters and
/// state, so this server asks for all three the API's overview lists.)
pub const LOGIN: Rule = Rule::admin(&[
    P::CredentialView,
    P::CredentialModify,
    P::CredentialChangeState,
]);

/// Authorizes a login verb on the credential `target` names ([`LOGIN`]).
pub fn authorize_login(ctx: Ctx<'_>, target: &Target) -> Result<(), ApiError> {
    ctx.caller
        .authorize(target.client.as_str(), Some(target.user.as_str()), LOGIN)
        .map(|_| ())
}

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

/// What checking a login's secret against the credential as stored found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    pub success: bool,
    /// On success, the moving factor of the one-time code accepted, recorded as
    /// `LoginStats::last_otp` in the same write (so that it is not accepted again).
    pub last_otp: Option<i64>,
}

/// Records one attempt with result `success` on the credential `target` names, which
/// was `checked` (its attributes, as the result was found against them, if that matters).
/// The count, the lock decision and the state change are written at once, on the row as
/// decided on (see [`attempt_checked`]); automatic state changes get history rows of their own
/// (`unlock` when a temporary lock had ended, `lock` when this attempt locks).
pub async fn attempt_login(
    ctx: Ctx<'_>,
    target: &Target,
    checked: &Credential,
    against: Option<&Attributes>,
    success: bool,
    rules: &LoginRules<'_>,
) -> Result<Attempted, ApiError> {
    let found = Checked {
        success,
        last_otp: None,
    };
    attempt_checked(ctx, target, checked, against, rules, |_| Ok(found)).await
}

/// A login verb whose check is cheap (a digest, a one-time code): loads the credential,
/// refuses one that cannot log in now ([`check_usable`], nothing counted), then runs
/// `check` on the credential and records the result with the lock engine, written only
/// if the row is still the one checked (or else checked again under its row lock, in the
/// transaction that records it). So two attempts never both see the state before the
/// other (a one-time code accepted twice, a failure lost). An `Err` of
/// `check` (a secret this server cannot use) writes nothing and is the answer.
pub async fn verify_login(
    ctx: Ctx<'_>,
    target: &Target,
    rules: &LoginRules<'_>,
    check: impl FnMut(&Credential) -> Result<Checked, ApiError>,
) -> Result<LoginStatus, ApiError> {
    let current = super::load(ctx, target).await?;
    check_usable(&current)?;
    let attempt = attempt_checked(ctx, target, &current, None, rules, check).await?;
    match login_status(ctx, target, attempt).await? {
        Some(status) => Ok(status),
        // Only an `against` makes an attempt `Changed`.
        None => Err(ApiError::VersionConflict(
            "The credential changed during the login; retry it".into(),
        )),
    }
}

/// The answer of a finished attempt: the login status, or the 4xx of a credential that
/// was refused (locked, another state) or is gone; `None` when it `Changed`.
pub async fn login_status(
    ctx: Ctx<'_>,
    target: &Target,
    attempt: Attempted,
) -> Result<Option<LoginStatus>, ApiError> {
    match attempt {
        Attempted::Done {
            verdict,
            credential,
        } => verdict
            .status()
            .map(Some)
            .ok_or_else(|| not_usable(&credential)),
        Attempted::Missing => Err(super::load(ctx, target).await.err().unwrap_or_else(|| {
            ApiError::NotFound("The credential was deleted concurrently".into())
        })),
        Attempted::Changed => Ok(None),
    }
}

/// The 4xx of a credential that cannot log in now (nothing is counted): a state other
/// than `active`, or outside its validity period.
pub fn check_usable(c: &Credential) -> Result<(), ApiError> {
    if c.state != CredentialState::Active {
        return Err(not_usable(c));
    }
    let now = time::now();
    let started = c.validity.from.is_none_or(|from| from <= now);
    let not_ended = c.validity.to.is_none_or(|to| now <= to);
    if !(started && not_ended) {
        return Err(ApiError::PermissionDenied(format!(
            "The {} credential is outside its validity period",
            noun(c)
        )));
    }
    Ok(())
}

/// 423 for a locked credential, 403 for any other state that cannot log in.
fn not_usable(c: &Credential) -> ApiError {
    if c.state.is_locked() {
        ApiError::Locked(format!(
            "The {} credential is {}: no login is possible",
            noun(c),
            c.state.as_str()
        ))
    } else {
        ApiError::PermissionDenied(format!(
            "The {} credential is {}; only an active one can log in",
            noun(c),
            c.state.as_str()
        ))
    }
}

/// "password", "ticket", "OATH": the type's name as a sentence uses it.
fn noun(c: &Credential) -> String {
    let name = c.kind().display_name();
    if name == name.to_uppercase() {
        name.to_owned()
    } else {
        name.to_lowercase()
    }
}

/// [`attempt_login`] with the result found by `check`, run on the credential as stored
/// (a temporary lock that has ended already lifted): on `checked` as read when the count
/// can be written if it is unchanged, otherwise under its row lock.
async fn attempt_checked(
    ctx: Ctx<'_>,
    target: &Target,
    checked: &Credential,
    against: Option<&Attributes>,
    rules: &LoginRules<'_>,
    mut check: impl FnMut(&Credential) -> Result<Checked, ApiError>,
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
    // First without a row lock (one statement instead of a transaction's four): the lock
    // engine decides on the credential as it was read, and a plain count is written only
    // if nobody wrote the credential since. A state change (a lock falls or ends) or a
    // write in between takes the locked path below, which decides on the row as it is.
    if against.is_none_or(|a| *a == checked.attributes) {
        let (write, answer) = decide(
            ctx,
            checked.clone(),
            &mut check,
            &lock_policy,
            rules.allowed,
        );
        match write {
            None => return answer,
            Some(write) if write.history.is_empty() => {
                if ctx
                    .store
                    .login_count_if_unchanged(checked, &write.new)
                    .await?
                {
                    return answer;
                }
            }
            Some(_) => {}
        }
    }
    ctx.store
        .login_attempt(target.key(), |stored| {
            let Some(stored) = stored else {
                return (None, Ok(Attempted::Missing));
            };
            if against.is_some_and(|a| *a != stored.attributes) {
                return (None, Ok(Attempted::Changed));
            }
            decide(ctx, stored, &mut check, &lock_policy, rules.allowed)
        })
        .await?
}

/// The lock engine's decision on `stored`, as a write and an answer.
fn decide(
    ctx: Ctx<'_>,
    stored: Credential,
    check: &mut impl FnMut(&Credential) -> Result<Checked, ApiError>,
    policy: &LockPolicy,
    allowed: &[CredentialState],
) -> (Option<LoginWrite>, Result<Attempted, ApiError>) {
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
    let found = match check(&current) {
        Ok(found) => found,
        Err(error) => return (None, Err(error)),
    };
    let attempt = lockout::attempt(&current, found.success, policy, allowed, now);
    let refused = attempt.after.is_none();
    let credential = match attempt.after {
        Some(mut next) => {
            if attempt.verdict == Verdict::Succeeded && found.last_otp.is_some() {
                next.logins.last_otp = found.last_otp;
            }
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
    let answer = Ok(Attempted::Done {
        verdict: attempt.verdict,
        credential: Box::new(credential),
    });
    (write, answer)
}
