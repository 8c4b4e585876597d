//! Communities near a point, nearest first, page by page; the cursor is a position (a
//! distance and an id), independent of how the candidates are found.

use std::collections::HashMap;

use entity::communities;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{
    communities::views,
    near_index::{self, NearIndex},
};
use crate::{
    cache::Cache,
    error::ApiResult,
    pagination::{Page, PageQuery},
    regions::{dto::CommunityView, geo},
};

/// The first reach of the search beyond the cursor's distance, in metres: a city's page of
/// communities is usually this close, so one small box on the index answers it.
const FIRST_REACH_M: f64 = 2_000.0;

/// A position in the list: exact distance in metres, then id.
type Position = (f64, i64);

/// A page of the communities within `radius_m` of a point, nearest first (ties by id).
/// Candidates come from a bounding box on the indexed `lat`/`lng` (`geo::bbox`), growing from
/// a small reach to the radius until it holds a page: everything outside a reach is farther
/// than everything inside, so the first hits of a box that holds a page are the page. Exact
/// distances here, then the page's full rows. The cursor is the position after the page's
/// last community (see `near_cursor`), so it does not depend on how candidates are found.
/// Candidates and views come from the in-memory map (`near_index`) when the generation is
/// shared; while Redis fails, from the database as described.
pub async fn nearest<C: ConnectionTrait>(
    db: &C,
    cache: &Cache,
    index: &NearIndex,
    near: &Near,
    page: &PageQuery,
) -> ApiResult<Page<CommunityView>> {
    let generation = near_index::generation(cache).await;
    let snapshot = match generation.shared {
        true => Some(index.snapshot(db, &generation).await?),
        false => None,
    };
    let after = match page.cursor() {
        Some(cursor) => Some(near_cursor::decode(cursor, near)?),
        None => None,
    };
    let radius = f64::from(near.radius_m);
    let wanted = usize::try_from(page.limit() + 1).unwrap_or(usize::MAX);
    // A street holds a few dozen communities: one box of the whole radius.
    let mut reach = match near.street_id {
        Some(_) => radius,
        None => (after.map_or(0.0, |a| a.0) + FIRST_REACH_M).min(radius),
    };
    let mut hits = loop {
        let hits = match &snapshot {
            Some(snapshot) => in_order(
                snapshot.within(near.lat, near.lng, reach, near.street_id),
                after,
            ),
            None => within(db, near, reach, after).await?,
        };
        if hits.len() >= wanted || reach >= radius {
            break hits;
        }
        reach = (reach * 4.0).min(radius);
    };
    hits.truncate(wanted);
    let mut page = Page::from_rows_keyed(hits, page.limit(), |hit| near_cursor::encode(*hit, near));
    let hits = std::mem::take(&mut page.items);
    if hits.is_empty() {
        return Ok(page.with_items(Vec::new()));
    }
    if let Some(snapshot) = snapshot {
        return Ok(page.with_items(snapshot.views(db, &hits).await?));
    }
    from_db(db, page, hits).await
}

/// The page's views from the database.
async fn from_db<C: ConnectionTrait>(
    db: &C,
    page: Page<Position>,
    hits: Vec<Position>,
) -> ApiResult<Page<CommunityView>> {
    let mut rows: HashMap<i64, communities::Model> = communities::Entity::find()
        .filter(communities::Column::Id.is_in(hits.iter().map(|(_, id)| *id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    // A community deleted between the two reads is simply left out.
    let rows = hits
        .into_iter()
        .filter_map(|(d, id)| Some((rows.remove(&id)?, Some(d))))
        .collect();
    Ok(page.with_items(views(db, rows).await?))
}

/// The communities within `reach` metres of the point and after the cursor, in list order:
/// the centres in the box from SQL (an index range), then exact distances.
async fn within<C: ConnectionTrait>(
    db: &C,
    near: &Near,
    reach: f64,
    after: Option<Position>,
) -> ApiResult<Vec<Position>> {
    let area = geo::bbox(near.lat, near.lng, reach);
    let mut select = communities::Entity::find()
        .select_only()
        .columns([
            communities::Column::Id,
            communities::Column::Lat,
            communities::Column::Lng,
        ])
        .filter(area.condition(communities::Column::Lat, communities::Column::Lng));
    if let Some(street_id) = near.street_id {
        select = select.filter(communities::Column::StreetId.eq(street_id));
    }
    let hits = select
        .into_tuple::<(i64, f64, f64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, lat, lng)| (geo::haversine_m(near.lat, near.lng, lat, lng), id))
        .filter(|(d, _)| *d <= reach)
        .collect();
    Ok(in_order(hits, after))
}

/// The hits after the cursor, in list order (distance, then id).
fn in_order(mut hits: Vec<Position>, after: Option<Position>) -> Vec<Position> {
    let by_position = |a: &Position, b: &Position| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
    hits.retain(|hit| after.is_none_or(|after| by_position(hit, &after).is_gt()));
    hits.sort_by(by_position);
    hits
}

/// A nearest-first query: the point, the radius and the street filter.
pub struct Near {
    /// Latitude of the point.
    pub lat: f64,
    /// Longitude of the point.
    pub lng: f64,
    /// Search radius in metres.
    pub radius_m: u32,
    /// Only this street's communities.
    pub street_id: Option<i64>,
}

/// The cursor of a nearest-first page: the position of the last community shown (its exact
/// distance and its id) and a fingerprint of the query, opaque (base64url). A cursor of
/// another point, radius or street filter is refused, as is anything not made here.
pub mod near_cursor {
    use sha2::{Digest, Sha256};

    use super::Near;
    use crate::{
        error::ApiError,
        pagination::{bad_cursor, opaque},
    };

    /// The cursor after the community `id` at `distance` metres.
    pub fn encode((distance, id): (f64, i64), near: &Near) -> String {
        let mut key = [0u8; 24];
        key[..8].copy_from_slice(&distance.to_bits().to_be_bytes());
        key[8..16].copy_from_slice(&id.to_be_bytes());
        key[16..].copy_from_slice(&fingerprint(near));
        opaque::encode(&key)
    }

    /// The position a cursor points after, or 422 `validation_failed` on `cursor`.
    pub fn decode(cursor: &str, near: &Near) -> Result<(f64, i64), ApiError> {
        let key = opaque::decode::<24>(cursor)?;
        let word = |at: usize| <[u8; 8]>::try_from(&key[at..at + 8]).unwrap_or_default();
        let distance = f64::from_bits(u64::from_be_bytes(word(0)));
        let id = i64::from_be_bytes(word(8));
        let valid = word(16) == fingerprint(near) && distance.is_finite() && distance >= 0.0;
        if valid && id > 0 {
            Ok((distance, id))
        } else {
            Err(bad_cursor())
        }
    }

    /// Eight bytes of a hash of the query, so that a cursor only continues its own query.
    fn fingerprint(near: &Near) -> [u8; 8] {
        let mut hash = Sha256::new();
        hash.update(near.lat.to_bits().to_be_bytes());
        hash.update(near.lng.to_bits().to_be_bytes());
        hash.update(near.radius_m.to_be_bytes());
        hash.update(near.street_id.unwrap_or(0).to_be_bytes());
        let digest = hash.finalize();
        let mut out = [0u8; 8];
        out.copy_from_slice(&digest[..8]);
        out
    }
}
