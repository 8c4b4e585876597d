//! What the shelf shows and how it is searched: goods on sale with stock, by category and
//! keyword, and the categories with how many goods each holds.

use entity::{communities, goods};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select,
};

use super::dto::{CategoryCount, ShelfQuery};
use crate::{
    error::{ApiError, ApiResult},
    pagination::Page,
};

/// The escape character of keyword patterns: not a backslash, whose meaning in string
/// literals differs between SQLite and PostgreSQL.
const ESCAPE: char = '!';

/// The goods of a community's shelf (on sale, with stock) that match the query's `category`
/// (exactly) and `q` (in the name or the description, case-insensitively, wildcards taken
/// literally).
pub fn on_shelf(community_id: i64, query: &ShelfQuery) -> Select<goods::Entity> {
    let mut select = shelf_of(community_id);
    if let Some(category) = &query.category {
        select = select.filter(goods::Column::Category.eq(category.as_str()));
    }
    if let Some(q) = &query.q {
        let pattern = contains(q);
        let like = |column: goods::Column| {
            Expr::expr(Func::lower(Expr::col((goods::Entity, column))))
                .like(LikeExpr::new(pattern.clone()).escape(ESCAPE))
        };
        select = select.filter(
            Condition::any()
                .add(like(goods::Column::Name))
                .add(like(goods::Column::Description)),
        );
    }
    select
}

/// Every goods item on a community's shelf.
fn shelf_of(community_id: i64) -> Select<goods::Entity> {
    goods::Entity::find()
        .filter(goods::Column::CommunityId.eq(community_id))
        .filter(goods::Column::OnShelf.eq(true))
        .filter(goods::Column::Stock.gt(0))
}

/// A `LIKE` pattern matching text that contains `keyword` (lower-cased, to compare with the
/// lower-cased column): `%`, `_` and the escape character stand for themselves.
fn contains(keyword: &str) -> String {
    let mut pattern = String::with_capacity(keyword.len() + 2);
    pattern.push('%');
    for c in keyword.to_lowercase().chars() {
        if matches!(c, '%' | '_' | ESCAPE) {
            pattern.push(ESCAPE);
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The categories of a community's shelf with how many goods of the shelf each holds, most
/// goods first, then by name (code point order, the same on every database); goods without
/// a category are in none. One page: a shelf has few categories.
pub async fn categories<C: ConnectionTrait>(
    db: &C,
    community_id: i64,
) -> ApiResult<Page<CategoryCount>> {
    communities::Entity::find_by_id(community_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))?;
    let rows: Vec<(Option<String>, i64)> = shelf_of(community_id)
        .select_only()
        .column(goods::Column::Category)
        .column_as(Expr::col(goods::Column::Id).count(), "n")
        .filter(goods::Column::Category.is_not_null())
        .group_by(goods::Column::Category)
        .into_tuple()
        .all(db)
        .await?;
    let mut items: Vec<CategoryCount> = rows
        .into_iter()
        .filter_map(|(category, n)| {
            Some(CategoryCount {
                category: category?,
                count: u64::try_from(n).unwrap_or(0),
            })
        })
        .collect();
    items.sort_by(|a, b| b.count.cmp(&a.count).then(a.category.cmp(&b.category)));
    Ok(Page::whole(items))
}

#[cfg(test)]
mod tests {
    use super::contains;

    #[test]
    fn a_keyword_pattern_takes_wildcards_and_the_escape_literally() {
        assert_eq!(contains("50%_Off!"), "%50!%!_off!!%");
        assert_eq!(contains("洗衣液"), "%洗衣液%");
    }
}
