//! Places held in memory for nearest-first lookups, one index per kind of place (a `Source`):
//! every place's position sorted by latitude (about 32 bytes each, 3.5 MB at 110,000 places),
//! and the views of the places asked for, under the source's cache generation (`communities`
//! for the public map of communities, `stations` for courier stations). Any change of what a
//! source shows starts a new generation (its `changed`, after the commit), and the next lookup
//! on every instance rebuilds the index with one scan (index-only for communities).

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sea_orm::ConnectionTrait;
use serde::Serialize;

use super::community_map::Communities;
use crate::{
    cache::{Cache, Generation},
    error::ApiResult,
    regions::geo::{self, LngSpan, SearchBox},
    stations,
};

/// At most this many bytes of views (their JSON) are kept per generation; a community's
/// boundary can be large.
const MOST_VIEW_BYTES: usize = 16 << 20;
/// An index is rebuilt after this long even without a change (a backstop should a change's
/// announcement be lost, e.g. to a crash between the commit and the bump).
const MAX_AGE: Duration = Duration::from_secs(300);

/// Marks the public map of communities as changed; call it after the commit. Courier
/// stations change with it: their views name their community, and a deleted community's
/// stations go with it.
pub async fn changed(cache: &Cache) {
    cache.bump(Communities::FAMILY).await;
    stations::near::changed(cache).await;
}

/// One place's position, and one number a filter reads (a community's street, a station's
/// services as bits).
#[derive(Clone, Copy, Debug)]
pub struct Spot {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
    /// Id.
    pub id: i64,
    /// What the source's filter reads.
    pub key: i64,
}

/// A kind of place found nearest first: where its positions and views come from, and its
/// filter.
pub trait Source: Send + Sync + 'static {
    /// The cache family whose generation the index is read under.
    const FAMILY: &'static str;
    /// What a list answers for one place.
    type View: Clone + Serialize;
    /// The query's filter (e.g. a street, a service).
    type Filter;

    /// Whether a place of this `key` passes the filter.
    fn keeps(filter: &Self::Filter, key: i64) -> bool;

    /// The filter as one number, part of a cursor's fingerprint.
    fn fingerprint(filter: &Self::Filter) -> i64;

    /// Whether the filter leaves so few places that one box of the whole radius is best.
    fn narrow(_filter: &Self::Filter) -> bool {
        false
    }

    /// Every place's position (one scan).
    fn spots<C: ConnectionTrait>(db: &C) -> impl Future<Output = ApiResult<Vec<Spot>>>;

    /// The places in a box (the database path, for when generations are not shared); the
    /// filter may be applied here already, and is applied again after.
    fn in_box<C: ConnectionTrait>(
        db: &C,
        area: &SearchBox,
        filter: &Self::Filter,
    ) -> impl Future<Output = ApiResult<Vec<Spot>>>;

    /// The views of these places (any order; a place deleted meanwhile is left out).
    fn views<C: ConnectionTrait>(
        db: &C,
        ids: Vec<i64>,
    ) -> impl Future<Output = ApiResult<Vec<Self::View>>>;

    /// The id of a view.
    fn id(view: &Self::View) -> i64;

    /// Puts the distance in whole metres on a view.
    fn place(view: &mut Self::View, distance_m: i64);
}

/// How late a public map may show another instance's change (a change made on this
/// instance shows at once): the map is read on every request, and this spares a Redis round
/// trip per request.
pub const RECENT: std::time::Duration = std::time::Duration::from_millis(250);

/// The generation a source's index is read under.
pub async fn generation<S: Source>(cache: &Cache) -> Generation {
    cache.recent_generation(S::FAMILY, RECENT).await
}

/// The index of one generation.
pub struct Snapshot<S: Source> {
    token: String,
    built: Instant,
    spots: Vec<Spot>,
    views: Mutex<Kept<S::View>>,
}

/// The views kept, and their size in bytes.
struct Kept<V> {
    views: HashMap<i64, V>,
    bytes: usize,
}

impl<V> Default for Kept<V> {
    fn default() -> Self {
        Self {
            views: HashMap::new(),
            bytes: 0,
        }
    }
}

/// The current snapshot, rebuilt once per generation.
pub struct NearIndex<S: Source> {
    current: Mutex<Option<Arc<Snapshot<S>>>>,
    rebuild: tokio::sync::Mutex<()>,
}

impl<S: Source> Default for NearIndex<S> {
    fn default() -> Self {
        Self {
            current: Mutex::default(),
            rebuild: tokio::sync::Mutex::default(),
        }
    }
}

impl<S: Source> NearIndex<S> {
    fn current(&self) -> Option<Arc<Snapshot<S>>> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The index of `generation`, built from the database if this process has not built it
    /// yet (once, however many lookups wait for it).
    pub async fn snapshot<C: ConnectionTrait>(
        &self,
        db: &C,
        generation: &Generation,
    ) -> ApiResult<Arc<Snapshot<S>>> {
        let fresh = |s: &Option<Arc<Snapshot<S>>>| {
            s.as_ref()
                .filter(|s| s.token == generation.token && s.built.elapsed() < MAX_AGE)
                .cloned()
        };
        if let Some(snapshot) = fresh(&self.current()) {
            return Ok(snapshot);
        }
        let _building = self.rebuild.lock().await;
        if let Some(snapshot) = fresh(&self.current()) {
            return Ok(snapshot);
        }
        let snapshot = Arc::new(Snapshot::new(generation.token.clone(), S::spots(db).await?));
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(snapshot.clone());
        Ok(snapshot)
    }
}

