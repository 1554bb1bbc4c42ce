//! The lock engine: what one login attempt does to a credential, for every type that
//! counts logins (password login, mTAN login results).
//!
//! Parameters from the policy (nevisIDM's "All credential types"): `tmpLockingThreshold`
//! (default 2) and `maxCredFailureCount` (default 3), `-1` switching either off;
//! `tmpLockingDuration` (ms, default 60000); `tmpLockingMode` `strict` (after a temporary
//! lock has ended, each further failure locks again: one try) or `threshold` (the full
//! threshold again). Counters as the docs define them: `failedLoginCount` counts failures
//! since the last success (or reset); a login refused because the credential is already
//! locked does not count; a success sets it to 0.
//!
//! A temporary lock ends by itself at the end time stored with it ([`settle`], applied
//! whenever a credential is read): no background job.

use chrono::{DateTime, Duration, Utc};

use super::credential::Credential;
use super::directory::Policy;
use super::state::{CredentialState, StateChangeReason};

/// `tmpLockingMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TmpLockingMode {
    Strict,
    Threshold,
}

/// The lock parameters of a policy; `None` means "never".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockPolicy {
    pub tmp_threshold: Option<i64>,
    pub max_failures: Option<i64>,
    pub tmp_duration: Duration,
    pub mode: TmpLockingMode,
}

impl Default for LockPolicy {
    fn default() -> Self {
        Self {
            tmp_threshold: Some(2),
            max_failures: Some(3),
            tmp_duration: Duration::milliseconds(60_000),
            mode: TmpLockingMode::Strict,
        }
    }
}

impl LockPolicy {
    /// Reads the parameters of `policy`; `Err` names a malformed one.
    pub fn of(policy: &Policy) -> Result<Self, String> {
        let params = &policy.parameters;
        let limit = |name: &str, default: i64| -> Result<Option<i64>, String> {
            let value = params.int(name, default)?;
            Ok((value >= 0).then_some(value))
        };
        let duration = params.int("tmpLockingDuration", 60_000)?;
        if duration < 0 {
            return Err("Policy parameter 'tmpLockingDuration' must not be negative".into());
        }
        let mode = match params.get("tmpLockingMode").unwrap_or("strict") {
            "strict" => TmpLockingMode::Strict,
            "threshold" => TmpLockingMode::Threshold,
            other => {
                return Err(format!(
                    "Policy parameter 'tmpLockingMode' must be 'strict' or 'threshold', not {other:?}"
                ));
            }
        };
        Ok(Self {
            tmp_threshold: limit("tmpLockingThreshold", 2)?,
            max_failures: limit("maxCredFailureCount", 3)?,
            tmp_duration: Duration::milliseconds(duration),
            mode,
        })
    }

    /// The state `failures` failures (counted since the last success) lock an active
    /// credential in, if any.
    fn lock_for(&self, failures: i64) -> Option<CredentialState> {
        if self.max_failures.is_some_and(|n| failures >= n) {
            return Some(CredentialState::FailLocked);
        }
        let tmp = self.tmp_threshold.is_some_and(|n| match self.mode {
            TmpLockingMode::Strict => failures >= n,
            // Every `n`th failure: the full threshold again after each temporary lock.
            TmpLockingMode::Threshold => failures >= n && (n == 0 || failures % n == 0),
        });
        tmp.then_some(CredentialState::TmpLocked)
    }
}

/// Whether `c` is a temporary lock of this engine that has ended by `now`.
fn lock_ended(c: &Credential, now: DateTime<Utc>) -> bool {
    c.state == CredentialState::TmpLocked
        && c.state_change_reason == Some(StateChangeReason::TooManyLoginFailures)
        && c.logins.tmp_lock_end.is_some_and(|end| end <= now)
}

