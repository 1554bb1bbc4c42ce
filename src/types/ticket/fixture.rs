//! A ticket in a fixture: its stored digest as exported, or a plaintext value to digest.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Ticket, TicketAttributes};
use crate::domain::credential::Credential;
use crate::domain::secret_box::SecretKey;
use crate::domain::ticket;
use crate::fixtures::kind::{Context, FieldProblem, FixtureKind, Plaintext, at};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "Ticket")]
pub struct TicketFixture {
    /// The stored `{SSHA256}` digest, as exported. Give this or `ticketValue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// A plaintext ticket value, stored as a `{SSHA256}` digest. Never exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

impl FixtureKind for Ticket {
    type Fixture = TicketFixture;
    const FIXTURE_SECRETS: &'static [&'static str] = &["ticket", "ticketValue"];

    fn plaintext(f: &TicketFixture) -> Option<Plaintext<'_>> {
        f.ticket_value.as_deref().map(|v| ("ticketValue", v))
    }

    fn attributes(
        f: &TicketFixture,
        ctx: &Context<'_>,
    ) -> Result<TicketAttributes, Vec<FieldProblem>> {
        let hash = match (&f.ticket, &f.ticket_value) {
            (Some(_), Some(_)) => {
                return Err(at(
                    "ticketValue",
                    "give either ticket or ticketValue, not both",
                ));
            }
            (None, None) => {
                return Err(at(
                    "ticketValue",
                    "is required (or ticket, a {SSHA256} digest)",
                ));
            }
            (Some(digest), None) => {
                ticket::check_digest(digest).map_err(|m| at("ticket", m))?;
                digest.clone()
            }
            (None, Some(value)) if value.trim().is_empty() => {
                return Err(at("ticketValue", "must not be empty"));
            }
            (None, Some(value)) if ctx.hash => ticket::digest(value),
            (None, Some(_)) => String::new(),
        };
        Ok(TicketAttributes {
            hash,
            identification: f.identification.clone(),
            context: f.context.clone(),
        })
    }

    fn fixture(a: &TicketAttributes) -> TicketFixture {
        TicketFixture {
            ticket: Some(a.hash.clone()),
            ticket_value: None,
            identification: a.identification.clone(),
            context: a.context.clone(),
        }
    }

    fn verify(
        plain: &str,
        _stored: &Credential,
        a: &TicketAttributes,
        _key: &SecretKey,
    ) -> Option<bool> {
        Some(ticket::verify(plain, &a.hash))
    }
}
