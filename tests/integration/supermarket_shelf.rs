//! The shelf is searched: by category (exact), by keyword in the name or description (any
//! case, `%` and `_` literal, Chinese as is), and lists its categories with counts.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    helpers::{Market, TestApp},
    lists_paging::walk,
};

/// Puts goods on the market's shelf; answers their id.
async fn stock(
    app: &TestApp,
    m: &Market,
    name: &str,
    description: &str,
    category: Option<&str>,
    stock: i64,
) -> i64 {
    let body = json!({ "name": name, "description": description, "category": category,
                       "points_price": 10, "stock": stock });
    let (status, goods) = app
        .post(
            &format!("/api/v1/communities/{}/goods", m.community),
            Some(&m.staff.token),
            body,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{goods}");
    goods["id"].as_i64().unwrap()
}

/// The ids of a shelf query's goods, every page.
async fn found(app: &TestApp, m: &Market, query: &str) -> Vec<i64> {
    let path = format!("/api/v1/communities/{}/goods?{query}", m.community);
    walk(app, &path, None, 2)
        .await
        .iter()
        .map(|g| g["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_shelf_filters_by_category_and_by_keyword_taken_literally() {
    // Arrange
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let soap = stock(&app, &m, "香皂", "洗手用", Some("日用品"), 5).await;
    let detergent = stock(&app, &m, "洗衣液", "2kg 装", Some("日用品"), 5).await;
    let rice = stock(&app, &m, "大米", "东北 5kg", Some("粮油"), 5).await;
    let percent = stock(&app, &m, "Soap 100%", "special_offer", Some("日用品"), 5).await;
    let cable = stock(&app, &m, "USB 数据线", "1米", None, 5).await;
    let gone = stock(&app, &m, "洗洁精", "sold out", Some("日用品"), 0).await;
    let _ = gone;
    let mut daily = vec![percent, detergent, soap];

    // Act + Assert: category is exact; newest first, page by page.
    assert_eq!(found(&app, &m, "category=日用品").await, daily);
    assert_eq!(
        found(&app, &m, "category=%E6%97%A5%E7%94%A8%E5%93%81").await,
        daily,
        "percent-encoded"
    );
    assert_eq!(
        found(&app, &m, "category=日用").await,
        Vec::<i64>::new(),
        "no partial match"
    );
    assert_eq!(found(&app, &m, "category=粮油").await, vec![rice]);
    // Keyword: name or description, Chinese, any case, wildcards as plain characters.
    assert_eq!(
        found(&app, &m, "q=洗").await,
        vec![detergent, soap],
        "name or description"
    );
    assert_eq!(
        found(&app, &m, "q=5KG").await,
        vec![rice],
        "case-insensitive"
    );
    assert_eq!(found(&app, &m, "q=usb").await, vec![cable]);
    assert_eq!(found(&app, &m, "q=SOAP").await, vec![percent]);
    assert_eq!(
        found(&app, &m, "q=%25").await,
        vec![percent],
        "`%` is literal"
    );
    assert_eq!(
        found(&app, &m, "q=_").await,
        vec![percent],
        "`_` is literal"
    );
    assert_eq!(
        found(&app, &m, "q=p_c").await,
        Vec::<i64>::new(),
        "`_` matches no other character"
    );
    assert_eq!(found(&app, &m, "q=!").await, Vec::<i64>::new());
    assert_eq!(
        found(&app, &m, "q=%20%E6%B4%97%20").await,
        vec![detergent, soap],
        "trimmed"
    );
    daily.retain(|id| *id != percent);
    assert_eq!(
        found(&app, &m, "category=日用品&q=洗").await,
        daily,
        "both filters"
    );
    let (status, empty) = app
        .get(
            &format!("/api/v1/communities/{}/goods?q=不存在的东西", m.community),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(empty, json!({ "items": [], "next_cursor": null }));
}

#[tokio::test]
async fn a_bad_shelf_filter_answers_422_naming_it() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let base = format!("/api/v1/communities/{}/goods", m.community);
    for (query, field) in [
        (format!("q={}", "长".repeat(33)), "q"),
        ("q=%20%20".to_owned(), "q"),
        ("q=a%0Ab".to_owned(), "q"),
        (format!("category={}", "类".repeat(33)), "category"),
        ("limit=101".to_owned(), "limit"),
        ("cursor=next".to_owned(), "cursor"),
        ("sort=price".to_owned(), "sort"),
    ] {
        let (status, body) = app.get(&format!("{base}?{query}"), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert!(body["fields"][field].is_string(), "{query}: {body}");
    }
}

#[tokio::test]
async fn the_categories_of_a_shelf_count_only_goods_on_it() {
    // Arrange
    let app = TestApp::spawn().await;
    let m = app.market().await;
    for name in ["香皂", "牙膏", "毛巾"] {
        stock(&app, &m, name, "", Some("日用品"), 3).await;
    }
    stock(&app, &m, "大米", "", Some("粮油"), 3).await;
    stock(&app, &m, "食用油", "", Some("粮油"), 0).await;
    let off = stock(&app, &m, "酱油", "", Some("调味品"), 3).await;
    app.patch(
        &format!("/api/v1/goods/{off}"),
        Some(&m.staff.token),
        json!({ "on_shelf": false }),
    )
    .await;
    stock(&app, &m, "图书", "", Some("文体"), 3).await;
    stock(&app, &m, "无分类", "", None, 3).await;
    let elsewhere = Market {
        community: m.other_community,
        staff: m.other_staff.clone(),
        ..m
    };
    stock(&app, &elsewhere, "外社区", "", Some("外社区专用"), 3).await;

    // Act
    let path = format!("/api/v1/communities/{}/goods/categories", m.community);
    let (status, page) = app.get(&path, None).await;

    // Assert: most goods first, then by name; off the shelf, sold out, elsewhere: left out.
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        page,
        json!({ "items": [
            { "category": "日用品", "count": 3 },
            { "category": "文体", "count": 1 },
            { "category": "粮油", "count": 1 },
        ], "next_cursor": null })
    );
    let (status, body): (StatusCode, Value) = app
        .get("/api/v1/communities/999999/goods/categories", None)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn the_shelf_index_migration_goes_down_and_up_again() {
    use migration::MigratorTrait;
    let app = TestApp::spawn().await;
    let index = "SELECT COUNT(*) AS n FROM pragma_index_list('goods') \
                 WHERE name = 'ix_goods_community_category'";
    let index = if crate::helpers::on_postgres() {
        "SELECT COUNT(*) AS n FROM pg_indexes WHERE indexname = 'ix_goods_community_category' \
         AND schemaname = current_schema()"
    } else {
        index
    };
    assert_eq!(app.scalar(index).await, 1);

    let steps = crate::helpers::migrations_from("m20261204_000007_shelf");
    migration::Migrator::down(app.db(), Some(steps))
        .await
        .unwrap();
    assert_eq!(app.scalar(index).await, 0);
    migration::Migrator::up(app.db(), None).await.unwrap();
    assert_eq!(app.scalar(index).await, 1);
}
