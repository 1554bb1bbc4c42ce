//! Use cases. Each public function is one transaction script: authorize, validate, load,
//! check version and state rules, write (with history), answer.
//!
//! The skeleton every credential type shares lives in [`credential`]; the per-type
//! modules hold only their fields and rules.

pub mod credential;
pub mod directory;
pub mod mobile_signature;
pub mod mtan;
pub mod oath;
pub mod password;
pub mod policies;
pub mod ticket;

use crate::auth::Caller;
use crate::store::Store;

/// What every use case needs: the store and who is asking.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub caller: &'a Caller,
}

/// The rule of a credential type's own GET, for views that span types (a user's list).
pub fn view_rule(kind: crate::domain::CredentialType) -> crate::auth::Rule {
    use crate::domain::CredentialType as T;
    match kind {
        T::Password => password::VIEW,
        T::Ticket => ticket::VIEW,
        T::Mtan => mtan::VIEW,
        T::MobileSignature => mobile_signature::VIEW,
        T::Oath => oath::VIEW,
    }
}
