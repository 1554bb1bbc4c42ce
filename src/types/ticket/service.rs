//! Ticket credentials' rules and readers, and the reset.

use super::{Ticket, TicketAttributes};
use crate::auth::{Permission as P, Rule, SelfAdmin};
use crate::domain::credential::Attributes;
use crate::domain::kind::Registered;
use crate::domain::directory::{Policy, User};
use crate::domain::patch::{Change, MAX_TEXT_LEN, PatchDocument};
use crate::domain::view::OneTimeSecret;
use crate::domain::{ExtId, ticket, time};
use crate::error::{ApiError, codes};
use crate::service::Ctx;
use crate::service::credential::{

    self, ApplyFn, Built, CredentialKind, IfMatch, Modification, Outcome, Rules, Target,
};

pub const RULES: Rules = Rules {
    create: Rule::admin(&[P::CredentialCreate]),
    view: Rule::or_self(&[P::CredentialView], SelfAdmin::Allowed),
    modify: Rule::admin(&[P::CredentialModify, P::CredentialView]),
    delete: Rule::admin(&[P::CredentialDelete]),
};

/// The caller-supplied text fields of a ticket.
pub struct Texts {
    identification: Option<String>,
    context: Option<String>,
}


impl CredentialKind for Ticket {
    const RULES: Rules = RULES;
    const PATCH_POLICY_AND_VALIDITY: bool = true;
    const READ_ONLY: &'static [&'static str] = &[
        "ticket",
        "failureCount",
        "successCount",
        "resetCount",
        "context",
    ];

    type Draft = Texts;

    fn read_create(doc: &mut PatchDocument) -> Result<Texts, ApiError> {
        Ok(Texts {
            identification: doc.clearable_text("identification", MAX_TEXT_LEN).set(),
            context: doc.clearable_text("context", MAX_TEXT_LEN).set(),
        })
    }

    /// A fresh value, shown once, valid for the policy's lifetime.
    async fn build(
        _ctx: Ctx<'_>,
        texts: Texts,
        _owner: &User,
        _policy: &Policy,
    ) -> Result<Built, ApiError> {
        let value = ticket::generate_value();
        let attributes = Attributes::Ticket(TicketAttributes {
            hash: ticket::digest(&value),
            identification: texts.identification,
            context: texts.context,
        });
        let mut built = Built::new(attributes);
        built.secret = Some(OneTimeSecret(value));
        Ok(built)
    }

    /// Seed 004: `identification` (and, shared, `policyExtId` and `validity`).
    type Edit = Change<String>;

    fn read_patch(doc: &mut PatchDocument) -> Result<Change<String>, ApiError> {
        Ok(doc.clearable_text("identification", MAX_TEXT_LEN))
    }

    async fn prepare(
        _ctx: Ctx<'_>,
        _target: &Target,
        identification: Change<String>,
    ) -> Result<ApplyFn<'static>, ApiError> {
        Ok(Box::new(move |c| {
            if let Attributes::Ticket(t) = &mut c.attributes {
                match &identification {
                    Change::Keep => {}
                    Change::Clear => t.identification = None,
                    Change::Set(text) => t.identification = Some(text.clone()),
                }
            }
            Ok(())
        }))
    }
}

/// POST .../ticket/reset: a new value (shown once), `resetCount` + 1, the use counters
/// from zero and a fresh validity period from the policy.
pub async fn reset(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    if_match: Option<IfMatch>,
) -> Result<Outcome, ApiError> {
    let access = ctx
        .authorize_user(client.as_str(), user.as_str(), RULES.modify)
        .await?;
    let target = Ticket::target(client, user, None);
    let policy = credential::current_policy(ctx, &target, Ticket::POLICY).await?;
    let lifetime = policy
        .parameters
        .credential_lifetime(Ticket::TYPE)
        .map_err(|m| ApiError::unprocessable(codes::INVALID_CONFIG, m))?;
    let value = ticket::generate_value();
    let digest = ticket::digest(&value);
    let modification = Modification::reset(
        access,
        if_match,
        Box::new(move |c| {
            let now = time::now();
            if let Attributes::Ticket(t) = &mut c.attributes {
                t.hash = digest.clone();
            }
            c.reset_count += 1;
            c.logins.success_count = 0;
            c.logins.failure_count = 0;
            c.validity.from = Some(now);
            c.validity.to = Some(time::after(now, lifetime));
            Ok(())
        }),
    );
    let mut outcome = credential::modify(ctx, &target, modification).await?;
    outcome.secret = Some(OneTimeSecret(value));
    Ok(outcome)
}
