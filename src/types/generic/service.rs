//! Generic credentials' rules and readers, and the properties endpoints' use cases.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::service::Ctx;
use crate::service::credential::{

    self, ApplyFn, Built, CommonPatch, CredentialKind, IfMatch, Modification, Outcome, Rules,
    Target,
};
use crate::auth::{Permission as P, Rule, SelfAdmin};
use super::{Generic, GenericAttributes};
use crate::domain::credential::{Attributes, ValidityChange};
use crate::domain::directory::{Policy, User};
use crate::domain::generic::PropertyChanges;
use crate::domain::history::Action;
use crate::domain::patch::{MAX_TEXT_LEN, PatchDocument, ReadOnlyEcho};
use crate::error::{ApiError, ErrorItem};

/// Reading property values (`api/get-generic-credential-properties`).
const PROPERTY_VIEW: [P; 3] = [
    P::PropertyView,
    P::PropertyValueView,
    P::PropertyAllowedValueView,
];

pub const RULES: Rules = Rules {
    // `api/create-generic-credential`: the credential and property rights, or the user
    // with an X-Token ("self-admin mode with JWT token validation").
    create: Rule::or_self(
        &[
            P::CredentialCreate,
            P::CredentialView,
            P::CredentialModify,
            P::PropertyView,
            P::PropertyValueView,
            P::PropertyAllowedValueView,
            P::PropertyValueCreate,
            P::PropertyValueDelete,
            P::PropertyValueModify,
        ],
        SelfAdmin::WithXToken,
    ),
    // GET, PATCH and DELETE have no page of their own: as for the other types that a
    // user may manage (OATH, context passwords), see docs/compatibility.md.
    view: Rule::or_self(&[P::CredentialView], SelfAdmin::Allowed),
    modify: Rule::or_self(
        &[P::CredentialModify, P::CredentialView],
        SelfAdmin::WithXToken,
    ),
    delete: Rule::or_self(&[P::CredentialDelete], SelfAdmin::WithXToken),
};

/// `api/get-generic-credential-properties`.
pub const PROPERTIES_VIEW: Rule = Rule::or_self(
    &[
        P::CredentialView,
        PROPERTY_VIEW[0],
        PROPERTY_VIEW[1],
        PROPERTY_VIEW[2],
    ],
    SelfAdmin::Allowed,
);
/// `api/patch-generic-credential-properties`.
pub const PROPERTIES_MODIFY: Rule = Rule::or_self(
    &[
        P::CredentialView,
        P::CredentialModify,
        P::PropertyView,
        P::PropertyValueView,
        P::PropertyAllowedValueView,
        P::PropertyValueCreate,
        P::PropertyValueDelete,
        P::PropertyValueModify,
    ],
    SelfAdmin::WithXToken,
);

fn read_properties(doc: &mut PatchDocument) -> PropertyChanges {
    let Some(value) = doc.raw("properties") else {
        return PropertyChanges::default();
    };
    match PropertyChanges::read(&value) {
        Ok(changes) => changes,
        Err(problems) => {
            for (name, problem) in problems {
                match name.as_str() {
                    "" => doc.problem("properties", &problem),
                    name => doc.problem(&format!("properties.{name}"), &problem),
                }
            }
            PropertyChanges::default()
        }
    }
}

/// What a create body says beyond the common fields.
pub struct Draft {
    identification: Option<String>,
    properties: PropertyChanges,
    validity: ValidityChange,
}