/// Ends a temporary lock whose end time has passed: the credential is `active` again
/// (reason `unlock`). Answers whether it changed anything. An administrator's
/// `tmp-locked` (another reason, no end time) stays until an administrator lifts it.
pub fn settle(c: &mut Credential, now: DateTime<Utc>) -> bool {
    if !lock_ended(c, now) {
        return false;
    }
    c.state = CredentialState::Active;
    c.state_change_reason = Some(StateChangeReason::Unlock);
    c.state_change_detail = None;
    c.logins.tmp_lock_end = None;
    true
}

/// What an attempt came to, as the login answers report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The credential is locked (or in a state `allowed` excludes): nothing counted.
    Refused(CredentialState),
    Succeeded,
    Failed,
    /// Failed, and the next failure locks the credential.
    FailedLockNext,
    /// Failed, and this failure locked the credential for good.
    FailedNowLocked,
    /// Failed, and this failure locked the credential until its lock ends.
    FailedNowTmpLocked,
}

/// The answer of a login (nevisIDM's login status DTO, `api/password-login`): the
/// attempt was processed; `statusCode` says how it went.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginStatus {
    /// 2 = Failed, 3 = Failed (lock warning), 4 = Failed (now locked), 5 = Login Ok,
    /// 9 = Failed (now temporarily locked).
    #[schema(example = 5)]
    pub status_code: i32,
    #[schema(example = "Login Ok")]
    pub description: &'static str,
}

impl Verdict {
    /// The login status of a processed attempt; `None` when it was refused.
    pub fn status(self) -> Option<LoginStatus> {
        let (status_code, description) = match self {
            Self::Refused(_) => return None,
            Self::Failed => (2, "Failed"),
            Self::FailedLockNext => (3, "Failed (lock warning)"),
            Self::FailedNowLocked => (4, "Failed (now locked)"),
            Self::Succeeded => (5, "Login Ok"),
            Self::FailedNowTmpLocked => (9, "Failed (now temporarily locked)"),
        };
        Some(LoginStatus {
            status_code,
            description,
        })
    }
}

/// The outcome of [`attempt`]: the verdict and, unless refused, the credential after it.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub verdict: Verdict,
    pub after: Option<Credential>,
}

