//! Times, dates and numbers as French readers expect them: Europe/Paris
//! local time (from the UTC the database stores), "3 décembre 2026 à
//! 14 h 30", "12 400", "31,5 %". Every page formats through here, so no
//! UTC, ISO date or English number reaches a person.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use chrono_tz::Europe::Paris;

pub const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// The narrow no-break space French typography puts between thousands and
/// before `%`.
const THIN: char = '\u{202f}';

/// Wall-clock time in France now.
pub fn paris_now() -> NaiveDateTime {
    Utc::now().with_timezone(&Paris).naive_local()
}

/// Wall-clock time in France at a UTC instant.
pub fn paris(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&Paris).naive_local()
}

/// "3 décembre 2026" (and "1er décembre").
pub fn date(day: NaiveDate) -> String {
    let d = day.day();
    let number = if d == 1 {
        "1er".to_string()
    } else {
        d.to_string()
    };
    format!("{number} {} {}", MONTHS[day.month0() as usize], day.year())
}

/// "14 h 30", "9 h".
pub fn time(at: NaiveDateTime) -> String {
    match at.minute() {
        0 => format!("{} h", at.hour()),
        m => format!("{} h {m:02}", at.hour()),
    }
}

/// An appointment as people are told it: "10 décembre 2026 à 14 h 30",
/// or the day alone when no time was given.
pub fn rendezvous(day: NaiveDate, at: Option<chrono::NaiveTime>) -> String {
    match at {
        Some(t) => format!("{} à {}", date(day), time(day.and_time(t))),
        None => date(day),
    }
}

/// "3 décembre 2026 à 14 h 30", in Paris time.
pub fn date_time(at: DateTime<Utc>) -> String {
    let local = paris(at);
    format!("{} à {}", date(local.date()), time(local))
}

/// The day in Paris of a UTC instant, as "3 décembre 2026".
pub fn day_of(at: DateTime<Utc>) -> String {
    date(paris(at).date())
}

/// "12 400", "-3", "1 234 567".
pub fn integer(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(THIN);
        }
        out.push(c);
    }
    out
}

/// "31,5" with at most `decimals` decimals (trailing zeros dropped),
/// thousands separated.
pub fn decimal(x: f64, decimals: usize) -> String {
    let rounded = format!("{:.*}", decimals, x.abs());
    let (whole, fraction) = rounded.split_once('.').unwrap_or((&rounded, ""));
    let fraction = fraction.trim_end_matches('0');
    let whole: i64 = whole.parse().unwrap_or(0);
    let sign = if x < 0.0 && (whole != 0 || !fraction.is_empty()) {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{}", integer(whole))
    } else {
        format!("{sign}{},{fraction}", integer(whole))
    }
}

/// A share (0.315) as "31,5 %".
pub fn percent(share: f64, decimals: usize) -> String {
    format!("{}{THIN}%", decimal(share * 100.0, decimals))
}

/// The Paris day of a stored instant (RFC 3339 text), as "3 décembre
/// 2026"; the text itself if it is not one.
pub fn stored_day(stored: &str) -> String {
    passerelle_store::time::parse_iso(stored).map_or_else(|| stored.to_string(), day_of)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn paris_time_follows_summer_time() {
        let winter = Utc.with_ymd_and_hms(2026, 12, 3, 13, 30, 0).unwrap();
        assert_eq!(date_time(winter), "3 décembre 2026 à 14 h 30");
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 7, 0, 0).unwrap();
        assert_eq!(date_time(summer), "1er juillet 2026 à 9 h");
        // The night summer time ends: 00:30 UTC is 02:30 summer time.
        let change = Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap();
        assert_eq!(time(paris(change)), "2 h 30");
        let after = Utc.with_ymd_and_hms(2026, 10, 25, 1, 30, 0).unwrap();
        assert_eq!(time(paris(after)), "2 h 30");
        // Late on 31 December in UTC is already the new year in Paris.
        let new_year = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap();
        assert_eq!(day_of(new_year), "1er janvier 2027");
    }

    #[test]
    fn numbers_in_french() {
        assert_eq!(integer(0), "0");
        assert_eq!(integer(999), "999");
        assert_eq!(integer(12_400), "12\u{202f}400");
        assert_eq!(integer(-1_234_567), "-1\u{202f}234\u{202f}567");
        assert_eq!(decimal(31.54, 1), "31,5");
        assert_eq!(decimal(2.0, 1), "2");
        assert_eq!(decimal(12_400.25, 2), "12\u{202f}400,25");
        assert_eq!(decimal(-0.04, 1), "0");
        assert_eq!(decimal(-1.5, 1), "-1,5");
        assert_eq!(percent(0.315, 1), "31,5\u{202f}%");
    }
}
