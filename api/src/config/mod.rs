//! Settings: every `LINLI_*` variable, read in one place.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{bail, Context};
use base64::Engine;
use ipnet::IpNet;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

mod rate;

use rate::rate_limits;
pub use rate::RateLimits;

/// Where the server runs: development allows the mock WeChat mode, production does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    /// Local use and tests.
    Development,
    /// A real deployment.
    Production,
}

/// How the server talks to WeChat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WechatMode {
    /// No network: `mock:<name>` codes log in as stable users.
    Mock,
    /// Calls the WeChat API at `api_base`.
    Live,
}

/// WeChat client settings.
#[derive(Clone, Debug)]
pub struct WechatSettings {
    /// Mock or live.
    pub mode: WechatMode,
    /// Base URL of the WeChat API (a wiremock server in tests).
    pub api_base: String,
    /// Mini-program app id.
    pub appid: String,
    /// Mini-program app secret (never printed).
    pub secret: SecretString,
    /// Timeout of one call to WeChat.
    pub timeout: Duration,
}

/// All settings of one server.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Database URL: `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Redis URL; `None` uses the in-process cache.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key.
    pub redis_prefix: String,
    /// Development or production.
    pub env: Environment,
    /// HMAC secret of access tokens (never printed).
    pub jwt_secret: SecretString,
    /// True when no secret was configured and `jwt_secret` was drawn at start (development).
    pub jwt_secret_ephemeral: bool,
    /// Lets the mock WeChat mode listen on a non-loopback address.
    pub allow_mock_on_network: bool,
    /// Lifetime of an access token.
    pub access_ttl: Duration,
    /// Lifetime of a refresh token.
    pub refresh_ttl: Duration,
    /// How long a rotated refresh token, presented again, answers with the same successor
    /// (a lost answer, parallel refreshes) instead of ending the session; zero disables it.
    pub refresh_reuse_grace: Duration,
    /// WeChat client settings.
    pub wechat: WechatSettings,
    /// Uploads and the default SQLite database live here.
    pub data_dir: PathBuf,
    /// Scheme and host that clients reach the server at (`https://linli.example.com`, no
    /// trailing slash), put before `/media/…` in the picture URLs handed out; empty: the URLs
    /// are relative (`/media/…`), fine for development, not for a mini-program.
    pub public_base_url: String,
    /// Uploads: largest accepted multipart body in bytes.
    pub upload_max_bytes: usize,
    /// How long receiving a whole upload may take (slow mobile networks: longer than JSON).
    pub upload_read_timeout: Duration,
    /// Rate limits.
    pub rate: RateLimits,
    /// Largest accepted JSON body in bytes.
    pub json_limit: usize,
    /// Reverse proxies whose `X-Forwarded-For` is believed; the client address is the
    /// right-most entry that is not one of them. Empty: the peer address, header ignored.
    pub trusted_proxies: Vec<IpNet>,
    /// How long reading a request body may take in all (slow clients get 408).
    pub body_read_timeout: Duration,
    /// Largest database pool.
    pub db_max_connections: u32,
    /// HTTP worker threads; zero means one per CPU core.
    pub workers: usize,
    /// How long a pickup code of the civility supermarket stays valid.
    pub redemption_ttl: Duration,
    /// How often the expiry sweeper runs; zero turns it off.
    pub sweep_interval: Duration,
    /// How long a loaded caller is reused by this process (`auth::callers`); zero turns it off.
    pub caller_cache_ttl: Duration,
}

/// A random secret for a server that was given none: its tokens end when it stops.
fn ephemeral_secret() -> SecretString {
    let mut bytes = [0u8; 48];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD_NO_PAD
        .encode(bytes)
        .into()
}

