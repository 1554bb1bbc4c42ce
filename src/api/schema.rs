//! Request shapes for the OpenAPI document only.
//!
//! The services read request bodies field by field (`domain::patch::PatchDocument`), so
//! there is no request struct to derive from: these mirror the seed pages field by field.
//! `tests/api/openapi.rs` sends every documented field to the server, so a field the
//! server does not accept fails a test. Nothing here is constructed.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::domain::policy::{Parameters, PolicyType};
use crate::domain::state::CredentialState;

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

/// POST `.../password` (seed 003).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct PasswordCreate {
    /// Generated (UUID) when absent.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    ext_id: Option<String>,
    /// A `PwdPolicy` of the client; the default policy when absent.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    policy_ext_id: Option<String>,
    /// Default `initial`.
    #[schema(nullable = false)]
    state_name: Option<CredentialState>,
    /// The password; may be omitted when the policy has `resetCodeEnabled`, and the
    /// server then generates one (`passwordFragment` in the response).
    #[schema(nullable = false, min_length = 1, max_length = 4096)]
    password: Option<String>,
}

/// PATCH `.../password` (seed 003): JSON Merge Patch.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordPatch {
    #[schema(nullable = false)]
    state_name: Option<CredentialState>,
    /// `null` clears it.
    modification_comment: Option<String>,
    /// The version read; 409 when it is not the stored one.
    #[schema(nullable = false, minimum = 1, maximum = 2147483647)]
    version: Option<i32>,
}

/// POST `.../ticket` (seed 004). The value is generated by the server.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct TicketCreate {
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    ext_id: Option<String>,
    /// A `TicketPolicy` of the client; the default policy when absent.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    policy_ext_id: Option<String>,
    /// Default `active`.
    #[schema(nullable = false)]
    state_name: Option<CredentialState>,
    identification: Option<String>,
    context: Option<String>,
}

/// PATCH `.../ticket` (seed 004): JSON Merge Patch.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketPatch {
    #[schema(nullable = false)]
    state_name: Option<CredentialState>,
    /// `null` clears it.
    modification_comment: Option<String>,
    /// The version read; 409 when it is not the stored one.
    #[schema(nullable = false, minimum = 1, maximum = 2147483647)]
    version: Option<i32>,
    /// `null`: back to the client's default `TicketPolicy`.
    policy_ext_id: Option<String>,
    /// `null` clears it.
    identification: Option<String>,
    #[schema(nullable = false)]
    validity: Option<ValidityPatch>,
}

/// POST `.../generic-credentials` (`api/create-generic-credential`).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct GenericCreate {
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    ext_id: Option<String>,
    /// A `GenericCredentialPolicy` of the client; the default policy when absent.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    policy_ext_id: Option<String>,
    /// Default `active`.
    #[schema(nullable = false)]
    state_name: Option<CredentialState>,
    /// The identification of the external credential; required, not empty.
    #[schema(min_length = 1, max_length = 1024)]
    identification: String,
    /// Custom properties, name -> value (at most 64; `null` or `""` sets none).
    #[schema(nullable = false)]
    properties: Option<BTreeMap<String, Option<String>>>,
    /// Default: from now for the policy's `credentialLifetime`. Not in self-admin mode.
    #[schema(nullable = false)]
    validity: Option<ValidityPatch>,
}

/// PATCH `.../generic-credentials/{extId}`: JSON Merge Patch. `properties` change
/// through `.../properties`; sent here, they must be as stored.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenericPatch {
    #[schema(nullable = false)]
    state_name: Option<CredentialState>,
    /// `null` clears it.
    modification_comment: Option<String>,
    /// The version read; 409 when it is not the stored one.
    #[schema(nullable = false, minimum = 1, maximum = 2147483647)]
    version: Option<i32>,
    /// `null`: back to the client's default `GenericCredentialPolicy`.
    policy_ext_id: Option<String>,
    #[schema(nullable = false, min_length = 1, max_length = 1024)]
    identification: Option<String>,
    /// Not in self-admin mode.
    #[schema(nullable = false)]
    validity: Option<ValidityPatch>,
}

/// POST `.../mtans` (seed 000).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct MtanCreate {
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    ext_id: Option<String>,
    /// A `TANPolicy` of the client; the default policy when absent.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    policy_ext_id: Option<String>,
    /// Default `active`.
    #[schema(nullable = false)]
    state_name: Option<MtanState>,
    /// International form, e.g. `+41 79 123 45 67` (422 `errors.mtanFormatE164Violated`
    /// otherwise).
    #[schema(example = "+41 79 123 45 67", pattern = r"^\+")]
    mobile_number: String,
}

/// PATCH `.../mtans/{extId}` (seed 000): JSON Merge Patch; `stateName` may not be
/// `archived`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MtanPatch {
    #[schema(nullable = false)]
    state_name: Option<MtanState>,
    /// `null` clears it.
    modification_comment: Option<String>,
    /// The version read; 409 when it is not the stored one.
    #[schema(nullable = false, minimum = 1, maximum = 2147483647)]
    version: Option<i32>,
    /// A string; the `{raw, e164}` object a GET returned is accepted back unchanged.
    #[schema(value_type = Option<String>, nullable = false, pattern = r"^\+")]
    mobile_number: Option<Value>,
}