/// One login attempt on `current` (already [`settle`]d) with result `success`, at `now`.
/// Only states in `allowed` count; the others, and every locked state, refuse the
/// attempt. Only an `active` credential is locked automatically.
pub fn attempt(
    current: &Credential,
    success: bool,
    policy: &LockPolicy,
    allowed: &[CredentialState],
    now: DateTime<Utc>,
) -> Attempt {
    if current.state.is_locked() || !allowed.contains(&current.state) {
        return Attempt {
            verdict: Verdict::Refused(current.state),
            after: None,
        };
    }
    let mut next = current.clone();
    if success {
        next.logins.success_count += 1;
        next.logins.failure_count = 0;
        next.logins.last_success = Some(now);
        return Attempt {
            verdict: Verdict::Succeeded,
            after: Some(next),
        };
    }
    next.logins.failure_count += 1;
    next.logins.last_failure = Some(now);
    let failures = next.logins.failure_count;
    let lock = (next.state == CredentialState::Active)
        .then(|| policy.lock_for(failures))
        .flatten();
    let verdict = match lock {
        Some(state) => {
            next.state = state;
            next.state_change_reason = Some(StateChangeReason::TooManyLoginFailures);
            next.state_change_detail = None;
            next.logins.tmp_lock_end =
                (state == CredentialState::TmpLocked).then(|| now + policy.tmp_duration);
            if state == CredentialState::FailLocked {
                Verdict::FailedNowLocked
            } else {
                Verdict::FailedNowTmpLocked
            }
        }
        None if next.state == CredentialState::Active
            && policy.lock_for(failures + 1).is_some() =>
        {
            Verdict::FailedLockNext
        }
        None => Verdict::Failed,
    };
    Attempt {
        verdict,
        after: Some(next),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::credential::{Attributes, LoginStats, Validity};
    use crate::types::password::PasswordAttributes;
    use CredentialState::*;

    fn credential(state: CredentialState, failures: i64) -> Credential {
        let now = Utc::now();
        Credential {
            id: "c".into(),
            client_id: "cl".into(),
            user_id: "u".into(),
            user_ext_id: "ue".into(),
            ext_id: "e".into(),
            policy: None,
            state,
            state_change_reason: None,
            state_change_detail: None,
            modification_comment: None,
            version: 1,
            created: now,
            last_modified: now,
            validity: Validity::default(),
            logins: LoginStats {
                failure_count: failures,
                ..LoginStats::default()
            },
            reset_count: 0,
            attributes: Attributes::Password(PasswordAttributes { hash: "h".into() }),
        }
    }

    fn verdict(policy: &LockPolicy, state: CredentialState, failures: i64) -> Verdict {
        attempt(
            &credential(state, failures),
            false,
            policy,
            &CredentialState::ALL,
            Utc::now(),
        )
        .verdict
    }

    #[test]
    fn failures_warn_then_tmp_lock_then_lock() {
        let p = LockPolicy::default();
        assert_eq!(verdict(&p, Active, 0), Verdict::FailedLockNext);
        assert_eq!(verdict(&p, Active, 1), Verdict::FailedNowTmpLocked);
        assert_eq!(verdict(&p, Active, 2), Verdict::FailedNowLocked);
        assert_eq!(verdict(&p, TmpLocked, 2), Verdict::Refused(TmpLocked));
        assert_eq!(verdict(&p, FailLocked, 9), Verdict::Refused(FailLocked));
    }

    #[test]
    fn threshold_mode_allows_the_full_threshold_again() {
        let p = LockPolicy {
            tmp_threshold: Some(2),
            max_failures: Some(10),
            mode: TmpLockingMode::Threshold,
            ..LockPolicy::default()
        };
        assert_eq!(verdict(&p, Active, 1), Verdict::FailedNowTmpLocked);
        assert_eq!(verdict(&p, Active, 2), Verdict::FailedLockNext);
        assert_eq!(verdict(&p, Active, 3), Verdict::FailedNowTmpLocked);
        let strict = LockPolicy {
            mode: TmpLockingMode::Strict,
            ..p
        };
        assert_eq!(verdict(&strict, Active, 2), Verdict::FailedNowTmpLocked);
    }

    #[test]
    fn minus_one_switches_off_and_other_states_count_without_locking() {
        let off = LockPolicy {
            tmp_threshold: None,
            max_failures: None,
            ..LockPolicy::default()
        };
        assert_eq!(verdict(&off, Active, 1000), Verdict::Failed);
        let p = LockPolicy::default();
        assert_eq!(verdict(&p, Disabled, 10), Verdict::Failed);
        let only_active = attempt(&credential(Disabled, 0), true, &p, &[Active], Utc::now());
        assert_eq!(only_active.verdict, Verdict::Refused(Disabled));
    }

    #[test]
    fn a_success_zeroes_the_failures() {
        let done = attempt(
            &credential(Active, 1),
            true,
            &LockPolicy::default(),
            &[Active],
            Utc::now(),
        );
        assert_eq!(done.verdict, Verdict::Succeeded);
        let after = done.after.unwrap();
        assert_eq!(
            (after.logins.failure_count, after.logins.success_count),
            (0, 1)
        );
    }

    #[test]
    fn a_temporary_lock_ends_at_its_end_time_only() {
        let now = Utc::now();
        let locked = attempt(
            &credential(Active, 1),
            false,
            &LockPolicy::default(),
            &[Active],
            now,
        )
        .after
        .unwrap();
        let mut early = locked.clone();
        assert!(!settle(&mut early, now + Duration::seconds(59)));
        assert_eq!(early.state, TmpLocked);
        let mut late = locked;
        assert!(settle(&mut late, now + Duration::seconds(60)));
        assert_eq!(late.state, Active);
        assert_eq!(late.state_change_reason, Some(StateChangeReason::Unlock));
        let mut by_admin = credential(TmpLocked, 0);
        by_admin.logins.tmp_lock_end = Some(now);
        assert!(!settle(&mut by_admin, now + Duration::days(1)));
    }
}
