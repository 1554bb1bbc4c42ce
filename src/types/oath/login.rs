//! POST `/nevisidm/api/auth/v1/{clientExtId}/users/{userExtId}/oath-credentials/{extId}/login`
//! (an extension: nevisIDM leaves checking OATH codes to other components): checks a
//! one-time code against the credential's secret and records the attempt with the lock
//! engine, as a password login does (same answer, same permissions, same 4xx).
//!
//! TOTP accepts the time steps now ± 1, HOTP the counter values from the expected one
//! up to 10 ahead (`domain::otp`); a code at or before the last accepted one is a failed
//! login, so no code works twice. The count and the accepted code's moving factor are
//! written only if the credential is still the one checked (`credential::verify_login`).

use serde_json::Value;

use crate::domain::credential::{Attributes, Credential};
use crate::domain::lockout::LoginStatus;
use crate::domain::otp::{self, Generator};
use crate::domain::patch::PatchDocument;
use crate::domain::policy::PolicyType;
use crate::domain::secret_box::{self, SecretKey};
use crate::domain::state::CredentialState;
use crate::domain::time;
use crate::error::{ApiError, codes};
use crate::service::Ctx;
use crate::service::credential::{self, Checked, LoginRules, Target};

const RULES: LoginRules<'static> = LoginRules {
    policy_type: PolicyType::Oath,
    allowed: &[CredentialState::Active],
};

/// Checks `{"code": "123456"}` for one OATH credential.
pub async fn login(
    ctx: Ctx<'_>,
    target: Target,
    body: Value,
) -> Result<LoginStatus, ApiError> {
    credential::authorize_login(ctx, &target)?;
    let mut doc = PatchDocument::new(body)?;
    let code = doc.required_text("code", otp::MAX_DIGITS);
    if code
        .as_ref()
        .is_some_and(|c| c.len() < otp::MIN_DIGITS || !c.bytes().all(|b| b.is_ascii_digit()))
    {
        doc.problem("code", "must be 6 to 8 digits");
    }
    doc.finish(&[])?;
    let code = code.unwrap_or_default();

    let now = u64::try_from(time::now().timestamp()).unwrap_or(0);
    credential::verify_login(ctx, &target, &RULES, |stored| {
        check(ctx.secret_key, stored, &code, now)
    })
    .await
}

/// Whether `code` is accepted for `stored` at `now` (Unix seconds), and the moving factor
/// to record if so.
fn check(key: &SecretKey, stored: &Credential, code: &str, now: u64) -> Result<Checked, ApiError> {
    let Attributes::Oath(a) = &stored.attributes else {
        return Ok(Checked::default());
    };
    let secret = secret_box::open(key, &stored.id, &a.secret).map_err(|_| {
        ApiError::unprocessable(
            codes::INVALID_CONFIG,
            "The OATH secret does not decrypt with this server's IDM_SECRET_KEY",
        )
    })?;
    let generator = Generator {
        method: a.method,
        algorithm: a.algorithm,
        digits: a.digits,
        period: a.period,
        secret: &secret,
    };
    let last = stored.logins.last_otp.and_then(|l| u64::try_from(l).ok());
    let accepted = generator.accepts(code, now, a.next_counter(stored.logins.last_otp), last);
    Ok(Checked {
        success: accepted.is_some(),
        last_otp: accepted.and_then(|factor| i64::try_from(factor).ok()),
    })
}
