//! The one pagination of a user's credentials: the mTAN and OATH lists and the list of
//! all their credentials (get-credentials) page in creation order with nevisIDM's
//! continuation tokens.

use chrono::{DateTime, Utc};

use super::load_user;
use crate::auth::{Access, Rule, SelfAdmin};
use crate::domain::credential::{Credential, CredentialType};
use crate::domain::{ExtId, time};
use crate::error::ApiError;
use crate::service::Ctx;
use crate::store::Page;

/// The longest page, and the page when the client asks for no size: nevisIDM's pages give
/// `limit` the default `0` (no size asked), and Nevis Identity Cloud, which fronts
/// nevisIDM, pages 1000 items when no limit is given.
pub const MAX_LIMIT: i64 = 1000;

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

/// The page size a request asks for: absent or `0` is [`MAX_LIMIT`]; beyond it, or
/// negative, is 400.
fn page_size(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None | Some(0) => Ok(MAX_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::BadRequest(format!(
            "limit {n} must be between 0 and {MAX_LIMIT} (0: {MAX_LIMIT})"
        ))),
    }
}

/// At most `limit` credentials of `kind` (every type when `None`) after the continuation
/// token, if `rule` allows. Without a `kind`, a self-admin caller is shown only the types
/// whose own GET admits self-admin callers.
pub async fn list(
    ctx: Ctx<'_>,
    client: ExtId,
    user: ExtId,
    kind: Option<CredentialType>,
    rule: Rule,
    query: ListQuery,
) -> Result<Listing, ApiError> {
    let access = ctx
        .authorize_user(client.as_str(), user.as_str(), rule)
        .await?;
    let limit = page_size(query.limit)?;
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
    let kinds: Vec<CredentialType> = match kind {
        Some(kind) => vec![kind],
        None => CredentialType::ALL
            .into_iter()
            .filter(|k| {
                access == Access::Admin
                    || crate::service::view_rule(*k).self_admin != SelfAdmin::Denied
            })
            .collect(),
    };
    let mut items = ctx
        .store
        .list_credentials(client.as_str(), user.as_str(), &kinds, &page)
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
    fn absent_and_zero_limits_ask_for_the_longest_page() {
        assert_eq!(page_size(None).unwrap(), MAX_LIMIT);
        assert_eq!(page_size(Some(0)).unwrap(), MAX_LIMIT);
        assert_eq!(page_size(Some(1)).unwrap(), 1);
        assert_eq!(page_size(Some(MAX_LIMIT)).unwrap(), MAX_LIMIT);
        for bad in [-1, MAX_LIMIT + 1, i64::MAX] {
            assert!(page_size(Some(bad)).is_err(), "{bad}");
        }
    }

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
