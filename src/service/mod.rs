//! Use cases. Each public function is one transaction script: authorize, validate, load,
//! check version and state rules, write (with history), answer.
//!
//! The skeleton every credential type shares lives in [`credential`]; each type's rules
//! and readers are in its module of `crate::types` (`service.rs`).

pub mod credential;
pub mod directory;
pub mod hashing;
pub mod policies;
pub mod principal;

use crate::auth::{Access, Caller, Rule};
use crate::domain::directory::UserState;
use crate::domain::secret_box::SecretKey;
use crate::error::ApiError;
use crate::store::Store;

/// What every use case needs: the store and who is asking.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub caller: &'a Caller,
    /// Seals and opens the secrets kept encrypted (OATH).
    pub secret_key: &'a SecretKey,
}

impl Ctx<'_> {
    /// [`Caller::authorize`] on the data of `user` in `client`; a self-admin must also be
    /// an active user: a user an administrator disabled or archived may not act on their
    /// own data (docs/compatibility.md, "Self-admin reach"). A user that does not exist is
    /// left to the operation, which names what is missing.
    pub async fn authorize_user(
        &self,
        client: &str,
        user: &str,
        rule: Rule,
    ) -> Result<Access, ApiError> {
        let access = self.caller.authorize(client, Some(user), rule)?;
        if access == Access::SelfAdmin
            && let Some(found) = self.store.find_user(client, user).await?
            && found.state != UserState::Active
        {
            return Err(ApiError::PermissionDenied(format!(
                "User {user} is {}: only an active user may act in self-admin mode",
                found.state.as_str()
            )));
        }
        Ok(access)
    }
}

/// [`view_rule`] and [`check_policy`]: each type's own.
macro_rules! view_rule_of_each {
    ($($variant:ident = $module:ident: $wire:tt, $policy:ident = $policy_wire:tt;)*) => {
        /// Whether `parameters` make sense for a policy of `kind`'s policy type; `Err` says why.
        pub fn check_policy(
            kind: crate::domain::CredentialType,
            parameters: &crate::domain::policy::Parameters,
        ) -> Result<(), String> {
            use credential::CredentialKind;
            match kind {
                $(crate::domain::CredentialType::$variant => {
                    <crate::types::$module::$variant as CredentialKind>::check_policy(parameters)
                })*
            }
        }

        /// The rule of a credential type's own GET, for views that span types (a user's list).
        pub fn view_rule(kind: crate::domain::CredentialType) -> crate::auth::Rule {
            use credential::CredentialKind;
            match kind {
                $(crate::domain::CredentialType::$variant => {
                    <crate::types::$module::$variant as CredentialKind>::RULES.view
                })*
            }
        }
    };
}
crate::types::for_each_type!(view_rule_of_each);
