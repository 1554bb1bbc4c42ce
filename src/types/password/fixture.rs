//! A password in a fixture: plaintext (checked against the policy, hashed) or a hash as
//! exported, stored as given.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Password, PasswordAttributes};
use crate::domain::credential::Credential;
use crate::domain::password::{self, PasswordRules};
use crate::domain::secret_box::SecretKey;
use crate::fixtures::kind::{Context, FieldProblem, FixtureKind, Plaintext, at};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(rename = "Password")]
pub struct PasswordFixture {
    /// A plaintext password (checked against the policy, stored as an argon2id hash), or
    /// a hash as exported: argon2 PHC (`$argon2id$...`), bcrypt (`$2b$...`), `{SSHA256}`
    /// or `{SSHA}`, stored as given.
    pub password: String,
}

impl FixtureKind for Password {
    type Fixture = PasswordFixture;
    const FIXTURE_SECRETS: &'static [&'static str] = &["password"];

    fn plaintext(f: &PasswordFixture) -> Option<Plaintext<'_>> {
        password::check_stored_hash(&f.password)
            .is_none()
            .then_some(("password", f.password.as_str()))
    }

    /// A password that is not a hash must satisfy the policy, like one sent to the REST API.
    fn attributes(
        f: &PasswordFixture,
        ctx: &Context<'_>,
    ) -> Result<PasswordAttributes, Vec<FieldProblem>> {
        match password::check_stored_hash(&f.password) {
            Some(Ok(())) => Ok(PasswordAttributes {
                hash: f.password.clone(),
            }),
            Some(Err(problem)) => Err(at("password", problem)),
            None => {
                let rules = PasswordRules::from_parameters(&ctx.policy.parameters)
                    .map_err(|m| at("policyExtId", m))?;
                let violations = rules.violations(&f.password, ctx.login_id);
                if !violations.is_empty() {
                    return Err(violations
                        .into_iter()
                        .map(|v| ("password".to_owned(), v.message))
                        .collect());
                }
                let hash = if ctx.hash {
                    password::hash(&f.password).map_err(|m| at("password", m))?
                } else {
                    String::new()
                };
                Ok(PasswordAttributes { hash })
            }
        }
    }

    fn fixture(a: &PasswordAttributes) -> PasswordFixture {
        PasswordFixture {
            password: a.hash.clone(),
        }
    }

    fn verify(
        plain: &str,
        _stored: &Credential,
        a: &PasswordAttributes,
        _key: &SecretKey,
    ) -> Option<bool> {
        password::verify(plain, &a.hash)
    }
}