impl Settings {
    /// Reads the settings from `LINLI_*` environment variables.
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let env = match var("LINLI_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => bail!("LINLI_ENV must be development or production, not {other:?}"),
        };
        let data_dir = PathBuf::from(var("LINLI_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = match var("LINLI_DATABASE_URL") {
            Some(url) => url,
            None => {
                std::fs::create_dir_all(&data_dir)
                    .with_context(|| format!("cannot create {}", data_dir.display()))?;
                format!("sqlite://{}/linli.db?mode=rwc", data_dir.display())
            }
        };
        let mode = match var("LINLI_WECHAT_MODE").as_deref() {
            None | Some("mock") => WechatMode::Mock,
            Some("live") => WechatMode::Live,
            Some(other) => bail!("LINLI_WECHAT_MODE must be mock or live, not {other:?}"),
        };
        let number = |name: &str, default: u64| -> anyhow::Result<u64> {
            match var(name) {
                Some(v) => v
                    .parse()
                    .with_context(|| format!("{name} must be a number")),
                None => Ok(default),
            }
        };
        let jwt_secret = var("LINLI_JWT_SECRET");
        let settings = Settings {
            bind: var("LINLI_BIND")
                .unwrap_or_else(|| "127.0.0.1:8080".into())
                .parse()
                .context("LINLI_BIND must be host:port, e.g. 127.0.0.1:8080")?,
            database_url,
            redis_url: var("LINLI_REDIS_URL"),
            redis_prefix: var("LINLI_REDIS_PREFIX").unwrap_or_else(|| "linli:".into()),
            env,
            jwt_secret_ephemeral: jwt_secret.is_none(),
            jwt_secret: jwt_secret.map_or_else(ephemeral_secret, SecretString::from),
            allow_mock_on_network: var("LINLI_ALLOW_MOCK_ON_NETWORK").as_deref() == Some("true"),
            access_ttl: Duration::from_secs(number("LINLI_ACCESS_TOKEN_TTL_SECS", 900)?),
            refresh_ttl: Duration::from_secs(number("LINLI_REFRESH_TOKEN_TTL_SECS", 30 * 86400)?),
            refresh_reuse_grace: Duration::from_secs(number("LINLI_REFRESH_REUSE_GRACE_SECS", 10)?),
            wechat: WechatSettings {
                mode,
                api_base: var("LINLI_WECHAT_API_BASE")
                    .unwrap_or_else(|| "https://api.weixin.qq.com".into()),
                appid: var("LINLI_WECHAT_APPID").unwrap_or_default(),
                secret: var("LINLI_WECHAT_SECRET").unwrap_or_default().into(),
                timeout: Duration::from_millis(number("LINLI_WECHAT_TIMEOUT_MS", 5000)?),
            },
            data_dir,
            public_base_url: public_base_url(var("LINLI_PUBLIC_BASE_URL").as_deref())?,
            upload_max_bytes: number("LINLI_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES as u64)?
                as usize,
            upload_read_timeout: Duration::from_secs(number("LINLI_UPLOAD_READ_TIMEOUT_SECS", 60)?),
            rate: rate_limits(&number)?,
            json_limit: number("LINLI_JSON_LIMIT_BYTES", 64 * 1024)? as usize,
            trusted_proxies: trusted_proxies(var("LINLI_TRUSTED_PROXIES").as_deref())?,
            body_read_timeout: Duration::from_secs(number("LINLI_BODY_READ_TIMEOUT_SECS", 15)?),
            db_max_connections: number("LINLI_DB_MAX_CONNECTIONS", 16)? as u32,
            workers: number("LINLI_WORKERS", 0)? as usize,
            redemption_ttl: Duration::from_secs(
                number("LINLI_REDEMPTION_TTL_HOURS", 7 * 24)?.saturating_mul(3600),
            ),
            sweep_interval: Duration::from_secs(number("LINLI_SWEEP_INTERVAL_SECS", 30)?),
            caller_cache_ttl: Duration::from_secs(number("LINLI_CALLER_CACHE_SECS", 5)?),
        };
        settings.check()?;
        Ok(settings)
    }

    /// Development settings for tests and tools: mock WeChat, in-process cache.
    pub fn for_development(database_url: impl Into<String>, data_dir: PathBuf) -> Self {
        Settings {
            bind: "127.0.0.1:0".parse().expect("static address"),
            database_url: database_url.into(),
            redis_url: None,
            redis_prefix: "linli:".into(),
            env: Environment::Development,
            jwt_secret: ephemeral_secret(),
            jwt_secret_ephemeral: true,
            allow_mock_on_network: false,
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(30 * 86400),
            refresh_reuse_grace: Duration::from_secs(10),
            wechat: WechatSettings {
                mode: WechatMode::Mock,
                api_base: "https://api.weixin.qq.com".into(),
                appid: String::new(),
                secret: SecretString::from(""),
                timeout: Duration::from_secs(5),
            },
            data_dir,
            public_base_url: String::new(),
            upload_max_bytes: DEFAULT_UPLOAD_MAX_BYTES,
            upload_read_timeout: Duration::from_secs(60),
            rate: RateLimits::defaults(),
            json_limit: 64 * 1024,
            trusted_proxies: Vec::new(),
            body_read_timeout: Duration::from_secs(15),
            db_max_connections: 16,
            workers: 0,
            redemption_ttl: Duration::from_secs(7 * 24 * 3600),
            sweep_interval: Duration::from_secs(30),
            caller_cache_ttl: Duration::from_secs(5),
        }
    }

    /// Refuses settings that are unsafe for the chosen environment.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.access_ttl.is_zero() || self.access_ttl > Duration::from_secs(30 * 60) {
            bail!("LINLI_ACCESS_TOKEN_TTL_SECS must be between 1 and 1800 seconds");
        }
        if self.refresh_reuse_grace > Duration::from_secs(60) {
            bail!("LINLI_REFRESH_REUSE_GRACE_SECS must be between 0 and 60 seconds");
        }
        if self.redemption_ttl < Duration::from_secs(3600)
            || self.redemption_ttl > Duration::from_secs(366 * 86400)
        {
            bail!("LINLI_REDEMPTION_TTL_HOURS must be between 1 and 8784 hours");
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.upload_max_bytes) {
            bail!("LINLI_UPLOAD_MAX_BYTES must be between 1024 and 67108864 (64 MiB)");
        }
        if self.upload_read_timeout.is_zero() {
            bail!("LINLI_UPLOAD_READ_TIMEOUT_SECS must be at least 1");
        }
        if self.wechat.mode == WechatMode::Mock
            && !self.bind.ip().is_loopback()
            && !self.allow_mock_on_network
        {
            bail!("the mock WeChat mode lets anyone log in as anyone: it listens only on a loopback address (LINLI_BIND=127.0.0.1:8080) unless LINLI_ALLOW_MOCK_ON_NETWORK=true");
        }
        if self.env != Environment::Production {
            return Ok(());
        }
        if self.wechat.mode == WechatMode::Mock {
            bail!("LINLI_ENV=production refuses LINLI_WECHAT_MODE=mock: set LINLI_WECHAT_MODE=live with LINLI_WECHAT_APPID and LINLI_WECHAT_SECRET");
        }
        if self.wechat.appid.is_empty() || self.wechat.secret.expose_secret().is_empty() {
            bail!("LINLI_ENV=production needs LINLI_WECHAT_APPID and LINLI_WECHAT_SECRET");
        }
        let secret = self.jwt_secret.expose_secret();
        let distinct = secret
            .chars()
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        if self.jwt_secret_ephemeral || secret.len() < 32 || distinct < 10 {
            bail!("LINLI_ENV=production needs a strong LINLI_JWT_SECRET: at least 32 random characters (e.g. `openssl rand -base64 48`)");
        }
        if self.public_base_url.starts_with("http://") {
            bail!("LINLI_ENV=production needs an https:// LINLI_PUBLIC_BASE_URL: mini-programs load pictures only over https");
        }
        Ok(())
    }

    /// What is unsafe about these settings, to be logged as warnings at start.
    pub fn warnings(&self) -> Vec<&'static str> {
        let mut warnings = Vec::new();
        if self.jwt_secret_ephemeral {
            warnings.push("LINLI_JWT_SECRET is not set: access tokens are signed with a random secret drawn at start and end when the server stops");
        }
        if self.env == Environment::Production && self.public_base_url.is_empty() {
            warnings.push("LINLI_PUBLIC_BASE_URL is not set: uploaded pictures get relative URLs (/media/…), which a mini-program cannot load");
        }
        if self.wechat.mode == WechatMode::Mock {
            warnings.push("LINLI_WECHAT_MODE=mock: anyone can log in as anyone with a `mock:<name>` code; never expose this server");
        }
        warnings
    }

    /// True when `ip` is one of the trusted reverse proxies.
    pub fn is_trusted_proxy(&self, ip: std::net::IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    /// HTTP worker threads: `workers`, or one per CPU core when zero.
    pub fn http_workers(&self) -> usize {
        if self.workers > 0 {
            self.workers
        } else {
            std::thread::available_parallelism().map_or(1, usize::from)
        }
    }
}

