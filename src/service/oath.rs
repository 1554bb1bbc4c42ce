//! OATH credentials (seed 002, `api/create-oath`): several per user, addressed by extId.
//! The server generates the secret, shows it once as the `otpauth://` URI in the create
//! response, and keeps it encrypted (`domain::secret_box`).

mod login;

pub use login::login;

use serde_json::Value;

use super::Ctx;
use super::credential::{
    self, CommonPatch, CreateCommon, IfMatch, ListQuery, Listing, Modification, Outcome, Target,
};
use crate::auth::{Permission as P, Rule, SelfAdmin};
use crate::domain::ExtId;
use crate::domain::credential::{Attributes, CredentialType};
use crate::domain::directory::Policy;
use crate::domain::history::Action;
use crate::domain::oath::{self, OathAttributes, OathSettings};
use crate::domain::patch::{Change, PatchDocument};
use crate::domain::policy::PolicyType;
use crate::domain::secret_box::{self, SecretKey};
use crate::domain::state::CredentialState;
use crate::domain::view::{COMMON_FIELDS, OneTimeSecret};
use crate::error::{ApiError, codes};

pub const CREATE: Rule = Rule::or_self(
    &[
        P::CredentialCreate,
        P::CredentialView,
        P::PolicyConfigurationView,
    ],
    SelfAdmin::WithXToken,
);
pub const VIEW: Rule = Rule::or_self(&[P::CredentialView], SelfAdmin::Allowed);
pub const MODIFY: Rule = Rule::or_self(
    &[P::CredentialModify, P::CredentialView],
    SelfAdmin::WithXToken,
);
pub const DELETE: Rule = Rule::or_self(&[P::CredentialDelete], SelfAdmin::WithXToken);

/// Response fields a PATCH body may echo back unchanged. `uri` is never stored, so any
/// value but `null` is a change of a read-only field.
const READ_ONLY: &[&str] = &[
    "uri",
    "issuer",
    "authenticationMethod",
    "hashingAlgorithm",
    "digits",
    "period",
    "counter",
    "secret",
];

/// Labels are shown in authenticator apps; longer ones help nobody.
const MAX_LABEL_LEN: usize = 255;

fn target(client: ExtId, user: ExtId, ext_id: ExtId) -> Target {
    Target {
        client,
        user,
        kind: CredentialType::Oath,
        ext_id: Some(ext_id),
    }
}

/// `label`: a non-empty string, `account` or `Issuer:account` as the Key URI format
/// (and the authenticator apps) read labels.
pub(crate) fn read_label(doc: &mut PatchDocument, required: bool) -> Option<String> {
    match doc.clearable_text("label", MAX_LABEL_LEN) {
        Change::Keep if required => doc.problem("label", "is required"),
        Change::Keep => {}
        Change::Clear => doc.problem("label", "must not be null"),
        Change::Set(text) if text.trim().is_empty() => doc.problem("label", "must not be empty"),
        Change::Set(text) => match oath::parse_label(&text) {
            Ok(_) => return Some(text),
            Err(problem) => doc.problem("label", problem),
        },
    }
    None
}

/// The issuer of a credential labelled `label` under `issuer` ([`oath::issuer_of`]); a
/// label prefix naming another issuer is 422.
fn issuer_for(label: &str, issuer: Option<&str>) -> Result<Option<String>, ApiError> {
    let label =
        oath::parse_label(label).map_err(|p| ApiError::invalid(format!("Field 'label' {p}")))?;
    oath::issuer_of(&label, issuer).map_err(|p| ApiError::invalid(format!("Field 'label': {p}")))
}

/// The policy's OATH settings; a policy that does not yield usable ones is 422
/// `errors.invalidConfig`.
pub(crate) fn settings(policy: &Policy) -> Result<OathSettings, ApiError> {
    OathSettings::from_policy(&policy.parameters).map_err(|problem| {
        ApiError::unprocessable(
            codes::INVALID_CONFIG,
            format!("OathPolicy {}: {problem}", policy.ext_id),
        )
    })
}

