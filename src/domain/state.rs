use serde::{Deserialize, Serialize};

/// The eight credential states of nevisIDM, with their wire names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum CredentialState {
    #[serde(rename = "initial")]
    Initial,
    #[serde(rename = "active")]
    Active,
    #[serde(rename = "tmp-locked")]
    TmpLocked,
    #[serde(rename = "fail-locked")]
    FailLocked,
    #[serde(rename = "reset-code")]
    ResetCode,
    #[serde(rename = "admin-changed")]
    AdminChanged,
    #[serde(rename = "disabled")]
    Disabled,
    #[serde(rename = "archived")]
    Archived,
}

impl CredentialState {
    pub const ALL: [Self; 8] = [
        Self::Initial,
        Self::Active,
        Self::TmpLocked,
        Self::FailLocked,
        Self::ResetCode,
        Self::AdminChanged,
        Self::Disabled,
        Self::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initial => "initial",
            Self::Active => "active",
            Self::TmpLocked => "tmp-locked",
            Self::FailLocked => "fail-locked",
            Self::ResetCode => "reset-code",
            Self::AdminChanged => "admin-changed",
            Self::Disabled => "disabled",
            Self::Archived => "archived",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn is_locked(self) -> bool {
        matches!(self, Self::TmpLocked | Self::FailLocked)
    }
}

/// Why the state last changed (nevisIDM's `credential-state-change-reasons`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StateChangeReason {
    CustomizedReasonCode,
    Initialized,
    Activated,
    TooManyLoginFailures,
    ResetByAdmin,
    ChangedByAdmin,
    ChangedByUser,
    LoggedInWithStrongCred,
    CertUploaded,
    PolicyCheckFailed,
    Renewal,
    Reset,
    CertRevoked,
    Unlock,
    ChangedByBatchjob,
}

impl StateChangeReason {
    const ALL: [Self; 15] = [
        Self::CustomizedReasonCode,
        Self::Initialized,
        Self::Activated,
        Self::TooManyLoginFailures,
        Self::ResetByAdmin,
        Self::ChangedByAdmin,
        Self::ChangedByUser,
        Self::LoggedInWithStrongCred,
        Self::CertUploaded,
        Self::PolicyCheckFailed,
        Self::Renewal,
        Self::Reset,
        Self::CertRevoked,
        Self::Unlock,
        Self::ChangedByBatchjob,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CustomizedReasonCode => "customized-reason-code",
            Self::Initialized => "initialized",
            Self::Activated => "activated",
            Self::TooManyLoginFailures => "too-many-login-failures",
            Self::ResetByAdmin => "reset-by-admin",
            Self::ChangedByAdmin => "changed-by-admin",
            Self::ChangedByUser => "changed-by-user",
            Self::LoggedInWithStrongCred => "logged-in-with-strong-cred",
            Self::CertUploaded => "cert-uploaded",
            Self::PolicyCheckFailed => "policy-check-failed",
            Self::Renewal => "renewal",
            Self::Reset => "reset",
            Self::CertRevoked => "cert-revoked",
            Self::Unlock => "unlock",
            Self::ChangedByBatchjob => "changed-by-batchjob",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The reason recorded when a credential is created in `state`.
    pub fn on_creation(state: CredentialState) -> Self {
        if state == CredentialState::Active {
            Self::Activated
        } else {
            Self::Initialized
        }
    }
}

/// Who asks for a state change: an administrator, or the user on their own credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Admin,
    SelfAdmin,
}

/// Whether a self-admin may move their credential out of `state`, which it entered for
/// `reason`. Not out of a lock (`tmp-locked`, `fail-locked`: the lock engine's or an
/// administrator's), nor out of `disabled` unless the user disabled it themselves; these
/// states stop a credential from being used, and a user must not undo what was meant to
/// stop them (docs/compatibility.md, "Self-admin reach"). `archived` is terminal for all.
pub fn self_admin_may_leave(state: CredentialState, reason: Option<StateChangeReason>) -> bool {
    match state {
        CredentialState::TmpLocked | CredentialState::FailLocked => false,
        CredentialState::Disabled => reason == Some(StateChangeReason::ChangedByUser),
        _ => true,
    }
}

