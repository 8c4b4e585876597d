//! Nearest-first communities page too: an opaque cursor holds the position after the last
//! community shown, and only continues the query it came from.

use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    helpers::TestApp,
    lists_paging::walk,
    regions::{ids, LAT, LNG},
};

#[tokio::test]
async fn nearest_communities_page_nearest_first_without_repeats_or_gaps() {
    // Arrange: seven communities north of the point, two of them at the same place.
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let street = app.street(&admin, "回民").await;
    let mut made = vec![];
    for (i, step) in [0.0, 0.01, 0.01, 0.02, 0.03, 0.04, 0.05]
        .into_iter()
        .enumerate()
    {
        let name = format!("{i}号社区");
        made.push(
            app.community(&admin, street.id, &name, LAT + step, LNG)
                .await,
        );
    }
    let far = app
        .community(&admin, street.id, "远方社区", LAT + 5.0, LNG)
        .await;

    // Act
    let path = format!("/api/v1/communities?lat={LAT}&lng={LNG}&radius_m=20000");
    let all = walk(&app, &path, None, 2).await;
    let one_page = app.get(&format!("{path}&limit=50"), None).await.1;

    // Assert: the same order as one big page, ties by id, nothing beyond the radius.
    assert_eq!(ids(&Value::Array(all.clone())), made);
    assert_eq!(ids(&one_page["items"]), made);
    assert!(!ids(&Value::Array(all.clone())).contains(&far));
    let distances: Vec<i64> = all
        .iter()
        .map(|c| c["distance_m"].as_i64().unwrap())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
}

#[tokio::test]
async fn a_nearest_cursor_that_is_malformed_or_from_another_query_answers_422() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let street = app.street(&admin, "回民").await;
    for i in 0..3 {
        let lat = LAT + f64::from(i) * 0.01;
        app.community(&admin, street.id, &format!("{i}号社区"), lat, LNG)
            .await;
    }
    let path = format!("/api/v1/communities?lat={LAT}&lng={LNG}&limit=1");
    let (_, first) = app.get(&path, None).await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    assert!(
        cursor.parse::<i64>().is_err(),
        "opaque, not an id: {cursor}"
    );

    let (status, second) = app.get(&format!("{path}&cursor={cursor}"), None).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_ne!(second["items"][0]["id"], first["items"][0]["id"]);

    let other_queries = [
        format!(
            "/api/v1/communities?lat={}&lng={LNG}&limit=1&cursor={cursor}",
            LAT + 0.001
        ),
        format!("/api/v1/communities?lat={LAT}&lng={LNG}&radius_m=9000&limit=1&cursor={cursor}"),
        format!(
            "/api/v1/communities?lat={LAT}&lng={LNG}&street_id={}&cursor={cursor}",
            street.id
        ),
        format!("/api/v1/communities?cursor={cursor}"),
    ];
    let malformed = ["abc", "12", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "!!"]
        .map(|c| format!("{path}&cursor={c}"));
    for url in other_queries.iter().chain(&malformed) {
        let (status, body) = app.get(url, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {body}");
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["fields"]["cursor"], "分页游标无效", "{url}: {body}");
    }
}
