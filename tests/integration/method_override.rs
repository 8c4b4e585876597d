//! `X-HTTP-Method-Override: PATCH` on a `POST` (WeChat's `wx.request` cannot send `PATCH`):
//! every `PATCH` of the document answers it as the `PATCH`, on a real object, and writes the
//! change; no other value and no other method becomes a `PATCH`.

use std::collections::BTreeMap;

use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::TestApp;

const OVERRIDE: &str = "X-HTTP-Method-Override";

/// A `PATCH` to try: who, where, what, and the column that must hold the new value after.
struct Case {
    token: String,
    url: String,
    body: Value,
    table: &'static str,
    id: i64,
    column: &'static str,
    value: &'static str,
}

/// Sends `method` with the override header; answers the status, `Allow` and the JSON body.
async fn send(
    app: &TestApp,
    method: Method,
    value: &str,
    url: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Option<String>, Value) {
    let response = app
        .client
        .request(method, format!("{}{url}", app.address))
        .bearer_auth(token)
        .header(OVERRIDE, value)
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let allow = response
        .headers()
        .get(header::ALLOW)
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    (
        status,
        allow,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

async fn column(app: &TestApp, table: &str, column: &str, id: i64) -> String {
    let rows = app
        .rows(&format!(
            "SELECT {column} AS v FROM {table} WHERE id = {id}"
        ))
        .await;
    rows[0].try_get::<String>("", "v").unwrap()
}

/// The PATCH paths of the generated document.
fn documented_patches() -> Vec<String> {
    let doc: Value = serde_json::from_str(&api::openapi::document_json()).unwrap();
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, item)| item.get("patch").is_some())
        .map(|(path, _)| path.clone())
        .collect()
}

