//! What proves that a volunteer is on site: the rotating code, a location inside the
//! geofence, and how much a location is worth. One function, `verify`, shared by community
//! check-ins and activity check-ins.
//!
//! The rules, in order:
//! 1. a code that is given must be the site's current or previous code, and a site that
//!    requires the code refuses a check-in without one (422 `checkin_code_invalid`);
//! 2. a location whose reported accuracy is over 200 m counts only with a valid code
//!    (422 `location_too_coarse`);
//! 3. the location must lie within the radius of the centre or inside the boundary
//!    (422 `outside_geofence`, with the distance); with a valid code the fix is granted its
//!    reported accuracy (at most 200 m) beyond the radius.
//!
//! Codes are six digits, so attempts are budgeted: at most `CODE_ATTEMPTS` per volunteer and
//! community in `CODE_WINDOW` (`charge_code`, 429 beyond), which keeps guessing hopeless.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{code::CheckinCodes, dto::CheckinEvidence};
use crate::{
    cache::Cache,
    error::{ApiError, ApiResult, ErrorCode},
    regions::geo::{haversine_m, Boundary},
};

/// The coarsest reported accuracy a location alone may have, in metres.
pub const COARSEST_ACCURACY_M: f64 = 200.0;
/// Rounding slack of the radius test, so a point exactly on the radius is inside.
const EDGE_SLACK_M: f64 = 0.001;
/// Check-ins carrying a code a volunteer may try per community in `CODE_WINDOW`.
pub const CODE_ATTEMPTS: u64 = 6;
/// The window of `CODE_ATTEMPTS`.
pub const CODE_WINDOW: Duration = Duration::from_secs(600);

/// Counts an attempt with a code by `user_id` at `community_id`; 429 `rate_limited` past
/// `CODE_ATTEMPTS` in `CODE_WINDOW`. At two accepted codes in a million, 864 tries a day give
/// a guesser about one success in 600 days, and the location must still be inside the fence.
pub async fn charge_code(cache: &Cache, user_id: i64, community_id: i64) -> ApiResult<()> {
    let key = format!("rl:checkin-code:{community_id}:{user_id}");
    let count = cache.hit(&key, CODE_WINDOW).await;
    if count.count > CODE_ATTEMPTS {
        return Err(ApiError::too_many_requests(
            count.resets_in.as_secs().max(1),
        ));
    }
    Ok(())
}

/// Where a check-in must happen.
pub struct Site<'a> {
    /// The community whose code counts.
    pub community_id: i64,
    /// Centre latitude.
    pub lat: f64,
    /// Centre longitude.
    pub lng: f64,
    /// Radius around the centre, metres.
    pub radius_m: f64,
    /// A boundary (GeoJSON text) that also counts as inside.
    pub boundary: Option<&'a str>,
    /// True when only a valid code proves presence.
    pub requires_code: bool,
}

/// A location reported by the phone. Its `Debug` hides the numbers (no coordinates in logs).
#[derive(Clone, Copy)]
pub struct Fix {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
    /// Reported accuracy, metres.
    pub accuracy_m: Option<f64>,
}

impl std::fmt::Debug for Fix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fix(..)")
    }
}

/// What a verified check-in rests on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Proof {
    /// `code` or `location`.
    pub evidence: CheckinEvidence,
    /// Distance from the centre in whole metres.
    pub distance_m: i32,
}

/// Checks a check-in's evidence against its site (the rules above).
pub fn verify(
    codes: &CheckinCodes,
    site: &Site<'_>,
    fix: Fix,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<Proof> {
    let coded = match code {
        Some(code) if codes.accepts(site.community_id, code, now) => true,
        Some(_) => return Err(code_invalid("签到码不正确或已过期，请重新扫码")),
        None if site.requires_code => {
            return Err(code_invalid("本社区签到需扫描工作人员出示的签到码"))
        }
        None => false,
    };
    if !coded && fix.accuracy_m.is_some_and(|a| a > COARSEST_ACCURACY_M) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::LocationTooCoarse,
            "当前定位不够精确，请扫描工作人员出示的签到码签到",
        ));
    }
    let distance = haversine_m(site.lat, site.lng, fix.lat, fix.lng);
    // The code proves presence at the screen; a coarse fix there may wander past the edge.
    let granted = if coded {
        fix.accuracy_m
            .unwrap_or(0.0)
            .clamp(0.0, COARSEST_ACCURACY_M)
    } else {
        0.0
    };
    let inside = distance <= site.radius_m + granted + EDGE_SLACK_M
        || site
            .boundary
            .and_then(|text| Boundary::parse(text).ok())
            .is_some_and(|b| b.contains(fix.lat, fix.lng));
    let distance_m = distance.round().min(i32::MAX as f64) as i32;
    if !inside {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::OutsideGeofence,
            "您不在签到范围内，请到社区后再签到",
        )
        .with_detail("distance_m", distance_m));
    }
    Ok(Proof {
        evidence: if coded {
            CheckinEvidence::Code
        } else {
            CheckinEvidence::Location
        },
        distance_m,
    })
}

fn code_invalid(message: &'static str) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::CheckinCodeInvalid,
        message,
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::regions::geo::EARTH_RADIUS_M;

    fn site(requires_code: bool) -> Site<'static> {
        Site {
            community_id: 1,
            lat: 40.8,
            lng: 111.7,
            radius_m: 500.0,
            boundary: None,
            requires_code,
        }
    }

    /// A point `metres` north of the site's centre.
    fn north(metres: f64) -> Fix {
        Fix {
            lat: 40.8 + (metres / EARTH_RADIUS_M).to_degrees(),
            lng: 111.7,
            accuracy_m: None,
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn the_radius_is_inclusive() {
        let codes = CheckinCodes::new(b"s");
        let on = verify(&codes, &site(false), north(500.0), None, now()).unwrap();
        assert_eq!(on.distance_m, 500);
        assert_eq!(on.evidence, CheckinEvidence::Location);
        let out = verify(&codes, &site(false), north(501.0), None, now()).unwrap_err();
        assert_eq!(out.code(), ErrorCode::OutsideGeofence);
    }

    #[test]
    fn a_coarse_fix_needs_the_code() {
        let codes = CheckinCodes::new(b"s");
        let coarse = Fix {
            accuracy_m: Some(250.0),
            ..north(10.0)
        };
        let err = verify(&codes, &site(false), coarse, None, now()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::LocationTooCoarse);
        let shown = codes.current(1, now()).code;
        let proof = verify(&codes, &site(false), coarse, Some(&shown), now()).unwrap();
        assert_eq!(proof.evidence, CheckinEvidence::Code);
    }

    #[test]
    fn a_required_code_must_be_given_and_right() {
        let codes = CheckinCodes::new(b"s");
        let missing = verify(&codes, &site(true), north(1.0), None, now()).unwrap_err();
        assert_eq!(missing.code(), ErrorCode::CheckinCodeInvalid);
        let foreign = codes.current(2, now()).qr_payload;
        let wrong = verify(&codes, &site(true), north(1.0), Some(&foreign), now()).unwrap_err();
        assert_eq!(wrong.code(), ErrorCode::CheckinCodeInvalid);
    }
}
