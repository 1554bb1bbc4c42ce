//! mTAN credentials' rules and readers.

use serde_json::Value;

use super::{Mtan, MtanAttributes};
use crate::auth::{Permission as P, Rule, SelfAdmin};
use crate::domain::credential::Attributes;
use crate::domain::directory::{Policy, User};
use crate::domain::patch::PatchDocument;
use crate::domain::state::CredentialState;
use crate::error::{ApiError, codes};
use crate::service::Ctx;
use crate::service::credential::{ApplyFn, Built, CredentialKind, Rules, Target};

pub const RULES: Rules = Rules {
    create: Rule::admin(&[P::CredentialCreate]),
    view: Rule::or_self(&[P::CredentialView], SelfAdmin::Allowed),
    modify: Rule::admin(&[P::CredentialModify, P::CredentialView]),
    delete: Rule::or_self(&[P::CredentialDelete], SelfAdmin::WithXToken),
};
/// Recording a login result needs what a PATCH needs (`api/update-login-info`).
pub const LOGIN: Rule = RULES.modify;
/// The states seed 000 lets a PATCH set: all but `archived`.
const PATCH_STATES: [CredentialState; 7] = [
    CredentialState::Initial,
    CredentialState::Active,
    CredentialState::TmpLocked,
    CredentialState::FailLocked,
    CredentialState::ResetCode,
    CredentialState::AdminChanged,
    CredentialState::Disabled,
];

fn e164(raw: &str) -> Result<MtanAttributes, ApiError> {
    MtanAttributes::parse(raw).map_err(|problem| {
        ApiError::unprocessable(
            codes::MTAN_FORMAT_E164,
            format!("Field 'mobileNumber' {problem}; expected E.164, e.g. +41791234567"),
        )
    })
}

/// What a request says about `mobileNumber`: a string on input; the object a GET
/// returned is accepted back when it is unchanged, so a client may echo what it read.
pub enum NumberInput {
    Keep,
    Text(String),
    Echo(Value),
}

fn read_number(doc: &mut PatchDocument) -> NumberInput {
    match doc.raw("mobileNumber") {
        None => NumberInput::Keep,
        Some(Value::String(text)) => NumberInput::Text(text),
        Some(echo @ Value::Object(_)) => NumberInput::Echo(echo),
        Some(Value::Null) => {
            doc.problem("mobileNumber", "must not be null");
            NumberInput::Keep
        }
        Some(_) => {
            doc.problem("mobileNumber", "must be a string");
            NumberInput::Keep
        }
    }
}

impl CredentialKind for Mtan {
    const RULES: Rules = RULES;
    const STATES: &'static [CredentialState] = &PATCH_STATES;

    type Draft = MtanAttributes;

    /// `mobileNumber`, required, a string.
    fn read_create(doc: &mut PatchDocument) -> Result<MtanAttributes, ApiError> {
        let problem = match read_number(doc) {
            NumberInput::Text(text) => return e164(&text),
            NumberInput::Keep => "is required",
            NumberInput::Echo(_) => "must be a string",
        };
        doc.problem("mobileNumber", problem);
        Err(ApiError::invalid(format!("Field 'mobileNumber' {problem}")))
    }

    async fn build(
        _ctx: Ctx<'_>,
        number: MtanAttributes,
        _owner: &User,
        _policy: &Policy,
    ) -> Result<Built, ApiError> {
        Ok(Built::new(Attributes::Mtan(number)))
    }

    type Edit = NumberInput;

    /// Seed 000: `mobileNumber`.
    fn read_patch(doc: &mut PatchDocument) -> Result<NumberInput, ApiError> {
        Ok(read_number(doc))
    }

    async fn prepare(
        _ctx: Ctx<'_>,
        _target: &Target,
        number: NumberInput,
    ) -> Result<ApplyFn<'static>, ApiError> {
        let new_number = match &number {
            NumberInput::Text(text) => Some(e164(text)?),
            NumberInput::Keep | NumberInput::Echo(_) => None,
        };
        Ok(Box::new(move |c| {
            let Attributes::Mtan(stored) = &mut c.attributes else {
                return Ok(());
            };
            if let Some(new) = &new_number {
                *stored = new.clone();
            }
            // Checked against the row the write is based on, not an earlier read.
            if let NumberInput::Echo(sent) = &number
                && *sent != serde_json::json!({"raw": stored.raw, "e164": stored.e164})
            {
                return Err(ApiError::invalid(
                    "Field 'mobileNumber' must be a string; the object a GET returns is \
                     accepted only unchanged",
                ));
            }
            Ok(())
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_normalized_or_refused_with_the_mtan_code() {
        let n = e164("+41 79 123 45 67").unwrap();
        assert_eq!(
            (n.raw.as_str(), n.e164.as_str()),
            ("+41 79 123 45 67", "+41791234567")
        );
        let error = e164("079 123 45 67").unwrap_err();
        assert_eq!(error.items()[0].code, codes::MTAN_FORMAT_E164);
        assert!(e164(&format!("+41{}", "1".repeat(80))).is_err());
    }
}
