//! The credential types, one module each.
//!
//! A type's module says everything particular to it, one file per layer:
//! `mod.rs` what it is (`domain::kind::DomainKind`: its names, stored attributes,
//! response fields), `service.rs` its rules and readers (`service::credential::CredentialKind`),
//! `http.rs` where it lives and how the document describes it (`api::kind::HttpKind`),
//! `fixture.rs` its fixture form (`fixtures::FixtureKind`). Everything shared is written
//! once and reaches the types through [`for_each_type!`]: the one list that names them.

/// Expands `$callback! { ... }` with every credential type, one line each:
/// `Variant = module: "nevisIDM type name", PolicyVariant = "nevisIDM policy type";`.
/// Each layer that needs something per type (an enum variant, a match arm, a route)
/// writes it once in its own macro and expands it through this list. Adding a type is
/// its module and one line here; the order is the order of lists and documents.
macro_rules! for_each_type {
    ($callback:ident) => {
        $callback! {
            Password = password: "Password", Pwd = "PwdPolicy";
            Ticket = ticket: "Ticket Authorization", Ticket = "TicketPolicy";
            Mtan = mtan: "mTan", Tan = "TANPolicy";
            MobileSignature = mobile_signature: "MobileSignature", MobileSignature = "MobileSignaturePolicy";
            Oath = oath: "OATH", Oath = "OathPolicy";
            Generic = generic: "Generic Credential", GenericCredential = "GenericCredentialPolicy";
        }
    };
}
pub(crate) use for_each_type;

macro_rules! declare_modules {
    ($($variant:ident = $module:ident: $wire:literal, $policy:ident = $policy_wire:literal;)*) => {
        $(pub mod $module;)*
    };
}
for_each_type!(declare_modules);

macro_rules! registered {
    ($($variant:ident = $module:ident: $wire:tt, $policy:ident = $policy_wire:tt;)*) => {
        $(impl crate::domain::kind::Registered for $module::$variant {
            const TYPE: crate::domain::CredentialType = crate::domain::CredentialType::$variant;
        })*
    };
}
for_each_type!(registered);
