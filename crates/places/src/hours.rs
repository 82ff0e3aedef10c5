//! Opening hours in OpenStreetMap `opening_hours` syntax, evaluated with the
//! `opening-hours` crate and the French public-holiday calendar ("PH off"
//! means something). Times are local (Europe/Paris) wall-clock times.
//!
//! People never see the syntax: `Horaires::week` gives the hours of a
//! typical week day by day (with what the rules say of public holidays)
//! for pages to write in words; `Grid` is the weekly grid of the place
//! editor (per day, closed or one or two ranges) and writes the syntax
//! behind the scenes; `loose` reads, for display only, hours a source gave
//! in a near-miss of the syntax.

use std::fmt;
use std::sync::OnceLock;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use opening_hours::localization::Country;
use opening_hours::{Context, OpeningHours, RuleKind};

/// Parsed opening hours of a place.
#[derive(Clone)]
pub struct Horaires {
    raw: String,
    rules: OpeningHours,
}

impl fmt::Debug for Horaires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Horaires({:?})", self.raw)
    }
}

impl Horaires {
    pub fn parse(raw: &str) -> Result<Self, String> {
        // The parser's message spans several lines (with a caret): one line here.
        let rules: OpeningHours = raw.trim().parse().map_err(|e| {
            format!("{e}")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && *l != "|")
                .collect::<Vec<_>>()
                .join(" ")
        })?;
        let rules = rules.with_context(Context::default().with_holidays(Country::FR.holidays()));
        Ok(Self {
            raw: raw.trim().to_string(),
            rules,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// "Open now?"
    pub fn is_open(&self, at: NaiveDateTime) -> bool {
        self.rules.is_open(at)
    }

    /// When the state at `at` (open, closed) next changes, within the
    /// evaluation window of the rules.
    pub fn next_change(&self, at: NaiveDateTime) -> Option<NaiveDateTime> {
        self.rules.next_change(at)
    }

    /// The start of the first open period at or after `at` (`at` itself when
    /// open then), looking at most a year ahead.
    pub fn next_opening(&self, at: NaiveDateTime) -> Option<NaiveDateTime> {
        self.rules
            .iter_range(at, at + Duration::days(366))
            .find(|r| r.kind == RuleKind::Open)
            .map(|r| r.range.start)
    }

    /// Whether the place is open at any moment of `[from, to)`.
    pub fn open_between(&self, from: NaiveDateTime, to: NaiveDateTime) -> bool {
        self.rules
            .iter_range(from, to)
            .any(|r| r.kind == RuleKind::Open)
    }

    /// "Open on Tuesday afternoon?": the first such `weekday` on or after
    /// `from`, between `start` and `end`.
    pub fn open_on(
        &self,
        from: NaiveDate,
        weekday: Weekday,
        start: NaiveTime,
        end: NaiveTime,
    ) -> bool {
        let offset = (7 + weekday.num_days_from_monday() as i64 - from.weekday_index()) % 7;
        let day = from + Duration::days(offset);
        self.open_between(day.and_time(start), day.and_time(end))
    }

    /// Hours open in the week starting on `monday`.
    pub fn hours_per_week(&self, monday: NaiveDate) -> f64 {
        let start = monday.and_time(NaiveTime::MIN);
        self.rules
            .iter_range(start, start + Duration::days(7))
            .filter(|r| r.kind == RuleKind::Open)
            .map(|r| (r.range.end - r.range.start).num_minutes() as f64 / 60.0)
            .sum()
    }
}

/// A part of a day when the place is open, in minutes from midnight
/// (`end` 1440: until midnight).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub start: u16,
    pub end: u16,
    /// The rules say "unknown" for it (to be confirmed, by appointment…).
    pub unsure: bool,
    /// The rules' comment on it ("sur rendez-vous").
    pub comment: Option<String>,
}

/// What the rules say of public holidays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holidays {
    /// Nothing: the rules do not mention them.
    NotSaid,
    Closed,
    /// Open as on any other such weekday.
    AsUsual,
    /// Open, with these hours.
    Open(Vec<Slot>),
}

