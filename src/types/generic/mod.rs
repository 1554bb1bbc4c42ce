//! Generic credentials (`generic-credentials`, `api/create-generic-credential`): the
//! caller's identification of an external credential and custom properties, several per
//! user. The properties also have endpoints of their own (`.../{extId}/properties`).

mod fixture;
mod http;
mod service;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::credential::Credential;
use crate::domain::kind::DomainKind;
#[cfg(test)]
use crate::domain::view::OneTimeSecret;
use crate::domain::view::Reader;
use crate::domain::view_fields::FieldValue;

pub use service::{PROPERTIES_MODIFY, PROPERTIES_VIEW, patch_properties, properties};

/// Generic credentials.
pub struct Generic;

/// What is stored: the identification and the properties (name -> value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenericAttributes {
    pub identification: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

/// A generic credential's own fields. Its properties also have endpoints of their own
/// (`.../generic-credentials/{extId}/properties`), as in nevisIDM; they are part of the
/// view so that a change of them is versioned and in the history like any other.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenericFields {
    pub identification: String,
    /// Custom properties, name -> value (`{}` when there are none).
    pub properties: BTreeMap<String, String>,
}

crate::credential_document!(
    /// A generic credential (`api/create-generic-credential`).
    GenericCredential,
    GenericFields
);

impl DomainKind for Generic {
    const DISPLAY_NAME: &'static str = "Generic credential";

    type Attributes = GenericAttributes;
    type Fields = GenericFields;

    fn fields(_c: &Credential, a: &GenericAttributes, _reader: Reader) -> GenericFields {
        GenericFields {
            identification: a.identification.clone(),
            properties: a.properties.clone(),
        }
    }

    fn visit<'a, E>(
        f: &'a GenericFields,
        field: &mut impl FnMut(&'static str, Option<FieldValue<'a>>) -> Result<(), E>,
    ) -> Result<(), E> {
        field("identification", Some(FieldValue::Text(&f.identification)))?;
        field("properties", Some(FieldValue::Properties(&f.properties)))
    }

    #[cfg(test)]
    fn examples(_full: bool) -> Vec<(GenericAttributes, Option<OneTimeSecret>)> {
        vec![(
            GenericAttributes {
                identification: "kerberos:alice@EXAMPLE.COM".into(),
                properties: [("realm".to_owned(), "EXAMPLE".to_owned())].into(),
            },
            None,
        )]
    }
}
