//! Staff review applications: the pending list, approving into a household, rejecting with a
//! reason, races between staff, and who may decide.

use entity::households;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{json, Value};

use crate::helpers::{TestApp, User};
use crate::residents::{application, approve, audit_count, city, file, grid, pending, reject};

#[tokio::test]
async fn staff_list_pending_applications_newest_first_with_masked_phones() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let alice = app.login("alice").await;
    let (status, body) = app
        .post(
            "/api/v1/me/phone",
            Some(&alice.token),
            json!({ "code": "mock:13812345678" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bob = app.login("bob").await;
    let first = file(&app, &alice, application(city.community, "1栋", "owner")).await;
    let second = file(&app, &bob, application(city.community, "2栋", "tenant")).await;
    file(
        &app,
        &bob,
        application(city.other_community, "9栋", "tenant"),
    )
    .await;

    let items = pending(&app, &city).await;

    let ids: Vec<i64> = items.iter().filter_map(|i| i["id"].as_i64()).collect();
    assert_eq!(ids, vec![second, first]);
    assert_eq!(items[1]["applicant"]["id"], alice.id);
    assert_eq!(
        items[1]["applicant"]["nickname"], "a****",
        "masked like every name on staff lists"
    );
    assert_eq!(items[1]["applicant"]["phone"], "138****5678");
    assert_eq!(items[0]["applicant"]["phone"], Value::Null);
    assert_eq!(items[0]["community_name"], "仕奇社区");
    assert!(!items.iter().any(|i| i.to_string().contains("13812345678")));

    let path = format!(
        "/api/v1/communities/{}/residences?status=pending&limit=1",
        city.community
    );
    let (status, page) = app.get(&path, Some(&city.staff.token)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"][0]["id"], second);
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let (_, page) = app
        .get(&format!("{path}&cursor={cursor}"), Some(&city.staff.token))
        .await;
    assert_eq!(page["items"][0]["id"], first);
    assert_eq!(page["next_cursor"], Value::Null);

    let (status, approved) = app
        .get(
            &format!(
                "/api/v1/communities/{}/residences?status=approved",
                city.community
            ),
            Some(&city.staff.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(approved["items"], json!([]));
    let (status, body) = app
        .get(
            &format!(
                "/api/v1/communities/{}/residences?status=maybe",
                city.community
            ),
            Some(&city.staff.token),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn approving_creates_the_household_and_ties_the_applicant() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let alice = app.login("alice").await;
    let mut body = application(city.community, "1栋", "owner");
    body["floor_area_m2"] = json!(120.5);
    let id = file(&app, &alice, body).await;

    let (status, body) = approve(&app, &city.staff, id, json!({})).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "approved");
    assert!(body["reviewed_at"].is_string());
    let household_id = body["household_id"].as_i64().expect("household id");
    let household = households::Entity::find_by_id(household_id)
        .one(app.db())
        .await
        .unwrap()
        .expect("household");
    assert_eq!(household.community_id, city.community);
    assert_eq!(
        (
            household.building.as_str(),
            household.unit.as_str(),
            household.room.as_str()
        ),
        ("1栋", "2单元", "1201")
    );
    assert_eq!(household.floor_area_dm2, Some(12_050));
    let (_, mine) = app.get("/api/v1/me/residences", Some(&alice.token)).await;
    assert_eq!(mine["items"][0]["status"], "approved");
    assert_eq!(mine["items"][0]["household_id"], household_id);
    assert_eq!(audit_count(&app, "residence.approve").await, 1);
    assert!(pending(&app, &city).await.is_empty());
}

#[tokio::test]
async fn a_second_resident_at_the_same_address_shares_the_household() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let first = file(&app, &alice, application(city.community, "1栋", "owner")).await;
    let second = file(&app, &bob, application(city.community, "１栋", "family")).await;

    let (status, a) = approve(&app, &city.staff, first, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    let (status, b) = approve(&app, &city.admin, second, json!({})).await;

    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(a["household_id"], b["household_id"]);
    assert_eq!(app.count("households").await, 1);
}

#[tokio::test]
async fn a_rejected_application_may_be_filed_again() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let alice = app.login("alice").await;
    let id = file(&app, &alice, application(city.community, "1栋", "owner")).await;

    let (status, body) = reject(
        &app,
        &city.staff,
        id,
        json!({ "reason": "  房号与产权登记不符 " }),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "rejected");
    assert_eq!(body["reject_reason"], "房号与产权登记不符");
    assert_eq!(audit_count(&app, "residence.reject").await, 1);
    let (_, mine) = app.get("/api/v1/me/residences", Some(&alice.token)).await;
    assert_eq!(mine["items"][0]["reject_reason"], "房号与产权登记不符");
    let again = file(&app, &alice, application(city.community, "1栋", "owner")).await;
    assert_ne!(again, id);
    assert_eq!(app.count("households").await, 0);
}

#[tokio::test]
async fn rejecting_needs_a_reason() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let alice = app.login("alice").await;
    let id = file(&app, &alice, application(city.community, "1栋", "owner")).await;

    for body in [
        json!({}),
        json!({ "reason": "   " }),
        json!({ "reason": "长".repeat(201) }),
    ] {
        let (status, answer) = reject(&app, &city.staff, id, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(answer["fields"]["reason"].is_string(), "{answer}");
    }

    assert_eq!(pending(&app, &city).await.len(), 1);
    assert_eq!(audit_count(&app, "residence.reject").await, 0);
}

#[tokio::test]
async fn approving_twice_is_a_conflict() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let alice = app.login("alice").await;
    let id = file(&app, &alice, application(city.community, "1栋", "owner")).await;
    let (status, _) = approve(&app, &city.staff, id, json!({})).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = approve(&app, &city.staff, id, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "residence_not_pending");
    let (status, body) = reject(&app, &city.staff, id, json!({ "reason": "晚了" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "residence_not_pending");
    assert_eq!(audit_count(&app, "residence.approve").await, 1);
}

#[tokio::test]
async fn two_staff_approving_at_once_lets_exactly_one_win() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let colleague = app.login("staff_colleague").await;
    app.grant(&city.admin, colleague.id, "community_staff", city.community)
        .await;
    let mut ids = vec![];
    for name in ["alice", "bob", "carol", "dave", "erin"] {
        let user = app.login(name).await;
        ids.push(file(&app, &user, application(city.community, "1栋", "owner")).await);
    }

    for id in &ids {
        let (a, b) = tokio::join!(
            approve(&app, &city.staff, *id, json!({})),
            approve(&app, &colleague, *id, json!({}))
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{} / {}",
            a.1,
            b.1
        );
    }

    assert_eq!(app.count("households").await, 1);
    assert_eq!(audit_count(&app, "residence.approve").await, ids.len());
}

#[tokio::test]
async fn residents_at_one_new_address_approved_at_once_share_one_household() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let colleague = app.login("staff_colleague").await;
    app.grant(&city.admin, colleague.id, "community_staff", city.community)
        .await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let mut pairs = vec![];
    for room in ["101", "102", "103", "104", "105"] {
        let mut body = application(city.community, "7栋", "owner");
        body["room"] = json!(room);
        pairs.push((
            file(&app, &alice, body.clone()).await,
            file(&app, &bob, body).await,
        ));
    }

    for (a, b) in &pairs {
        let (first, second) = tokio::join!(
            approve(&app, &city.staff, *a, json!({})),
            approve(&app, &colleague, *b, json!({}))
        );
        assert_eq!(first.0, StatusCode::OK, "{}", first.1);
        assert_eq!(second.0, StatusCode::OK, "{}", second.1);
        assert_eq!(first.1["household_id"], second.1["household_id"]);
    }

    assert_eq!(app.count("households").await, pairs.len() as i64);
}

#[tokio::test]
async fn staff_of_another_community_cannot_see_or_decide_its_applications() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let alice = app.login("alice").await;
    let id = file(&app, &alice, application(city.community, "1栋", "owner")).await;

    let (status, body) = app
        .get(
            &format!("/api/v1/communities/{}/residences", city.community),
            Some(&city.other_staff.token),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = approve(&app, &city.other_staff, id, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = reject(
        &app,
        &city.other_staff,
        id,
        json!({ "reason": "不是我们社区" }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    assert_eq!(pending(&app, &city).await.len(), 1);
    assert_eq!(app.count("households").await, 0);
}

#[tokio::test]
async fn a_plain_resident_cannot_review_even_their_own_application() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let alice = app.login("alice").await;
    let id = file(&app, &alice, application(city.community, "1栋", "owner")).await;

    let (status, _) = app
        .get(
            &format!("/api/v1/communities/{}/residences", city.community),
            Some(&alice.token),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = approve(&app, &alice, id, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = reject(&app, &alice, id, json!({ "reason": "算了" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = approve(&app, &alice, 999_999, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_eq!(pending(&app, &city).await.len(), 1);
}

#[tokio::test]
async fn staff_place_the_household_only_in_a_grid_of_the_community() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let own = grid(&app, &city.staff, city.community, "第二网格", 0.02).await;
    let foreign = grid(
        &app,
        &city.other_staff,
        city.other_community,
        "外社区网格",
        0.02,
    )
    .await;
    let alice = app.login("alice").await;
    let id = file(&app, &alice, application(city.community, "1栋", "owner")).await;

    let (status, body) = approve(&app, &city.staff, id, json!({ "grid_id": foreign })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["grid_id"].is_string(), "{body}");
    assert_eq!(app.count("households").await, 0);
    assert_eq!(pending(&app, &city).await.len(), 1);

    let (status, body) = approve(&app, &city.staff, id, json!({ "grid_id": own })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["grid_id"], own);
}

#[tokio::test]
async fn a_bodiless_approve_works_for_the_staff_and_answers_404_to_another_communitys_staff() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let alice = app.login("alice").await;
    let id = file(&app, &alice, application(city.community, "1栋", "owner")).await;
    let bodiless = |by: &User, content_type: Option<&str>| {
        let mut request = app
            .client
            .post(format!("{}/api/v1/residences/{id}/approve", app.address))
            .bearer_auth(&by.token);
        if let Some(content_type) = content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        request.send()
    };

    let outsider = bodiless(&city.other_staff, None).await.unwrap();
    assert_eq!(outsider.status(), StatusCode::NOT_FOUND);
    let outsider = bodiless(&city.other_staff, Some("text/plain"))
        .await
        .unwrap();
    assert_eq!(outsider.status(), StatusCode::NOT_FOUND);
    let approved = bodiless(&city.staff, None).await.unwrap();

    assert_eq!(approved.status(), StatusCode::OK);
    let body: Value = approved.json().await.unwrap();
    assert_eq!(body["status"], "approved");
    assert_eq!(audit_count(&app, "residence.approve").await, 1);
    // A body, when sent, is still JSON: `null` stands for none, anything else is checked.
    let (status, body) = approve(&app, &city.staff, id, Value::Null).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = approve(&app, &city.staff, id, json!({"grid": 1})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}
