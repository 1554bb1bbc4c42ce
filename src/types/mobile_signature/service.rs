//! Mobile signature credentials' rules and readers. nevisIDM grants no self-admin mode
//! here (research §2.2), so every endpoint needs admin permissions.

use super::{MobileSignature, MobileSignatureAttributes};
use crate::auth::{Permission as P, Rule};
use crate::domain::ExtId;
use crate::domain::credential::Attributes;
use crate::domain::directory::{Policy, User};
use crate::domain::mobile_signature::{
    MAX_IDENTIFICATOR_LEN, MAX_MSISDN_LEN, MAX_MSSP_IDENTIFIER_LEN, MAX_SIGNER_CERT_LEN,
    MobileSignatureRules, check_signer_cert,
};
use crate::domain::patch::{Change, PatchDocument};
use crate::domain::policy::Parameters;
use crate::error::{ApiError, codes};
use crate::service::Ctx;
use crate::service::credential::{self, ApplyFn, Built, CredentialKind, Rules, Target};

pub const RULES: Rules = Rules {
    create: Rule::admin(&[P::CredentialCreate]),
    view: Rule::admin(&[P::CredentialView]),
    // Seed 001 lists `CredentialModify` alone.
    modify: Rule::admin(&[P::CredentialModify]),
    delete: Rule::admin(&[P::CredentialDelete]),
};

/// The type's own fields of a create or PATCH body.
pub struct Fields {
    identificator: Option<String>,
    mssp_identifier: Option<String>,
    msisdn: Option<String>,
    signer_cert: Change<String>,
}

impl Fields {
    /// `null` on the first three is refused; on `signerCert` it clears.
    pub(crate) fn read(doc: &mut PatchDocument) -> Self {
        let identificator = doc.text("identificator", MAX_IDENTIFICATOR_LEN);
        let mssp_identifier = doc.text("msspIdentifier", MAX_MSSP_IDENTIFIER_LEN);
        let msisdn = doc.text("msisdn", MAX_MSISDN_LEN);
        let signer_cert = match doc.clearable_text("signerCert", MAX_SIGNER_CERT_LEN) {
            Change::Set(pem) => match check_signer_cert(&pem) {
                Ok(()) => Change::Set(pem),
                Err(problem) => {
                    doc.problem("signerCert", &problem);
                    Change::Keep
                }
            },
            other => other,
        };
        Self {
            identificator,
            mssp_identifier,
            msisdn,
            signer_cert,
        }
    }
}

impl Fields {
    /// The stored fields of a new credential under `policy` (also used by fixture
    /// import): `msspIdentifier` falls back to the policy's default, `msisdn` must match
    /// its regex.
    pub(crate) fn create(self, policy: &Policy) -> Result<MobileSignatureAttributes, ApiError> {
        let rules = rules(policy)?;
        let (Some(identificator), Some(msisdn)) = (self.identificator, self.msisdn) else {
            return Err(ApiError::invalid(
                "Fields 'identificator' and 'msisdn' are required",
            ));
        };
        let Some(mssp_identifier) = self
            .mssp_identifier
            .or(rules.default_mssp_identifier.clone())
        else {
            return Err(ApiError::invalid(format!(
                "Field 'msspIdentifier' is required: policy {} has no defaultMsspIdentifier",
                policy.ext_id
            )));
        };
        check_msisdn(&rules, &msisdn)?;
        Ok(MobileSignatureAttributes {
            identificator,
            mssp_identifier,
            msisdn,
            signer_cert: self.signer_cert.set(),
        })
    }
}

fn rules(policy: &Policy) -> Result<MobileSignatureRules, ApiError> {
    MobileSignatureRules::from_parameters(&policy.parameters)
        .map_err(|m| ApiError::unprocessable(codes::INVALID_CONFIG, m))
}

fn check_msisdn(rules: &MobileSignatureRules, msisdn: &str) -> Result<(), ApiError> {
    rules
        .check_msisdn(msisdn)
        .map_err(|m| ApiError::unprocessable(codes::POLICY_VIOLATION, m))
}

/// What a PATCH changes beyond the common fields.
pub struct Edit {
    policy: Change<ExtId>,
    fields: Fields,
}

