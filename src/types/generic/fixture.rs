//! A generic credential in a fixture: the identification and the properties, checked as a
//! REST create checks them.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Generic, GenericAttributes};
use crate::domain::generic::PropertyChanges;
use crate::domain::patch::MAX_TEXT_LEN;
use crate::fixtures::kind::{Context, FieldProblem, FixtureKind, at, json, read_as_rest};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "Generic")]
pub struct GenericFixture {
    /// The identification of the external credential; not empty.
    pub identification: String,
    /// Custom properties, name -> value (at most 64).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

impl FixtureKind for Generic {
    type Fixture = GenericFixture;

    fn attributes(
        f: &GenericFixture,
        _ctx: &Context<'_>,
    ) -> Result<GenericAttributes, Vec<FieldProblem>> {
        let identification = read_as_rest(json!({"identification": f.identification}), |doc| {
            doc.text("identification", MAX_TEXT_LEN)
        })?
        .unwrap_or_default();
        let changes = PropertyChanges::read(&json(&f.properties)).map_err(|problems| {
            problems
                .into_iter()
                .flat_map(|(name, problem)| match name.as_str() {
                    "" => at("properties", problem),
                    name => at(&format!("properties.{name}"), problem),
                })
                .collect::<Vec<_>>()
        })?;
        let properties = changes
            .apply(&BTreeMap::new())
            .map_err(|m| at("properties", m))?;
        Ok(GenericAttributes {
            identification,
            properties,
        })
    }

    fn fixture(a: &GenericAttributes) -> GenericFixture {
        GenericFixture {
            identification: a.identification.clone(),
            properties: a.properties.clone(),
        }
    }
}