/// Default of `LINLI_UPLOAD_MAX_BYTES`: 8 MiB, more than a phone photo that WeChat compressed.
pub const DEFAULT_UPLOAD_MAX_BYTES: usize = 8 * 1024 * 1024;

/// Parses `LINLI_PUBLIC_BASE_URL`: `http(s)://host[:port][/prefix]`, without query or
/// fragment; the trailing slash is dropped. Unset: empty (relative picture URLs).
pub fn public_base_url(raw: Option<&str>) -> anyhow::Result<String> {
    let Some(raw) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(String::new());
    };
    let fail =
        || format!("LINLI_PUBLIC_BASE_URL must be like https://linli.example.com, not {raw:?}");
    let url = url::Url::parse(raw).with_context(fail)?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none()
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
    {
        bail!(fail());
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

/// Parses `LINLI_TRUSTED_PROXIES`: CIDRs or single addresses, separated by commas or spaces.
pub fn trusted_proxies(raw: Option<&str>) -> anyhow::Result<Vec<IpNet>> {
    raw.unwrap_or_default()
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<IpNet>()
                .or_else(|_| part.parse::<std::net::IpAddr>().map(IpNet::from))
                .map(|net| net.trunc())
                .with_context(|| {
                    format!("LINLI_TRUSTED_PROXIES: {part:?} is not an address or CIDR (e.g. 10.0.0.0/8)")
                })
        })
        .collect()
}

#[cfg(test)]
mod tests;