/// The hours of a typical week, Monday first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    pub days: [Vec<Slot>; 7],
    pub holidays: Holidays,
    /// The Monday of the week shown: the first from today's week without a
    /// public holiday.
    pub monday: NaiveDate,
    /// The hours of the next weeks differ from these (seasons, school
    /// holidays, alternate weeks).
    pub varies: bool,
}

impl Week {
    /// No day has any hour.
    pub fn is_closed(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }
}

/// The French public holidays the rules are evaluated with.
fn public_holidays() -> &'static opening_hours::ContextHolidays {
    static HOLIDAYS: OnceLock<opening_hours::ContextHolidays> = OnceLock::new();
    HOLIDAYS.get_or_init(|| Country::FR.holidays())
}

fn is_public_holiday(day: NaiveDate) -> bool {
    public_holidays().get_public().contains(day)
}

impl Horaires {
    /// The open (or "unknown") parts of `day`, consecutive ones joined.
    pub fn day(&self, day: NaiveDate) -> Vec<Slot> {
        let start = day.and_time(NaiveTime::MIN);
        let mut slots: Vec<Slot> = Vec::new();
        for r in self.rules.iter_range(start, start + Duration::days(1)) {
            if r.kind == RuleKind::Closed {
                continue;
            }
            let minutes = |t: NaiveDateTime| (t - start).num_minutes().clamp(0, 1440) as u16;
            let comment = (!r.comment.is_empty()).then(|| r.comment.to_string());
            let slot = Slot {
                start: minutes(r.range.start),
                end: minutes(r.range.end),
                unsure: r.kind == RuleKind::Unknown,
                comment,
            };
            match slots.last_mut() {
                Some(last)
                    if last.end == slot.start
                        && last.unsure == slot.unsure
                        && last.comment == slot.comment =>
                {
                    last.end = slot.end;
                }
                _ if slot.end > slot.start => slots.push(slot),
                _ => {}
            }
        }
        slots
    }

    /// The hours of a typical week seen from `today`, and what the rules
    /// say of public holidays.
    pub fn week(&self, today: NaiveDate) -> Week {
        let this_monday = today - Duration::days(today.weekday().num_days_from_monday().into());
        let monday = (0..8)
            .map(|k| this_monday + Duration::weeks(k))
            .find(|m| (0..7).all(|d| !is_public_holiday(*m + Duration::days(d))))
            .unwrap_or(this_monday);
        let days: [Vec<Slot>; 7] =
            std::array::from_fn(|d| self.day(monday + Duration::days(d as i64)));
        let varies = (7..35).any(|offset| {
            let day = monday + Duration::days(offset);
            !is_public_holiday(day) && self.day(day) != days[(offset % 7) as usize]
        });
        let holidays = if !self.raw.contains("PH") {
            Holidays::NotSaid
        } else {
            match public_holidays().get_public().first_after(today) {
                None => Holidays::NotSaid,
                Some(holiday) => {
                    let hours = self.day(holiday);
                    let usual = &days[holiday.weekday().num_days_from_monday() as usize];
                    if hours.is_empty() {
                        Holidays::Closed
                    } else if hours == *usual {
                        Holidays::AsUsual
                    } else {
                        Holidays::Open(hours)
                    }
                }
            }
        };
        Week {
            days,
            holidays,
            monday,
            varies,
        }
    }
}

/// The weekly grid of the place editor: per day, closed (no range) or one
/// or two ranges, and whether the place closes on public holidays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grid {
    /// Monday first; each range `(start, end)` in minutes from midnight.
    pub days: [Vec<(u16, u16)>; 7],
    pub closed_on_holidays: bool,
}

/// Why a day of the grid is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GridError {
    /// A range ends before it starts (or at the same time).
    Backwards { day: usize, range: usize },
    /// The second range starts before the first ends.
    Overlap { day: usize },
}

const OSM_DAYS: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

