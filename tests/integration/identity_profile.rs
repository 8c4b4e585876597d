//! The caller's profile: editing it, and binding a phone through WeChat or the mock mode.

use reqwest::StatusCode;
use serde_json::json;
use wiremock::{
    matchers::{body_partial_json, method, path, query_param},
    Mock, ResponseTemplate,
};

use crate::helpers::TestApp;

#[tokio::test]
async fn patch_me_changes_the_profile_and_refuses_bad_values() {
    let app = TestApp::spawn().await;
    let user = app.login("heidi").await;
    let (status, me) = app
        .patch(
            "/api/v1/me",
            Some(&user.token),
            json!({"nickname": "海蒂", "avatar_url": "https://example.com/a.png"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["nickname"], "海蒂");
    assert_eq!(me["avatar_url"], "https://example.com/a.png");

    let (status, body) = app
        .patch("/api/v1/me", Some(&user.token), json!({"nickname": ""}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["nickname"].is_string());
    let (status, body) = app
        .patch(
            "/api/v1/me",
            Some(&user.token),
            json!({"avatar_url": "not a url"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["avatar_url"].is_string());
    let (_, me) = app.get("/api/v1/me", Some(&user.token)).await;
    assert_eq!(me["nickname"], "海蒂");
}

#[tokio::test]
async fn binding_a_phone_uses_a_cached_stable_token_and_refetches_it_once_when_wechat_says_expired()
{
    let app = TestApp::spawn_with_wechat().await;
    let wechat = app.wechat.as_ref().unwrap();
    Mock::given(path("/sns/jscode2session"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"openid": "o-phone", "session_key": "k"})),
        )
        .mount(wechat)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .and(body_partial_json(json!({"grant_type": "client_credential", "appid": "wxtestappid", "force_refresh": false})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "TOKEN-1", "expires_in": 7200})))
        .expect(1)
        .mount(wechat)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .and(body_partial_json(json!({"force_refresh": true})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "TOKEN-2", "expires_in": 7200})),
        )
        .expect(1)
        .mount(wechat)
        .await;
    Mock::given(path("/wxa/business/getuserphonenumber"))
        .and(query_param("access_token", "TOKEN-1"))
        .and(body_partial_json(json!({"code": "phone-code-1"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errcode": 0, "phone_info": {"phoneNumber": "13812345678", "purePhoneNumber": "13812345678", "countryCode": "86"}
        })))
        .expect(1)
        .mount(wechat)
        .await;
    Mock::given(path("/wxa/business/getuserphonenumber"))
        .and(query_param("access_token", "TOKEN-1"))
        .and(body_partial_json(json!({"code": "phone-code-2"})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 40001, "errmsg": "invalid credential"})),
        )
        .expect(1)
        .mount(wechat)
        .await;
    Mock::given(path("/wxa/business/getuserphonenumber"))
        .and(query_param("access_token", "TOKEN-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errcode": 0, "phone_info": {"phoneNumber": "13900001111", "purePhoneNumber": "13900001111", "countryCode": "86"}
        })))
        .expect(1)
        .mount(wechat)
        .await;

    let (_, login) = app
        .post("/api/v1/auth/wechat-login", None, json!({"code": "c"}))
        .await;
    let token = login["access_token"].as_str().unwrap();
    let (status, me) = app
        .post(
            "/api/v1/me/phone",
            Some(token),
            json!({"code": "phone-code-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(
        me["phone"], "13812345678",
        "the owner sees the whole number"
    );
    let (status, me) = app
        .post(
            "/api/v1/me/phone",
            Some(token),
            json!({"code": "phone-code-2"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["phone"], "13900001111");
}

#[tokio::test]
async fn the_mock_mode_binds_the_phone_named_in_the_code() {
    let app = TestApp::spawn().await;
    let user = app.login("ivan").await;
    let (status, me) = app
        .post(
            "/api/v1/me/phone",
            Some(&user.token),
            json!({"code": "mock:13812345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["phone"], "13812345678");
    let (status, body) = app
        .post(
            "/api/v1/me/phone",
            Some(&user.token),
            json!({"code": "mock:123"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "wechat_code_invalid");
}
