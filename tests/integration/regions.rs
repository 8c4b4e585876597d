//! Fixtures of the community map tests (`regions_*.rs`): a city with one community and its
//! staff, GeoJSON squares, and readers of answers.

use entity::audit_logs;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{json, Value};

use crate::helpers::{TestApp, User};

/// Centre of the test community, in Hohhot.
pub const LAT: f64 = 40.82;
pub const LNG: f64 = 111.66;

/// A closed square ring, `[lng, lat]`, from its south-west corner; corners rounded to 1e-6
/// degrees so that values compare equal after a JSON round trip.
pub fn square(lng: f64, lat: f64, size: f64) -> Value {
    let round = |x: f64| (x * 1e6).round() / 1e6;
    let (w, s, e, n) = (round(lng), round(lat), round(lng + size), round(lat + size));
    json!([[w, s], [e, s], [e, n], [w, n], [w, s]])
}

/// A GeoJSON Polygon of one square.
pub fn polygon(lng: f64, lat: f64, size: f64) -> Value {
    json!({ "type": "Polygon", "coordinates": [square(lng, lat, size)] })
}

/// A city with one street, one community at (LAT, LNG) and its staff member.
pub struct City {
    pub admin: User,
    pub district: i64,
    pub street: i64,
    pub community: i64,
    pub staff: User,
    pub staff_grant: i64,
}

pub async fn city(app: &TestApp) -> City {
    let admin = app.admin().await;
    let street = app.street(&admin, "回民").await;
    let community = app.community(&admin, street.id, "仕奇社区", LAT, LNG).await;
    let staff = app.login("staff_shiqi").await;
    let staff_grant = app
        .grant(&admin, staff.id, "community_staff", community)
        .await;
    City {
        admin,
        district: street.district_id,
        street: street.id,
        community,
        staff,
        staff_grant,
    }
}

pub fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

pub fn field_names(body: &Value) -> Vec<String> {
    body["fields"]
        .as_object()
        .map(|f| f.keys().cloned().collect())
        .unwrap_or_default()
}

pub async fn audit_actions(app: &TestApp) -> Vec<String> {
    audit_logs::Entity::find()
        .order_by_asc(audit_logs::Column::Id)
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect()
}
