//! Unit tests of the settings: production refusals, secrets, proxies and limits.

use super::*;

fn production() -> Settings {
    let mut s = Settings::for_development("sqlite::memory:", PathBuf::from("."));
    s.env = Environment::Production;
    s.wechat.mode = WechatMode::Live;
    s.wechat.appid = "wx123".into();
    s.wechat.secret = "wechat-secret-value".into();
    s.jwt_secret = "Zq8v1N4xP0cR7mT2bY6wK9eH3jL5sD8fG1aU4oI7".into();
    s.jwt_secret_ephemeral = false;
    s.public_base_url = "https://linli.example.com".into();
    s
}

#[test]
fn production_accepts_live_wechat_and_a_strong_secret() {
    assert!(production().check().is_ok());
}

#[test]
fn production_refuses_the_mock_wechat_mode() {
    let mut s = production();
    s.wechat.mode = WechatMode::Mock;
    assert!(s
        .check()
        .unwrap_err()
        .to_string()
        .contains("LINLI_WECHAT_MODE"));
}

#[test]
fn production_refuses_a_weak_or_default_secret() {
    for weak in ["short", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"] {
        let mut s = production();
        s.jwt_secret = weak.into();
        assert!(s
            .check()
            .unwrap_err()
            .to_string()
            .contains("LINLI_JWT_SECRET"));
    }
    let mut s = production();
    s.jwt_secret_ephemeral = true;
    assert!(s.check().is_err(), "production needs a configured secret");
}

#[test]
fn development_without_a_secret_draws_a_random_one_and_warns() {
    let a = Settings::for_development("sqlite::memory:", PathBuf::from("."));
    let b = Settings::for_development("sqlite::memory:", PathBuf::from("."));
    assert_ne!(a.jwt_secret.expose_secret(), b.jwt_secret.expose_secret());
    assert!(a.jwt_secret.expose_secret().len() >= 32);
    let warnings = a.warnings().join("\n");
    assert!(warnings.contains("LINLI_JWT_SECRET"));
    assert!(warnings.contains("LINLI_WECHAT_MODE=mock"));
    assert!(production().warnings().is_empty());
}

#[test]
fn the_mock_mode_listens_on_the_network_only_when_told_to() {
    let mut s = Settings::for_development("sqlite::memory:", PathBuf::from("."));
    s.bind = "0.0.0.0:8080".parse().unwrap();
    assert!(s
        .check()
        .unwrap_err()
        .to_string()
        .contains("LINLI_ALLOW_MOCK_ON_NETWORK"));
    s.allow_mock_on_network = true;
    assert!(s.check().is_ok());
    s.allow_mock_on_network = false;
    s.bind = "[::1]:8080".parse().unwrap();
    assert!(s.check().is_ok(), "loopback is fine");
}

#[test]
fn debug_output_shows_no_secret() {
    let s = production();
    let printed = format!("{s:?}");
    assert!(!printed.contains("Zq8v1N4xP0cR7mT2bY6wK9eH3jL5sD8fG1aU4oI7"));
    assert!(!printed.contains("wechat-secret-value"));
    assert!(printed.contains("wx123"), "the rest is still printed");
}

#[test]
fn trusted_proxies_take_cidrs_and_single_addresses() {
    let nets = trusted_proxies(Some("10.0.0.0/8, 127.0.0.1 ::1")).unwrap();
    assert_eq!(nets.len(), 3);
    let mut s = Settings::for_development("sqlite::memory:", PathBuf::from("."));
    s.trusted_proxies = nets;
    for trusted in ["10.1.2.3", "127.0.0.1", "::1", "::ffff:127.0.0.1"] {
        assert!(s.is_trusted_proxy(trusted.parse().unwrap()), "{trusted}");
    }
    assert!(!s.is_trusted_proxy("11.0.0.1".parse().unwrap()));
    assert!(trusted_proxies(Some("10.0.0.0/33")).is_err());
    assert!(trusted_proxies(Some("proxy.local")).is_err());
    assert!(trusted_proxies(None).unwrap().is_empty());
}

#[test]
fn a_refresh_reuse_grace_over_a_minute_is_refused_and_zero_is_accepted() {
    let mut s = production();
    s.refresh_reuse_grace = Duration::ZERO;
    assert!(s.check().is_ok());
    s.refresh_reuse_grace = Duration::from_secs(61);
    assert!(s
        .check()
        .unwrap_err()
        .to_string()
        .contains("LINLI_REFRESH_REUSE_GRACE_SECS"));
}

#[test]
fn the_public_base_url_loses_its_trailing_slash_and_must_be_a_plain_http_origin() {
    assert_eq!(public_base_url(None).unwrap(), "");
    assert_eq!(public_base_url(Some("  ")).unwrap(), "");
    assert_eq!(
        public_base_url(Some("https://linli.example.com/")).unwrap(),
        "https://linli.example.com"
    );
    assert_eq!(
        public_base_url(Some("https://example.com/linli")).unwrap(),
        "https://example.com/linli"
    );
    for bad in [
        "linli.example.com",
        "ftp://x.cn",
        "https://x.cn/?a=1",
        "https://u@x.cn",
    ] {
        assert!(public_base_url(Some(bad)).is_err(), "{bad}");
    }
}

#[test]
fn production_refuses_a_plain_http_public_base_url_and_warns_when_there_is_none() {
    let mut s = production();
    s.public_base_url = String::new();
    assert!(s
        .warnings()
        .iter()
        .any(|w| w.contains("LINLI_PUBLIC_BASE_URL")));
    s.public_base_url = "http://linli.example.com".into();
    assert!(s
        .check()
        .unwrap_err()
        .to_string()
        .contains("LINLI_PUBLIC_BASE_URL"));
    s.public_base_url = "https://linli.example.com".into();
    assert!(s.check().is_ok());
    assert!(s.warnings().is_empty());
}
