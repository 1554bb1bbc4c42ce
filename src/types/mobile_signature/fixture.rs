//! A mobile signature credential in a fixture, read and checked as a REST create body.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{MobileSignature, MobileSignatureAttributes, service};
use crate::fixtures::kind::{Context, FieldProblem, FixtureKind, field_problems, json, read_as_rest};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "MobileSignature")]
pub struct MobileSignatureFixture {
    pub identificator: String,
    /// Absent: the policy's `defaultMsspIdentifier`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mssp_identifier: Option<String>,
    /// Must match the policy's `validation.msisdn.regex`, if it has one.
    pub msisdn: String,
    /// One PEM-encoded X.509 certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer_cert: Option<String>,
}

impl FixtureKind for MobileSignature {
    type Fixture = MobileSignatureFixture;

    fn attributes(
        f: &MobileSignatureFixture,
        ctx: &Context<'_>,
    ) -> Result<MobileSignatureAttributes, Vec<FieldProblem>> {
        let fields = read_as_rest(json(f), service::Fields::read)?;
        fields.create(ctx.policy).map_err(field_problems)
    }

    fn fixture(a: &MobileSignatureAttributes) -> MobileSignatureFixture {
        MobileSignatureFixture {
            identificator: a.identificator.clone(),
            mssp_identifier: Some(a.mssp_identifier.clone()),
            msisdn: a.msisdn.clone(),
            signer_cert: a.signer_cert.clone(),
        }
    }
}
