//! The nevisIDM Principal REST API (`/nevisidm/api/principal/v1`): what the caller is and
//! may do, and the X-Token that proves a re-entered password (docs/compatibility.md,
//! "Principal API and X-Tokens").
//!
//! `token` checks the password through the password login (`password::login_attempt`:
//! argon2id on a hashing slot, the lock engine), so a wrong password here is a failed
//! login like any other and counts towards the lock.

use serde_json::Value;

use super::Ctx;
use super::credential::load_user;
use crate::auth::Keys;
use crate::domain::ExtId;
use crate::domain::directory::{Client, User, UserState};
use crate::domain::patch::PatchDocument;
use crate::error::ApiError;
use crate::types::password;

/// The longest `username` (a loginId) and `password` read.
const MAX_USERNAME_BYTES: usize = 255;
const MAX_PASSWORD_BYTES: usize = 4096;

/// The name nevisIDM gives the right a SelfAdmin role holds (`api/get-caller-user-permissions`'s
/// example lists it); this server has no other use for it.
pub const SELF_ADMIN_PERMISSION: &str = "AccessControl.SelfAdmin";

/// POST `/token` (`api/generate-bearer-token`): `{username, password, grant_type}` from a
/// SelfAdmin caller whose loginId is `username`; a right password gives an X-Token for the
/// caller's user in the caller's client.
///
/// Answers: a malformed body 422 (`grant_type` other than `password` too); a missing or
/// empty password, or a `username` that is not the caller's loginId, 401 without a login
/// attempt; a wrong password 401, counted as a failed login; a credential that cannot log
/// in the 4xx the password login gives (404 none, 423 locked, 403 other state or outside
/// its validity), counting nothing.
pub async fn token(ctx: Ctx<'_>, keys: &Keys, body: Value) -> Result<String, ApiError> {
    let user = own_user(ctx).await?;
    let mut doc = PatchDocument::new(body)?;
    let username = doc.required_text("username", MAX_USERNAME_BYTES);
    let grant_type = doc.required_text("grant_type", 64);
    if grant_type.as_deref().is_some_and(|g| g != "password") {
        doc.problem(
            "grant_type",
            "must be 'password' (no other grant type is supported)",
        );
    }
    let password = match doc.raw("password") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.len() > MAX_PASSWORD_BYTES => {
            doc.problem("password", "is too long");
            None
        }
        Some(Value::String(text)) => Some(text).filter(|t| !t.is_empty()),
        Some(_) => {
            doc.problem("password", "must be a string");
            None
        }
    };
    doc.finish(&[])?;
    if username.as_deref() != Some(user.login_id.as_str()) {
        return Err(ApiError::Unauthenticated(
            "The username is not the caller's loginId".into(),
        ));
    }
    let Some(password) = password else {
        return Err(ApiError::Unauthenticated("The password is missing".into()));
    };
    let (client, ext_id) = ids(&user)?;
    let status = password::login_attempt(ctx, client, ext_id, password).await?;
    let problem = match status.status_code {
        5 => None,
        3 => Some("; one more failure locks the password credential"),
        4 => Some("; the password credential is now locked"),
        9 => Some("; the password credential is now temporarily locked"),
        _ => Some(""),
    };
    if let Some(consequence) = problem {
        return Err(ApiError::Unauthenticated(format!(
            "The password is wrong{consequence}"
        )));
    }
    keys.mint_x_token(&user.client_ext_id, &user.ext_id)
        .map_err(ApiError::Internal)
}

/// GET `/me` (`api/get-caller-user-info`): the SelfAdmin caller's user and client.
pub async fn me(ctx: Ctx<'_>) -> Result<(User, Client), ApiError> {
    let user = own_user(ctx).await?;
    let client = ctx
        .store
        .find_client(&user.client_ext_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("The caller's client does not exist".into()))?;
    Ok((user, client))
}

/// GET `/permissions` (`api/get-caller-user-permissions`): the elementary rights the
/// caller's token grants, through its roles and its own `permissions`, plus
/// [`SELF_ADMIN_PERMISSION`] for a SelfAdmin. Any valid token may ask.
pub fn permissions(ctx: Ctx<'_>) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = ctx.caller.permissions().map(|p| p.name()).collect();
    if ctx.caller.is_self_admin() {
        names.push(SELF_ADMIN_PERMISSION);
    }
    names
}

/// The SelfAdmin caller's own user: 403 without the role, 404 when the user does not
/// exist, 403 when it is not active (as everywhere in self-admin mode).
async fn own_user(ctx: Ctx<'_>) -> Result<User, ApiError> {
    let (client, sub) = ctx.caller.self_admin_user()?;
    let missing = || ApiError::NotFound(format!("The caller's user {sub} does not exist"));
    let client = ExtId::parse(client).map_err(|_| missing())?;
    let sub = ExtId::parse(sub).map_err(|_| missing())?;
    let user = load_user(ctx, &client, &sub).await?;
    if user.state != UserState::Active {
        return Err(ApiError::PermissionDenied(format!(
            "User {} is {}: only an active user may act in self-admin mode",
            user.ext_id,
            user.state.as_str()
        )));
    }
    Ok(user)
}

fn ids(user: &User) -> Result<(ExtId, ExtId), ApiError> {
    let parse = |text: &str| ExtId::parse(text).map_err(ApiError::Internal);
    Ok((parse(&user.client_ext_id)?, parse(&user.ext_id)?))
}
