//! mTAN credentials (seed 000): several per user, addressed by extId; the mobile number
//! is validated and normalized to E.164.

mod login;

pub use login::record_login;

use serde_json::Value;

use super::Ctx;
use super::credential::{
    self, CommonPatch, CreateCommon, IfMatch, ListQuery, Listing, Modification, Outcome, Target,
};
use crate::auth::{Permission as P, Rule, SelfAdmin};
use crate::domain::ExtId;
use crate::domain::credential::{Attributes, CredentialType, MtanAttributes};
use crate::domain::history::Action;
use crate::domain::patch::PatchDocument;
use crate::domain::policy::PolicyType;
use crate::domain::state::CredentialState;
use crate::domain::view::COMMON_FIELDS;
use crate::error::{ApiError, codes};

pub const CREATE: Rule = Rule::admin(&[P::CredentialCreate]);
pub const VIEW: Rule = Rule::or_self(&[P::CredentialView], SelfAdmin::Allowed);
pub const MODIFY: Rule = Rule::admin(&[P::CredentialModify, P::CredentialView]);
pub const DELETE: Rule = Rule::or_self(&[P::CredentialDelete], SelfAdmin::WithXToken);
/// Recording a login result needs what a PATCH needs (`api/update-login-info`).
pub const LOGIN: Rule = MODIFY;

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

fn target(client: ExtId, user: ExtId, ext_id: ExtId) -> Target {
    Target {
        client,
        user,
        kind: CredentialType::Mtan,
        ext_id: Some(ext_id),
    }
}

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
enum NumberInput {
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

/// POST: a new mTAN for `mobileNumber`, with the given or the default `TANPolicy`.
pub async fn create(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    body: Value,
) -> Result<Outcome, ApiError> {
    let access = ctx
        .authorize_user(client.as_str(), user.as_str(), CREATE)
        .await?;
    let mut doc = PatchDocument::new(body)?;
    let common = CreateCommon::read(&mut doc, &PATCH_STATES);
    let number = match read_number(&mut doc) {
        NumberInput::Text(text) => Some(text),
        NumberInput::Keep => {
            doc.problem("mobileNumber", "is required");
            None
        }
        NumberInput::Echo(_) => {
            doc.problem("mobileNumber", "must be a string");
            None
        }
    };
    doc.finish(&[])?;
    let attributes = e164(number.as_deref().unwrap_or_default())?;

    let owner = credential::load_user(ctx, &client, &user).await?;
    let policy =
        credential::policy_for(ctx, &client, PolicyType::Tan, common.policy.as_ref()).await?;
    let state = common.state.unwrap_or(CredentialState::Active);
    let new = credential::new_credential(
        &owner,
        common.ext_id,
        &policy,
        state,
        Attributes::Mtan(attributes),
    )?;
    credential::create(ctx, &client, &new).await?;
    Ok(Outcome {
        credential: new,
        access,
        secret: None,
    })
}

pub async fn get(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    ext_id: ExtId,
) -> Result<Outcome, ApiError> {
    credential::get(ctx, &target(client, user, ext_id), VIEW).await
}

/// GET .../mtans: at most `limit` items after the continuation token.
pub async fn list(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    query: ListQuery,
) -> Result<Listing, ApiError> {
    credential::list(ctx, client, user, Some(CredentialType::Mtan), VIEW, query).await
}

/// PATCH (seed 000): state (not `archived`), comment, version, `mobileNumber`.
pub async fn patch(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    ext_id: ExtId,
    body: Value,
    if_match: Option<IfMatch>,
) -> Result<Outcome, ApiError> {
    let access = ctx
        .authorize_user(client.as_str(), user.as_str(), MODIFY)
        .await?;
    let mut doc = PatchDocument::new(body)?;
    let common = CommonPatch::read(&mut doc, &PATCH_STATES);
    let number = read_number(&mut doc);
    let echo = doc.finish(COMMON_FIELDS)?;
    let new_number = match &number {
        NumberInput::Text(text) => Some(e164(text)?),
        NumberInput::Keep | NumberInput::Echo(_) => None,
    };
    let modification = Modification {
        action: Action::Patch,
        access,
        common,
        echo,
        if_match,
        apply: Box::new(move |c| {
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
        }),
    };
    credential::modify(ctx, &target(client, user, ext_id), modification).await
}

pub async fn delete(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    ext_id: ExtId,
    if_match: Option<IfMatch>,
) -> Result<(), ApiError> {
    credential::delete(ctx, &target(client, user, ext_id), DELETE, if_match).await
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
