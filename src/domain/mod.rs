//! Pure types and rules of the nevisIDM credential model: no I/O, no HTTP, no SQL.

/// The credential record shared by every type, and the type-specific attributes.
pub mod credential;
/// Clients, users and policies.
pub mod directory;
/// External ids: the only identifiers that appear on the wire.
pub mod ext_id;
/// Custom properties (generic credentials): name -> value, `null` or `""` removes.
pub mod generic;
/// The audit trail of a credential: field-level changes, secrets redacted.
pub mod history;
/// What a credential type is (`DomainKind`), implemented by each module of `crate::types`.
pub mod kind;
/// The lock engine: what a login attempt does to counters and state.
pub mod lockout;
/// The `MobileSignaturePolicy` rules and the `signerCert` check.
pub mod mobile_signature;
/// OATH: `OathPolicy` settings, secrets and the `otpauth://` provisioning URI.
pub mod oath;
/// One-time codes (HOTP/TOTP): generation and the accepted window, no code twice.
pub mod otp;
/// Password hashing, verification and the `PwdPolicy` rules.
pub mod password;
/// The JSON Merge Patch reader shared by all PATCH endpoints.
pub mod patch;
/// E.164 phone numbers.
pub mod phone;
/// Policy types and the parameters the credential rules read.
pub mod policy;
/// AES-256-GCM encryption of secrets at rest, bound to the owning row.
pub mod secret_box;
/// Credential states, state-change reasons and the transition rule.
pub mod state;
/// Ticket value generation and `{SSHA256}` digests.
pub mod ticket;
/// The wire format of timestamps.
pub mod time;
/// The response shape of a credential, as the seed pages define it.
pub mod view;
/// A credential view one field at a time: its JSON and its history diff.
pub mod view_fields;

pub use credential::{Attributes, Credential, CredentialType, LoginStats, PolicyRef, Validity};
pub use ext_id::ExtId;
pub use state::{CredentialState, StateChangeReason};
