//! Goods pictures: `POST /api/v1/goods/{id}/image` by staff of the goods' community stores the
//! picture (at most 1280 px a side), sets `image_url`, audits it and refreshes the shelf;
//! anyone else gets the goods' 404 and nothing is written.

use image::GenericImageView;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{jpeg, png};
use crate::supermarket::spawn;

fn image_path(goods: i64) -> String {
    format!("/api/v1/goods/{goods}/image")
}

#[tokio::test]
async fn staff_set_a_goods_picture_that_shows_on_the_shelf_and_in_the_audit() {
    let app = spawn().await;
    let m = app.market().await;
    let goods = app.put_goods(&m.staff, m.community, 30, 5, None).await;
    let shelf = format!("/api/v1/communities/{}/goods", m.community);
    app.get(&shelf, None).await; // cached before the change

    let (status, view) = app
        .upload(&image_path(goods), &m.staff.token, &jpeg(1600, 400))
        .await;

    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["id"], goods);
    let url = view["image_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/media/") && url.ends_with(".jpg"), "{url}");
    let served = app.fetch_picture(&url).await.bytes().await.unwrap();
    assert_eq!(
        image::load_from_memory(&served).unwrap().dimensions(),
        (1280, 320)
    );
    let (_, listed) = app.get(&shelf, None).await;
    assert_eq!(listed["items"][0]["image_url"], url.as_str());
    let (_, detail) = app.get(&format!("/api/v1/goods/{goods}"), None).await;
    assert_eq!(detail["image_url"], url.as_str());
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) AS n FROM audit_logs WHERE action = 'goods.image' AND object_id = {goods} AND actor_id = {}",
            m.staff.id
        ))
        .await,
        1
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) AS n FROM media WHERE purpose = 'goods_image' AND subject_id = {goods}"
        ))
        .await,
        1
    );
    // The URL handed out is accepted back by PATCH.
    let (status, patched) = app
        .patch(
            &format!("/api/v1/goods/{goods}"),
            Some(&m.staff.token),
            json!({ "image_url": url }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
}

#[tokio::test]
async fn another_communitys_staff_get_404_and_nothing_is_written() {
    let app = spawn().await;
    let m = app.market().await;
    let goods = app.put_goods(&m.staff, m.community, 30, 5, None).await;

    let (status, body) = app
        .upload(&image_path(goods), &m.other_staff.token, &png(20, 20))
        .await;

    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], "not_found");
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
    assert_eq!(app.count("media").await, 0);
    let (_, detail) = app.get(&format!("/api/v1/goods/{goods}"), None).await;
    assert!(detail["image_url"].is_null());
}

#[tokio::test]
async fn residents_cannot_set_goods_pictures() {
    let app = spawn().await;
    let m = app.market().await;
    let goods = app.put_goods(&m.staff, m.community, 30, 5, None).await;
    let resident = app.login("resident").await;
    app.make_resident(&m.staff, m.community, &resident).await;

    // Even a text file: the scope is checked before the upload is looked at.
    for bytes in [png(20, 20), b"not a picture".to_vec()] {
        let (status, body) = app
            .upload(&image_path(goods), &resident.token, &bytes)
            .await;

        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    assert!(app.media_files().is_empty());
    assert_eq!(app.count("media").await, 0);
}

#[tokio::test]
async fn a_picture_for_goods_that_do_not_exist_answers_404() {
    let app = spawn().await;
    let m = app.market().await;

    let (status, body) = app
        .upload(&image_path(999_999), &m.staff.token, &png(20, 20))
        .await;

    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(app.media_files().is_empty());
}
