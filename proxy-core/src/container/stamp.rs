//! Log timestamps (RFC 3339 in UTC with up to nine fractional digits, trailing zeros
//! trimmed, as Go's `RFC3339Nano`, the Docker engine's format): parsed to compare
//! them, formatted for the lines a backend stamps or adds itself. A few lines of
//! calendar arithmetic instead of a date-time crate. Shared by the backends (moved
//! here from proxy-docker, so that the process backend stamps its lines alike).

use std::time::{SystemTime, UNIX_EPOCH};

/// A point in time as seconds and nanoseconds since the Unix epoch. Ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    /// Whole seconds since the epoch.
    pub secs: i64,
    /// Nanoseconds past `secs`.
    pub nanos: u32,
}

impl Stamp {
    /// The current time.
    pub fn now() -> Self {
        Self::from_system(SystemTime::now())
    }

    /// `time`, or the epoch for a time before it.
    pub fn from_system(time: SystemTime) -> Self {
        match time.duration_since(UNIX_EPOCH) {
            Ok(d) => Stamp { secs: i64::try_from(d.as_secs()).unwrap_or(i64::MAX), nanos: d.subsec_nanos() },
            Err(_) => Stamp { secs: 0, nanos: 0 },
        }
    }

    /// `secs.nanos`, as the engine's `since` and `until` parameters take it.
    pub fn to_param(self) -> String {
        format!("{}.{:09}", self.secs, self.nanos)
    }

    /// Parses `2024-05-01T10:00:00.123456789Z` (a numeric offset is accepted too).
    pub fn parse(text: &str) -> Option<Stamp> {
        let b = text.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |range: std::ops::Range<usize>| -> Option<i64> {
            let part = text.get(range)?;
            part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let mut rest = &text[19..];
        let mut nanos = 0u32;
        if let Some(fraction) = rest.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 9 {
                return None;
            }
            nanos = fraction[..digits].parse::<u32>().ok()? * 10u32.pow(9 - digits as u32);
            rest = &fraction[digits..];
        }
        let offset = match rest {
            "Z" | "z" => 0,
            _ if rest.len() == 6
                && (rest.starts_with('+') || rest.starts_with('-'))
                && &rest[3..4] == ":" =>
            {
                let (h, m) = (rest[1..3].parse::<i64>().ok()?, rest[4..6].parse::<i64>().ok()?);
                let sign = if rest.starts_with('-') { -1 } else { 1 };
                sign * (h * 3600 + m * 60)
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        Some(Stamp { secs: days * 86_400 + hour * 3600 + minute * 60 + second - offset, nanos })
    }

    /// Formats as Go's `RFC3339Nano` in UTC, as the engine writes its timestamps.
    pub fn to_rfc3339(self) -> String {
        let days = self.secs.div_euclid(86_400);
        let of_day = self.secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let mut text = format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            of_day / 3600,
            of_day % 3600 / 60,
            of_day % 60
        );
        if self.nanos != 0 {
            let fraction = format!("{:09}", self.nanos);
            text.push('.');
            text.push_str(fraction.trim_end_matches('0'));
        }
        text.push('Z');
        text
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_engine_format() {
        assert_eq!(Stamp::parse("1970-01-01T00:00:00Z"), Some(Stamp { secs: 0, nanos: 0 }));
        assert_eq!(
            Stamp::parse("2026-11-28T19:11:36.24016636Z"),
            Some(Stamp { secs: 1_795_893_096, nanos: 240_166_360 })
        );
        assert_eq!(
            Stamp::parse("2000-02-29T12:00:00.5+01:00"),
            Some(Stamp { secs: 951_822_000, nanos: 5e8 as u32 })
        );
        for bad in [
            "",
            "hello",
            "2026-11-28 19:11:36Z",
            "2026-13-01T00:00:00Z",
            "2026-11-28T19:11:36.Z",
            "2026-11-28T19:11:36",
        ] {
            assert_eq!(Stamp::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn orders_by_time_not_by_text() {
        let short = Stamp::parse("2026-01-01T00:00:00.1Z").unwrap();
        let long = Stamp::parse("2026-01-01T00:00:00.12Z").unwrap();
        assert!(short < long);
    }

    #[test]
    fn formats_round_trip() {
        for text in
            ["1970-01-01T00:00:00Z", "2026-11-28T19:11:36.24016636Z", "1999-12-31T23:59:59.000000001Z"]
        {
            assert_eq!(Stamp::parse(text).unwrap().to_rfc3339(), text);
        }
        assert_eq!(Stamp { secs: 12, nanos: 5 }.to_param(), "12.000000005");
    }
}
