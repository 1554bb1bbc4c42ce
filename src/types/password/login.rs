//! POST `/nevisidm/api/auth/v1/{clientExtId}/users/{userExtId}/password/login`
//! (`api/password-login`): checks a password and records the attempt with the lock
//! engine.
//!
//! What each case answers (docs/compatibility.md, "Password login"): a wrong password is
//! 200 with statusCode 2, 3, 4 or 9; a right one 200 with 5; no client, user or
//! password 404; a locked credential 423; any other state but `active`, or outside its
//! validity, 403. Every request runs exactly one password verify on a hashing slot (a
//! dummy hash when there is nothing to verify against), so that answers do not differ
//! in time by whether a user or a credential exists.

use std::sync::OnceLock;

use serde_json::Value;

use super::Password;
use super::service::MAX_PASSWORD_BYTES;
use crate::service::hashing::on_hashing_slot;
use crate::domain::credential::{Attributes, Credential};
use crate::domain::lockout::LoginStatus;
use crate::domain::patch::PatchDocument;
use crate::domain::policy::PolicyType;
use crate::domain::state::CredentialState;
use crate::domain::{ExtId, password};
use crate::error::ApiError;
use crate::service::Ctx;
use crate::service::credential::CredentialKind;
use crate::service::credential::{self, LoginRules, Target};

const RULES: LoginRules<'static> = LoginRules {
    policy_type: PolicyType::Pwd,
    allowed: &[CredentialState::Active],
};

/// How often the check runs again when the password changed while it was checked.
const MAX_ATTEMPTS: usize = 3;

/// An argon2id hash of the same parameters as the stored ones, of a password nobody
/// knows: verified against when there is no credential, so that costs the same.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let unknown = uuid::Uuid::new_v4().to_string();
        password::hash(&unknown).unwrap_or_default()
    })
}

pub async fn login(
    ctx: Ctx<'_>,
    target: Target,
    body: Value,
) -> Result<LoginStatus, ApiError> {
    credential::authorize_login(ctx, &target)?;
    let absent = body.get("password").is_none();
    let mut doc = PatchDocument::new(body)?;
    let given = doc.text("password", MAX_PASSWORD_BYTES);
    if absent {
        doc.problem("password", "is required");
    }
    doc.finish(&[])?;
    attempt(ctx, target.client, target.user, given.unwrap_or_default()).await
}

/// One login attempt with password `given` on the password of `user` in `client`,
/// recorded with the lock engine (the caller has authorized it): the answer of a
/// processed attempt, or the 4xx of a credential that cannot log in. The principal
/// API's token endpoint checks a re-entered password through this too.
pub async fn attempt(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    given: String,
) -> Result<LoginStatus, ApiError> {
    let target = Password::target(client, user, None);
    for _ in 0..MAX_ATTEMPTS {
        let found = credential::load(ctx, &target).await;
        let stored = match &found {
            Ok(Credential {
                attributes: Attributes::Password(p),
                ..
            }) => Some(p.hash.clone()),
            _ => None,
        };
        let plain = given.clone();
        let matched = on_hashing_slot(move || match stored {
            Some(hash) => password::verify(&plain, &hash),
            None => {
                let _ = password::verify(&plain, dummy_hash());
                Some(false)
            }
        })
        .await?;
        let current = found?;
        credential::check_usable(&current)?;
        let Some(matched) = matched else {
            return Err(super::service::unverifiable_hash());
        };
        let attempt = credential::attempt_login(
            ctx,
            &target,
            &current,
            Some(&current.attributes),
            matched,
            &RULES,
        )
        .await?;
        if let Some(status) = credential::login_status(ctx, &target, attempt).await? {
            return Ok(status);
        }
    }
    Err(ApiError::VersionConflict(
        "The password is being changed concurrently; retry the login".into(),
    ))
}