impl CredentialKind for MobileSignature {
    const RULES: Rules = RULES;
    /// `msspIdentifier` too, unless the policy has a default.
    const REQUIRED: &'static [&'static str] = &["identificator", "msisdn"];

    /// `defaultMsspIdentifier` and `validation.msisdn.regex` must be usable.
    fn check_policy(parameters: &Parameters) -> Result<(), String> {
        MobileSignatureRules::from_parameters(parameters).map(|_| ())
    }

    type Draft = Fields;

    fn read_create(doc: &mut PatchDocument) -> Result<Fields, ApiError> {
        Ok(Fields::read(doc))
    }

    /// `msspIdentifier` falls back to the policy's `defaultMsspIdentifier`.
    async fn build(
        _ctx: Ctx<'_>,
        fields: Fields,
        _owner: &User,
        policy: &Policy,
    ) -> Result<Built, ApiError> {
        let attributes = Attributes::MobileSignature(fields.create(policy)?);
        Ok(Built::new(attributes))
    }

    type Edit = Edit;

    /// Seed 001: `policyExtId` (`null` for the default), `identificator`,
    /// `msspIdentifier`, `msisdn`, `signerCert` (`null` clears it).
    fn read_patch(doc: &mut PatchDocument) -> Result<Edit, ApiError> {
        Ok(Edit {
            policy: doc.ext_id("policyExtId", true),
            fields: Fields::read(doc),
        })
    }

    async fn prepare(
        ctx: Ctx<'_>,
        target: &Target,
        edit: Edit,
    ) -> Result<ApplyFn<'static>, ApiError> {
        let Edit { policy, fields } = edit;
        let new_policy =
            credential::policy_change(ctx, &target.client, Self::POLICY, policy)
                .await?;
        // A new policy checks the (new or stored) msisdn; a new msisdn alone is checked
        // against the policy the credential has.
        let check = match (&new_policy, &fields.msisdn) {
            (Some(policy), _) => Some(MsisdnCheck {
                policy_id: Some(policy.id.clone()),
                rules: rules(policy)?,
            }),
            (None, Some(_)) => {
                let current = credential::load(ctx, target).await?;
                let ext_id = current
                    .policy
                    .as_ref()
                    .and_then(|p| ExtId::parse(&p.ext_id).ok());
                let policy = credential::policy_for(
                    ctx,
                    &target.client,
                    Self::POLICY,
                    ext_id.as_ref(),
                )
                .await?;
                Some(MsisdnCheck {
                    policy_id: current.policy.map(|p| p.id),
                    rules: rules(&policy)?,
                })
            }
            (None, None) => None,
        };
        let new_policy = new_policy.map(|p| credential::policy_ref(&p));
        Ok(Box::new(move |c| {
            let Attributes::MobileSignature(m) = &mut c.attributes else {
                return Ok(());
            };
            let before = (m.msisdn.clone(), c.policy.clone());
            if let Some(policy) = &new_policy {
                c.policy = Some(policy.clone());
            }
            if let Some(text) = &fields.identificator {
                m.identificator = text.clone();
            }
            if let Some(text) = &fields.mssp_identifier {
                m.mssp_identifier = text.clone();
            }
            if let Some(text) = &fields.msisdn {
                m.msisdn = text.clone();
            }
            match &fields.signer_cert {
                Change::Keep => {}
                Change::Clear => m.signer_cert = None,
                Change::Set(pem) => m.signer_cert = Some(pem.clone()),
            }
            if let Some(check) = &check
                && before != (m.msisdn.clone(), c.policy.clone())
            {
                if c.policy.as_ref().map(|p| &p.id) != check.policy_id.as_ref() {
                    return Err(ApiError::VersionConflict(
                        "The credential's policy was changed concurrently; retry the request"
                            .into(),
                    ));
                }
                check_msisdn(&check.rules, &m.msisdn)?;
            }
            Ok(())
        }))
    }
}

/// The policy an msisdn check uses, and the policy id the credential must still have
/// when the change is applied (a concurrent policy change invalidates the check).
struct MsisdnCheck {
    policy_id: Option<String>,
    rules: MobileSignatureRules,
}
