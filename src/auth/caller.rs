use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::jwt::XTokenSubject;
use super::permission::{Permission, Permissions, Role};
use crate::app::AppState;
use crate::error::ApiError;

/// The authenticated caller of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// `sub`: recorded as the actor in history.
    pub sub: String,
    /// The caller's client; `None` only for a Root token without `clientExtId`.
    client: Option<String>,
    /// Root acts in every client.
    root: bool,
    /// The rights the caller holds inside `client` (or everywhere, for Root).
    permissions: Permissions,
    self_admin: bool,
    x_token: XToken,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum XToken {
    Absent,
    /// A valid X-Token, for this user of this client.
    Valid(XTokenSubject),
    Invalid,
}

/// Whether an endpoint lets a user act on their own credentials without admin rights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelfAdmin {
    Denied,
    Allowed,
    /// Allowed with a valid `X-Token` issued to the user, in the path's client.
    WithXToken,
}

/// What an endpoint requires: all of `permissions`, or self-admin as `self_admin` says.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub permissions: &'static [Permission],
    pub self_admin: SelfAdmin,
}

impl Rule {
    pub const fn admin(permissions: &'static [Permission]) -> Self {
        Self {
            permissions,
            self_admin: SelfAdmin::Denied,
        }
    }

    pub const fn or_self(permissions: &'static [Permission], self_admin: SelfAdmin) -> Self {
        Self {
            permissions,
            self_admin,
        }
    }
}

/// Proof that a caller passed [`Caller::authorize`], and in which capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Admin,
    /// The user acting on their own data.
    SelfAdmin,
}

impl Caller {
    pub fn from_claims(
        claims: super::Claims,
        x_token: Option<Result<XTokenSubject, String>>,
    ) -> Self {
        let roles: Vec<Role> = claims.roles.iter().filter_map(|r| Role::parse(r)).collect();
        let mut permissions: Permissions = claims
            .permissions
            .iter()
            .filter_map(|p| Permission::parse(p))
            .collect();
        for role in &roles {
            permissions = permissions.union(role.permissions());
        }
        Self {
            sub: claims.sub,
            client: claims.client_ext_id,
            root: roles.contains(&Role::Root),
            permissions,
            self_admin: roles.contains(&Role::SelfAdmin),
            x_token: match x_token {
                None => XToken::Absent,
                Some(Ok(subject)) => XToken::Valid(subject),
                Some(Err(_)) => XToken::Invalid,
            },
        }
    }

    fn acts_in(&self, client: &str) -> bool {
        self.root || self.client.as_deref() == Some(client)
    }

    /// May the caller do what `rule` requires in `client`, on `user` when the endpoint
    /// is about one user? Admin rights win; self-admin is the fallback where allowed.
    pub fn authorize(
        &self,
        client: &str,
        user: Option<&str>,
        rule: Rule,
    ) -> Result<Access, ApiError> {
        if self.permissions.is_empty() && !self.self_admin {
            return Err(ApiError::PermissionDenied(
                "The token grants no permission: none of its roles and permissions is one this \
                 server knows (roles: Root, ClientRoot, UserAdmin, Helpdesk, SelfAdmin)"
                    .into(),
            ));
        }
        if !self.acts_in(client) {
            return Err(ApiError::PermissionDenied(format!(
                "The caller may not act in client {client}"
            )));
        }
        if rule
            .permissions
            .iter()
            .all(|p| self.permissions.contains(*p))
        {
            return Ok(Access::Admin);
        }
        let own = self.self_admin && user == Some(self.sub.as_str());
        match (rule.self_admin, own) {
            (SelfAdmin::Allowed, true) => Ok(Access::SelfAdmin),
            (SelfAdmin::WithXToken, true) => match &self.x_token {
                XToken::Valid(x) if Some(x.sub.as_str()) == user && x.client == client => {
                    Ok(Access::SelfAdmin)
                }
                XToken::Valid(_) => Err(ApiError::Unauthenticated(
                    "The X-Token was issued to another user or in another client".into(),
                )),
                XToken::Invalid => Err(ApiError::Unauthenticated(
                    "The X-Token is invalid, expired, or not an X-Token (get one from \
                     POST /nevisidm/api/principal/v1/token)"
                        .into(),
                )),
                XToken::Absent => Err(ApiError::Unauthenticated(
                    "Self-admin mode requires an X-Token (POST /nevisidm/api/principal/v1/token)"
                        .into(),
                )),
            },
            _ => {
                let names: Vec<_> = rule.permissions.iter().map(|p| p.name()).collect();
                Err(ApiError::PermissionDenied(format!(
                    "Permission denied: requires {}",
                    names.join(", ")
                )))
            }
        }
    }

    /// The user a SelfAdmin caller is, as (clientExtId, userExtId): the principal API's
    /// own-user endpoints. Without the SelfAdmin role, or without a client, 403.
    pub fn self_admin_user(&self) -> Result<(&str, &str), ApiError> {
        match (&self.client, self.self_admin) {
            (Some(client), true) => Ok((client.as_str(), self.sub.as_str())),
            (None, true) => Err(ApiError::PermissionDenied(
                "A SelfAdmin token needs a clientExtId claim".into(),
            )),
            _ => Err(ApiError::PermissionDenied(
                "Permission denied: requires the SelfAdmin role".into(),
            )),
        }
    }

