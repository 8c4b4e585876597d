//! Courier stations as a nearest-first source (`near_index::Source`) under the `stations`
//! cache generation; the filter is one service, read from a bit set kept with each position.

use std::collections::{BTreeSet, HashMap};

use entity::{communities, stations};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select};

use super::dto::{StationService, StationView};
use crate::{
    cache::Cache,
    error::ApiResult,
    regions::{
        geo::SearchBox,
        service::near_index::{Source, Spot},
    },
};

/// Stations, found nearest first; the filter is a service.
pub struct Stations;

/// Marks the stations as changed (a station written, or a community renamed or deleted);
/// call it after the commit.
pub async fn changed(cache: &Cache) {
    cache.bump(Stations::FAMILY).await;
}

impl Source for Stations {
    const FAMILY: &'static str = "stations";
    type View = StationView;
    type Filter = Option<StationService>;

    fn keeps(service: &Option<StationService>, key: i64) -> bool {
        service.is_none_or(|s| key & s.bit() != 0)
    }

    fn fingerprint(service: &Option<StationService>) -> i64 {
        service.map_or(0, StationService::bit)
    }

    async fn spots<C: ConnectionTrait>(db: &C) -> ApiResult<Vec<Spot>> {
        positions(db, stations::Entity::find()).await
    }

    /// The service is filtered after (it is a list in a text column).
    async fn in_box<C: ConnectionTrait>(
        db: &C,
        area: &SearchBox,
        _service: &Option<StationService>,
    ) -> ApiResult<Vec<Spot>> {
        let select = stations::Entity::find()
            .filter(area.condition(stations::Column::Lat, stations::Column::Lng));
        positions(db, select).await
    }

    async fn views<C: ConnectionTrait>(db: &C, ids: Vec<i64>) -> ApiResult<Vec<StationView>> {
        let rows = stations::Entity::find()
            .filter(stations::Column::Id.is_in(ids))
            .all(db)
            .await?;
        views(db, rows).await
    }

    fn id(view: &StationView) -> i64 {
        view.id
    }

    fn place(view: &mut StationView, distance_m: i64) {
        view.distance_m = Some(distance_m);
    }
}

/// The positions the select finds, each with its services as bits.
async fn positions<C: ConnectionTrait>(
    db: &C,
    select: Select<stations::Entity>,
) -> ApiResult<Vec<Spot>> {
    Ok(select
        .select_only()
        .columns([
            stations::Column::Lat,
            stations::Column::Lng,
            stations::Column::Id,
            stations::Column::Services,
        ])
        .into_tuple::<(f64, f64, i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(lat, lng, id, services)| Spot {
            lat,
            lng,
            id,
            key: read_services(&services, id)
                .into_iter()
                .fold(0, |bits, s| bits | s.bit()),
        })
        .collect())
}

/// The stored list as services (a code this build does not know is logged and left out).
pub fn read_services(text: &str, id: i64) -> Vec<StationService> {
    text.split(',')
        .filter(|code| !code.is_empty())
        .filter_map(|code| {
            let service = StationService::from_code(code);
            if service.is_none() {
                tracing::warn!(station_id = id, code, "unknown station service");
            }
            service
        })
        .collect()
}

/// Services as stored: each once, in the enum's order, comma-separated.
pub fn write_services(services: &[StationService]) -> String {
    let set: BTreeSet<StationService> = services.iter().copied().collect();
    set.into_iter()
        .map(StationService::code)
        .collect::<Vec<_>>()
        .join(",")
}

/// Views of stations, with their communities' names (one query for them all).
pub async fn views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<stations::Model>,
) -> ApiResult<Vec<StationView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: BTreeSet<i64> = rows.iter().map(|s| s.community_id).collect();
    let names: HashMap<i64, String> = communities::Entity::find()
        .select_only()
        .columns([communities::Column::Id, communities::Column::Name])
        .filter(communities::Column::Id.is_in(ids))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|s| StationView {
            services: read_services(&s.services, s.id),
            community_name: names.get(&s.community_id).cloned().unwrap_or_default(),
            id: s.id,
            community_id: s.community_id,
            name: s.name,
            address: s.address,
            lat: s.lat,
            lng: s.lng,
            opening_hours: s.opening_hours,
            distance_m: None,
        })
        .collect())
}
