//! The public map of communities held in memory for nearest-first lookups: every community's
//! position sorted by latitude (about 32 bytes each, 3.5 MB at 110,000 communities), and the
//! views of the communities asked for, under the `communities` cache generation. Any change
//! of a community, street or district (`changed`, after its commit) starts a new generation,
//! and the next lookup on every instance rebuilds the map with one index-only scan.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use entity::communities;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::communities::views;
use crate::{
    cache::{Cache, Generation},
    error::ApiResult,
    regions::{
        dto::CommunityView,
        geo::{self, LngSpan},
    },
};

/// The cache family of the public map of communities.
const FAMILY: &str = "communities";
/// At most this many bytes of community views (their JSON) are kept per generation; a
/// boundary can be large.
const MOST_VIEW_BYTES: usize = 16 << 20;
/// A map is rebuilt after this long even without a change (a backstop should a change's
/// announcement be lost, e.g. to a crash between the commit and the bump).
const MAX_AGE: Duration = Duration::from_secs(300);

/// Marks the public map of communities as changed; call it after the commit.
pub async fn changed(cache: &Cache) {
    cache.bump(FAMILY).await;
}

/// The generation the map is read under.
pub async fn generation(cache: &Cache) -> Generation {
    cache.generation(FAMILY).await
}

/// One community's position.
#[derive(Clone, Copy)]
struct Spot {
    lat: f64,
    lng: f64,
    id: i64,
    street_id: i64,
}

/// The map of one generation.
pub struct Snapshot {
    token: String,
    built: Instant,
    spots: Vec<Spot>,
    views: Mutex<Kept>,
}

/// The views kept, and their size in bytes.
#[derive(Default)]
struct Kept {
    views: HashMap<i64, CommunityView>,
    bytes: usize,
}

/// The current snapshot, rebuilt once per generation.
#[derive(Default)]
pub struct NearIndex {
    current: Mutex<Option<Arc<Snapshot>>>,
    rebuild: tokio::sync::Mutex<()>,
}

impl NearIndex {
    fn current(&self) -> Option<Arc<Snapshot>> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The map of `generation`, built from the database if this process has not built it yet
    /// (once, however many lookups wait for it).
    pub async fn snapshot<C: ConnectionTrait>(
        &self,
        db: &C,
        generation: &Generation,
    ) -> ApiResult<Arc<Snapshot>> {
        let fresh = |s: &Option<Arc<Snapshot>>| {
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
        let mut spots: Vec<Spot> = communities::Entity::find()
            .select_only()
            .columns([
                communities::Column::Lat,
                communities::Column::Lng,
                communities::Column::Id,
                communities::Column::StreetId,
            ])
            .into_tuple::<(f64, f64, i64, i64)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(lat, lng, id, street_id)| Spot {
                lat,
                lng,
                id,
                street_id,
            })
            .collect();
        spots.sort_by(|a, b| a.lat.total_cmp(&b.lat));
        let snapshot = Arc::new(Snapshot {
            token: generation.token.clone(),
            built: Instant::now(),
            spots,
            views: Mutex::default(),
        });
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(snapshot.clone());
        Ok(snapshot)
    }
}

impl Snapshot {
    /// The communities within `reach` metres of the point (of one street, if given), as
    /// (exact distance, id), unsorted: a binary search on latitude, then the box's longitudes.
    pub fn within(
        &self,
        lat: f64,
        lng: f64,
        reach: f64,
        street_id: Option<i64>,
    ) -> Vec<(f64, i64)> {
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
            .filter(|s| in_span(s.lng) && street_id.is_none_or(|id| id == s.street_id))
            .map(|s| (geo::haversine_m(lat, lng, s.lat, s.lng), s.id))
            .filter(|(d, _)| *d <= reach)
            .collect()
    }

    /// The views of these communities with their distances, in this order: kept ones from
    /// memory, the others loaded in one query (and kept). A community deleted meanwhile is
    /// left out.
    pub async fn views<C: ConnectionTrait>(
        &self,
        db: &C,
        hits: &[(f64, i64)],
    ) -> ApiResult<Vec<CommunityView>> {
        let mut found: HashMap<i64, CommunityView> = {
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
            let rows = communities::Entity::find()
                .filter(communities::Column::Id.is_in(missing))
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c, None))
                .collect();
            let loaded = views(db, rows).await?;
            let sizes: Vec<usize> = loaded
                .iter()
                .map(|v| serde_json::to_vec(v).map_or(0, |b| b.len()))
                .collect();
            let mut kept = self.views.lock().unwrap_or_else(|p| p.into_inner());
            if kept.bytes + sizes.iter().sum::<usize>() > MOST_VIEW_BYTES {
                *kept = Kept::default();
            }
            for (view, size) in loaded.into_iter().zip(sizes) {
                if kept.views.insert(view.id, view.clone()).is_none() {
                    kept.bytes += size;
                }
                found.insert(view.id, view);
            }
        }
        Ok(hits
            .iter()
            .filter_map(|(distance, id)| {
                let mut view = found.remove(id)?;
                view.distance_m = Some(distance.round() as i64);
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
    fn map(rng: &mut StdRng, n: usize) -> Snapshot {
        let mut spots: Vec<Spot> = (0..n)
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
                    street_id: (i % 7) as i64,
                }
            })
            .collect();
        spots.sort_by(|a, b| a.lat.total_cmp(&b.lat));
        Snapshot {
            token: "t".into(),
            built: Instant::now(),
            spots,
            views: Mutex::default(),
        }
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
            let mut found = snapshot.within(lat, lng, reach, street);
            let mut scan: Vec<(f64, i64)> = snapshot
                .spots
                .iter()
                .filter(|s| street.is_none_or(|id| id == s.street_id))
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