fn hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl Grid {
    /// Checks the ranges: each forwards, the second after the first.
    pub fn check(&self) -> Vec<GridError> {
        let mut errors = Vec::new();
        for (day, ranges) in self.days.iter().enumerate() {
            for (range, (start, end)) in ranges.iter().enumerate() {
                if end <= start {
                    errors.push(GridError::Backwards { day, range });
                }
            }
            if let [first, second] = ranges.as_slice()
                && second.0 < first.1
                && first.0 < first.1
            {
                errors.push(GridError::Overlap { day });
            }
        }
        errors
    }

    /// The grid in `opening_hours` syntax, days with the same hours
    /// grouped (`Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00; PH off`);
    /// `None` when every day is closed.
    pub fn to_osm(&self) -> Option<String> {
        let mut groups: Vec<(Vec<usize>, String)> = Vec::new();
        for (day, ranges) in self.days.iter().enumerate() {
            if ranges.is_empty() {
                continue;
            }
            let hours = ranges
                .iter()
                .map(|(a, b)| format!("{}-{}", hhmm(*a), hhmm(*b)))
                .collect::<Vec<_>>()
                .join(",");
            match groups.iter_mut().find(|(_, h)| *h == hours) {
                Some((days, _)) => days.push(day),
                None => groups.push((vec![day], hours)),
            }
        }
        if groups.is_empty() {
            return None;
        }
        let mut rules: Vec<String> = groups
            .into_iter()
            .map(|(days, hours)| format!("{} {hours}", day_list(&days, &OSM_DAYS)))
            .collect();
        if self.closed_on_holidays {
            rules.push("PH off".into());
        }
        Some(rules.join("; "))
    }

    /// The grid that writes the same hours as `week`, when it can: at most
    /// two ranges a day, no comment or unsure part, the same every week,
    /// holidays closed or not mentioned.
    pub fn of_week(week: &Week) -> Option<Grid> {
        if week.varies {
            return None;
        }
        let closed_on_holidays = match week.holidays {
            Holidays::NotSaid => false,
            Holidays::Closed => true,
            Holidays::AsUsual | Holidays::Open(_) => return None,
        };
        let mut days: [Vec<(u16, u16)>; 7] = Default::default();
        for (d, slots) in week.days.iter().enumerate() {
            if slots.len() > 2 || slots.iter().any(|s| s.unsure || s.comment.is_some()) {
                return None;
            }
            days[d] = slots.iter().map(|s| (s.start, s.end)).collect();
        }
        Some(Grid {
            days,
            closed_on_holidays,
        })
    }
}

/// A rule of hours that do not follow the syntax, read for display only:
/// `Tu-Fr 08:30-18:00; Mo 18:00` gives Tuesday–Friday 8:30–18:00 and
/// Monday 18:00.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LooseRule {
    /// Spans of days, Monday 0 (a single day: equal ends).
    pub days: Vec<(usize, usize)>,
    /// The rule is about public holidays.
    pub holidays: bool,
    /// Times, alone (`18:00`) or as ranges.
    pub times: Vec<(u16, Option<u16>)>,
    /// `off` or `closed`.
    pub closed: bool,
}

/// Hours a source wrote in a near-miss of the syntax, rule by rule; `None`
/// when a part is not days, times or "off".
pub fn loose(raw: &str) -> Option<Vec<LooseRule>> {
    let time = |t: &str| -> Option<u16> {
        let (h, m) = t.split_once(':')?;
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (h <= 24 && m < 60).then_some(h * 60 + m)
    };
    let day = |d: &str| OSM_DAYS.iter().position(|x| *x == d);
    let mut rules = Vec::new();
    for rule in raw.split(';').map(str::trim).filter(|r| !r.is_empty()) {
        let mut out = LooseRule {
            days: Vec::new(),
            holidays: false,
            times: Vec::new(),
            closed: false,
        };
        for (k, token) in rule.split_whitespace().enumerate() {
            if token == "off" || token == "closed" {
                out.closed = true;
                continue;
            }
            let first = token.chars().next()?;
            if k == 0 && first.is_ascii_alphabetic() {
                for part in token.split(',') {
                    if part == "PH" {
                        out.holidays = true;
                    } else if let Some((a, b)) = part.split_once('-') {
                        out.days.push((day(a)?, day(b)?));
                    } else {
                        let d = day(part)?;
                        out.days.push((d, d));
                    }
                }
                continue;
            }
            for part in token.split(',') {
                let mut ends = part.split('-');
                let start = time(ends.next()?)?;
                let end = match ends.next() {
                    None => None,
                    Some(e) => Some(time(e)?),
                };
                if ends.next().is_some() {
                    return None;
                }
                out.times.push((start, end));
            }
        }
        if out.times.is_empty() && !out.closed {
            return None;
        }
        rules.push(out);
    }
    (!rules.is_empty()).then_some(rules)
}