impl<S: Source> Snapshot<S> {
    fn new(token: String, mut spots: Vec<Spot>) -> Self {
        spots.sort_by(|a, b| a.lat.total_cmp(&b.lat));
        Self {
            token,
            built: Instant::now(),
            spots,
            views: Mutex::default(),
        }
    }

    /// The places within `reach` metres of the point that pass the filter, as (exact
    /// distance, id), unsorted: a binary search on latitude, then the box's longitudes.
    pub fn within(&self, lat: f64, lng: f64, reach: f64, filter: &S::Filter) -> Vec<(f64, i64)> {
        let area = geo::bbox(lat, lng, reach);
        let from = self.spots.partition_point(|s| s.lat < area.min_lat);
        let to = self.spots.partition_point(|s| s.lat <= area.max_lat);
        let in_span = |x: f64| match area.lng {
            LngSpan::All => true,
            LngSpan::Between(min, max) => (min..=max).contains(&x),
            LngSpan::Wrapped { east_of, west_of } => x >= east_of || x <= west_of,
        };
        self.spots[from..to.max(from)]
            .iter()
            .filter(|s| in_span(s.lng) && S::keeps(filter, s.key))
            .map(|s| (geo::haversine_m(lat, lng, s.lat, s.lng), s.id))
            .filter(|(d, _)| *d <= reach)
            .collect()
    }

    /// The views of these places with their distances, in this order: kept ones from
    /// memory, the others loaded in one query (and kept). A place deleted meanwhile is left
    /// out.
    pub async fn views<C: ConnectionTrait>(
        &self,
        db: &C,
        hits: &[(f64, i64)],
    ) -> ApiResult<Vec<S::View>> {
        let mut found: HashMap<i64, S::View> = {
            let kept = self.views.lock().unwrap_or_else(|p| p.into_inner());
            hits.iter()
                .filter_map(|(_, id)| Some((*id, kept.views.get(id)?.clone())))
                .collect()
        };
        let missing: Vec<i64> = hits
            .iter()
            .map(|(_, id)| *id)
            .filter(|id| !found.contains_key(id))
            .collect();
        if !missing.is_empty() {
            let loaded = S::views(db, missing).await?;
            let sizes: Vec<usize> = loaded
                .iter()
                .map(|v| serde_json::to_vec(v).map_or(0, |b| b.len()))
                .collect();
            let mut kept = self.views.lock().unwrap_or_else(|p| p.into_inner());
            if kept.bytes + sizes.iter().sum::<usize>() > MOST_VIEW_BYTES {
                *kept = Kept::default();
            }
            for (view, size) in loaded.into_iter().zip(sizes) {
                let id = S::id(&view);
                if kept.views.insert(id, view.clone()).is_none() {
                    kept.bytes += size;
                }
                found.insert(id, view);
            }
        }
        Ok(hits
            .iter()
            .filter_map(|(distance, id)| {
                let mut view = found.remove(id)?;
                S::place(&mut view, distance.round() as i64);
                Some(view)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use rand::{rngs::StdRng, Rng, SeedableRng};

    use super::*;

    /// A map of `n` communities around Beijing and across the antimeridian, with streets.
    fn map(rng: &mut StdRng, n: usize) -> Snapshot<Communities> {
        let spots: Vec<Spot> = (0..n)
            .map(|i| {
                let (lat, lng) = if i % 5 == 0 {
                    (
                        rng.gen_range(-10.0..10.0),
                        rng.gen_range(175.0..185.0) - 360.0 * f64::from(i % 2 == 0),
                    )
                } else {
                    (
                        39.9 + rng.gen_range(-0.5..0.5),
                        116.4 + rng.gen_range(-0.5..0.5),
                    )
                };
                let lng = if lng < -180.0 {
                    lng + 360.0
                } else if lng > 180.0 {
                    lng - 360.0
                } else {
                    lng
                };
                Spot {
                    lat,
                    lng,
                    id: i as i64 + 1,
                    key: (i % 7) as i64,
                }
            })
            .collect();
        Snapshot::new("t".into(), spots)
    }

    #[test]
    fn the_map_finds_exactly_what_a_full_scan_finds() {
        let mut rng = StdRng::seed_from_u64(9);
        let snapshot = map(&mut rng, 3000);
        for _ in 0..300 {
            let (lat, lng) = if rng.gen_bool(0.5) {
                (
                    39.9 + rng.gen_range(-0.6..0.6),
                    116.4 + rng.gen_range(-0.6..0.6),
                )
            } else {
                (rng.gen_range(-9.0..9.0), rng.gen_range(-180.0..180.0))
            };
            let reach = rng.gen_range(100.0..200_000.0);
            let street = rng.gen_bool(0.3).then(|| rng.gen_range(0..7));
            let mut found = snapshot.within(lat, lng, reach, &street);
            let mut scan: Vec<(f64, i64)> = snapshot
                .spots
                .iter()
                .filter(|s| street.is_none_or(|id| id == s.key))
                .map(|s| (geo::haversine_m(lat, lng, s.lat, s.lng), s.id))
                .filter(|(d, _)| *d <= reach)
                .collect();
            found.sort_by_key(|(_, id)| *id);
            scan.sort_by_key(|(_, id)| *id);
            assert_eq!(
                found, scan,
                "at ({lat}, {lng}) within {reach} m, street {street:?}"
            );
        }
    }
}
