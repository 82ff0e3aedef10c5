//! The clock rules, as pure functions of "now" so that tests move time.
//!
//! Every status reaches erasure of the person's fields (the schedule is
//! documented for people in `docs/donnees-personnelles.md`):
//!
//! | referral status          | what the job does                                   |
//! |--------------------------|-----------------------------------------------------|
//! | envoyée, reçue           | reminder after 10 days, expired after 30            |
//! | rendez-vous fixé         | "sans suite" 30 days after the appointment          |
//! | every closed status      | erased 6 months after closure                       |
//!
//! | "situation complexe"     | what the job does                                   |
//! |--------------------------|-----------------------------------------------------|
//! | ouverte                  | closed ("expirée") after 60 days without a message  |
//! | close, expirée           | erased 6 months after closure                       |

use chrono::{DateTime, Days, Duration, Months, NaiveDate, Utc};

use crate::lifecycle::Status;
use crate::referents::RequestStatus;

/// Configurable periods; the defaults are the issue's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    /// A reminder to the receiving structure after this many days without
    /// action.
    pub reminder_days: i64,
    /// Expired after this many days without action.
    pub expiry_days: i64,
    /// A referral still at "rendez-vous fixé" this many days after its
    /// appointment, with no outcome recorded, becomes "sans suite".
    pub no_outcome_days: i64,
    /// A "situation complexe" request without a message for this many
    /// days is closed.
    pub request_idle_days: i64,
    /// Personal fields erased this many months after closure.
    pub retention_months: u32,
}

impl Default for Periods {
    fn default() -> Self {
        Self {
            reminder_days: 10,
            expiry_days: 30,
            no_outcome_days: 30,
            request_idle_days: 60,
            retention_months: 6,
        }
    }
}

/// How far ahead an appointment may be fixed. The job also treats an
/// appointment as due at most this long after it was fixed, so a date
/// typed years ahead cannot keep the person's fields alive.
pub const APPOINTMENT_HORIZON_DAYS: u64 = 365;

/// Whether an appointment on `date` may be fixed `today`.
pub fn appointment_within_horizon(date: NaiveDate, today: NaiveDate) -> bool {
    today
        .checked_add_days(Days::new(APPOINTMENT_HORIZON_DAYS))
        .is_some_and(|limit| date <= limit)
}

/// What the scheduled job must do to one referral now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Nothing,
    Remind,
    Expire,
    /// Close as "sans suite": the appointment is long past.
    Lapse,
    Erase,
}

/// What the job knows of a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tracked {
    pub status: Status,
    /// When it was sent or last moved.
    pub last_action: DateTime<Utc>,
    /// Whether the reminder for this period went.
    pub reminded: bool,
    /// The appointment fixed, if any.
    pub appointment: Option<NaiveDate>,
    pub closed_at: Option<DateTime<Utc>>,
    pub erased: bool,
}

fn retention_over(
    closed_at: Option<DateTime<Utc>>,
    erased: bool,
    now: DateTime<Utc>,
    p: Periods,
) -> bool {
    !erased
        && closed_at
            .and_then(|closed| closed.checked_add_months(Months::new(p.retention_months)))
            .is_some_and(|limit| now >= limit)
}

pub fn due(r: &Tracked, now: DateTime<Utc>, p: Periods) -> Due {
    if r.status.is_closed() {
        return if retention_over(r.closed_at, r.erased, now, p) {
            Due::Erase
        } else {
            Due::Nothing
        };
    }
    let idle = now - r.last_action;
    match r.status {
        Status::Envoyee | Status::Recue if idle >= Duration::days(p.expiry_days) => Due::Expire,
        Status::Envoyee | Status::Recue
            if !r.reminded && idle >= Duration::days(p.reminder_days) =>
        {
            Due::Remind
        }
        Status::RendezVousFixe => {
            let fixed = r.last_action.date_naive();
            let horizon = fixed
                .checked_add_days(Days::new(APPOINTMENT_HORIZON_DAYS))
                .unwrap_or(fixed);
            let day = r.appointment.map_or(horizon, |a| a.min(horizon));
            let lapsed = day
                .checked_add_days(Days::new(p.no_outcome_days.max(0).unsigned_abs()))
                .is_some_and(|limit| now.date_naive() > limit);
            if lapsed { Due::Lapse } else { Due::Nothing }
        }
        _ => Due::Nothing,
    }
}

