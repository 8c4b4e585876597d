//! The one wire format of an instant: RFC 3339 in UTC with exactly three fractional digits,
//! e.g. `2026-12-01T16:00:24.339Z`. chrono's default prints as many digits as the instant
//! holds (up to nanoseconds), so clients would see a different shape per row.
//!
//! Use on response fields with `#[serde(with = "crate::time_format")]`, or
//! `#[serde(with = "crate::time_format::option")]` on an `Option`. The schema stays chrono's
//! (`string`, `format: date-time`); inputs keep accepting any RFC 3339.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// `at` as `YYYY-MM-DDTHH:MM:SS.mmmZ` (truncated to the millisecond).
pub fn format(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Writes an instant in the wire format.
pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(at))
}

/// Reads any RFC 3339 instant.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    DateTime::<Utc>::deserialize(d)
}

/// The same for an optional instant (`null` when absent).
pub mod option {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes an optional instant in the wire format, or `null`.
    pub fn serialize<S: Serializer>(at: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => s.serialize_str(&super::format(at)),
            None => s.serialize_none(),
        }
    }

    /// Reads an optional RFC 3339 instant.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<DateTime<Utc>>::deserialize(d)
    }
}

/// The years a day or an instant given in a query may fall in: wider than any record, and
/// inside every database's range (PostgreSQL refuses timestamps before 4713 BC).
const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Validator of a day-valued query parameter: years 2000 to 2100.
pub fn plausible_day(day: &chrono::NaiveDate) -> Result<(), validator::ValidationError> {
    use chrono::Datelike;
    if PLAUSIBLE_YEARS.contains(&day.year()) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("range")
            .with_message("日期须在2000年至2100年之间".into()))
    }
}

/// Validator of an instant-valued query parameter: years 2000 to 2100.
pub fn plausible_instant(at: &DateTime<Utc>) -> Result<(), validator::ValidationError> {
    plausible_day(&at.date_naive())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Timelike};

    use super::*;

    #[test]
    fn an_instant_on_the_second_prints_three_zero_digits() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 16, 0, 24).unwrap();
        assert_eq!(format(&at), "2026-12-01T16:00:24.000Z");
    }

    #[test]
    fn nanoseconds_are_cut_to_the_millisecond() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 16, 0, 24).unwrap();
        let at = at.with_nanosecond(339_014_831).unwrap();
        assert_eq!(format(&at), "2026-12-01T16:00:24.339Z");
    }

    #[test]
    fn a_field_and_an_optional_field_serialize_alike() {
        #[derive(serde::Serialize)]
        struct View {
            #[serde(with = "crate::time_format")]
            at: DateTime<Utc>,
            #[serde(with = "crate::time_format::option")]
            maybe: Option<DateTime<Utc>>,
            #[serde(with = "crate::time_format::option")]
            never: Option<DateTime<Utc>>,
        }
        let at = Utc.timestamp_millis_opt(1_764_604_824_005).unwrap();
        let json = serde_json::to_value(View {
            at,
            maybe: Some(at),
            never: None,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "at": "2025-12-01T16:00:24.005Z",
                "maybe": "2025-12-01T16:00:24.005Z",
                "never": null,
            })
        );
    }
}