/// The effect of a requested state change (decisions.md, "States").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateChange {
    pub state: CredentialState,
    pub reason: StateChangeReason,
    /// Unlocking starts the failure count afresh.
    pub reset_failed_count: bool,
}

/// What moving from `from` to `to` means; `None` when the state stays the same.
/// Leaving `archived` is refused before this is called (archived is terminal).
pub fn transition(from: CredentialState, to: CredentialState, actor: Actor) -> Option<StateChange> {
    if from == to {
        return None;
    }
    let unlock = from.is_locked() && to == CredentialState::Active;
    let reason = match (unlock, actor) {
        (true, _) => StateChangeReason::Unlock,
        (false, Actor::Admin) => StateChangeReason::ChangedByAdmin,
        (false, Actor::SelfAdmin) => StateChangeReason::ChangedByUser,
    };
    Some(StateChange {
        state: to,
        reason,
        reset_failed_count: unlock,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use CredentialState::*;

    #[test]
    fn wire_names_round_trip() {
        for state in CredentialState::ALL {
            assert_eq!(CredentialState::parse(state.as_str()), Some(state));
            let json = serde_json::to_value(state).unwrap();
            assert_eq!(json, state.as_str());
        }
        for reason in StateChangeReason::ALL {
            assert_eq!(StateChangeReason::parse(reason.as_str()), Some(reason));
            let json = serde_json::to_value(reason).unwrap();
            assert_eq!(json, reason.as_str());
        }
        assert_eq!(CredentialState::parse("tmp_locked"), None);
    }

    #[test]
    fn unlocking_resets_the_failure_count() {
        for from in [TmpLocked, FailLocked] {
            let change = transition(from, Active, Actor::Admin).unwrap();
            assert_eq!(change.reason, StateChangeReason::Unlock);
            assert!(change.reset_failed_count);
        }
    }

    #[test]
    fn other_changes_are_by_admin_or_by_user() {
        let change = transition(Active, Disabled, Actor::Admin).unwrap();
        assert_eq!(change.reason, StateChangeReason::ChangedByAdmin);
        assert!(!change.reset_failed_count);
        let change = transition(Active, Disabled, Actor::SelfAdmin).unwrap();
        assert_eq!(change.reason, StateChangeReason::ChangedByUser);
        let change = transition(Disabled, Active, Actor::Admin).unwrap();
        assert_eq!(change.reason, StateChangeReason::ChangedByAdmin);
    }

    #[test]
    fn a_self_admin_leaves_only_states_nobody_imposed_on_them() {
        use StateChangeReason as R;
        for locked in [TmpLocked, FailLocked] {
            for reason in [None, Some(R::TooManyLoginFailures), Some(R::ChangedByUser)] {
                assert!(!self_admin_may_leave(locked, reason));
            }
        }
        assert!(!self_admin_may_leave(Disabled, Some(R::ChangedByAdmin)));
        assert!(!self_admin_may_leave(Disabled, None));
        assert!(self_admin_may_leave(Disabled, Some(R::ChangedByUser)));
        for free in [Initial, Active, ResetCode, AdminChanged] {
            assert!(self_admin_may_leave(free, Some(R::ChangedByAdmin)));
        }
    }

    #[test]
    fn the_same_state_is_no_change() {
        for state in CredentialState::ALL {
            assert_eq!(transition(state, state, Actor::Admin), None);
        }
    }

    #[test]
    fn creation_reason_follows_the_state() {
        assert_eq!(
            StateChangeReason::on_creation(Active),
            StateChangeReason::Activated
        );
        assert_eq!(
            StateChangeReason::on_creation(Initial),
            StateChangeReason::Initialized
        );
    }
}