/// What the scheduled job must do to one "situation complexe" request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestDue {
    Nothing,
    /// Close it: no message for the idle period.
    Expire,
    Erase,
}

/// `last_activity`: when it was made or last written to.
pub fn request_due(
    status: RequestStatus,
    last_activity: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    erased: bool,
    now: DateTime<Utc>,
    p: Periods,
) -> RequestDue {
    if status.is_open() {
        if now - last_activity >= Duration::days(p.request_idle_days) {
            RequestDue::Expire
        } else {
            RequestDue::Nothing
        }
    } else if retention_over(closed_at, erased, now, p) {
        RequestDue::Erase
    } else {
        RequestDue::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + n * 86_400, 0).unwrap()
    }

    fn tracked(status: Status, last: i64) -> Tracked {
        Tracked {
            status,
            last_action: day(last),
            reminded: false,
            appointment: None,
            closed_at: None,
            erased: false,
        }
    }

    #[test]
    fn reminder_then_expiry() {
        let p = Periods::default();
        let at = |n, reminded| {
            due(
                &Tracked {
                    reminded,
                    ..tracked(Status::Envoyee, 0)
                },
                day(n),
                p,
            )
        };
        assert_eq!(at(9, false), Due::Nothing);
        assert_eq!(at(10, false), Due::Remind);
        assert_eq!(at(11, true), Due::Nothing, "one reminder");
        assert_eq!(at(30, true), Due::Expire);
        // An appointment is an action: no expiry while it stands.
        let fixed = Tracked {
            appointment: Some(day(20).date_naive()),
            ..tracked(Status::RendezVousFixe, 0)
        };
        assert_eq!(due(&fixed, day(50), p), Due::Nothing);
    }

    #[test]
    fn a_past_appointment_without_outcome_lapses() {
        let p = Periods::default();
        let fixed = Tracked {
            appointment: Some(day(20).date_naive()),
            ..tracked(Status::RendezVousFixe, 0)
        };
        assert_eq!(due(&fixed, day(50), p), Due::Nothing);
        assert_eq!(due(&fixed, day(51), p), Due::Lapse);
        // A date typed years ahead counts as the horizon after fixing.
        let far = Tracked {
            appointment: Some(day(3000).date_naive()),
            ..fixed
        };
        assert_eq!(due(&far, day(365 + 30), p), Due::Nothing);
        assert_eq!(due(&far, day(365 + 31), p), Due::Lapse);
        let today = day(0).date_naive();
        assert!(appointment_within_horizon(day(365).date_naive(), today));
        assert!(!appointment_within_horizon(day(366).date_naive(), today));
    }

    #[test]
    fn erasure_after_the_retention_period() {
        let p = Periods::default();
        let closed = |status| Tracked {
            closed_at: Some(day(0)),
            ..tracked(status, 0)
        };
        assert_eq!(due(&closed(Status::Accompagnee), day(150), p), Due::Nothing);
        assert_eq!(due(&closed(Status::Accompagnee), day(182), p), Due::Erase);
        let erased = Tracked {
            erased: true,
            ..closed(Status::Accompagnee)
        };
        assert_eq!(due(&erased, day(400), p), Due::Nothing, "once");
        let short = Periods {
            retention_months: 1,
            ..p
        };
        assert_eq!(due(&closed(Status::Refusee), day(31), short), Due::Erase);
        for status in Status::ALL.into_iter().filter(|s| s.is_closed()) {
            assert_eq!(due(&closed(status), day(182), p), Due::Erase, "{status:?}");
        }
    }

    #[test]
    fn requests_expire_when_idle_then_are_erased() {
        let p = Periods::default();
        let open = |n| request_due(RequestStatus::Ouverte, day(0), None, false, day(n), p);
        assert_eq!(open(59), RequestDue::Nothing);
        assert_eq!(open(60), RequestDue::Expire);
        for status in [RequestStatus::Close, RequestStatus::Expiree] {
            let closed = |n, erased| request_due(status, day(0), Some(day(0)), erased, day(n), p);
            assert_eq!(closed(150, false), RequestDue::Nothing);
            assert_eq!(closed(182, false), RequestDue::Erase);
            assert_eq!(closed(400, true), RequestDue::Nothing);
        }
    }
}
