//! Request shapes for the OpenAPI document only.
//!
//! The services read request bodies field by field (`domain::patch::PatchDocument`), so
//! there is no request struct to derive from: these mirror the seed pages field by field.
//! `tests/api/openapi.rs` sends every documented field to the server, so a field the
//! server does not accept fails a test. Nothing here is constructed.
#![allow(dead_code)]

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::policy::{Parameters, PolicyType};

/// `{clientExtId}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct ClientPath {
    /// The client's external id.
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    client_ext_id: String,
}

/// `{clientExtId}/users/{userExtId}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct UserPath {
    /// The client's external id.
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    client_ext_id: String,
    /// The user's external id.
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    user_ext_id: String,
}

/// `{clientExtId}/users/{userExtId}/.../{extId}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct CredentialPath {
    /// The client's external id.
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    client_ext_id: String,
    /// The user's external id.
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    user_ext_id: String,
    /// The credential's external id.
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    ext_id: String,
}

/// `{clientExtId}/policies/{policyExtId}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct PolicyPath {
    /// The client's external id.
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    client_ext_id: String,
    /// The policy's external id.
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    policy_ext_id: String,
}

/// The optimistic-locking header (decisions.md, "Optimistic locking").
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchHeader {
    /// `"<version>"` (or `W/"<version>"`): 412 unless the credential is at that version;
    /// `*`: the credential must exist. Malformed: 400.
    #[serde(rename = "If-Match")]
    #[param(value_type = String, required = false, pattern = r#"^\s*(\*|(W/)?("[1-9][0-9]{0,8}"|[1-9][0-9]{0,8}))\s*$"#)]
    if_match: Option<String>,
}

/// Paging of a list (nevisIDM's `limit` and `continuationToken`).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ListQuery {
    /// Items per page, at most 1000. Absent or `0` (nevisIDM's default: no size asked)
    /// gives the longest page, 1000. Anything else, or not an integer, is 400
    /// `errors.invalidData`.
    #[param(minimum = 0, maximum = 1000, default = 0)]
    limit: Option<i64>,
    /// The `_pagination.continuationToken` of the previous page, as it was sent
    /// (`<created epoch millis>_<extId>` of that page's last item). A token of another
    /// form is 400 `errors.invalidData`.
    continuation_token: Option<String>,
}

/// `validity` in a PATCH: `to: null` removes the end date.
#[derive(Deserialize, ToSchema)]
pub struct ValidityPatch {
    /// RFC 3339.
    #[schema(nullable = false, format = DateTime)]
    from: Option<String>,
    /// RFC 3339; `null` clears it.
    #[schema(format = DateTime)]
    to: Option<String>,
}

/// A policy parameter on input: numbers and booleans are stored as their text.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ParameterInput {
    Text(String),
    Number(f64),
    Flag(bool),
}

/// POST `.../password/change` (the change-context-password and change-device-password
/// pages' body).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The current password: required when users change their own (self-admin mode);
    /// omitted, and ignored, when an administrator changes someone else's.
    #[schema(nullable = false, min_length = 1, max_length = 4096)]
    old_password: Option<String>,
    /// The new password, checked against the password policy.
    #[schema(min_length = 1, max_length = 4096)]
    new_password: String,
}

/// POST `/nevisidm/api/principal/v1/token` (a form or JSON).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The caller's own loginId.
    #[schema(min_length = 1, max_length = 255)]
    username: String,
    /// The caller's password, re-entered.
    #[schema(min_length = 1, max_length = 4096)]
    password: String,
    /// `password`: no other grant type is supported.
    #[schema(pattern = "^password$", example = "password")]
    grant_type: String,
}

/// POST `/clients`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct ClientCreate {
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    ext_id: Option<String>,
    #[schema(min_length = 1, max_length = 255)]
    name: String,
}

/// A user's name.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserName {
    #[schema(nullable = false, min_length = 1)]
    title: Option<String>,
    #[schema(nullable = false, min_length = 1)]
    first_name: Option<String>,
    #[schema(nullable = false, min_length = 1)]
    family_name: Option<String>,
}

/// A user's contact data; phone numbers in international form.
#[derive(Deserialize, Serialize, ToSchema)]
pub struct UserContacts {
    #[schema(nullable = false, format = Email)]
    email: Option<String>,
    #[schema(nullable = false, pattern = r"^\+")]
    mobile: Option<String>,
    #[schema(nullable = false, pattern = r"^\+")]
    telephone: Option<String>,
    #[schema(nullable = false, pattern = r"^\+")]
    telefax: Option<String>,
}

