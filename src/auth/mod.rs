//! Who is calling and what they may do: Bearer JWT verification, nevisIDM roles and
//! permissions, client scoping and self-admin mode (decisions.md, "Authentication").
//!
//! A [`Caller`] is extracted once per request; handlers ask it for a [`Access`] proof with
//! [`Caller::authorize`] and pass the proof on.

mod caller;
mod claims;
/// Token verification and minting.
pub mod jwt;
mod permission;

pub use caller::{Access, Caller, Rule, SelfAdmin};
pub use jwt::{Claims, Keys};
pub use permission::{Permission, Role};