    /// The elementary rights the token grants (its roles' and its own `permissions`),
    /// in [`Permission::ALL`] order.
    pub fn permissions(&self) -> impl Iterator<Item = Permission> + '_ {
        Permission::ALL
            .into_iter()
            .filter(|p| self.permissions.contains(*p))
    }

    /// Whether the token has the SelfAdmin role.
    pub fn is_self_admin(&self) -> bool {
        self.self_admin
    }

    /// For operations outside any client (creating a client): Root only.
    pub fn authorize_global(&self, permission: Permission) -> Result<Access, ApiError> {
        if self.root && self.permissions.contains(permission) {
            Ok(Access::Admin)
        } else {
            Err(ApiError::PermissionDenied(format!(
                "Permission denied: requires {} in every client",
                permission.name()
            )))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ApiError::Unauthenticated("Missing Authorization header".into()))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthenticated("Expected 'Authorization: Bearer <token>'".into())
            })?;
        let claims = state.keys.verify_bearer(token).map_err(|reason| {
            tracing::debug!(reason = reason.as_str(), "bearer token refused");
            ApiError::Unauthenticated(
                "The token is missing, malformed, expired or badly signed".into(),
            )
        })?;
        let x_token = parts.headers.get("x-token").map(|value| {
            value
                .to_str()
                .map_err(|_| "X-Token is not ASCII".to_owned())
                .and_then(|t| state.keys.verify_x_token(t.trim()))
        });
        Ok(Caller::from_claims(claims, x_token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Claims;

    const VIEW: Rule = Rule::or_self(&[Permission::CredentialView], SelfAdmin::Allowed);
    const DELETE: Rule = Rule::or_self(&[Permission::CredentialDelete], SelfAdmin::WithXToken);
    const MODIFY: Rule = Rule::admin(&[Permission::CredentialView, Permission::CredentialModify]);

    fn caller(
        roles: &[&str],
        client: Option<&str>,
        x_token: Option<Result<XTokenSubject, String>>,
    ) -> Caller {
        Caller::from_claims(
            Claims {
                sub: "jdoe".into(),
                exp: 0,
                roles: roles.iter().map(|r| r.to_string()).collect(),
                client_ext_id: client.map(str::to_owned),
                ..Claims::default()
            },
            x_token,
        )
    }

    #[test]
    fn root_acts_everywhere_and_others_only_in_their_client() {
        let root = caller(&["nevisIdm.Root"], None, None);
        assert_eq!(root.authorize("any", None, MODIFY).unwrap(), Access::Admin);
        let helpdesk = caller(&["Helpdesk"], Some("c1"), None);
        assert_eq!(
            helpdesk.authorize("c1", None, MODIFY).unwrap(),
            Access::Admin
        );
        assert_eq!(
            helpdesk.authorize("c2", None, MODIFY).unwrap_err().status(),
            403
        );
    }

    #[test]
    fn missing_permissions_are_403() {
        let helpdesk = caller(&["Helpdesk"], Some("c1"), None);
        assert_eq!(
            helpdesk
                .authorize("c1", Some("u"), DELETE)
                .unwrap_err()
                .status(),
            403
        );
    }

    #[test]
    fn self_admin_works_on_ones_own_user_only() {
        let me = caller(&["nevisIdm.SelfAdmin"], Some("c1"), None);
        assert_eq!(
            me.authorize("c1", Some("jdoe"), VIEW).unwrap(),
            Access::SelfAdmin
        );
        assert_eq!(
            me.authorize("c1", Some("other"), VIEW)
                .unwrap_err()
                .status(),
            403
        );
        assert_eq!(
            me.authorize("c1", Some("jdoe"), MODIFY)
                .unwrap_err()
                .status(),
            403
        );
    }

    #[test]
    fn x_token_is_required_where_the_page_says_so() {
        let without = caller(&["SelfAdmin"], Some("c1"), None);
        assert_eq!(
            without
                .authorize("c1", Some("jdoe"), DELETE)
                .unwrap_err()
                .status(),
            401
        );
        let invalid = caller(&["SelfAdmin"], Some("c1"), Some(Err("bad".into())));
        assert_eq!(
            invalid
                .authorize("c1", Some("jdoe"), DELETE)
                .unwrap_err()
                .status(),
            401
        );
        let x = |sub: &str, client: &str| {
            Some(Ok(XTokenSubject {
                sub: sub.into(),
                client: client.into(),
            }))
        };
        let foreign = caller(&["SelfAdmin"], Some("c1"), x("other", "c1"));
        assert_eq!(
            foreign
                .authorize("c1", Some("jdoe"), DELETE)
                .unwrap_err()
                .status(),
            401
        );
        let elsewhere = caller(&["SelfAdmin"], Some("c1"), x("jdoe", "c2"));
        assert_eq!(
            elsewhere
                .authorize("c1", Some("jdoe"), DELETE)
                .unwrap_err()
                .status(),
            401
        );
        let valid = caller(&["SelfAdmin"], Some("c1"), x("jdoe", "c1"));
        assert_eq!(
            valid.authorize("c1", Some("jdoe"), DELETE).unwrap(),
            Access::SelfAdmin
        );
    }

    #[test]
    fn explicit_permissions_count_like_role_rights() {
        let c = Caller::from_claims(
            Claims {
                sub: "svc".into(),
                permissions: vec![
                    "AccessControl.CredentialView".into(),
                    "CredentialModify".into(),
                ],
                client_ext_id: Some("c1".into()),
                ..Claims::default()
            },
            None,
        );
        assert_eq!(c.authorize("c1", None, MODIFY).unwrap(), Access::Admin);
        assert!(c.authorize_global(Permission::ClientCreate).is_err());
    }
}
