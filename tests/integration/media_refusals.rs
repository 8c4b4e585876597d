//! What an upload refuses, and that a refused upload stores nothing: a text file dressed as a
//! JPEG, a body over the byte cap, a picture over the pixel cap, a body that is not multipart,
//! a missing or extra field, an anonymous caller.

use reqwest::StatusCode;

use crate::helpers::{multipart, multipart_type, png, png_declaring, Part, TestApp};

const AVATAR: &str = "/api/v1/me/avatar";

/// Nothing was stored for `user`: no file, no row, no avatar.
async fn nothing_stored(app: &TestApp, token: &str) {
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
    assert_eq!(app.count("media").await, 0);
    let (_, me) = app.get("/api/v1/me", Some(token)).await;
    assert!(me["avatar_url"].is_null(), "{me}");
}

#[tokio::test]
async fn a_text_file_named_jpg_and_labelled_image_jpeg_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.login("refuse-text").await;
    for bytes in [
        b"hello, this is not a picture".as_slice(),
        b"",
        b"GIF89a\x01\x00\x01\x00",
        b"\xFF\xD8\xFF\xE0 broken jpeg",
    ] {
        let (status, body) = app.upload(AVATAR, &user.token, bytes).await;

        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["code"], "unsupported_image", "{body}");
    }
    let (_, body) = app.upload(AVATAR, &user.token, b"plain text").await;
    assert_eq!(body["message"], "仅支持 JPEG、PNG、WebP 图片");
    nothing_stored(&app, &user.token).await;
}

#[tokio::test]
async fn a_body_over_the_byte_cap_answers_413_and_stores_nothing() {
    let app = TestApp::spawn_with(|s| s.upload_max_bytes = 64 * 1024).await;
    let user = app.login("refuse-big").await;
    // Just over the cap (read while streaming), and far over it (refused from its length).
    for size in [64 * 1024 + 1, 200 * 1024] {
        let mut bytes = png(4, 4);
        bytes.resize(size, 0);

        let (status, body) = app.upload(AVATAR, &user.token, &bytes).await;

        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{size}: {body}");
        assert_eq!(body["code"], "payload_too_large");
        assert_eq!(body["message"], "图片文件过大，不能超过 0.1 MB");
    }
    nothing_stored(&app, &user.token).await;
    let (status, _) = app.upload(AVATAR, &user.token, &png(4, 4)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a picture under the cap still passes"
    );
}

#[tokio::test]
async fn a_picture_over_the_pixel_cap_is_refused_from_its_header() {
    let app = TestApp::spawn().await;
    let user = app.login("refuse-pixels").await;
    // 49 megapixels with both sides under 8192; then one side over 8192.
    for (width, height) in [(7000, 7000), (9000, 10), (10, 100_000)] {
        let (status, body) = app
            .upload(AVATAR, &user.token, &png_declaring(width, height))
            .await;

        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{width}x{height}: {body}"
        );
        assert_eq!(body["code"], "image_too_large", "{width}x{height}: {body}");
    }
    nothing_stored(&app, &user.token).await;
}

#[tokio::test]
async fn a_body_that_is_not_multipart_answers_415() {
    let app = TestApp::spawn().await;
    let user = app.login("refuse-json").await;
    for content_type in ["application/json", "image/jpeg", "application/octet-stream"] {
        let (status, body) = app
            .post_raw(AVATAR, Some(&user.token), content_type, png(4, 4))
            .await;

        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
        assert_eq!(body["code"], "unsupported_media_type");
    }
    nothing_stored(&app, &user.token).await;
}

#[tokio::test]
async fn a_second_file_or_another_field_answers_422_naming_it() {
    let app = TestApp::spawn().await;
    let user = app.login("refuse-fields").await;
    let picture = png(4, 4);
    let file = |name| Part {
        name,
        filename: Some("a.png"),
        content_type: "image/png",
        bytes: &picture,
    };
    for (parts, field) in [
        (vec![file("avatar")], "avatar"),
        (vec![file("file"), file("file")], "file"),
        (vec![file("file"), file("note")], "note"),
    ] {
        let (status, body) = app
            .post_raw(
                AVATAR,
                Some(&user.token),
                &multipart_type(),
                multipart(&parts),
            )
            .await;

        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {body}");
        assert_eq!(body["code"], "validation_failed");
        assert!(body["fields"][field].is_string(), "{body}");
    }
    nothing_stored(&app, &user.token).await;
}

#[tokio::test]
async fn broken_multipart_framing_answers_400_never_500() {
    let app = TestApp::spawn().await;
    let user = app.login("refuse-framing").await;
    let whole = multipart(&[Part {
        name: "file",
        filename: None,
        content_type: "image/png",
        bytes: &png(4, 4),
    }]);
    let cases: Vec<(String, Vec<u8>)> = vec![
        ("multipart/form-data".into(), whole.clone()),
        (multipart_type(), whole[..whole.len() / 2].to_vec()),
        (multipart_type(), b"no boundary anywhere".to_vec()),
        // No part at all (multipart needs one).
        (multipart_type(), multipart(&[])),
        (
            multipart_type(),
            b"--linli-test-boundary-7MA4YWxkTrZu0gW\r\nContent-Type: text/plain\r\n\r\nx\r\n--linli-test-boundary-7MA4YWxkTrZu0gW--\r\n".to_vec(),
        ),
    ];
    for (content_type, body) in cases {
        let (status, answer) = app
            .post_raw(AVATAR, Some(&user.token), &content_type, body)
            .await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{content_type}: {answer}");
        assert_eq!(answer["code"], "invalid_body");
    }
    nothing_stored(&app, &user.token).await;
}

#[tokio::test]
async fn an_anonymous_upload_answers_401_and_stores_nothing() {
    let app = TestApp::spawn().await;

    let (status, body) = app
        .post_raw(AVATAR, None, &multipart_type(), multipart(&[]))
        .await;

    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(app.media_files().is_empty());
}

#[tokio::test]
async fn uploads_count_against_the_write_limit() {
    let app = TestApp::spawn_with(|s| s.rate.writes = 2).await;
    let user = app.login("refuse-flood").await;
    for _ in 0..2 {
        let (status, body) = app.upload(AVATAR, &user.token, &png(4, 4)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    let (status, body) = app.upload(AVATAR, &user.token, &png(5, 5)).await;

    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(
        app.media_files().len(),
        1,
        "the refused picture is not stored"
    );
}
