//! Nearest-first at scale: thousands of communities inserted set-based, and the list walked
//! page by page equals a brute-force ranking of every community (exact distance, then id)
//! for several points and radii, across the antimeridian too.

use api::regions::geo::haversine_m;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;

use crate::{
    helpers::TestApp,
    lists_paging::walk,
    regions::{ids, LAT, LNG},
};

/// Inserts `count` communities of the seed's street in one statement, scattered over a
/// `span` degrees square whose south-west corner is at `lat`, `lng` (longitudes past 180
/// wrap to the west); positions repeat now and then, so ties by id occur.
async fn scatter(app: &TestApp, seed: i64, prefix: &str, count: u32, at: (f64, f64), span: f64) {
    let (lat, lng) = at;
    let x = format!("({lng} + (n.i * 104729 % 2003) * {})", span / 2003.0);
    let sql = format!(
        "INSERT INTO communities (street_id, name, lat, lng, checkin_radius_m, supermarket_policy, created_at, updated_at) \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count}) \
         SELECT c.street_id, '{prefix}' || n.i, {lat} + (n.i * 7919 % 1999) * {}, \
                CASE WHEN {x} > 180 THEN {x} - 360 ELSE {x} END, \
                c.checkin_radius_m, c.supermarket_policy, c.created_at, c.updated_at \
         FROM n, communities c WHERE c.id = {seed}",
        span / 1999.0
    );
    let db = app.db();
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
}

/// Every community within `radius` metres of the point, by (exact distance, id).
async fn brute_force(app: &TestApp, lat: f64, lng: f64, radius: f64) -> Vec<i64> {
    let mut all: Vec<(f64, i64)> = app
        .rows("SELECT id, lat, lng FROM communities")
        .await
        .iter()
        .map(|row| {
            let id: i64 = row.try_get("", "id").unwrap();
            let (clat, clng): (f64, f64) = (row.try_get("", "lat").unwrap(), row.try_get("", "lng").unwrap());
            (haversine_m(lat, lng, clat, clng), id)
        })
        .filter(|(d, _)| *d <= radius)
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all.into_iter().map(|(_, id)| id).collect()
}

#[tokio::test]
async fn nearest_communities_among_thousands_equal_a_brute_force_ranking() {
    // Arrange: 3,000 communities over about 40 km around the city, 600 across the
    // antimeridian on the equator, inserted set-based next to one made through the API.
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let street = app.street(&admin, "回民").await;
    let seed = app.community(&admin, street.id, "仕奇社区", LAT, LNG).await;
    scatter(&app, seed, "城", 3000, (LAT - 0.2, LNG - 0.25), 0.4).await;
    scatter(&app, seed, "岛", 600, (-0.5, 179.0), 1.6).await;
    let west_of_the_line = app
        .rows("SELECT id FROM communities WHERE lng < -179")
        .await
        .len();
    assert!(west_of_the_line > 100, "{west_of_the_line} wrapped");

    let cases = [
        (LAT, LNG, 800),
        (LAT, LNG, 5_000),
        (LAT + 0.13, LNG - 0.21, 9_000),
        (LAT + 0.3, LNG, 15_000),
        (LAT, LNG + 1.0, 1_000),
        (0.1, 179.95, 30_000),
        (-0.2, -179.9, 12_000),
    ];
    for (lat, lng, radius) in cases {
        // Act
        let path = format!("/api/v1/communities?lat={lat}&lng={lng}&radius_m={radius}");
        let listed = ids(&Value::Array(walk(&app, &path, None, 50).await));

        // Assert
        let expected = brute_force(&app, lat, lng, f64::from(radius)).await;
        assert_eq!(listed, expected, "{path}");
    }
    // The cases are not trivial: pages, both sides of the antimeridian, and an empty one.
    assert!(brute_force(&app, LAT, LNG, 5_000.0).await.len() > 100);
    assert!(brute_force(&app, LAT, LNG + 1.0, 1_000.0).await.is_empty());
    let across = brute_force(&app, 0.1, 179.95, 30_000.0).await;
    let sides = app
        .rows(&format!(
            "SELECT COUNT(*) AS n FROM communities WHERE lng < 0 AND id IN ({})",
            across.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        ))
        .await[0]
        .try_get::<i64>("", "n")
        .unwrap();
    assert!(sides > 0 && (sides as usize) < across.len(), "{sides} of {}", across.len());
}
