//! The public map of communities as a nearest-first source (`near_index::Source`): positions
//! from one index-only scan of `ix_communities_position`, filtered by street.

use entity::communities;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{
    communities::views,
    near_index::{Source, Spot},
};
use crate::{
    error::ApiResult,
    regions::{dto::CommunityView, geo::SearchBox},
};

/// Communities, found nearest first; the filter is a street.
pub struct Communities;

impl Source for Communities {
    const FAMILY: &'static str = "communities";
    type View = CommunityView;
    type Filter = Option<i64>;

    fn keeps(street_id: &Option<i64>, key: i64) -> bool {
        street_id.is_none_or(|id| id == key)
    }

    fn fingerprint(street_id: &Option<i64>) -> i64 {
        street_id.unwrap_or(0)
    }

    /// A street holds a few dozen communities.
    fn narrow(street_id: &Option<i64>) -> bool {
        street_id.is_some()
    }

    async fn spots<C: ConnectionTrait>(db: &C) -> ApiResult<Vec<Spot>> {
        let select = communities::Entity::find();
        positions(db, select).await
    }

    async fn in_box<C: ConnectionTrait>(
        db: &C,
        area: &SearchBox,
        street_id: &Option<i64>,
    ) -> ApiResult<Vec<Spot>> {
        let mut select = communities::Entity::find()
            .filter(area.condition(communities::Column::Lat, communities::Column::Lng));
        if let Some(street_id) = street_id {
            select = select.filter(communities::Column::StreetId.eq(*street_id));
        }
        positions(db, select).await
    }

    async fn views<C: ConnectionTrait>(db: &C, ids: Vec<i64>) -> ApiResult<Vec<CommunityView>> {
        let rows = communities::Entity::find()
            .filter(communities::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c, None))
            .collect();
        views(db, rows).await
    }

    fn id(view: &CommunityView) -> i64 {
        view.id
    }

    fn place(view: &mut CommunityView, distance_m: i64) {
        view.distance_m = Some(distance_m);
    }
}

/// The positions the select finds, from the index alone (`lat, lng, street_id, id`).
async fn positions<C: ConnectionTrait>(
    db: &C,
    select: sea_orm::Select<communities::Entity>,
) -> ApiResult<Vec<Spot>> {
    Ok(select
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
        .map(|(lat, lng, id, key)| Spot { lat, lng, id, key })
        .collect())
}