/// The user's state.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserState {
    Active,
    Disabled,
    Archived,
}

/// A user's language.
#[derive(Deserialize, Serialize, ToSchema)]
pub enum LanguageCode {
    #[serde(rename = "EN")]
    En,
    #[serde(rename = "DE")]
    De,
    #[serde(rename = "FR")]
    Fr,
    #[serde(rename = "IT")]
    It,
}

/// POST `/{clientExtId}/users`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct UserCreate {
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    ext_id: Option<String>,
    #[schema(min_length = 1, max_length = 255)]
    login_id: String,
    /// Default `active`.
    #[schema(nullable = false)]
    user_state: Option<UserState>,
    #[schema(nullable = false)]
    name: Option<UserName>,
    #[schema(nullable = false)]
    contacts: Option<UserContacts>,
    #[schema(nullable = false)]
    language_code: Option<LanguageCode>,
    #[schema(nullable = false)]
    is_technical_user: Option<bool>,
}

/// The optional profile of a user as the server returns it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserProfile {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<UserName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contacts: Option<UserContacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language_code: Option<LanguageCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_technical_user: Option<bool>,
}

/// POST `/{clientExtId}/policies`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct PolicyCreate {
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    ext_id: Option<String>,
    /// Default: the extId.
    #[schema(nullable = false, min_length = 1, max_length = 255)]
    name: Option<String>,
    policy_type: PolicyType,
    description: Option<String>,
    /// Default `false`; `true` makes it the client's default policy of its type.
    #[schema(nullable = false)]
    default_policy: Option<bool>,
    /// String values; numbers and booleans are accepted and stored as text.
    #[schema(nullable = false, value_type = Option<std::collections::HashMap<String, ParameterInput>>)]
    parameters: Option<Parameters>,
}

/// PATCH `/{clientExtId}/policies/{policyExtId}`: JSON Merge Patch.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyPatch {
    #[schema(nullable = false, min_length = 1, max_length = 255)]
    name: Option<String>,
    /// `null` clears it.
    description: Option<String>,
    #[schema(nullable = false)]
    default_policy: Option<bool>,
    /// Replaces the parameters.
    #[schema(nullable = false, value_type = Option<std::collections::HashMap<String, ParameterInput>>)]
    parameters: Option<Parameters>,
    /// The version read; 409 when it is not the stored one.
    #[schema(nullable = false, minimum = 1, maximum = 2147483647)]
    version: Option<i32>,
}

/// A create body's document shape: `extId`, `policyExtId` and `stateName` as every type
/// has them (with the type's own words for the policy and the default state), then the
/// type's own fields. Unknown fields are refused.
macro_rules! create_body {
    (
        $(#[$doc:meta])*
        $name:ident {
            $(#[$policy_doc:meta])*
            policy_ext_id,
            $(#[$state_doc:meta])*
            state_name: $state:ty,
            $($own:tt)*
        }
    ) => {
        $(#[$doc])*
        #[derive(serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "camelCase")]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)] // the document's shape of the body; the type's service.rs reads it
        pub struct $name {
            /// Generated (UUID) when absent.
            #[schema(
                nullable = false,
                min_length = 1,
                max_length = 255,
                pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
            )]
            ext_id: Option<String>,
            $(#[$policy_doc])*
            #[schema(
                nullable = false,
                min_length = 1,
                max_length = 255,
                pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
            )]
            policy_ext_id: Option<String>,
            $(#[$state_doc])*
            #[schema(nullable = false)]
            state_name: Option<$state>,
            $($own)*
        }
    };
}
pub(crate) use create_body;

/// A PATCH body's document shape (JSON Merge Patch): `stateName`, `modificationComment`
/// and `version` as every type has them, then the type's own fields.
macro_rules! patch_body {
    (
        $(#[$doc:meta])*
        $name:ident {
            state_name: $state:ty,
            $($own:tt)*
        }
    ) => {
        $(#[$doc])*
        #[derive(serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "camelCase")]
        #[allow(dead_code)] // the document's shape of the body; the type's service.rs reads it
        pub struct $name {
            #[schema(nullable = false)]
            state_name: Option<$state>,
            /// `null` clears it.
            modification_comment: Option<String>,
            /// The version read; 409 when it is not the stored one.
            #[schema(nullable = false, minimum = 1, maximum = 2147483647)]
            version: Option<i32>,
            $($own)*
        }
    };
}
pub(crate) use patch_body;