trait WeekdayIndex {
    fn weekday_index(&self) -> i64;
}

impl WeekdayIndex for NaiveDate {
    fn weekday_index(&self) -> i64 {
        self.weekday().num_days_from_monday() as i64
    }
}

/// Converts the per-weekday hours of the ANCT France services list
/// (`08:00 - 12:00 / 13:00 - 16:00`, `09:00-12:00,13:00-17:00`, `-` or empty
/// for closed), Monday first, into `opening_hours` syntax, grouping days
/// with the same hours: `Mo,Tu,Th,Fr 08:00-12:00,13:00-16:00; We 08:00-12:00`.
/// `None` when no day has hours.
pub fn from_weekday_columns(days: &[&str]) -> Result<Option<String>, String> {
    const NAMES: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
    let mut per_day: Vec<(usize, String)> = Vec::new();
    for (i, raw) in days.iter().enumerate().take(7) {
        let raw = raw.trim();
        if raw.is_empty() || raw == "-" {
            continue;
        }
        let mut ranges = Vec::new();
        for part in raw.split(['/', ',']) {
            let compact: String = part
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .replace('h', ":");
            let valid = compact.split_once('-').is_some_and(|(a, b)| {
                NaiveTime::parse_from_str(a, "%H:%M").is_ok()
                    && NaiveTime::parse_from_str(b, "%H:%M").is_ok()
            });
            if !valid {
                return Err(format!(
                    "horaires du {} « {raw} » : « {part} » n’est pas une plage horaire comme 08:30-12:00",
                    [
                        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"
                    ][i]
                ));
            }
            ranges.push(compact);
        }
        per_day.push((i, ranges.join(",")));
    }
    // Group days with identical hours, in weekday order of first appearance.
    let mut groups: Vec<(Vec<usize>, String)> = Vec::new();
    for (day, hours) in per_day {
        match groups.iter_mut().find(|(_, h)| *h == hours) {
            Some((group, _)) => group.push(day),
            None => groups.push((vec![day], hours)),
        }
    }
    let rules: Vec<String> = groups
        .into_iter()
        .map(|(days, hours)| format!("{} {hours}", day_list(&days, &NAMES)))
        .collect();
    Ok((!rules.is_empty()).then(|| rules.join("; ")))
}

