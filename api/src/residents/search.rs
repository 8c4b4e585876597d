//! Staff find the residents of their community before adjusting their points: by a part of
//! the name or the last four digits of the phone, with each one's balance. Names and phones
//! come out masked; only people with an approved residence there are found.

use std::collections::HashMap;

use entity::{grids, households, points_wallets, residences, users};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func, LikeExpr, Query},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::dto::{ResidenceStatus, ResidentSearchQuery, ResidentSummary};
use crate::{
    auth::{scope::managed_community, Caller},
    batch::by_ids,
    error::ApiResult,
    pagination::{Page, PageQuery},
    privacy::{mask_name, mask_phone},
};

/// `text` as a LIKE pattern matching itself: `\`, `%` and `_` escaped with `\`.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The residents of a community (approved residence there) for its staff, newest users
/// first; `q` matches a part of the name (case-insensitive) or, when it is four digits, the
/// end of the phone.
pub async fn search<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    community_id: i64,
    query: ResidentSearchQuery,
) -> ApiResult<Page<ResidentSummary>> {
    managed_community(db, caller, community_id).await?;
    let page = PageQuery {
        cursor: query.cursor,
        limit: query.limit,
    };
    let residents = Query::select()
        .column(residences::Column::UserId)
        .from(residences::Entity)
        .and_where(residences::Column::CommunityId.eq(community_id))
        .and_where(residences::Column::Status.eq(ResidenceStatus::Approved))
        .to_owned();
    let mut select = users::Entity::find()
        .filter(users::Column::Id.in_subquery(residents))
        .order_by_desc(users::Column::Id)
        .limit(page.limit() + 1);
    if let Some(q) = query.q.as_deref() {
        let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
        let name = Expr::expr(Func::lower(Expr::col(users::Column::Nickname)))
            .like(LikeExpr::new(pattern).escape('\\'));
        let mut matches = Condition::any().add(name);
        if q.len() == 4 && q.bytes().all(|b| b.is_ascii_digit()) {
            matches = matches.add(users::Column::Phone.like(LikeExpr::new(format!("%{q}"))));
        }
        select = select.filter(matches);
    }
    if let Some(before) = page.before_id()? {
        select = select.filter(users::Column::Id.lt(before));
    }
    let mut rows = Page::from_rows(select.all(db).await?, page.limit(), |u| u.id);
    let users = std::mem::take(&mut rows.items);
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let grids = grids_of(db, community_id, &ids).await?;
    let balances: HashMap<i64, i64> = points_wallets::Entity::find()
        .filter(points_wallets::Column::UserId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.user_id, w.balance))
        .collect();
    let items = users
        .into_iter()
        .map(|u| {
            let grid = grids.get(&u.id);
            ResidentSummary {
                user_id: u.id,
                name: mask_name(&u.nickname),
                phone: u.phone.as_deref().map(mask_phone),
                grid_id: grid.map(|g| g.id),
                grid_name: grid.map(|g| g.name.clone()),
                balance: balances.get(&u.id).copied().unwrap_or(0),
            }
        })
        .collect();
    Ok(rows.with_items(items))
}

/// The grid of each user's newest approved residence in the community that has one: three
/// queries for the whole page.
async fn grids_of<C: ConnectionTrait>(
    db: &C,
    community_id: i64,
    user_ids: &[i64],
) -> ApiResult<HashMap<i64, grids::Model>> {
    let rows = residences::Entity::find()
        .filter(residences::Column::CommunityId.eq(community_id))
        .filter(residences::Column::Status.eq(ResidenceStatus::Approved))
        .filter(residences::Column::UserId.is_in(user_ids.iter().copied()))
        .order_by_asc(residences::Column::Id)
        .all(db)
        .await?;
    let households =
        by_ids::<households::Entity, _>(db, rows.iter().filter_map(|r| r.household_id), |h| h.id)
            .await?;
    let grid_of = |r: &residences::Model| {
        r.household_id
            .and_then(|h| households.get(&h))
            .and_then(|h| h.grid_id)
    };
    let grids = by_ids::<grids::Entity, _>(db, rows.iter().filter_map(grid_of), |g| g.id).await?;
    let mut by_user = HashMap::new();
    // Oldest first, so the newest residence with a grid wins.
    for r in &rows {
        if let Some(grid) = grid_of(r).and_then(|id| grids.get(&id)) {
            by_user.insert(r.user_id, grid.clone());
        }
    }
    Ok(by_user)
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_in_a_query_match_only_themselves() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
        assert_eq!(escape_like("张三"), "张三");
    }
}
