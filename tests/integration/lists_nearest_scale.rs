//! Nearest-first at scale: thousands of communities inserted set-based, and the list walked
//! page by page equals a brute-force ranking of every community (exact distance, then id)
//! for several points and radii, across the antimeridian too.

use api::regions::geo::haversine_m;
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
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
            let (clat, clng): (f64, f64) = (
                row.try_get("", "lat").unwrap(),
                row.try_get("", "lng").unwrap(),
            );
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
            across
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ))
        .await[0]
        .try_get::<i64>("", "n")
        .unwrap();
    assert!(
        sides > 0 && (sides as usize) < across.len(),
        "{sides} of {}",
        across.len()
    );
}

#[tokio::test]
async fn the_box_of_a_nearest_query_is_read_from_the_position_index() {
    // SQLite's plan names the index; PostgreSQL's planner is asked the same at scale (README).
    if crate::helpers::on_postgres() {
        return;
    }
    let app = TestApp::spawn().await;
    let plans = [
        "lat BETWEEN 40.7 AND 40.9 AND lng BETWEEN 111.5 AND 111.8",
        "lat BETWEEN -0.3 AND 0.3 AND (lng >= 179.7 OR lng <= -179.8)",
    ];
    // One connection that has read the table since the migrations: an EXPLAIN alone does not
    // check SQLite's schema cookie, so a connection opened earlier would plan on the old schema.
    let db = app.db().begin().await.unwrap();
    let backend = db.get_database_backend();
    let query = |sql: String| db.query_all_raw(Statement::from_string(backend, sql));
    query("SELECT COUNT(*) FROM communities".into())
        .await
        .unwrap();
    for filter in plans {
        let sql = format!("EXPLAIN QUERY PLAN SELECT id, lat, lng FROM communities WHERE {filter}");
        let plan: Vec<String> = query(sql)
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<String>("", "detail").unwrap())
            .collect();
        assert!(
            plan.iter()
                .any(|step| step.contains("USING COVERING INDEX ix_communities_position")),
            "{filter}: {plan:?}"
        );
    }
}

#[tokio::test]
async fn the_position_index_migration_goes_down_and_up_again() {
    use migration::MigratorTrait;
    let app = TestApp::spawn().await;
    let count = |name: &str| {
        if crate::helpers::on_postgres() {
            format!(
                "SELECT COUNT(*) AS n FROM pg_indexes WHERE indexname = '{name}' \
                 AND schemaname = current_schema()"
            )
        } else {
            format!(
                "SELECT COUNT(*) AS n FROM pragma_index_list('communities') WHERE name = '{name}'"
            )
        }
    };
    let (new, old) = (
        count("ix_communities_position"),
        count("ix_communities_lat_lng"),
    );
    assert_eq!((app.scalar(&new).await, app.scalar(&old).await), (1, 0));

    let steps = crate::helpers::migrations_from("m20261204_000009_community_position_index");
    migration::Migrator::down(app.db(), Some(steps))
        .await
        .unwrap();
    assert_eq!((app.scalar(&new).await, app.scalar(&old).await), (0, 1));
    migration::Migrator::up(app.db(), None).await.unwrap();
    assert_eq!((app.scalar(&new).await, app.scalar(&old).await), (1, 0));
}
