//! An mTAN in a fixture: the mobile number, normalized as the REST create does.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Mtan, MtanAttributes};
use crate::fixtures::kind::{Context, FieldProblem, FixtureKind, at};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "Mtan")]
pub struct MtanFixture {
    /// In international form (`+41 79 123 45 67`); stored with its E.164 form.
    pub mobile_number: String,
}

impl FixtureKind for Mtan {
    type Fixture = MtanFixture;

    fn attributes(f: &MtanFixture, _ctx: &Context<'_>) -> Result<MtanAttributes, Vec<FieldProblem>> {
        MtanAttributes::parse(&f.mobile_number)
            .map_err(|m| at("mobileNumber", format!("not a valid E.164 number: {m}")))
    }

    fn fixture(a: &MtanAttributes) -> MtanFixture {
        MtanFixture {
            mobile_number: a.raw.clone(),
        }
    }
}
