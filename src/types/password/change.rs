//! POST `/nevisidm/api/core/v1/{clientExtId}/users/{userExtId}/password/change`: gives
//! the user a new password without deleting the credential.
//!
//! nevisIDM documents this verb for its other password types (`api/change-context-password`,
//! `api/change-device-password`) and Identity Cloud for its password
//! (`.../password/change`); the same body and rules apply here (docs/compatibility.md,
//! "Password change"): `newPassword` required and checked against the policy;
//! `oldPassword` required in self-admin mode, omitted and ignored for an administrator;
//! not available when the policy has `resetCodeEnabled`. A wrong `oldPassword` is a failed
//! login: the lock engine counts it, so the change verb cannot be used to guess a password
//! faster than the login.

use serde_json::Value;

use super::Password;
use super::service::{MAX_PASSWORD_BYTES, rules};
use crate::service::hashing::{hash, on_hashing_slot};
use crate::auth::{Access, Permission as P, Rule, SelfAdmin};
use crate::domain::ExtId;
use crate::domain::credential::{Attributes, Credential};
use crate::domain::history::Action;
use crate::domain::password;
use crate::domain::patch::{PatchDocument, ReadOnlyEcho};
use crate::domain::policy::PolicyType;
use crate::domain::state::{self, Actor, CredentialState};
use crate::error::ApiError;
use crate::service::Ctx;
use crate::service::credential::CredentialKind;
use crate::service::credential::{self, CommonPatch, IfMatch, LoginRules, Modification, Outcome};

/// `AccessControl.CredentialModify` or the user with an `X-Token` (the change pages).
pub const CHANGE: Rule = Rule::or_self(&[P::CredentialModify], SelfAdmin::WithXToken);

/// A wrong old password counts as a failed login in the states a user can log in from
/// or must change the password from.
const OLD_PASSWORD_RULES: LoginRules<'static> = LoginRules {
    policy_type: PolicyType::Pwd,
    allowed: &[
        CredentialState::Active,
        CredentialState::Initial,
        CredentialState::AdminChanged,
        CredentialState::ResetCode,
    ],
};

/// The states a change ends in `active` from: those that wait for a new password
/// (`initial`, `reset-code`, `admin-changed`) and the locks a new password lifts (an
/// administrator's change only: a self-admin may not leave a lock). `disabled` stays
/// disabled: a new password is no reason to enable a credential.
fn state_after_change(from: CredentialState) -> CredentialState {
    use CredentialState::*;
    match from {
        Initial | ResetCode | AdminChanged | TmpLocked | FailLocked | Active => Active,
        other => other,
    }
}

pub async fn change(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    body: Value,
    if_match: Option<IfMatch>,
) -> Result<Outcome, ApiError> {
    let access = ctx
        .authorize_user(client.as_str(), user.as_str(), CHANGE)
        .await?;
    let mut doc = PatchDocument::new(body)?;
    let new_password = doc.required_text("newPassword", MAX_PASSWORD_BYTES);
    // The pages: oldPassword "has to be omitted when the caller changes the password of
    // someone else" and is then ignored, so an administrator's is not even read.
    let old_password = match access {
        Access::SelfAdmin => doc.required_text("oldPassword", MAX_PASSWORD_BYTES),
        Access::Admin => {
            doc.raw("oldPassword");
            None
        }
    };
    doc.finish(&[])?;
    let new_password = new_password.unwrap_or_default();

    let target = Password::target(client, user, None);
    let current = credential::load(ctx, &target).await?;
    let policy = credential::current_policy(ctx, &target, PolicyType::Pwd).await?;
    let rules = rules(&policy)?;
    if rules.reset_code_enabled {
        return Err(ApiError::invalid(format!(
            "The password cannot be changed: policy {} has resetCodeEnabled, so the server \
             generates passwords (use POST .../password/reset)",
            policy.ext_id
        )));
    }
    let owner = credential::load_user(ctx, &target.client, &target.user).await?;
    let violations = rules.violations(&new_password, &owner.login_id);
    if !violations.is_empty() {
        return Err(ApiError::Unprocessable(violations));
    }
    let verified_hash = match old_password {
        Some(old) => Some(check_old_password(ctx, &target, &current, old).await?),
        None => None,
    };

    let new_hash = hash(new_password).await?;
    let actor = match access {
        Access::Admin => Actor::Admin,
        Access::SelfAdmin => Actor::SelfAdmin,
    };
    let modification = Modification {
        action: Action::Change,
        access,
        common: CommonPatch::none(),
        echo: ReadOnlyEcho::default(),
        if_match,
        apply: Box::new(move |c| {
            let Attributes::Password(p) = &mut c.attributes else {
                return Err(ApiError::Internal(
                    "a password credential without a hash".into(),
                ));
            };
            // The old password was checked against this hash: if another change got in
            // between, this one must not overwrite it on the strength of a stale check.
            if verified_hash.as_ref().is_some_and(|h| *h != p.hash) {
                return Err(ApiError::VersionConflict(
                    "The password was changed concurrently; check the old password again".into(),
                ));
            }
            p.hash = new_hash.clone();
            if let Some(change) = state::transition(c.state, state_after_change(c.state), actor) {
                c.state = change.state;
                c.state_change_reason = Some(change.reason);
                c.state_change_detail = None;
            }
            // A new password starts with no failures against it, and no lock.
            c.logins.failure_count = 0;
            c.logins.tmp_lock_end = None;
            Ok(())
        }),
    };
    credential::modify(ctx, &target, modification).await
}

/// Verifies a self-admin's `oldPassword` against `current` on a hashing slot; a wrong one
/// is recorded as a failed login (403, or 423 when that failure locks the credential).
/// Returns the hash it was verified against.
async fn check_old_password(
    ctx: Ctx<'_>,
    target: &credential::Target,
    current: &Credential,
    old: String,
) -> Result<String, ApiError> {
    let Attributes::Password(p) = &current.attributes else {
        return Err(ApiError::Internal(
            "a password credential without a hash".into(),
        ));
    };
    let stored = p.hash.clone();
    let against = stored.clone();
    let matched = on_hashing_slot(move || password::verify(&old, &against)).await?;
    match matched {
        Some(true) => Ok(stored),
        Some(false) => {
            let attempt = credential::attempt_login(
                ctx,
                target,
                current,
                Some(&current.attributes),
                false,
                &OLD_PASSWORD_RULES,
            )
            .await?;
            let locked = matches!(
                attempt,
                credential::Attempted::Done { ref credential, .. } if credential.state.is_locked()
            );
            let message = "The old password is wrong (counted as a failed login)";
            Err(if locked {
                ApiError::Locked(format!("{message}; the password credential is now locked"))
            } else {
                ApiError::PermissionDenied(message.into())
            })
        }
        None => Err(super::service::unverifiable_hash()),
    }
}
