//! Avatars from the phone: `POST /api/v1/me/avatar` takes a JPEG, PNG or WebP in the multipart
//! field `file`, stores it upright, small and without metadata, and makes it the avatar.

use image::GenericImageView;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{jpeg, jpeg_with_exif, png, translucent_png, webp, TestApp};

const AVATAR: &str = "/api/v1/me/avatar";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_phone_photo_becomes_an_upright_avatar_without_exif_gps_or_comments() {
    let app = TestApp::spawn().await;
    let user = app.login("avatar-exif").await;
    let photo = jpeg_with_exif(40, 20);
    assert!(contains(&photo, b"Exif\0\0MM"));
    assert!(contains(&photo, b"linli-secret-comment"));

    let (status, me) = app.upload(AVATAR, &user.token, &photo).await;

    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], user.id);
    let url = me["avatar_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/media/") && url.ends_with(".jpg"), "{url}");
    let response = app.fetch_picture(&url).await;
    assert_eq!(response.status(), StatusCode::OK);
    let served = response.bytes().await.unwrap();
    assert!(!contains(&served, b"Exif"), "EXIF survived");
    assert!(!contains(&served, b"MM\0\x2A"), "a TIFF block survived");
    assert!(
        !contains(&served, &[0xFF, 0xE1]),
        "an APP1 segment survived"
    );
    assert!(
        !contains(&served, b"linli-secret-comment"),
        "the comment survived"
    );
    // Orientation 6 turns the 40 × 20 picture (red left half) upright: 20 × 40, red on top.
    let picture = image::load_from_memory(&served).unwrap();
    assert_eq!(picture.dimensions(), (20, 40));
    let top = picture.get_pixel(10, 5).0;
    let bottom = picture.get_pixel(10, 34).0;
    assert!(top[0] > 150 && top[2] < 100, "top is {top:?}");
    assert!(bottom[2] > 150 && bottom[0] < 100, "bottom is {bottom:?}");
}

