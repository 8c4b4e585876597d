//! Time as the server sees it; tests move it forward.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// The server's clock: real time plus an offset that tests can move.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// The current time in UTC.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves the clock forward (tests only use this).
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// The time zone in which "a day" and "a month" are counted.
pub const LOCAL_TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// Midnight (Asia/Shanghai) of the day holding `at`, in UTC.
pub fn day_start(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::TimeZone;
    let local = at.with_timezone(&LOCAL_TZ).date_naive();
    let midnight = local.and_hms_opt(0, 0, 0).unwrap_or_default();
    LOCAL_TZ
        .from_local_datetime(&midnight)
        .earliest()
        .map_or(at, |t| t.with_timezone(&Utc))
}

/// Midnight (Asia/Shanghai) at the start of a local date, in UTC.
pub fn local_day_start(date: chrono::NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    LOCAL_TZ
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

/// The first instant (Asia/Shanghai) of the month holding `at`, in UTC.
pub fn month_start(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{Datelike, TimeZone};
    let local = at.with_timezone(&LOCAL_TZ).date_naive();
    let first = local
        .with_day(1)
        .unwrap_or(local)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    LOCAL_TZ
        .from_local_datetime(&first)
        .earliest()
        .map_or(at, |t| t.with_timezone(&Utc))
}

/// The first instant (Asia/Shanghai) of the year holding `at`, in UTC.
pub fn year_start(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{Datelike, TimeZone};
    let local = at.with_timezone(&LOCAL_TZ).date_naive();
    let first = local
        .with_ordinal(1)
        .unwrap_or(local)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    LOCAL_TZ
        .from_local_datetime(&first)
        .earliest()
        .map_or(at, |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn days_and_months_are_counted_in_shanghai_time() {
        // 2026-03-31 17:00 UTC is 2026-04-01 01:00 in Shanghai.
        let at = Utc.with_ymd_and_hms(2026, 3, 31, 17, 0, 0).unwrap();
        assert_eq!(
            day_start(at),
            Utc.with_ymd_and_hms(2026, 3, 31, 16, 0, 0).unwrap()
        );
        assert_eq!(
            month_start(at),
            Utc.with_ymd_and_hms(2026, 3, 31, 16, 0, 0).unwrap()
        );
        assert_eq!(
            year_start(at),
            Utc.with_ymd_and_hms(2025, 12, 31, 16, 0, 0).unwrap()
        );
    }
}
