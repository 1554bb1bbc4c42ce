//! Password credentials' rules and readers, and the reset.

use crate::service::Ctx;
use crate::service::credential::{
    self, ApplyFn, Built, CredentialKind, IfMatch, Modification, Outcome, Rules, Target,
};
use crate::service::hashing::hash;
use super::{Password, PasswordAttributes};
use crate::auth::{Access, Permission as P, Rule, SelfAdmin};
use crate::domain::ExtId;
use crate::domain::credential::Attributes;
use crate::domain::directory::{Policy, User};
use crate::domain::password::PasswordRules;
use crate::domain::policy::Parameters;
use crate::domain::patch::PatchDocument;
use crate::domain::state::{CredentialState, StateChangeReason};
use crate::domain::view::OneTimeSecret;
use crate::error::{ApiError, codes};

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
pub(super) const MAX_PASSWORD_BYTES: usize = 4096;

/// A stored hash in a format imported from nevisIDM that this server cannot verify.
pub(super) fn unverifiable_hash() -> ApiError {
    ApiError::unprocessable(
        codes::INVALID_CONFIG,
        "The stored password hash is in a format this server cannot verify (a bcrypt cost above 14)",
    )
}

pub(super) fn rules(policy: &Policy) -> Result<PasswordRules, ApiError> {
    PasswordRules::from_parameters(&policy.parameters)
        .map_err(|m| ApiError::unprocessable(codes::INVALID_CONFIG, m))
}

impl CredentialKind for Password {
    const RULES: Rules = RULES;
    const READ_ONLY: &'static [&'static str] = &["resetCount", "password"];

    /// A `PwdPolicy` must be satisfiable.
    fn check_policy(parameters: &Parameters) -> Result<(), String> {
        PasswordRules::from_parameters(parameters).map(|_| ())
    }

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
                    Some(OneTimeSecret(generated)),
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
        let mut built = Built::new(attributes);
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
    let policy = credential::current_policy(ctx, &target, Password::POLICY).await?;
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
            Some(OneTimeSecret(generated)),
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
