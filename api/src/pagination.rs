//! Cursor pagination: `?cursor=&limit=`, newest first by id.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

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

/// A page of items.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// Items, newest first.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl PageQuery {
    /// The page size.
    pub fn limit(&self) -> u64 {
        self.limit.unwrap_or(20)
    }

    /// The id below which the page starts, or 422 when the cursor is not ours.
    pub fn before_id(&self) -> Result<Option<i64>, crate::error::ApiError> {
        match self.cursor.as_deref() {
            None | Some("") => Ok(None),
            Some(c) => c
                .parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .map(Some)
                .ok_or_else(|| crate::error::ApiError::field("cursor", "分页游标无效")),
        }
    }
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` rows fetched newest first.
    pub fn from_rows(mut rows: Vec<T>, limit: u64, id: impl Fn(&T) -> i64) -> Self {
        let next_cursor = if rows.len() as u64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| id(r).to_string())
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}
