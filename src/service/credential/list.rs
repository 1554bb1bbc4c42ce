//! Lists of the credentials a user may hold several of (mTAN, OATH): pages in creation
//! order with nevisIDM's continuation tokens.

use chrono::{DateTime, Utc};

use super::load_user;
use crate::auth::{Access, Rule};
use crate::domain::credential::{Credential, CredentialType};
use crate::domain::{ExtId, time};
use crate::error::ApiError;
use crate::service::Ctx;
use crate::service::directory::MAX_PAGE;
use crate::store::Page;

/// A page when the client asks for none (nevisIDM's `limit=0` means the same).
pub const DEFAULT_LIMIT: i64 = 50;

/// The query of a list request, as the client sent it.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub limit: Option<i64>,
    pub continuation_token: Option<String>,
}

/// One page of a user's credentials of one type, oldest first.
pub struct Listing {
    pub items: Vec<Credential>,
    pub access: Access,
    pub limit: i64,
    /// Where the next page starts; `None` on the last page.
    pub continuation_token: Option<String>,
}

/// `<created epoch millis>_<extId>` of an item, the token form nevisIDM documents.
fn token_of(c: &Credential) -> String {
    format!("{}_{}", c.created.timestamp_millis(), c.ext_id)
}

fn parse_token(token: &str) -> Result<(DateTime<Utc>, String), ApiError> {
    let malformed = || {
        ApiError::BadRequest(format!(
            "continuationToken {token:?} is not a token of this list"
        ))
    };
    let (millis, ext_id) = token.split_once('_').ok_or_else(malformed)?;
    let created = millis
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .filter(time::in_range)
        .ok_or_else(malformed)?;
    let ext_id = ExtId::parse(ext_id).map_err(|_| malformed())?;
    Ok((created, ext_id.into_string()))
}

/// At most `limit` credentials of `kind` after the continuation token, if `rule` allows.
pub async fn list(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    kind: CredentialType,
    rule: Rule,
    query: ListQuery,
) -> Result<Listing, ApiError> {
    let access = ctx
        .authorize_user(client.as_str(), user.as_str(), rule)
        .await?;
    let limit = match query.limit {
        None | Some(0) => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n,
        Some(n) => {
            return Err(ApiError::BadRequest(format!(
                "limit {n} must be between 0 and {MAX_PAGE}"
            )));
        }
    };
    let after = query
        .continuation_token
        .as_deref()
        .map(parse_token)
        .transpose()?;
    load_user(ctx, &client, &user).await?;
    // One item more than asked tells whether another page follows.
    let page = Page {
        limit: limit + 1,
        after,
    };
    let mut items = ctx
        .store
        .list_credentials(client.as_str(), user.as_str(), Some(kind), &page)
        .await?;
    let more = items.len() as i64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let continuation_token = if more {
        items.last().map(token_of)
    } else {
        None
    };
    Ok(Listing {
        items,
        access,
        limit,
        continuation_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_keep_underscores_in_ext_ids() {
        let (at, ext_id) = parse_token("1759758863000_a_b").unwrap();
        assert_eq!(at.timestamp_millis(), 1_759_758_863_000);
        assert_eq!(ext_id, "a_b");
        for bad in ["", "abc", "_x", "12_", "x_y", "99999999999999999999_a"] {
            assert!(parse_token(bad).is_err(), "{bad}");
        }
    }
}