#[tokio::test]
async fn png_and_webp_are_accepted_and_only_transparency_keeps_a_png() {
    let app = TestApp::spawn().await;
    let user = app.login("avatar-formats").await;
    for (bytes, ext, kind) in [
        (png(30, 30), ".jpg", "image/jpeg"),
        (webp(30, 30), ".jpg", "image/jpeg"),
        (translucent_png(30, 30), ".png", "image/png"),
    ] {
        let (status, me) = app.upload(AVATAR, &user.token, &bytes).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        let url = me["avatar_url"].as_str().unwrap();
        assert!(url.ends_with(ext), "{url}");
        let response = app.fetch_picture(url).await;
        assert_eq!(response.headers()["content-type"], kind);
        let picture = image::load_from_memory(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(picture.dimensions(), (30, 30));
        if kind == "image/png" {
            assert_eq!(picture.get_pixel(25, 5).0[3], 0, "transparency kept");
        }
    }
}

#[tokio::test]
async fn a_large_photo_is_scaled_to_512_pixels_and_shows_in_get_me() {
    let app = TestApp::spawn().await;
    let user = app.login("avatar-large").await;

    let (status, me) = app.upload(AVATAR, &user.token, &jpeg(800, 600)).await;

    assert_eq!(status, StatusCode::OK, "{me}");
    let url = me["avatar_url"].as_str().unwrap().to_owned();
    let (status, again) = app.get("/api/v1/me", Some(&user.token)).await;
    assert_eq!(
        (status, again["avatar_url"].as_str()),
        (StatusCode::OK, Some(&*url))
    );
    let served = app.fetch_picture(&url).await.bytes().await.unwrap();
    let picture = image::load_from_memory(&served).unwrap();
    assert_eq!(picture.dimensions(), (512, 384));
    let row = &app
        .rows(&format!(
            "SELECT name, purpose, uploader_id, subject_id, width, height, bytes FROM media WHERE uploader_id = {}",
            user.id
        ))
        .await[0];
    assert_eq!(row.try_get::<String>("", "purpose").unwrap(), "avatar");
    assert_eq!(row.try_get::<i64>("", "subject_id").unwrap(), user.id);
    assert_eq!(row.try_get::<i32>("", "width").unwrap(), 512);
    assert_eq!(
        row.try_get::<i64>("", "bytes").unwrap(),
        served.len() as i64
    );
    assert_eq!(
        format!("/media/{}", row.try_get::<String>("", "name").unwrap()),
        url
    );
}

#[tokio::test]
async fn the_same_picture_twice_is_one_file_with_one_url() {
    let app = TestApp::spawn().await;
    let first = app.login("avatar-same-1").await;
    let second = app.login("avatar-same-2").await;
    let bytes = png(48, 32);

    let (_, a) = app.upload(AVATAR, &first.token, &bytes).await;
    let (_, b) = app.upload(AVATAR, &second.token, &bytes).await;
    let (status, c) = app.upload(AVATAR, &first.token, &bytes).await;

    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(a["avatar_url"], b["avatar_url"]);
    assert_eq!(a["avatar_url"], c["avatar_url"]);
    let files = app.media_files();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap();
    assert_eq!(format!("/media/{name}"), a["avatar_url"].as_str().unwrap());
    assert_eq!(
        files[0]
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap(),
        &name[..2]
    );
    assert_eq!(app.count("media").await, 3);
}

#[tokio::test]
async fn the_avatar_url_handed_out_can_be_set_again_with_patch_me() {
    let app = TestApp::spawn().await;
    let user = app.login("avatar-patch").await;
    let (_, me) = app.upload(AVATAR, &user.token, &png(8, 8)).await;
    let url = me["avatar_url"].clone();
    app.patch(
        "/api/v1/me",
        Some(&user.token),
        json!({"avatar_url": "https://example.com/a.png"}),
    )
    .await;

    let (status, me) = app
        .patch("/api/v1/me", Some(&user.token), json!({"avatar_url": url}))
        .await;

    assert_eq!((status, &me["avatar_url"]), (StatusCode::OK, &url), "{me}");
    let (status, refused) = app
        .patch(
            "/api/v1/me",
            Some(&user.token),
            json!({"avatar_url": "/media/../../linli.db"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused["fields"]["avatar_url"],
        "头像地址须以 https:// 开头"
    );
}

#[tokio::test]
async fn with_a_public_base_url_the_avatar_url_is_absolute() {
    let app = TestApp::spawn_with(|s| s.public_base_url = "https://linli.example.com".into()).await;
    let user = app.login("avatar-base").await;

    let (status, me) = app.upload(AVATAR, &user.token, &png(8, 8)).await;

    assert_eq!(status, StatusCode::OK, "{me}");
    let url = me["avatar_url"].as_str().unwrap();
    let name = url
        .strip_prefix("https://linli.example.com/media/")
        .unwrap_or_else(|| panic!("{url}"));
    assert_eq!(name.len(), 64 + 4);
    let response = app.fetch_picture(&format!("/media/{name}")).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_media_migration_goes_down_and_up_again() {
    use migration::MigratorTrait;
    use sea_orm::DbBackend;

    let app = TestApp::spawn().await;
    let media_tables = if app.db().get_database_backend() == DbBackend::Sqlite {
        "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'media'"
    } else {
        "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'media'"
    };
    let steps = migration::Migrator::migrations()
        .iter()
        .rev()
        .position(|m| m.name() == "m20261204_000005_media")
        .unwrap()
        + 1;

    migration::Migrator::down(app.db(), Some(steps as u32))
        .await
        .unwrap();
    assert_eq!(app.scalar(media_tables).await, 0);
    migration::Migrator::up(app.db(), None).await.unwrap();
    assert_eq!(app.scalar(media_tables).await, 1);
    let user = app.login("after-migration").await;
    let (status, _) = app.upload(AVATAR, &user.token, &png(4, 4)).await;
    assert_eq!(status, StatusCode::OK);
}
