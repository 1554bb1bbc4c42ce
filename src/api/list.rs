//! The list endpoints of a user's credentials (mTAN, OATH, all types): the query and the
//! `items` + `_pagination` body.

use std::collections::HashMap;

use crate::api::response::Json;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::view::{AnyCredential, CredentialView};
use crate::error::ApiError;
use crate::service::credential::{ListQuery, Listing, audience};

/// The list query; a malformed one is 400 `errors.invalidData`, not axum's plain text.
/// Parameters nevisIDM knows but this server does not use (sorting, offset) are ignored.
pub struct ListParams(pub ListQuery);

impl<S: Send + Sync> FromRequestParts<S> for ListParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(mut params) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| {
                ApiError::BadRequest(format!("Bad query string: {}", rejection.body_text()))
            })?;
        let limit = params
            .remove("limit")
            .map(|text| {
                text.trim().parse::<i64>().map_err(|_| {
                    ApiError::BadRequest(format!("limit must be an integer, not {text:?}"))
                })
            })
            .transpose()?;
        Ok(Self(ListQuery {
            limit,
            continuation_token: params.remove("continuationToken"),
        }))
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// Send it back as `continuationToken` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    continuation_token: Option<String>,
    /// The page size used: the `limit` asked for, or 1000 when it was absent or `0`.
    #[schema(minimum = 1, maximum = 1000)]
    limit: i64,
}

/// One page of a user's credentials of all types; every list serializes as this.
#[derive(Serialize, ToSchema)]
pub struct CredentialList {
    #[schema(value_type = Vec<AnyCredential>)]
    items: Vec<CredentialView>,
    #[serde(rename = "_pagination")]
    pagination: Pagination,
}

/// The document's name for one page of a type's credentials; [`CredentialList`]
/// serializes it.
macro_rules! page_schema {
    ($name:ident, $item:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(serde::Serialize, utoipa::ToSchema)]
        #[allow(dead_code)] // documents the response; CredentialList serializes it
        pub struct $name {
            items: Vec<$item>,
            #[serde(rename = "_pagination")]
            pagination: $crate::api::list::Pagination,
        }
    };
}
pub(crate) use page_schema;

/// 200 with the page; items never carry a one-time secret.
pub fn page(listing: Listing) -> Response {
    let items = listing
        .items
        .iter()
        .map(|c| CredentialView::new(c, audience(listing.access), None))
        .collect();
    let dto = CredentialList {
        items,
        pagination: Pagination {
            continuation_token: listing.continuation_token,
            limit: listing.limit,
        },
    };
    Json(dto).into_response()
}
