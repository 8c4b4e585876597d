//! Whom a community's supermarket serves (`supermarket_policy`), and who may set it along with
//! the pickup place and hours.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_ledger_invariants, Market, TestApp, User};
use crate::supermarket::spawn;

async fn set_policy(app: &TestApp, m: &Market, policy: &str) {
    let (status, body) = app
        .patch(
            &format!("/api/v1/communities/{}", m.community),
            Some(&m.staff.token),
            json!({ "supermarket_policy": policy }),
        )
        .await;
    assert_eq!(
        (status, &body["supermarket_policy"]),
        (StatusCode::OK, &json!(policy)),
        "{body}"
    );
}

/// What a refused redemption must leave untouched.
async fn footprint(app: &TestApp, user: &User, goods: i64) -> (i64, i64, i64, i64) {
    (
        app.count("redemptions").await,
        app.count("points_entries").await,
        app.balance(user.id).await,
        app.stock(goods).await,
    )
}

#[tokio::test]
async fn who_may_redeem_follows_the_communitys_policy_and_a_refusal_writes_nothing() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 500).await;
    // A resident of the other community, with points of their own.
    let stranger = app.login("stranger").await;
    app.give_points(&m.other_staff, m.other_community, &stranger, 500)
        .await;
    let goods = app.put_goods(&m.staff, m.community, 10, 50, None).await;
    let (_, community) = app
        .get(&format!("/api/v1/communities/{}", m.community), None)
        .await;
    assert_eq!(community["supermarket_policy"], "members", "the default");

    for (policy, stranger_may) in [("members", false), ("residents", false), ("anyone", true)] {
        set_policy(&app, &m, policy).await;
        let (status, body) = app.redeem(&resident, goods, 1).await;
        assert_eq!(status, StatusCode::CREATED, "{policy}: {body}");

        let before = footprint(&app, &stranger, goods).await;
        let (status, body) = app.redeem(&stranger, goods, 1).await;
        if stranger_may {
            assert_eq!(status, StatusCode::CREATED, "{policy}: {body}");
        } else {
            assert_eq!(
                (status, body["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("not_a_member")),
                "{policy}"
            );
            assert!(body["message"].as_str().unwrap().contains("居民"));
            assert_eq!(footprint(&app, &stranger, goods).await, before, "{policy}");
        }
    }
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn a_pending_residence_is_not_membership() {
    let app = spawn().await;
    let m = app.market().await;
    let applicant = app.login("applicant").await;
    app.give_points(&m.other_staff, m.other_community, &applicant, 100)
        .await;
    let (status, _) = app
        .post(
            "/api/v1/me/residences",
            Some(&applicant.token),
            json!({ "community_id": m.community, "building": "2栋", "unit": "1单元",
                    "room": "101", "relation": "owner" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let goods = app.put_goods(&m.staff, m.community, 10, 5, None).await;

    let (status, body) = app.redeem(&applicant, goods, 1).await;

    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_a_member"))
    );
}

#[tokio::test]
async fn a_redemption_replayed_after_the_policy_tightened_is_still_the_first_answer() {
    let app = spawn().await;
    let m = app.market().await;
    let stranger = app.login("stranger").await;
    app.give_points(&m.other_staff, m.other_community, &stranger, 100)
        .await;
    set_policy(&app, &m, "anyone").await;
    let goods = app.put_goods(&m.staff, m.community, 10, 5, None).await;
    let body = json!({ "goods_id": goods, "quantity": 1 });
    let (status, first) = app
        .post_with_key(
            "/api/v1/redemptions",
            &stranger.token,
            "k-policy",
            body.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    set_policy(&app, &m, "residents").await;

    let (status, replay) = app
        .post_with_key("/api/v1/redemptions", &stranger.token, "k-policy", body)
        .await;

    assert_eq!((status, replay), (StatusCode::CREATED, first));
    assert_eq!(app.count("redemptions").await, 1);
}

#[tokio::test]
async fn staff_set_their_supermarkets_place_hours_and_policy_and_nothing_else() {
    let app = spawn().await;
    let m = app.market().await;
    let path = format!("/api/v1/communities/{}", m.community);

    let (status, body) = app
        .patch(
            &path,
            Some(&m.staff.token),
            json!({ "pickup_address": " 服务中心一楼 ", "pickup_hours": "每天 8:00-20:00",
                    "supermarket_policy": "anyone" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (
            &body["pickup_address"],
            &body["pickup_hours"],
            &body["supermarket_policy"]
        ),
        (
            &json!("服务中心一楼"),
            &json!("每天 8:00-20:00"),
            &json!("anyone")
        )
    );
    for change in [
        json!({ "name": "改名社区" }),
        json!({ "name": "改名社区", "pickup_hours": "全天" }),
    ] {
        let (status, body) = app.patch(&path, Some(&m.staff.token), change).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden"))
        );
    }
    let (status, _) = app
        .patch(
            &path,
            Some(&m.other_staff.token),
            json!({ "pickup_hours": "全天" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another community's staff");
    for (field, value) in [
        ("pickup_address", json!("  ")),
        ("pickup_address", json!("楼".repeat(101))),
        ("pickup_hours", json!("9:00\u{202E}17:00")),
        ("pickup_hours", json!("9:00\n17:00")),
    ] {
        let (status, body) = app
            .patch(&path, Some(&m.staff.token), json!({ field: value }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {body}");
        assert!(body["fields"][field].is_string(), "{body}");
    }
    let (status, body) = app
        .patch(
            &path,
            Some(&m.staff.token),
            json!({ "supermarket_policy": "everyone" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .patch(
            &path,
            Some(&m.admin.token),
            json!({ "pickup_address": null, "name": "新仕奇社区" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (&body["pickup_address"], &body["name"]),
        (&Value::Null, &json!("新仕奇社区"))
    );
    assert_eq!(
        body["pickup_hours"], "每天 8:00-20:00",
        "fields not given stay"
    );
}

#[tokio::test]
async fn the_community_pages_migration_goes_down_and_up_again() {
    use migration::MigratorTrait;
    use sea_orm::DbBackend;

    let app = spawn().await;
    let m = app.market().await;
    set_policy(&app, &m, "anyone").await;
    let columns = if app.db().get_database_backend() == DbBackend::Sqlite {
        "SELECT COUNT(*) AS n FROM pragma_table_info('communities') \
         WHERE name IN ('pickup_address', 'pickup_hours', 'supermarket_policy')"
    } else {
        "SELECT COUNT(*) AS n FROM information_schema.columns WHERE table_name = 'communities' \
         AND column_name IN ('pickup_address', 'pickup_hours', 'supermarket_policy')"
    };
    let steps = migration::Migrator::migrations()
        .iter()
        .rev()
        .position(|m| m.name() == "m20261204_000006_community_pages")
        .expect("the community pages migration")
        + 1;

    migration::Migrator::down(app.db(), Some(steps as u32))
        .await
        .unwrap();
    assert_eq!(app.scalar(columns).await, 0);
    migration::Migrator::up(app.db(), None).await.unwrap();

    assert_eq!(app.scalar(columns).await, 3);
    let (_, community) = app
        .get(&format!("/api/v1/communities/{}", m.community), None)
        .await;
    assert_eq!(
        community["supermarket_policy"], "members",
        "existing communities start at the default"
    );
}
