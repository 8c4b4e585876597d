//! Lists page the one way: `{items, next_cursor}`, pages that follow each other without
//! duplicates or gaps, and 422 on a cursor that is not ours. Districts, grids, my residences,
//! the stock book and the shelf; the leaderboard is one page.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    helpers::TestApp,
    regions::{city, ids, LAT, LNG},
};

/// Every item of a list, read page by page with `limit` (`path` has a query string or
/// not); asserts the shape of each page and that no page is empty but the only one.
pub(crate) async fn walk(app: &TestApp, path: &str, token: Option<&str>, limit: u64) -> Vec<Value> {
    let join = if path.contains('?') { '&' } else { '?' };
    let mut url = format!("{path}{join}limit={limit}");
    let mut all = vec![];
    for _ in 0..100 {
        let (status, page) = app.get(&url, token).await;
        assert_eq!(status, StatusCode::OK, "{url}: {page}");
        let items = page["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{url}: {page}"));
        assert!(items.len() as u64 <= limit, "{url}: {page}");
        all.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                assert_eq!(
                    items.len() as u64,
                    limit,
                    "a page before the last is full: {page}"
                );
                url = format!("{path}{join}limit={limit}&cursor={cursor}");
            }
            None => {
                assert_eq!(page["next_cursor"], Value::Null, "{page}");
                return all;
            }
        }
    }
    panic!("{path} never ends");
}

/// The ids of items (or of `goods` in stock-book lines).
fn item_ids(items: &[Value]) -> Vec<i64> {
    items
        .iter()
        .map(|i| i["id"].as_i64().or(i["goods"]["id"].as_i64()).unwrap())
        .collect()
}

#[tokio::test]
async fn districts_page_by_id_with_their_streets_and_no_page_repeats_or_skips_one() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut made = vec![];
    for name in ["甲", "乙", "丙", "丁", "戊"] {
        made.push(app.street(&admin, name).await.district_id);
    }

    let all = walk(&app, "/api/v1/districts", None, 2).await;

    assert_eq!(item_ids(&all), made, "by id ascending, each once");
    assert!(all
        .iter()
        .all(|d| d["streets"].as_array().map(Vec::len) == Some(1)));
    let (status, body) = app.get("/api/v1/districts?cursor=abc", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["cursor"].is_string(), "{body}");
}

#[tokio::test]
async fn the_grids_of_a_community_page_by_id() {
    let app = TestApp::spawn().await;
    let c = city(&app).await;
    let mut made = vec![];
    for i in 0..5 {
        let lng = LNG + f64::from(i) * 0.01;
        made.push(
            app.grid(
                &c.staff,
                c.community,
                &format!("{i}号网格"),
                LAT,
                lng,
                0.005,
            )
            .await,
        );
    }

    let all = walk(
        &app,
        &format!("/api/v1/communities/{}/grids", c.community),
        None,
        2,
    )
    .await;

    assert_eq!(item_ids(&all), made);
    let (status, _) = app
        .get(
            &format!("/api/v1/communities/{}/grids?limit=0", c.community),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn my_residences_page_newest_first() {
    let app = TestApp::spawn().await;
    let c = city(&app).await;
    let alice = app.login("alice").await;
    let mut made = vec![];
    for room in ["101", "102", "103"] {
        let (status, body) = app
            .post(
                "/api/v1/me/residences",
                Some(&alice.token),
                json!({ "community_id": c.community, "building": "1栋", "unit": "1单元",
                        "room": room, "relation": "tenant" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        made.push(body["id"].as_i64().unwrap());
    }
    made.reverse();

    let all = walk(&app, "/api/v1/me/residences", Some(&alice.token), 2).await;

    assert_eq!(item_ids(&all), made);
    let bob = app.login("bob").await;
    let (status, none) = app.get("/api/v1/me/residences", Some(&bob.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(none, json!({ "items": [], "next_cursor": null }));
}

#[tokio::test]
async fn the_stock_book_and_the_shelf_page_newest_first_without_repeats_or_gaps() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let mut made = vec![];
    for price in 1..=7 {
        made.push(app.put_goods(&m.staff, m.community, price, 3, None).await);
    }
    let sold_out = app.put_goods(&m.staff, m.community, 99, 0, None).await;
    let elsewhere = app
        .put_goods(&m.other_staff, m.other_community, 5, 5, None)
        .await;
    made.reverse();

    let shelf = walk(
        &app,
        &format!("/api/v1/communities/{}/goods", m.community),
        None,
        3,
    )
    .await;
    let book_path = format!("/api/v1/communities/{}/goods/inventory", m.community);
    let book = walk(&app, &book_path, Some(&m.staff.token), 3).await;

    assert_eq!(
        item_ids(&shelf),
        made,
        "the shelf leaves out what is sold out"
    );
    let mut with_sold_out = vec![sold_out];
    with_sold_out.extend(&made);
    assert_eq!(item_ids(&book), with_sold_out, "the book holds every item");
    assert!(!item_ids(&book).contains(&elsewhere));
    for line in &book {
        let stocked = line["goods"]["total_stocked"].as_i64().unwrap();
        let held =
            line["pending_units"].as_i64().unwrap() + line["fulfilled_units"].as_i64().unwrap();
        assert_eq!(
            line["goods"]["stock"].as_i64().unwrap() + held,
            stocked,
            "{line}"
        );
    }
    let (status, _) = app
        .get(&format!("{book_path}?cursor=x1"), Some(&m.staff.token))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_leaderboard_is_a_one_page_list_beside_its_period() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let viewer = app.login("viewer").await;

    let path = format!(
        "/api/v1/communities/{}/points/leaderboard?limit=5",
        m.community
    );
    let (status, board) = app.get(&path, Some(&viewer.token)).await;

    assert_eq!(status, StatusCode::OK, "{board}");
    let mut fields: Vec<_> = board.as_object().unwrap().keys().cloned().collect();
    fields.sort();
    assert_eq!(
        fields,
        ["community_id", "items", "next_cursor", "period", "since"]
    );
    assert_eq!(board["next_cursor"], Value::Null);
    assert_eq!(ids(&board["items"]), Vec::<i64>::new());
}
