//! Serving pictures at `/media/{name}`: public, cached for a year, typed, with a strong ETag
//! and `nosniff`; a name that is not a hash with a known extension is a JSON 404.

use reqwest::{header, Method, StatusCode};

use crate::helpers::{png, TestApp};

#[tokio::test]
async fn a_picture_is_served_publicly_with_long_caching_an_etag_and_nosniff() {
    let app = TestApp::spawn().await;
    let user = app.login("serve-headers").await;
    let (_, me) = app
        .upload("/api/v1/me/avatar", &user.token, &png(16, 16))
        .await;
    let url = me["avatar_url"].as_str().unwrap().to_owned();
    let hash = &url["/media/".len()..url.len() - 4];

    // No Authorization: a mini-program's <image> sends none.
    let response = app.fetch_picture(&url).await;

    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(
        headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(headers[header::ETAG], format!("\"{hash}\"").as_str());
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..3], [0xFF, 0xD8, 0xFF]);
    let digest = <sha2::Sha256 as sha2::Digest>::digest(&bytes);
    assert_eq!(
        hex::encode(digest),
        hash,
        "the name is the hash of the bytes"
    );
}

#[tokio::test]
async fn if_none_match_with_the_etag_answers_304_without_a_body() {
    let app = TestApp::spawn().await;
    let user = app.login("serve-304").await;
    let (_, me) = app
        .upload("/api/v1/me/avatar", &user.token, &png(16, 16))
        .await;
    let url = format!("{}{}", app.address, me["avatar_url"].as_str().unwrap());
    let etag = app.client.get(&url).send().await.unwrap().headers()[header::ETAG].clone();

    for sent in [
        etag.to_str().unwrap().to_owned(),
        format!("\"other\", W/{}", etag.to_str().unwrap()),
        "*".to_owned(),
    ] {
        let response = app
            .client
            .get(&url)
            .header(header::IF_NONE_MATCH, &sent)
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{sent}");
        assert_eq!(response.headers()[header::ETAG], etag);
        assert!(response.headers().contains_key(header::CACHE_CONTROL));
        assert!(response.bytes().await.unwrap().is_empty());
    }
    let other = app
        .client
        .get(&url)
        .header(header::IF_NONE_MATCH, "\"0000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_malformed_or_unknown_name_answers_a_json_404() {
    let app = TestApp::spawn().await;
    // A file next to the media folder that a traversal would reach.
    std::fs::write(app.state.settings.data_dir.join("secret.jpg"), b"secret").unwrap();
    let hash = "ab".repeat(32);
    for path in [
        format!("/media/{hash}.jpg"),
        format!("/media/{hash}.gif"),
        format!("/media/{}.jpg", hash.to_uppercase()),
        "/media/secret.jpg".to_owned(),
        "/media/..%2Fsecret.jpg".to_owned(),
        "/media/%2E%2E%2Fsecret.jpg".to_owned(),
        "/media/ab/abcd.jpg".to_owned(),
        "/media/".to_owned(),
    ] {
        let (status, body) = app.call(Method::GET, &path, None, None).await;

        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(body["code"], "not_found", "{path}: {body}");
    }
}