/// The states an mTAN may be given: all but `archived` (seed 000).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MtanState {
    Initial,
    Active,
    TmpLocked,
    FailLocked,
    ResetCode,
    AdminChanged,
    Disabled,
}

/// A policy parameter on input: numbers and booleans are stored as their text.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ParameterInput {
    Text(String),
    Number(f64),
    Flag(bool),
}

/// POST `.../mtans/{extId}`: the result of a login with this mTAN.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginResult {
    /// `true` counts a success, `false` a failure (which may lock the credential).
    success: bool,
}

/// POST `.../password/login` (Authentication REST API).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordLogin {
    /// The password to verify; non-empty.
    #[schema(min_length = 1, max_length = 4096)]
    password: String,
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

/// POST `.../oath-credentials/{extId}/login` (an extension of this server).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OathLogin {
    /// The one-time code the authenticator shows now: 6 to 8 digits.
    #[schema(pattern = "^[0-9]{6,8}$", example = "287082")]
    code: String,
}

/// POST `.../ticket/login` (an extension of this server).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketLogin {
    /// The ticket value, as the create or reset response showed it; non-empty.
    #[schema(min_length = 1, max_length = 1024)]
    ticket: String,
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

/// POST `.../oath-credentials` (seed 002). The secret is generated by the server.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct OathCreate {
    /// Generated (UUID) when absent.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    ext_id: Option<String>,
    /// An `OathPolicy` of the client; the default policy when absent. Its parameters
    /// decide the method, algorithm, digits, period and issuer.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    policy_ext_id: Option<String>,
    /// Default `active`.
    #[schema(nullable = false)]
    state_name: Option<CredentialState>,
    /// The account name an authenticator app shows; not blank, no `:`.
    #[schema(min_length = 1, max_length = 255, pattern = r"^[^:]*[^:\s][^:]*$")]
    label: String,
}

/// PATCH `.../oath-credentials/{extId}` (seed 002): JSON Merge Patch. The secret and the
/// parameters it was issued with do not change; sent back unchanged they are accepted.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OathPatch {
    /// A new extId (a rename); 409 `errors.duplicateValue` when the user has it already.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    ext_id: Option<String>,
    #[schema(nullable = false)]
    state_name: Option<CredentialState>,
    /// `null` clears it.
    modification_comment: Option<String>,
    /// The version read; 409 when it is not the stored one.
    #[schema(nullable = false, minimum = 1, maximum = 2147483647)]
    version: Option<i32>,
    /// Another `OathPolicy`; `null`: back to the client's default one. The new (or, when
    /// absent, the current) policy must still be valid (422 `errors.invalidConfig`).
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    policy_ext_id: Option<String>,
    /// Not blank, no `:`.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^:]*[^:\s][^:]*$"
    )]
    label: Option<String>,
}

/// POST `.../mobile-signature` (seed 001).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct MobileSignatureCreate {
    /// Generated (UUID) when absent.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    ext_id: Option<String>,
    /// A `MobileSignaturePolicy` of the client; the default policy when absent.
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    policy_ext_id: Option<String>,
    /// Default `active`.
    #[schema(nullable = false)]
    state_name: Option<CredentialState>,
    #[schema(min_length = 1, max_length = 50, pattern = r"\S")]
    identificator: String,
    /// Required unless the policy has a `defaultMsspIdentifier`, which it defaults to.
    #[schema(nullable = false, min_length = 1, max_length = 50, pattern = r"\S")]
    mssp_identifier: Option<String>,
    /// Must match the policy's `validation.msisdn.regex` when it has one (422
    /// `errors.policyViolation`).
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    msisdn: String,
    /// One PEM-encoded X.509 certificate; `null` or absent: none.
    #[schema(max_length = 4000)]
    signer_cert: Option<String>,
}

/// PATCH `.../mobile-signature` (seed 001): JSON Merge Patch.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MobileSignaturePatch {
    #[schema(nullable = false)]
    state_name: Option<CredentialState>,
    /// `null` clears it.
    modification_comment: Option<String>,
    /// The version read; 409 when it is not the stored one.
    #[schema(nullable = false, minimum = 1, maximum = 2147483647)]
    version: Option<i32>,
    /// Another `MobileSignaturePolicy`; `null`: back to the client's default one. Its
    /// `validation.msisdn.regex` then checks the (new or stored) `msisdn`.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
    )]
    policy_ext_id: Option<String>,
    #[schema(nullable = false, min_length = 1, max_length = 50, pattern = r"\S")]
    identificator: Option<String>,
    #[schema(nullable = false, min_length = 1, max_length = 50, pattern = r"\S")]
    mssp_identifier: Option<String>,
    /// Checked against the policy's `validation.msisdn.regex`.
    #[schema(nullable = false, min_length = 1, max_length = 64, pattern = r"\S")]
    msisdn: Option<String>,
    /// One PEM-encoded X.509 certificate; `null` removes it.
    #[schema(max_length = 4000)]
    signer_cert: Option<String>,
}
