//! The rotating on-site code (动态签到码). Staff show it as a QR code; a volunteer who scans it
//! proves they stand where the screen is, which a virtual-location app cannot fake.
//!
//! Each community's key is HMAC-SHA256(server key, community id); the code of a 60-second
//! window is six digits truncated from HMAC-SHA256(community key, window number), as in TOTP
//! (RFC 6238). Nothing is stored: any instance with the server secret derives and checks
//! codes, and the current and the previous window are accepted (one window of grace for a
//! scan just before the change).

use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::dto::CheckinCode;

/// Seconds each code is shown.
pub const WINDOW_SECS: i64 = 60;
/// What a scanned QR payload starts with.
const PAYLOAD_PREFIX: &str = "linli:checkin:";

type HmacSha256 = Hmac<Sha256>;

/// Derives and checks the codes of every community.
#[derive(Clone)]
pub struct CheckinCodes {
    key: [u8; 32],
}

impl std::fmt::Debug for CheckinCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CheckinCodes(..)")
    }
}

impl CheckinCodes {
    /// Codes derived from the server's secret (a key of their own, so a code reveals nothing
    /// about the token key).
    pub fn new(server_secret: &[u8]) -> Self {
        let mut mac = mac(server_secret);
        mac.update(b"linli checkin codes v1");
        CheckinCodes {
            key: mac.finalize().into_bytes().into(),
        }
    }

    /// The code staff show now.
    pub fn current(&self, community_id: i64, now: DateTime<Utc>) -> CheckinCode {
        let window = window_of(now);
        let code = self.code(community_id, window);
        CheckinCode {
            qr_payload: format!("{PAYLOAD_PREFIX}{community_id}:{code}"),
            code,
            expires_at: Utc
                .timestamp_opt((window + 1) * WINDOW_SECS, 0)
                .single()
                .unwrap_or(now),
            rotates_every_s: WINDOW_SECS as u64,
        }
    }

    /// True when `given` (six digits, or a scanned payload naming this community) is the
    /// community's code of the current or the previous window.
    pub fn accepts(&self, community_id: i64, given: &str, now: DateTime<Utc>) -> bool {
        let digits = match given.strip_prefix(PAYLOAD_PREFIX) {
            Some(rest) => match rest.split_once(':') {
                Some((id, digits)) if id == community_id.to_string() => digits,
                _ => return false,
            },
            None => given,
        };
        if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        let window = window_of(now);
        [window, window - 1]
            .iter()
            .any(|w| same(self.code(community_id, *w).as_bytes(), digits.as_bytes()))
    }

    fn code(&self, community_id: i64, window: i64) -> String {
        let mut community = mac(&self.key);
        community.update(&community_id.to_be_bytes());
        let key = community.finalize().into_bytes();
        let mut mac = mac(&key);
        mac.update(&window.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        // RFC 4226 dynamic truncation.
        let at = usize::from(digest[31] & 0x0f);
        let number =
            u32::from_be_bytes([digest[at], digest[at + 1], digest[at + 2], digest[at + 3]])
                & 0x7fff_ffff;
        format!("{:06}", number % 1_000_000)
    }
}

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length.
    HmacSha256::new_from_slice(key).expect("HMAC accepts any key length")
}

fn window_of(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(WINDOW_SECS)
}

/// Compares in constant time.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).unwrap()
    }

    #[test]
    fn the_current_and_the_previous_window_are_accepted() {
        let codes = CheckinCodes::new(b"secret");
        let shown = codes.current(7, at(1_000_000));
        assert_eq!(shown.code.len(), 6);
        assert!(codes.accepts(7, &shown.code, at(1_000_000)));
        assert!(codes.accepts(7, &shown.qr_payload, at(1_000_000)));
        let next = shown.expires_at;
        assert!(codes.accepts(7, &shown.code, next + Duration::seconds(59)));
        assert!(!codes.accepts(7, &shown.code, next + Duration::seconds(60)));
    }

    #[test]
    fn codes_rotate_and_differ_by_community_and_secret() {
        let codes = CheckinCodes::new(b"secret");
        let now = at(2_000_000_000);
        let a = codes.current(1, now).code;
        assert_ne!(a, codes.current(1, now + Duration::seconds(60)).code);
        assert_ne!(a, codes.current(2, now).code);
        assert_ne!(a, CheckinCodes::new(b"other").current(1, now).code);
        // Another community's payload is refused even with its digits.
        let foreign = codes.current(2, now);
        assert!(!codes.accepts(1, &foreign.qr_payload, now));
    }

    #[test]
    fn malformed_codes_are_refused() {
        let codes = CheckinCodes::new(b"secret");
        let now = at(1_000_000);
        for bad in [
            "",
            "12345",
            "1234567",
            "abcdef",
            "linli:checkin:7",
            "linli:checkin:x:123456",
        ] {
            assert!(!codes.accepts(7, bad, now), "{bad}");
        }
    }

    #[test]
    fn a_window_expires_on_its_boundary() {
        let codes = CheckinCodes::new(b"k");
        let shown = codes.current(3, at(120));
        assert_eq!(shown.expires_at, at(180));
        assert_eq!(codes.current(3, at(179)).code, shown.code);
    }
}
