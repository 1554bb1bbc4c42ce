//! OATH credentials' rules and readers.

use super::{Oath, OathAttributes};
use crate::auth::{Permission as P, Rule, SelfAdmin};
use crate::domain::ExtId;
use crate::domain::credential::Attributes;
use crate::domain::directory::{Policy, User};
use crate::domain::oath::{self, OathSettings};
use crate::domain::patch::{Change, PatchDocument};
use crate::domain::secret_box;
use crate::domain::view::OneTimeSecret;
use crate::error::{ApiError, codes};
use crate::service::Ctx;
use crate::service::credential::{self, ApplyFn, Built, CredentialKind, Rules, Target};

pub const RULES: Rules = Rules {
    create: Rule::or_self(
        &[
            P::CredentialCreate,
            P::CredentialView,
            P::PolicyConfigurationView,
        ],
        SelfAdmin::WithXToken,
    ),
    view: Rule::or_self(&[P::CredentialView], SelfAdmin::Allowed),
    modify: Rule::or_self(
        &[P::CredentialModify, P::CredentialView],
        SelfAdmin::WithXToken,
    ),
    delete: Rule::or_self(&[P::CredentialDelete], SelfAdmin::WithXToken),
};

/// Labels are shown in authenticator apps; longer ones help nobody.
const MAX_LABEL_LEN: usize = 255;

/// `label`: a non-empty string, `account` or `Issuer:account` as the Key URI format
/// (and the authenticator apps) read labels.
pub fn read_label(doc: &mut PatchDocument, required: bool) -> Option<String> {
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
pub fn settings(policy: &Policy) -> Result<OathSettings, ApiError> {
    OathSettings::from_policy(&policy.parameters).map_err(|problem| {
        ApiError::unprocessable(
            codes::INVALID_CONFIG,
            format!("OathPolicy {}: {problem}", policy.ext_id),
        )
    })
}

/// What an OATH PATCH changes beyond the common fields.
pub struct Edit {
    rename: Option<ExtId>,
    policy: Change<ExtId>,
    label: Option<String>,
}

impl CredentialKind for Oath {
    const RULES: Rules = RULES;
    /// `uri` is never stored, so any value but `null` is a change of a read-only field.
    const READ_ONLY: &'static [&'static str] = &[
        "uri",
        "issuer",
        "authenticationMethod",
        "hashingAlgorithm",
        "digits",
        "period",
        "counter",
        "secret",
    ];

    type Draft = String;

    fn read_create(doc: &mut PatchDocument) -> Result<String, ApiError> {
        read_label(doc, true).ok_or_else(|| ApiError::invalid("Field 'label' is required"))
    }

    /// A fresh secret, as the given or the default `OathPolicy` prescribes, sealed once
    /// the credential has its id; the response carries the `uri`, the only time it is
    /// shown.
    async fn build(
        ctx: Ctx<'_>,
        label: String,
        _owner: &User,
        policy: &Policy,
    ) -> Result<Built, ApiError> {
        let mut settings = settings(policy)?;
        // `Issuer:account` labels name the issuer when the policy does not.
        settings.issuer = issuer_for(&label, settings.issuer.as_deref())?;
        let secret = oath::generate_secret(settings.algorithm);
        let uri = oath::provisioning_uri(&settings, &label, &secret)
            .map_err(|problem| ApiError::unprocessable(codes::INVALID_CONFIG, problem))?;
        let attributes = Attributes::Oath(OathAttributes::new(&settings, label));
        let key = ctx.secret_key.clone();
        let mut built = Built::new(attributes);
        built.secret = Some(OneTimeSecret(uri));
        // The id is the associated data, so the secret is sealed once the id exists.
        built.seal = Some(Box::new(move |new| {
            let sealed = secret_box::seal(&key, &new.id, &secret)
                .map_err(|e| ApiError::Internal(format!("sealing the OATH secret: {e}")))?;
            if let Attributes::Oath(o) = &mut new.attributes {
                o.secret = sealed;
            }
            Ok(())
        }));
        Ok(built)
    }

    type Edit = Edit;

    /// Seed 002: `extId` (rename), `policyExtId`, `label`.
    fn read_patch(doc: &mut PatchDocument) -> Result<Edit, ApiError> {
        Ok(Edit {
            rename: doc.ext_id("extId", false).set(),
            policy: doc.ext_id("policyExtId", true),
            label: read_label(doc, false),
        })
    }

    /// The policy is evaluated again: a new one must be an `OathPolicy`, and without one
    /// the current policy is reloaded; either must still yield valid settings. The
    /// credential keeps the parameters its secret was provisioned with.
    async fn prepare(
        ctx: Ctx<'_>,
        target: &Target,
        edit: Edit,
    ) -> Result<ApplyFn<'static>, ApiError> {
        let new_policy = if edit.policy.is_keep() {
            let current = credential::current_policy(ctx, target, Self::POLICY).await?;
            settings(&current)?;
            None
        } else {
            let policy =
                credential::policy_change(ctx, &target.client, Self::POLICY, edit.policy)
                    .await?;
            if let Some(policy) = &policy {
                settings(policy)?;
            }
            policy.map(|p| credential::policy_ref(&p))
        };
        let Edit { rename, label, .. } = edit;
        Ok(Box::new(move |c| {
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
        }))
    }
}
