//! The WeChat client: code-to-session login, the stable access token and phone numbers.
//! In mock mode nothing leaves the machine.

use std::time::Duration;

use actix_web::http::StatusCode;
use secrecy::ExposeSecret;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{
    cache::Cache,
    config::{WechatMode, WechatSettings},
    error::{ApiError, ApiResult, ErrorCode},
};

const TOKEN_KEY: &str = "wechat:access_token";

/// What `jscode2session` answers; its `Debug` leaves out the session key.
#[derive(Clone)]
pub struct Session {
    /// The user's openid in this mini-program.
    pub openid: String,
    /// The session key; stays on the server.
    pub session_key: String,
    /// The unionid, when the app is bound to an open platform account.
    pub unionid: Option<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("openid", &self.openid)
            .field("unionid", &self.unionid)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    errcode: i64,
    openid: Option<String>,
    session_key: Option<String>,
    unionid: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
    phone_info: Option<PhoneInfo>,
}

#[derive(Deserialize)]
struct PhoneInfo {
    #[serde(rename = "purePhoneNumber")]
    pure_phone_number: String,
}

/// A WeChat client bound to the configured API base.
pub struct Wechat {
    http: reqwest::Client,
    settings: WechatSettings,
}

impl Wechat {
    /// Builds the client.
    pub fn new(settings: WechatSettings) -> anyhow::Result<Self> {
        // reqwest is built without a crypto provider of its own (its default would add
        // aws-lc next to the ring that sqlx uses): every client in the process takes ring.
        // An `Err` means a provider is installed already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // The bundled Mozilla roots, as before reqwest 0.13: its default reads the system's
        // store when the client is built, and a host without one would not start at all.
        let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()?;
        let http = reqwest::Client::builder()
            .tls_certs_only(roots)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(3)))
            .build()?;
        Ok(Wechat { http, settings })
    }

    /// True in mock mode.
    pub fn is_mock(&self) -> bool {
        self.settings.mode == WechatMode::Mock
    }

    /// Exchanges a `wx.login` code for the user's session.
    pub async fn code_to_session(&self, code: &str) -> ApiResult<Session> {
        if self.is_mock() {
            return mock_session(code);
        }
        let url = format!("{}/sns/jscode2session", self.base());
        let request = self.http.get(url).query(&[
            ("appid", self.settings.appid.as_str()),
            ("secret", self.settings.secret.expose_secret()),
            ("js_code", code),
            ("grant_type", "authorization_code"),
        ]);
        let answer = self.send(request).await?;
        check(answer.errcode)?;
        match (answer.openid, answer.session_key) {
            (Some(openid), Some(session_key)) if !openid.is_empty() => Ok(Session {
                openid,
                session_key,
                unionid: answer.unionid,
            }),
            _ => Err(bad_gateway()),
        }
    }

    /// Exchanges a phone-number button code for the pure phone number.
    pub async fn phone_number(&self, cache: &Cache, code: &str) -> ApiResult<String> {
        if self.is_mock() {
            return mock_phone(code);
        }
        let mut token = self.access_token(cache, false).await?;
        for attempt in 0..2 {
            let url = format!("{}/wxa/business/getuserphonenumber", self.base());
            let request = self
                .http
                .post(url)
                .query(&[("access_token", token.as_str())])
                .json(&serde_json::json!({ "code": code }));
            let answer = self.send(request).await?;
            if matches!(answer.errcode, 40001 | 42001) && attempt == 0 {
                cache.delete(TOKEN_KEY).await;
                token = self.access_token(cache, true).await?;
                continue;
            }
            check(answer.errcode)?;
            return answer
                .phone_info
                .map(|p| p.pure_phone_number)
                .ok_or_else(bad_gateway);
        }
        Err(bad_gateway())
    }

    /// The stable access token, cached for `expires_in - 300` seconds.
    pub async fn access_token(&self, cache: &Cache, force_refresh: bool) -> ApiResult<String> {
        if !force_refresh {
            if let Some(token) = cache.get(TOKEN_KEY).await {
                return Ok(token);
            }
        }
        let url = format!("{}/cgi-bin/stable_token", self.base());
        let request = self.http.post(url).json(&serde_json::json!({
            "grant_type": "client_credential",
            "appid": self.settings.appid,
            "secret": self.settings.secret.expose_secret(),
            "force_refresh": force_refresh,
        }));
        let answer = self.send(request).await?;
        check(answer.errcode)?;
        let token = answer
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(bad_gateway)?;
        let ttl = answer.expires_in.unwrap_or(7200).saturating_sub(300);
        if ttl > 0 {
            cache.set(TOKEN_KEY, &token, Duration::from_secs(ttl)).await;
        }
        Ok(token)
    }

    fn base(&self) -> &str {
        self.settings.api_base.trim_end_matches('/')
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> ApiResult<Envelope> {
        let response = request.send().await.map_err(|e| {
            tracing::warn!(timeout = e.is_timeout(), "wechat unreachable");
            unavailable()
        })?;
        if !response.status().is_success() {
            tracing::warn!(
                status = response.status().as_u16(),
                "wechat answered an HTTP error"
            );
            return Err(unavailable());
        }
        response.json::<Envelope>().await.map_err(|_| {
            tracing::warn!("wechat answered something that is not JSON");
            bad_gateway()
        })
    }
}