impl CredentialKind for Generic {
    const RULES: Rules = RULES;
    const REQUIRED: &'static [&'static str] = &["identification"];
    const PATCH_POLICY_AND_VALIDITY: bool = true;
    /// Properties change through `.../properties`; a PATCH may send them back unchanged.
    const READ_ONLY: &'static [&'static str] = &["properties"];
    /// "In self-admin mode, the validity field must not be provided."
    const NOT_IN_SELF_ADMIN: &'static [&'static str] = &["validity"];

    type Draft = Draft;

    /// `identification` (required, non-empty), `properties`, `validity`.
    fn read_create(doc: &mut PatchDocument) -> Result<Draft, ApiError> {
        Ok(Draft {
            identification: doc.text("identification", MAX_TEXT_LEN),
            properties: read_properties(doc),
            validity: doc.validity(),
        })
    }

    async fn build(
        _ctx: Ctx<'_>,
        draft: Draft,
        _owner: &User,
        _policy: &Policy,
    ) -> Result<Built, ApiError> {
        let properties = draft
            .properties
            .apply(&BTreeMap::new())
            .map_err(|m| ApiError::invalid(format!("Field 'properties': {m}")))?;
        let attributes = Attributes::Generic(GenericAttributes {
            // Present: `REQUIRED` and the reader refused the body otherwise.
            identification: draft.identification.unwrap_or_default(),
            properties,
        });
        let mut built = Built::new(attributes);
        let validity = draft.validity;
        // The body's validity replaces the policy's, once the credential has it.
        built.seal = Some(Box::new(move |c| {
            c.validity.apply(&validity).map_err(ApiError::invalid)
        }));
        Ok(built)
    }

    /// `identification` (and, shared, `policyExtId` and `validity`).
    type Edit = Option<String>;

    fn read_patch(doc: &mut PatchDocument) -> Result<Option<String>, ApiError> {
        Ok(doc.text("identification", MAX_TEXT_LEN))
    }

    async fn prepare(
        _ctx: Ctx<'_>,
        _target: &Target,
        identification: Option<String>,
    ) -> Result<ApplyFn<'static>, ApiError> {
        Ok(Box::new(move |c| {
            if let (Attributes::Generic(g), Some(identification)) =
                (&mut c.attributes, &identification)
            {
                g.identification = identification.clone();
            }
            Ok(())
        }))
    }
}

fn properties_of(outcome: &Outcome) -> BTreeMap<String, String> {
    match &outcome.credential.attributes {
        Attributes::Generic(g) => g.properties.clone(),
        _ => BTreeMap::new(),
    }
}

/// GET .../generic-credentials/{extId}/properties: name -> value.
pub async fn properties(
    ctx: Ctx<'_>,
    target: Target,
) -> Result<BTreeMap<String, String>, ApiError> {
    let outcome = credential::get(ctx, &target, PROPERTIES_VIEW).await?;
    Ok(properties_of(&outcome))
}

/// PATCH .../generic-credentials/{extId}/properties: the given properties are set
/// (`null` or `""` removes one), the others stay; versioned and in the history like a
/// PATCH of the credential. Answers all properties after the change.
pub async fn patch_properties(
    ctx: Ctx<'_>,
    target: Target,
    body: Value,
    if_match: Option<IfMatch>,
) -> Result<(Outcome, BTreeMap<String, String>), ApiError> {
    let access = ctx
        .authorize_user(
            target.client.as_str(),
            target.user.as_str(),
            PROPERTIES_MODIFY,
        )
        .await?;
    let changes = PropertyChanges::read(&body).map_err(|problems| {
        let item = |(name, problem): (String, String)| match name.as_str() {
            "" => ErrorItem::invalid(format!("The request body {problem}")),
            name => ErrorItem::invalid(format!("Field '{name}' {problem}")),
        };
        ApiError::Unprocessable(problems.into_iter().map(item).collect())
    })?;
    let modification = Modification {
        action: Action::Patch,
        access,
        common: CommonPatch::none(),
        echo: ReadOnlyEcho::default(),
        if_match,
        apply: Box::new(move |c| {
            if let Attributes::Generic(g) = &mut c.attributes {
                g.properties = changes
                    .apply(&g.properties)
                    .map_err(|m| ApiError::invalid(format!("Field 'properties': {m}")))?;
            }
            Ok(())
        }),
    };
    let outcome = credential::modify(ctx, &target, modification).await?;
    let properties = properties_of(&outcome);
    Ok((outcome, properties))
}
