//! POST .../mtans/{extId} (`api/update-login-info`): recording a login result.
//!
//! The result goes through the lock engine (`domain::lockout`, the same as password
//! logins) in one transaction: the counters move (never `version`), and a failure may
//! lock the credential as its `TANPolicy` says (a versioned change with a history row of
//! action `lock`). A result for a locked credential is refused by the engine: it does not
//! count, and the answer shows the credential unchanged. Credentials in other states (an
//! administrator's `disabled`, say) are counted but never locked automatically.

use serde_json::Value;

use super::Mtan;
use super::service::LOGIN;
use crate::domain::ExtId;
use crate::domain::patch::PatchDocument;
use crate::domain::policy::PolicyType;
use crate::domain::state::CredentialState;
use crate::error::{ApiError, codes};
use crate::service::Ctx;
use crate::service::credential::{self, Attempted, CredentialKind, LoginRules, Outcome};

/// Every state but `archived` (refused before): the locked ones refuse in the engine.
const COUNTED: &[CredentialState] = &[
    CredentialState::Initial,
    CredentialState::Active,
    CredentialState::ResetCode,
    CredentialState::AdminChanged,
    CredentialState::Disabled,
];

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

    let target = Mtan::target(client, user, Some(ext_id));
    let current = credential::load(ctx, &target).await?;
    if current.state == CredentialState::Archived {
        return Err(ApiError::unprocessable(
            codes::MODIFY_READONLY,
            "The credential is archived and can no longer be used",
        ));
    }
    let rules = LoginRules {
        policy_type: PolicyType::Tan,
        allowed: COUNTED,
    };
    match credential::attempt_login(ctx, &target, &current, None, success, &rules).await? {
        Attempted::Done { credential, .. } => Ok(Outcome {
            credential: *credential,
            access,
            secret: None,
        }),
        // Deleted in between: answer as if it had never been there.
        Attempted::Missing | Attempted::Changed => Err(credential::load(ctx, &target)
            .await
            .err()
            .unwrap_or_else(|| {
                ApiError::NotFound("The credential was deleted concurrently".into())
            })),
    }
}
