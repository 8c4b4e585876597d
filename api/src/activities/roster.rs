//! The sign-ups of an activity for its community's staff: who came, when they checked in and
//! out, and what was confirmed, so that attendance is confirmed from the list.

use entity::activity_signups as signups;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{
    dto::{SignupReview, SignupsQuery},
    manage::managed_activity,
    signups::view,
};
use crate::{
    auth::Caller,
    error::ApiResult,
    pagination::{Page, PageQuery},
    volunteers::review::{applicants, person},
};

/// The activity's sign-ups in the order they came (by id), volunteers masked; 404 unless the
/// caller manages its community.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    activity_id: i64,
    query: SignupsQuery,
) -> ApiResult<Page<SignupReview>> {
    let activity = managed_activity(db, caller, activity_id).await?;
    let page = PageQuery::new(query.cursor, query.limit);
    let filtered = signups::Entity::find().filter(signups::Column::ActivityId.eq(activity.id));
    let total = match query.with_total {
        Some(true) => Some(filtered.clone().count(db).await?),
        _ => None,
    };
    let mut select = filtered
        .order_by_asc(signups::Column::Id)
        .limit(page.limit() + 1);
    if let Some(after) = page.after_id()? {
        select = select.filter(signups::Column::Id.gt(after));
    }
    let mut page = Page::from_rows(select.all(db).await?, page.limit(), |s| s.id).with_total(total);
    let rows = std::mem::take(&mut page.items);
    let people = applicants(db, rows.iter().map(|s| s.user_id)).await?;
    let items = rows
        .iter()
        .map(|s| SignupReview {
            signup: view(s),
            volunteer: person(&people, s.user_id),
        })
        .collect();
    Ok(page.with_items(items))
}
