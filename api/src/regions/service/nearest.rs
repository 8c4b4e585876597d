//! Places near a point, nearest first, page by page, for any `near_index::Source`
//! (communities, courier stations); the cursor is a position (a distance and an id),
//! independent of how the candidates are found.

use sea_orm::ConnectionTrait;

use super::near_index::{self, NearIndex, Source};
use crate::{
    cache::Cache,
    error::ApiResult,
    pagination::{Page, PageQuery},
    regions::geo,
};

/// The first reach of the search beyond the cursor's distance, in metres: a city's page of
/// places is usually this close, so one small box on the index answers it.
const FIRST_REACH_M: f64 = 2_000.0;

/// A position in the list: exact distance in metres, then id.
type Position = (f64, i64);

/// A page of the places within `radius_m` of a point, nearest first (ties by id).
/// Candidates come from a bounding box on the indexed `lat`/`lng` (`geo::bbox`), growing from
/// a small reach to the radius until it holds a page: everything outside a reach is farther
/// than everything inside, so the first hits of a box that holds a page are the page. Exact
/// distances here, then the page's views. The cursor is the position after the page's
/// last place (see `near_cursor`), so it does not depend on how candidates are found.
/// Candidates and views come from the in-memory index (`near_index`) when the generation is
/// shared; while Redis fails, from the database as described.
pub async fn nearest<S: Source, C: ConnectionTrait>(
    db: &C,
    cache: &Cache,
    index: &NearIndex<S>,
    near: &Near<S::Filter>,
    page: &PageQuery,
) -> ApiResult<Page<S::View>> {
    let generation = near_index::generation::<S>(cache).await;
    let snapshot = match generation.shared {
        true => Some(index.snapshot(db, &generation).await?),
        false => None,
    };
    let fingerprint = S::fingerprint(&near.filter);
    let after = match page.cursor() {
        Some(cursor) => Some(near_cursor::decode(cursor, near, fingerprint)?),
        None => None,
    };
    let radius = f64::from(near.radius_m);
    let wanted = usize::try_from(page.limit() + 1).unwrap_or(usize::MAX);
    let mut reach = match S::narrow(&near.filter) {
        true => radius,
        false => (after.map_or(0.0, |a| a.0) + FIRST_REACH_M).min(radius),
    };
    let mut hits = loop {
        let hits = match &snapshot {
            Some(snapshot) => in_order(
                snapshot.within(near.lat, near.lng, reach, &near.filter),
                after,
            ),
            None => within::<S, C>(db, near, reach, after).await?,
        };
        if hits.len() >= wanted || reach >= radius {
            break hits;
        }
        reach = (reach * 4.0).min(radius);
    };
    hits.truncate(wanted);
    let mut page = Page::from_rows_keyed(hits, page.limit(), |hit| {
        near_cursor::encode(*hit, near, fingerprint)
    });
    let hits = std::mem::take(&mut page.items);
    if hits.is_empty() {
        return Ok(page.with_items(Vec::new()));
    }
    if let Some(snapshot) = snapshot {
        return Ok(page.with_items(snapshot.views(db, &hits).await?));
    }
    Ok(page.with_items(from_db::<S, C>(db, hits).await?))
}

/// The page's views from the database, in the page's order; a place deleted between the two
/// reads is simply left out.
async fn from_db<S: Source, C: ConnectionTrait>(
    db: &C,
    hits: Vec<Position>,
) -> ApiResult<Vec<S::View>> {
    let mut rows: std::collections::HashMap<i64, S::View> =
        S::views(db, hits.iter().map(|(_, id)| *id).collect())
            .await?
            .into_iter()
            .map(|v| (S::id(&v), v))
            .collect();
    Ok(hits
        .into_iter()
        .filter_map(|(d, id)| {
            let mut view = rows.remove(&id)?;
            S::place(&mut view, d.round() as i64);
            Some(view)
        })
        .collect())
}

/// The places within `reach` metres of the point and after the cursor, in list order:
/// the positions in the box from SQL (an index range), then exact distances.
async fn within<S: Source, C: ConnectionTrait>(
    db: &C,
    near: &Near<S::Filter>,
    reach: f64,
    after: Option<Position>,
) -> ApiResult<Vec<Position>> {
    let area = geo::bbox(near.lat, near.lng, reach);
    let hits = S::in_box(db, &area, &near.filter)
        .await?
        .into_iter()
        .filter(|s| S::keeps(&near.filter, s.key))
        .map(|s| (geo::haversine_m(near.lat, near.lng, s.lat, s.lng), s.id))
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

/// A nearest-first query: the point, the radius and the source's filter.
pub struct Near<F> {
    /// Latitude of the point.
    pub lat: f64,
    /// Longitude of the point.
    pub lng: f64,
    /// Search radius in metres.
    pub radius_m: u32,
    /// The filter (a street for communities, a service for stations).
    pub filter: F,
}

/// The cursor of a nearest-first page: the position of the last place shown (its exact
/// distance and its id) and a fingerprint of the query, opaque (base64url). A cursor of
/// another point, radius or filter is refused, as is anything not made here.
pub mod near_cursor {
    use sha2::{Digest, Sha256};

    use super::Near;
    use crate::{
        error::ApiError,
        pagination::{bad_cursor, opaque},
    };

    /// The cursor after the place `id` at `distance` metres; `filter` is the filter as a
    /// number (`Source::fingerprint`).
    pub fn encode<F>((distance, id): (f64, i64), near: &Near<F>, filter: i64) -> String {
        let mut key = [0u8; 24];
        key[..8].copy_from_slice(&distance.to_bits().to_be_bytes());
        key[8..16].copy_from_slice(&id.to_be_bytes());
        key[16..].copy_from_slice(&fingerprint(near, filter));
        opaque::encode(&key)
    }

    /// The position a cursor points after, or 422 `validation_failed` on `cursor`.
    pub fn decode<F>(cursor: &str, near: &Near<F>, filter: i64) -> Result<(f64, i64), ApiError> {
        let key = opaque::decode::<24>(cursor)?;
        let word = |at: usize| <[u8; 8]>::try_from(&key[at..at + 8]).unwrap_or_default();
        let distance = f64::from_bits(u64::from_be_bytes(word(0)));
        let id = i64::from_be_bytes(word(8));
        let valid =
            word(16) == fingerprint(near, filter) && distance.is_finite() && distance >= 0.0;
        if valid && id > 0 {
            Ok((distance, id))
        } else {
            Err(bad_cursor())
        }
    }

    /// Eight bytes of a hash of the query, so that a cursor only continues its own query.
    fn fingerprint<F>(near: &Near<F>, filter: i64) -> [u8; 8] {
        let mut hash = Sha256::new();
        hash.update(near.lat.to_bits().to_be_bytes());
        hash.update(near.lng.to_bits().to_be_bytes());
        hash.update(near.radius_m.to_be_bytes());
        hash.update(filter.to_be_bytes());
        let digest = hash.finalize();
        let mut out = [0u8; 8];
        out.copy_from_slice(&digest[..8]);
        out
    }
}
