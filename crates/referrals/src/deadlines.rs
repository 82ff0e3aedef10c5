//! The clock rules, as pure functions of "now" so that tests move time.

use chrono::{DateTime, Duration, Months, Utc};

use crate::lifecycle::Status;

/// Configurable periods; the defaults are the issue's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    /// A reminder to the receiving structure after this many days without
    /// action.
    pub reminder_days: i64,
    /// Expired after this many days without action.
    pub expiry_days: i64,
    /// Personal fields erased this many months after closure.
    pub retention_months: u32,
}

impl Default for Periods {
    fn default() -> Self {
        Self {
            reminder_days: 10,
            expiry_days: 30,
            retention_months: 6,
        }
    }
}

/// What the scheduled job must do to one referral now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Nothing,
    Remind,
    Expire,
    Erase,
}

/// `last_action`: when it was sent or last moved; `reminded`: whether the
/// reminder for this period went; `closed_at` and `erased` for retention.
pub fn due(
    status: Status,
    last_action: DateTime<Utc>,
    reminded: bool,
    closed_at: Option<DateTime<Utc>>,
    erased: bool,
    now: DateTime<Utc>,
    p: Periods,
) -> Due {
    if status.is_closed() {
        return match closed_at {
            Some(closed)
                if !erased
                    && closed
                        .checked_add_months(Months::new(p.retention_months))
                        .is_some_and(|limit| now >= limit) =>
            {
                Due::Erase
            }
            _ => Due::Nothing,
        };
    }
    let idle = now - last_action;
    if matches!(status, Status::Envoyee | Status::Recue) && idle >= Duration::days(p.expiry_days) {
        Due::Expire
    } else if !reminded
        && matches!(status, Status::Envoyee | Status::Recue)
        && idle >= Duration::days(p.reminder_days)
    {
        Due::Remind
    } else {
        Due::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + n * 86_400, 0).unwrap()
    }

    #[test]
    fn reminder_then_expiry() {
        let p = Periods::default();
        let at = |n, reminded| due(Status::Envoyee, day(0), reminded, None, false, day(n), p);
        assert_eq!(at(9, false), Due::Nothing);
        assert_eq!(at(10, false), Due::Remind);
        assert_eq!(at(11, true), Due::Nothing, "one reminder");
        assert_eq!(at(30, true), Due::Expire);
        // An appointment is an action: no expiry while it stands.
        assert_eq!(
            due(
                Status::RendezVousFixe,
                day(0),
                false,
                None,
                false,
                day(90),
                p
            ),
            Due::Nothing
        );
    }

    #[test]
    fn erasure_after_the_retention_period() {
        let p = Periods::default();
        let closed = Some(day(0));
        assert_eq!(
            due(
                Status::Accompagnee,
                day(0),
                false,
                closed,
                false,
                day(150),
                p
            ),
            Due::Nothing
        );
        assert_eq!(
            due(
                Status::Accompagnee,
                day(0),
                false,
                closed,
                false,
                day(182),
                p
            ),
            Due::Erase
        );
        assert_eq!(
            due(
                Status::Accompagnee,
                day(0),
                false,
                closed,
                true,
                day(400),
                p
            ),
            Due::Nothing,
            "once"
        );
        let short = Periods {
            retention_months: 1,
            ..p
        };
        assert_eq!(
            due(
                Status::Refusee,
                day(0),
                false,
                closed,
                false,
                day(31),
                short
            ),
            Due::Erase
        );
    }
}