/// POST: a new OATH credential with a fresh secret, as the given or the default
/// `OathPolicy` prescribes; the response carries the `uri`, the only time it is shown.
pub async fn create(
    ctx: Ctx<'_>,
    key: &SecretKey,
    client: ExtId,
    user: ExtId,
    body: Value,
) -> Result<Outcome, ApiError> {
    let access = ctx
        .authorize_user(client.as_str(), user.as_str(), CREATE)
        .await?;
    let mut doc = PatchDocument::new(body)?;
    let common = CreateCommon::read(&mut doc, &CredentialState::ALL);
    let label = read_label(&mut doc, true);
    doc.finish(&[])?;
    let label = label.ok_or_else(|| ApiError::invalid("Field 'label' is required"))?;

    let owner = credential::load_user(ctx, &client, &user).await?;
    let policy =
        credential::policy_for(ctx, &client, PolicyType::Oath, common.policy.as_ref()).await?;
    let mut settings = settings(&policy)?;
    // `Issuer:account` labels name the issuer when the policy does not.
    settings.issuer = issuer_for(&label, settings.issuer.as_deref())?;
    let secret = oath::generate_secret(settings.algorithm);
    let uri = oath::provisioning_uri(&settings, &label, &secret)
        .map_err(|problem| ApiError::unprocessable(codes::INVALID_CONFIG, problem))?;
    let state = common.state.unwrap_or(CredentialState::Active);
    let attributes = Attributes::Oath(OathAttributes::new(&settings, label));
    let mut new = credential::new_credential(&owner, common.ext_id, &policy, state, attributes)?;
    // The id is the associated data, so the secret is sealed once the id exists.
    let sealed = secret_box::seal(key, &new.id, &secret)
        .map_err(|e| ApiError::Internal(format!("sealing the OATH secret: {e}")))?;
    if let Attributes::Oath(o) = &mut new.attributes {
        o.secret = sealed;
    }
    credential::create(ctx, &client, &new).await?;
    Ok(Outcome {
        credential: new,
        access,
        secret: Some(OneTimeSecret::OathUri(uri)),
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

/// GET .../oath-credentials: a page of the user's OATH credentials (never a `uri`).
pub async fn list(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    query: ListQuery,
) -> Result<Listing, ApiError> {
    credential::list(ctx, client, user, Some(CredentialType::Oath), VIEW, query).await
}

/// PATCH (seed 002): `extId` (rename), state, comment, version, `policyExtId`, `label`.
/// The policy is evaluated again: a new one must be an `OathPolicy`, and without one
/// the current policy is reloaded; either must still yield valid settings. The
/// credential keeps the parameters its secret was provisioned with.
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
    let common = CommonPatch::read(&mut doc, &CredentialState::ALL);
    let rename = doc.ext_id("extId", false).set();
    let policy_change = doc.ext_id("policyExtId", true);
    let label = read_label(&mut doc, false);
    let echo = doc.finish(&[COMMON_FIELDS, READ_ONLY].concat())?;

    let target = target(client, user, ext_id);
    let new_policy = if policy_change.is_keep() {
        let current = credential::current_policy(ctx, &target, PolicyType::Oath).await?;
        settings(&current)?;
        None
    } else {
        let policy =
            credential::policy_change(ctx, &target.client, PolicyType::Oath, policy_change).await?;
        if let Some(policy) = &policy {
            settings(policy)?;
        }
        policy.map(|p| credential::policy_ref(&p))
    };

    let modification = Modification {
        action: Action::Patch,
        access,
        common,
        echo,
        if_match,
        apply: Box::new(move |c| {
            if let Some(policy) = &new_policy {
                c.policy = Some(policy.clone());
            }
            if let Some(ext_id) = &rename {
                c.ext_id = ext_id.as_str().to_owned();
            }
            if let (Some(label), Attributes::Oath(o)) = (&label, &mut c.attributes) {
                // The issuer came with the secret; a label prefix may only repeat it.
                issuer_for(label, o.issuer.as_deref())?;
                o.label = label.clone();
            }
            Ok(())
        }),
    };
    credential::modify(ctx, &target, modification).await
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