/// `Mo-We,Fr` for days 0, 1, 2, 4.
fn day_list(days: &[usize], names: &[&str; 7]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let mut j = i;
        while j + 1 < days.len() && days[j + 1] == days[j] + 1 {
            j += 1;
        }
        parts.push(match j - i {
            0 => names[days[i]].to_string(),
            1 => format!("{},{}", names[days[i]], names[days[j]]),
            _ => format!("{}-{}", names[days[i]], names[days[j]]),
        });
        i = j + 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn answers_at_fixed_instants() {
        // The example of the standard. 2026-11-24 is a Tuesday.
        let h = Horaires::parse("Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00").unwrap();
        assert!(h.is_open(at("2026-11-24 10:00")));
        assert!(!h.is_open(at("2026-11-24 13:00")));
        assert!(!h.is_open(at("2026-11-29 10:00")), "Sunday");
        assert_eq!(
            h.next_opening(at("2026-11-24 12:30")),
            Some(at("2026-11-24 14:00"))
        );
        assert_eq!(
            h.next_opening(at("2026-11-24 10:00")),
            Some(at("2026-11-24 10:00"))
        );
        assert_eq!(
            h.next_opening(at("2026-11-28 12:00")),
            Some(at("2026-11-30 09:00")),
            "Saturday noon → Monday"
        );
        let tuesday = Weekday::Tue;
        let afternoon = (
            NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
        );
        assert!(h.open_on(
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            tuesday,
            afternoon.0,
            afternoon.1
        ));
        assert!(!h.open_on(
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            Weekday::Sun,
            afternoon.0,
            afternoon.1
        ));
        // 5 × (3 + 4.5) + 3.5
        assert_eq!(
            h.hours_per_week(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
            41.0
        );
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn slot(start: u16, end: u16) -> Slot {
        Slot {
            start,
            end,
            unsure: false,
            comment: None,
        }
    }

    #[test]
    fn a_typical_week_day_by_day() {
        let h = Horaires::parse("Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00; PH off").unwrap();
        // Seen on Tuesday 2026-11-24: that week has no holiday.
        let week = h.week(day("2026-11-24"));
        assert_eq!(week.monday, day("2026-11-23"));
        assert_eq!(week.days[0], vec![slot(540, 720), slot(840, 1050)]);
        assert_eq!(week.days[5], vec![slot(540, 720)]);
        assert!(week.days[6].is_empty(), "closed on Sunday");
        assert_eq!(week.holidays, Holidays::Closed);
        assert!(!week.varies);
        // Seen in the week of 11 November (a Wednesday), the week shown is
        // the next one, without a holiday.
        let armistice = h.week(day("2026-11-10"));
        assert_eq!(armistice.monday, day("2026-11-16"));
        assert_eq!(armistice.days[2], week.days[2]);
        // Nothing said of holidays, and hours that change with the month.
        let seasonal = Horaires::parse("Jan-Jun Mo 10:00-12:00; Jul-Dec Mo 14:00-16:00").unwrap();
        let week = seasonal.week(day("2026-12-20"));
        assert_eq!(week.holidays, Holidays::NotSaid);
        assert!(week.varies, "January follows");
        // "Unknown" parts and comments are kept.
        let by_appointment = Horaires::parse("Tu 14:00-17:00 unknown \"sur rendez-vous\"").unwrap();
        let tuesday = &by_appointment.week(day("2026-11-24")).days[1];
        assert_eq!(tuesday.len(), 1);
        assert!(tuesday[0].unsure);
        assert_eq!(tuesday[0].comment.as_deref(), Some("sur rendez-vous"));
        // Open until midnight.
        let late = Horaires::parse("Fr 20:00-24:00").unwrap();
        assert_eq!(late.week(day("2026-11-24")).days[4], vec![slot(1200, 1440)]);
    }

    #[test]
    fn the_grid_writes_the_syntax_and_reads_it_back() {
        let mut grid = Grid::default();
        for d in 0..5 {
            grid.days[d] = vec![(540, 720), (840, 1050)];
        }
        grid.days[5] = vec![(540, 720)];
        grid.closed_on_holidays = true;
        let osm = grid.to_osm().unwrap();
        assert_eq!(osm, "Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00; PH off");
        let week = Horaires::parse(&osm).unwrap().week(day("2026-11-24"));
        assert_eq!(Grid::of_week(&week), Some(grid.clone()));
        assert!(grid.check().is_empty());
        // Every day closed: no hours at all.
        assert_eq!(Grid::default().to_osm(), None);
        // Days apart with the same hours share a rule.
        let mut apart = Grid::default();
        apart.days[0] = vec![(600, 720)];
        apart.days[3] = vec![(600, 720)];
        apart.days[1] = vec![(600, 1140)];
        assert_eq!(apart.to_osm().unwrap(), "Mo,Th 10:00-12:00; Tu 10:00-19:00");
        // Backwards and overlapping ranges are refused.
        let mut wrong = Grid::default();
        wrong.days[2] = vec![(720, 540)];
        wrong.days[4] = vec![(540, 780), (720, 1020)];
        assert_eq!(
            wrong.check(),
            [
                GridError::Backwards { day: 2, range: 0 },
                GridError::Overlap { day: 4 }
            ]
        );
        // What the grid cannot write is said so.
        let three = Horaires::parse("Mo 08:00-09:00,10:00-11:00,12:00-13:00").unwrap();
        assert_eq!(Grid::of_week(&three.week(day("2026-11-24"))), None);
    }

    #[test]
    fn near_misses_of_the_syntax_are_read_for_display() {
        let rules = loose("Tu-Fr 08:30-18:00; Mo 18:00; Sa 09:00-12:00").unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].days, [(1, 4)]);
        assert_eq!(rules[0].times, [(510, Some(1080))]);
        assert_eq!(rules[1].times, [(1080, None)]);
        let closed = loose("Mo,We 09:00-12:00; PH off").unwrap();
        assert_eq!(closed[0].days, [(0, 0), (2, 2)]);
        assert!(closed[1].holidays && closed[1].closed);
        assert_eq!(loose("Th 09:00-12:00-14:00"), None);
        assert_eq!(loose("du lundi au vendredi 9h-12h"), None);
        assert_eq!(loose(""), None);
    }

    #[test]
    fn french_public_holidays_count() {
        let h = Horaires::parse("Mo-Fr 09:00-17:00; PH off").unwrap();
        // 2026-12-25 is a Friday and Christmas.
        assert!(!h.is_open(at("2026-12-25 10:00")));
        assert!(h.is_open(at("2026-12-24 10:00")));
    }

    #[test]
    fn invalid_syntax_is_an_error() {
        assert!(Horaires::parse("du lundi au vendredi de 9h à 17h").is_err());
        assert!(Horaires::parse("Mo-Fr 25:00-26:00").is_err());
    }

    #[test]
    fn every_horaires_value_in_the_shared_data_parses() {
        // The conseillers numériques' permanences carry standard `horaires`.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/places/sources/cnfs_permanences_2022-12.csv"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            panic!("{path} missing")
        };
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let column = reader
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "horaires")
            .unwrap();
        let (mut parsed, mut refused) = (0, Vec::new());
        for record in reader.records() {
            let value = record.unwrap()[column].to_string();
            match Horaires::parse(&value) {
                _ if value.is_empty() => {}
                Ok(_) => parsed += 1,
                Err(_) => refused.push(value),
            }
        }
        // The only values refused are malformed in the source itself; they
        // are imported verbatim with a warning.
        refused.sort();
        refused.dedup();
        assert_eq!(
            refused,
            [
                "Mo-Fr 09:00-18:00; Th 09:00-12:00-14:00; Sa 09:00-12:00",
                "Tu,We 08:30-12:30; Mo 08:30-12:30,13:30-17:00; Th 08:30-12:30,13:30-17:30; Fr 08:30-12:30-13:30",
                "Tu-Fr 08:30-12:00,14:00-17:30; Mo 08:30-12:00-14:00",
                "Tu-Fr 08:30-18:00; Mo 18:00; Sa 09:00-12:00",
                "Tu-Fr 09:00-12:00,14:00-17:00; Mo 09:00-12:00,14:00-14:00; We 09:00-12:00-14:00",
                "We,Th 09:00-19:00; Sa,Su 13:30-19:00; Mo 09:00-17:00; Tu 09:00-18:00; Fr 09:00",
            ]
        );
        assert_eq!(parsed, 279 - 6);
    }

    #[test]
    fn france_services_weekday_columns() {
        let week = [
            "08:00 - 12:00 / 13:00 - 16:00",
            "08:00 - 12:00 / 13:00 - 16:00",
            "08:00 - 12:00",
            "08:00 - 12:00 / 13:00 - 16:00",
            "08:00 - 12:00 / 13:00 - 16:00",
            "",
        ];
        let converted = from_weekday_columns(&week).unwrap().unwrap();
        assert_eq!(
            converted,
            "Mo,Tu,Th,Fr 08:00-12:00,13:00-16:00; We 08:00-12:00"
        );
        let h = Horaires::parse(&converted).unwrap();
        assert!(
            h.is_open(at("2026-11-25 09:00")) && !h.is_open(at("2026-11-25 14:00")),
            "Wednesday morning only"
        );
        assert_eq!(
            from_weekday_columns(&["09:00-12:00,13:00-17:00"; 5])
                .unwrap()
                .unwrap(),
            "Mo-Fr 09:00-12:00,13:00-17:00"
        );
        assert_eq!(
            from_weekday_columns(&["-", "", "", "", "", ""]).unwrap(),
            None
        );
        assert_eq!(
            from_weekday_columns(&["08:45-12:00/13:30-17:00"])
                .unwrap()
                .unwrap(),
            "Mo 08:45-12:00,13:30-17:00"
        );
        assert!(
            from_weekday_columns(&["le matin"])
                .unwrap_err()
                .contains("horaires du lundi « le matin »")
        );
    }
}
