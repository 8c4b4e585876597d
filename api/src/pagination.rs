//! Lists: every list answers one shape, `Page<T>` = `{items, next_cursor, total?}`.
//!
//! The pattern every domain follows (and new ones copy):
//!
//! - The query struct of a list carries `cursor: Option<String>` and `limit: Option<u64>`
//!   (validated 1 to 100, default 20; a list may lower the maximum) beside its filters, and
//!   turns them into a `PageQuery` with `PageQuery::new`.
//! - Pages are keyset pages in a stable order that each endpoint documents (newest first by
//!   id, by id ascending, nearest first): the service fetches `limit + 1` rows after the
//!   cursor's key and builds the page with `Page::from_rows`, which sets `next_cursor` only
//!   when more rows follow. A cursor is opaque to clients: pass `next_cursor` back as `cursor`
//!   with the same filters; a cursor that is not ours answers 422 `validation_failed` on
//!   `cursor`. Id-ordered lists use the last id (`before_id`, `after_id`); lists ordered by
//!   more than an id encode their key with `opaque` (base64url), bound to the query it came
//!   from.
//! - A list whose length has a small fixed bound (the categories of a shelf, a top-100
//!   leaderboard) answers everything at once with `next_cursor: null`: `Page::whole`.
//! - Staff queues that feed a badge take `?with_total=true` and then add `total`, the count
//!   of the whole filtered list (not of the page), with one `COUNT(*)`: `Page::with_total`.
//!   Without it `total` is absent.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::error::ApiError;

/// The message of a cursor that is not ours (malformed, or from another query).
pub const BAD_CURSOR: &str = "分页游标无效";

/// Query parameters of a paginated list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[validate(range(min = 1, max = 100, message = "每页数量须在 1 到 100 之间"))]
    pub limit: Option<u64>,
}

/// A page of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// Items, in the order the operation documents.
    pub items: Vec<T>,
    /// Pass as `cursor` (with the same filters) for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// How many items the whole filtered list holds (not this page); only when asked for
    /// with `with_total=true`, on the lists that offer it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub total: Option<u64>,
}

impl PageQuery {
    /// The paging part of a list's query.
    pub fn new(cursor: Option<String>, limit: Option<u64>) -> Self {
        PageQuery { cursor, limit }
    }

    /// The page size.
    pub fn limit(&self) -> u64 {
        self.limit.unwrap_or(20)
    }

    /// The cursor, unless absent or empty.
    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref().filter(|c| !c.is_empty())
    }

    /// For lists newest first by id: the id below which the page starts, or 422 when the
    /// cursor is not ours.
    pub fn before_id(&self) -> Result<Option<i64>, ApiError> {
        self.last_id()
    }

    /// For lists by id ascending: the id above which the page starts, or 422 when the cursor
    /// is not ours.
    pub fn after_id(&self) -> Result<Option<i64>, ApiError> {
        self.last_id()
    }

    fn last_id(&self) -> Result<Option<i64>, ApiError> {
        match self.cursor() {
            None => Ok(None),
            Some(c) => c
                .parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .map(Some)
                .ok_or_else(bad_cursor),
        }
    }
}

/// 422 `validation_failed` on `cursor`.
pub fn bad_cursor() -> ApiError {
    ApiError::field("cursor", BAD_CURSOR)
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` rows fetched in the list's order; the cursor is the
    /// last id of the page.
    pub fn from_rows(rows: Vec<T>, limit: u64, id: impl Fn(&T) -> i64) -> Self {
        Self::from_rows_keyed(rows, limit, |row| id(row).to_string())
    }

    /// As `from_rows`, with the cursor made by `key` from the last item of the page.
    pub fn from_rows_keyed(mut rows: Vec<T>, limit: u64, key: impl Fn(&T) -> String) -> Self {
        let next_cursor = if rows.len() as u64 > limit {
            rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            rows.last().map(key)
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
            total: None,
        }
    }

    /// A whole (small, bounded) list as one page.
    pub fn whole(items: Vec<T>) -> Self {
        Page {
            items,
            next_cursor: None,
            total: None,
        }
    }

    /// The same page with other items (the views of its rows), cursor and total kept.
    pub fn with_items<U>(self, items: Vec<U>) -> Page<U> {
        Page {
            items,
            next_cursor: self.next_cursor,
            total: self.total,
        }
    }

    /// The same page with the count of the whole filtered list (`None` leaves it out).
    pub fn with_total(self, total: Option<u64>) -> Self {
        Page { total, ..self }
    }
}

/// Opaque cursors for lists ordered by more than an id: the key's bytes in base64url.
pub mod opaque {
    use super::*;

    /// The cursor of a key.
    pub fn encode(key: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(key)
    }

    /// The key of a cursor, exactly `N` bytes long, or 422 `validation_failed` on `cursor`.
    pub fn decode<const N: usize>(cursor: &str) -> Result<[u8; N], ApiError> {
        if cursor.len() > 4 * N.div_ceil(3) {
            return Err(bad_cursor());
        }
        URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|bytes| <[u8; N]>::try_from(bytes).ok())
            .ok_or_else(bad_cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_of_more_rows_than_its_limit_points_at_its_last_item() {
        let page = Page::from_rows(vec![9, 7, 5], 2, |n| *n);
        assert_eq!(page.items, [9, 7]);
        assert_eq!(page.next_cursor.as_deref(), Some("7"));
        let last = Page::from_rows(vec![3], 2, |n| *n);
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn an_opaque_key_round_trips_and_anything_else_is_refused() {
        let key = [1u8, 2, 3, 250, 251, 252, 253, 254];
        assert_eq!(opaque::decode::<8>(&opaque::encode(&key)).unwrap(), key);
        assert!(opaque::decode::<8>(&opaque::encode(&key[..7])).is_err());
        assert!(opaque::decode::<8>("!!!!").is_err());
        assert!(opaque::decode::<8>(&"A".repeat(1000)).is_err());
    }

    #[test]
    fn an_id_cursor_must_be_a_positive_id() {
        for bad in ["abc", "0", "-3", "1.5"] {
            let query = PageQuery::new(Some(bad.to_owned()), None);
            assert!(query.before_id().is_err(), "{bad}");
        }
        assert_eq!(
            PageQuery::new(Some(String::new()), None)
                .after_id()
                .unwrap(),
            None
        );
        assert_eq!(
            PageQuery::new(Some("42".into()), None).after_id().unwrap(),
            Some(42)
        );
    }
}
