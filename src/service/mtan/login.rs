//! POST .../mtans/{extId} (`api/update-login-info`): recording a login result.
//!
//! The counters move atomically in the database and never touch `version` (login
//! statistics are not a versioned change). Failures may lock the credential as its
//! `TANPolicy` says; that is a change of state, so it is versioned and in the history.
//!
//! Locking, as decided here (nevisIDM documents the parameters, not the algorithm):
//! an `active` credential whose failure count reaches `tmpLockingThreshold` (default 2)
//! becomes `tmp-locked`; an `active` or `tmp-locked` one whose count reaches
//! `maxCredFailureCount` (default 3) becomes `fail-locked`; `-1` switches either off.
//! Both carry reason `too-many-login-failures`. Credentials in any other state (an
//! administrator's `disabled`, say) are counted but never locked automatically.
//! `tmp-locked` does not expire by itself (`tmpLockingDuration` is not implemented):
//! an administrator unlocks it with a PATCH to `active`.

use serde_json::Value;

use super::{LOGIN, target};
use crate::domain::credential::Credential;
use crate::domain::directory::Policy;
use crate::domain::history::{self, Action, HistoryEntry};
use crate::domain::patch::PatchDocument;
use crate::domain::policy::PolicyType;
use crate::domain::state::{CredentialState, StateChangeReason};
use crate::domain::view::{Audience, CredentialView};
use crate::domain::{ExtId, time};
use crate::error::{ApiError, codes};
use crate::service::Ctx;
use crate::service::credential::{self, Outcome};

/// How often the lock is re-tried on top of a concurrent change before giving up.
const MAX_ATTEMPTS: usize = 16;

/// The failure counts at which the policy locks a credential; `None` means never.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Thresholds {
    tmp_lock: Option<i64>,
    fail_lock: Option<i64>,
}

impl Thresholds {
    fn of(policy: &Policy) -> Result<Self, ApiError> {
        let read = |name: &str, default: i64| {
            let value = policy
                .parameters
                .int(name, default)
                .map_err(|m| ApiError::unprocessable(codes::INVALID_CONFIG, m))?;
            Ok::<_, ApiError>((value >= 0).then_some(value))
        };
        Ok(Self {
            tmp_lock: read("tmpLockingThreshold", 2)?,
            fail_lock: read("maxCredFailureCount", 3)?,
        })
    }

    /// The state `failures` failed logins move a credential in `state` to, if any.
    fn lock(self, state: CredentialState, failures: i64) -> Option<CredentialState> {
        let reached = |limit: Option<i64>| limit.is_some_and(|n| failures >= n);
        match state {
            CredentialState::Active | CredentialState::TmpLocked if reached(self.fail_lock) => {
                Some(CredentialState::FailLocked)
            }
            CredentialState::Active if reached(self.tmp_lock) => Some(CredentialState::TmpLocked),
            _ => None,
        }
    }
}

/// Records `{"success": true|false}` for one mTAN and answers with the credential.
pub async fn record_login(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    ext_id: ExtId,
    body: Value,
) -> Result<Outcome, ApiError> {
    let access = ctx
        .authorize_user(client.as_str(), user.as_str(), LOGIN)
        .await?;
    let mut doc = PatchDocument::new(body)?;
    let success = doc.boolean("success");
    if success.is_none() {
        doc.problem("success", "is required (true or false)");
    }
    doc.finish(&[])?;
    let success = success.unwrap_or_default();

    let target = target(client, user, ext_id);
    let mut current = credential::load(ctx, &target).await?;
    if current.state == CredentialState::Archived {
        return Err(ApiError::unprocessable(
            codes::MODIFY_READONLY,
            "The credential is archived and can no longer be used",
        ));
    }
    let thresholds = if success {
        None
    } else {
        let policy_ext_id = current
            .policy
            .as_ref()
            .and_then(|p| ExtId::parse(&p.ext_id).ok());
        let policy =
            credential::policy_for(ctx, &target.client, PolicyType::Tan, policy_ext_id.as_ref())
                .await?;
        Some(Thresholds::of(&policy)?)
    };

    let Some(logins) = ctx
        .store
        .record_login(&current.id, success, time::now())
        .await?
    else {
        // Deleted in between: answer as if it had never been there.
        return Err(credential::load(ctx, &target)
            .await
            .err()
            .unwrap_or_else(|| {
                ApiError::NotFound("The credential was deleted concurrently".into())
            }));
    };
    current.logins = logins;
    let credential = match thresholds {
        Some(t)
            if t.lock(current.state, current.logins.failure_count)
                .is_some() =>
        {
            lock(ctx, &target, t).await?
        }
        _ => current,
    };
    Ok(Outcome {
        credential,
        access,
        secret: None,
    })
}

/// Locks the credential if its current failure count calls for it. Writes only state
/// columns (never the counters, which concurrent login results keep moving), versioned,
/// with a history row; re-reads and re-decides when another writer got there first.
async fn lock(
    ctx: Ctx<'_>,
    target: &credential::Target,
    thresholds: Thresholds,
) -> Result<Credential, ApiError> {
    for _ in 0..MAX_ATTEMPTS {
        let current = credential::load(ctx, target).await?;
        let Some(state) = thresholds.lock(current.state, current.logins.failure_count) else {
            return Ok(current);
        };
        let mut next = current.clone();
        next.state = state;
        next.state_change_reason = Some(StateChangeReason::TooManyLoginFailures);
        next.state_change_detail = None;
        next.version = current.version + 1;
        next.last_modified = time::now();
        let view = |c: &Credential| CredentialView::new(c, Audience::Admin, None);
        let entry = HistoryEntry {
            id: uuid::Uuid::new_v4().to_string(),
            credential_id: next.id.clone(),
            user_id: next.user_id.clone(),
            version: next.version,
            at: next.last_modified,
            actor: ctx.caller.sub.clone(),
            action: Action::Patch,
            changes: history::diff(&view(&current).fields(), &view(&next).fields()),
        };
        if ctx
            .store
            .lock_credential(&next, current.version, &entry)
            .await?
        {
            return Ok(next);
        }
    }
    Err(ApiError::VersionConflict(
        "The credential is being modified concurrently; retry the request".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use CredentialState::*;

    const DEFAULTS: Thresholds = Thresholds {
        tmp_lock: Some(2),
        fail_lock: Some(3),
    };

    #[test]
    fn failures_escalate_from_tmp_to_fail_lock() {
        assert_eq!(DEFAULTS.lock(Active, 1), None);
        assert_eq!(DEFAULTS.lock(Active, 2), Some(TmpLocked));
        assert_eq!(DEFAULTS.lock(TmpLocked, 2), None);
        assert_eq!(DEFAULTS.lock(TmpLocked, 3), Some(FailLocked));
        assert_eq!(DEFAULTS.lock(Active, 7), Some(FailLocked));
        assert_eq!(DEFAULTS.lock(FailLocked, 9), None);
    }

    #[test]
    fn minus_one_switches_locking_off_and_other_states_are_left_alone() {
        let off = Thresholds {
            tmp_lock: None,
            fail_lock: None,
        };
        assert_eq!(off.lock(Active, 1000), None);
        for state in [Initial, Disabled, ResetCode, AdminChanged] {
            assert_eq!(DEFAULTS.lock(state, 10), None);
        }
    }
}
