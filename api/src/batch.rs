//! Batch loading by ids: the rows a page refers to (communities, users, households …) in one
//! query, never one query per row.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, Iterable, PrimaryKeyToColumn, QueryFilter,
};

use crate::error::ApiResult;

/// The rows of `E` whose primary key is among `ids`, by id (`id_of` reads it back); no query
/// when there are none.
pub async fn by_ids<E, C>(
    db: &C,
    ids: impl IntoIterator<Item = i64>,
    id_of: impl Fn(&E::Model) -> i64,
) -> ApiResult<HashMap<i64, E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let Some(key) = E::PrimaryKey::iter().next() else {
        return Ok(HashMap::new());
    };
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(E::find()
        .filter(key.into_column().is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (id_of(&m), m))
        .collect())
}
