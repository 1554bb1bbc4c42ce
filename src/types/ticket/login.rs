//! POST `/nevisidm/api/auth/v1/{clientExtId}/users/{userExtId}/ticket/login` (an
//! extension: nevisIDM leaves checking tickets to other components): compares a ticket
//! value with the stored `{SSHA256}` digest in constant time and records the attempt
//! with the lock engine, as a password login does (same answer, same permissions, same
//! 4xx). A success raises the ticket's `successCount`, a failure its `failureCount`
//! (failures since the last success, the count the lock thresholds of its
//! `TicketPolicy` apply to).

use serde_json::Value;

use crate::domain::credential::Attributes;
use crate::domain::lockout::LoginStatus;
use crate::domain::patch::PatchDocument;
use crate::domain::policy::PolicyType;
use crate::domain::state::CredentialState;
use crate::domain::ticket;
use crate::error::ApiError;
use crate::service::Ctx;
use crate::service::credential::{self, Checked, LoginRules, Target};

const RULES: LoginRules<'static> = LoginRules {
    policy_type: PolicyType::Ticket,
    allowed: &[CredentialState::Active],
};

/// Generated values are 43 characters; longer input is no ticket of this server.
const MAX_TICKET_LEN: usize = 1024;

/// Checks `{"ticket": "..."}` against the user's ticket.
pub async fn login(
    ctx: Ctx<'_>,
    target: Target,
    body: Value,
) -> Result<LoginStatus, ApiError> {
    credential::authorize_login(ctx, &target)?;
    let mut doc = PatchDocument::new(body)?;
    let given = doc.required_text("ticket", MAX_TICKET_LEN);
    doc.finish(&[])?;
    let given = given.unwrap_or_default();

    credential::verify_login(ctx, &target, &RULES, |stored| {
        let success = match &stored.attributes {
            Attributes::Ticket(t) => ticket::verify(&given, &t.hash),
            _ => false,
        };
        Ok(Checked {
            success,
            last_otp: None,
        })
    })
    .await
}