/// A real object behind every PATCH path, with a caller allowed to change it.
async fn cases(app: &TestApp) -> BTreeMap<&'static str, Case> {
    let admin = app.admin().await;
    let street = app.street(&admin, "覆盖").await;
    let community = app
        .community(&admin, street.id, "覆盖社区", 40.82, 111.66)
        .await;
    let grid = app
        .grid(&admin, community, "一网格", 40.82, 111.66, 0.01)
        .await;
    let staff = app.login("override-staff").await;
    app.grant(&admin, staff.id, "community_staff", community)
        .await;
    let goods = app.put_goods(&staff, community, 10, 5, None).await;
    let activity = crate::activities::publish(
        app,
        &staff,
        community,
        crate::activities::activity(app, json!({})),
    )
    .await;
    let (status, station) = app
        .post(
            &format!("/api/v1/communities/{community}/stations"),
            Some(&staff.token),
            json!({ "name": "驿站", "address": "一号", "lat": 40.82, "lng": 111.66,
                "services": ["water"], "opening_hours": "全天" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{station}");
    let station = station["id"].as_i64().unwrap();
    let resident = app.login("override-resident").await;

    let case = |token: &str,
                url: String,
                field: &'static str,
                value: &'static str,
                table: &'static str,
                id: i64| Case {
        token: token.to_owned(),
        url,
        body: json!({ field: value }),
        table,
        id,
        column: field,
        value,
    };
    let a = admin.token.as_str();
    BTreeMap::from([
        (
            "/api/v1/me",
            case(
                &resident.token,
                "/api/v1/me".into(),
                "nickname",
                "改名的居民",
                "users",
                resident.id,
            ),
        ),
        (
            "/api/v1/districts/{id}",
            case(
                a,
                format!("/api/v1/districts/{}", street.district_id),
                "name",
                "改名区",
                "districts",
                street.district_id,
            ),
        ),
        (
            "/api/v1/streets/{id}",
            case(
                a,
                format!("/api/v1/streets/{}", street.id),
                "name",
                "改名街道",
                "streets",
                street.id,
            ),
        ),
        (
            "/api/v1/communities/{id}",
            case(
                a,
                format!("/api/v1/communities/{community}"),
                "name",
                "改名社区",
                "communities",
                community,
            ),
        ),
        (
            "/api/v1/grids/{id}",
            case(
                a,
                format!("/api/v1/grids/{grid}"),
                "name",
                "改名网格",
                "grids",
                grid,
            ),
        ),
        (
            "/api/v1/activities/{id}",
            case(
                &staff.token,
                format!("/api/v1/activities/{activity}"),
                "title",
                "改名活动",
                "activities",
                activity,
            ),
        ),
        (
            "/api/v1/goods/{id}",
            case(
                &staff.token,
                format!("/api/v1/goods/{goods}"),
                "name",
                "改名物品",
                "goods",
                goods,
            ),
        ),
        (
            "/api/v1/stations/{id}",
            case(
                &staff.token,
                format!("/api/v1/stations/{station}"),
                "name",
                "改名驿站",
                "stations",
                station,
            ),
        ),
    ])
}

/// A body without the fields that change on every write.
fn stable(mut body: Value) -> Value {
    if let Some(object) = body.as_object_mut() {
        object.remove("updated_at");
    }
    body
}

#[tokio::test]
async fn every_patch_answers_a_post_with_the_override_as_the_patch_and_writes_the_change() {
    let app = TestApp::spawn().await;
    let mut cases = cases(&app).await;

    for path in documented_patches() {
        let case = cases
            .remove(path.as_str())
            .unwrap_or_else(|| panic!("PATCH {path} has no case here: add one"));
        let (status, _, overridden) = send(
            &app,
            Method::POST,
            "PATCH",
            &case.url,
            &case.token,
            case.body.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "POST-as-PATCH {path}: {overridden}");
        assert_eq!(overridden[case.column], case.value, "{path}");
        assert_eq!(
            column(&app, case.table, case.column, case.id).await,
            case.value,
            "{path}: the change was not written"
        );

        let (status, patched) = app
            .patch(&case.url, Some(&case.token), case.body.clone())
            .await;
        assert_eq!(status, StatusCode::OK, "PATCH {path}: {patched}");
        assert_eq!(stable(overridden), stable(patched), "{path}");
    }
    let untested: Vec<_> = cases.keys().collect();
    assert!(
        untested.is_empty(),
        "cases for undocumented PATCHes: {untested:?}"
    );
}

#[tokio::test]
async fn the_override_is_only_patch_and_only_on_post() {
    let app = TestApp::spawn().await;
    let user = app.login("override-only").await;
    let token = user.token.as_str();
    let nickname = || column(&app, "users", "nickname", user.id);
    let before = nickname().await;
    let rename = json!({ "nickname": "不该改" });

    // On a GET the header is ignored: a GET it stays.
    let (status, _, body) = send(
        &app,
        Method::GET,
        "PATCH",
        "/api/v1/me",
        token,
        rename.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], user.id);
    assert_eq!(nickname().await, before);

    // Any other value on a POST is refused, never served as the POST or as that method.
    for value in ["DELETE", "PUT", "GET", ""] {
        let (status, _, body) = send(
            &app,
            Method::POST,
            value,
            "/api/v1/me",
            token,
            rename.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}: {body}");
        assert_eq!(body["code"], "method_override_invalid");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(nickname().await, before);

    // The value is case-insensitive.
    let renamed = json!({ "nickname": "小写也行" });
    let (status, _, body) = send(&app, Method::POST, "patch", "/api/v1/me", token, renamed).await;
    assert_eq!(
        (status, &body["nickname"]),
        (StatusCode::OK, &json!("小写也行"))
    );
}

#[tokio::test]
async fn a_post_overridden_on_a_path_without_patch_answers_the_json_405_of_that_path() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let districts = app.count("districts").await;

    for (url, allow) in [
        ("/api/v1/me/points", "GET"),
        ("/api/v1/districts", "GET, POST"),
        ("/api/v1/nowhere/1", ""),
    ] {
        let body = json!({ "name": "不该建" });
        let (status, allowed, body) =
            send(&app, Method::POST, "PATCH", url, &admin.token, body).await;
        if allow.is_empty() {
            assert_eq!(status, StatusCode::NOT_FOUND, "{url}: {body}");
            continue;
        }
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{url}: {body}");
        assert_eq!(allowed.as_deref(), Some(allow), "{url}");
        assert_eq!(body["code"], "method_not_allowed");
    }
    assert_eq!(app.count("districts").await, districts);
}