fn check(errcode: i64) -> ApiResult<()> {
    match errcode {
        0 => Ok(()),
        40029 | 40163 => Err(ApiError::bad_request(
            ErrorCode::WechatCodeInvalid,
            "登录凭证无效或已过期，请重新登录",
        )),
        45011 => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::WechatRateLimited,
            "微信登录太频繁，请稍后再试",
        )
        .with_retry_after(60)),
        40226 => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::WechatUserBlocked,
            "该微信账号存在风险，暂时无法登录",
        )),
        -1 => Err(unavailable()),
        other => {
            tracing::warn!(errcode = other, "wechat refused the call");
            Err(bad_gateway())
        }
    }
}

fn unavailable() -> ApiError {
    ApiError::unavailable(ErrorCode::WechatUnavailable, "微信服务繁忙，请稍后再试")
        .with_retry_after(5)
}

fn bad_gateway() -> ApiError {
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        ErrorCode::WechatError,
        "微信服务异常，请稍后再试",
    )
}

fn mock_name(code: &str) -> Option<&str> {
    let name = code.strip_prefix("mock:")?;
    let ok = !name.is_empty()
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    ok.then_some(name)
}

fn mock_session(code: &str) -> ApiResult<Session> {
    let name = mock_name(code).ok_or_else(|| {
        ApiError::bad_request(
            ErrorCode::WechatCodeInvalid,
            "模拟登录凭证应为 mock:<名字>（字母、数字、_-.）",
        )
    })?;
    let digest = hex::encode(Sha256::digest(format!("linli-mock:{name}")));
    Ok(Session {
        openid: format!("mock_{}", &digest[..24]),
        session_key: digest[24..48].to_owned(),
        unionid: None,
    })
}

/// The mock name a `mock:<name>` code logs in as.
pub fn mock_nickname(code: &str) -> Option<String> {
    mock_name(code).map(str::to_owned)
}

fn mock_phone(code: &str) -> ApiResult<String> {
    match code.strip_prefix("mock:") {
        Some(p) if p.len() == 11 && p.starts_with('1') && p.chars().all(|c| c.is_ascii_digit()) => {
            Ok(p.to_owned())
        }
        _ => Err(ApiError::bad_request(
            ErrorCode::WechatCodeInvalid,
            "模拟手机号凭证应为 mock:<11位手机号>",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mock_name_always_gives_the_same_openid() {
        let a = mock_session("mock:alice").unwrap();
        assert_eq!(a.openid, mock_session("mock:alice").unwrap().openid);
        assert_ne!(a.openid, mock_session("mock:bob").unwrap().openid);
    }

    #[test]
    fn mock_codes_must_be_well_formed() {
        for bad in ["alice", "mock:", "mock:a b", "mock:这是中文"] {
            assert_eq!(
                mock_session(bad).unwrap_err().code(),
                ErrorCode::WechatCodeInvalid
            );
        }
        assert_eq!(mock_phone("mock:13812345678").unwrap(), "13812345678");
        assert!(mock_phone("mock:1234").is_err());
    }
}
