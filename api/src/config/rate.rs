//! The request limits and how they are read.

use std::time::Duration;

use anyhow::bail;

/// Request limits, each with its own budget (defaults and why: README, "Rate limits").
#[derive(Clone, Debug)]
pub struct RateLimits {
    /// WeChat logins per client address per window; sized for many residents behind one
    /// carrier-NAT address (codes are single-use and checked by WeChat: nothing to guess).
    pub wechat_login: u64,
    /// Password logins per client address per window.
    pub password_login: u64,
    /// Password logins per username per `username_window`, from any address.
    pub password_per_username: u64,
    /// Window of the per-username password limit.
    pub username_window: Duration,
    /// Token refreshes per client address per window (not shared with logins).
    pub refresh: u64,
    /// Writes (POST, PUT, PATCH, DELETE) per client per window.
    pub writes: u64,
    /// Length of a window.
    pub window: Duration,
}

impl RateLimits {
    /// The defaults of a server (see README, "Rate limits").
    pub fn defaults() -> Self {
        RateLimits {
            wechat_login: 300,
            password_login: 20,
            password_per_username: 10,
            username_window: Duration::from_secs(15 * 60),
            refresh: 300,
            writes: 120,
            window: Duration::from_secs(60),
        }
    }

    /// Sets every budget to `n` (tests and benchmarks that do not test limits).
    pub fn raise_all(&mut self, n: u64) {
        self.wechat_login = n;
        self.password_login = n;
        self.password_per_username = n;
        self.refresh = n;
        self.writes = n;
    }
}

/// Reads the rate limits; the old shared login budget and `LINLI_TRUST_FORWARDED` are refused
/// with a pointer to what replaced them, so an upgrade cannot silently drop a setting.
pub(super) fn rate_limits(
    number: &dyn Fn(&str, u64) -> anyhow::Result<u64>,
) -> anyhow::Result<RateLimits> {
    for (old, new) in [
        ("LINLI_RATE_LOGIN_PER_MINUTE", "LINLI_RATE_WECHAT_LOGIN_PER_MINUTE, LINLI_RATE_PASSWORD_LOGIN_PER_MINUTE and LINLI_RATE_REFRESH_PER_MINUTE"),
        ("LINLI_TRUST_FORWARDED", "LINLI_TRUSTED_PROXIES (the addresses of your reverse proxies)"),
    ] {
        let set = std::env::var(old).is_ok_and(|v| !v.trim().is_empty() && v.trim() != "false");
        if set {
            bail!("{old} is no longer read: use {new}");
        }
    }
    let d = RateLimits::defaults();
    let window_secs = number(
        "LINLI_RATE_PASSWORD_USERNAME_WINDOW_SECS",
        d.username_window.as_secs(),
    )?;
    Ok(RateLimits {
        wechat_login: number("LINLI_RATE_WECHAT_LOGIN_PER_MINUTE", d.wechat_login)?,
        password_login: number("LINLI_RATE_PASSWORD_LOGIN_PER_MINUTE", d.password_login)?,
        password_per_username: number(
            "LINLI_RATE_PASSWORD_LOGIN_PER_USERNAME",
            d.password_per_username,
        )?,
        username_window: Duration::from_secs(window_secs.max(1)),
        refresh: number("LINLI_RATE_REFRESH_PER_MINUTE", d.refresh)?,
        writes: number("LINLI_RATE_WRITES_PER_MINUTE", d.writes)?,
        window: d.window,
    })
}
