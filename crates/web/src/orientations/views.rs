//! What Orientations' pages say in French: a referral's line in a list,
//! a line of its follow-up, the next steps the lifecycle allows, and the
//! destructive action waiting for its confirmation.

use chrono::NaiveDate;
use passerelle_referrals::lifecycle::{Rendezvous, Side, Status, Step, next};
use passerelle_referrals::model::Urgency;
use passerelle_store::referrals::{Event, EventDetail, Line};

use crate::fr;

pub struct LineView {
    pub id: i64,
    pub other: String,
    pub place: String,
    pub service: String,
    pub urgent: bool,
    pub status: &'static str,
    pub date: String,
}

impl From<Line> for LineView {
    fn from(l: Line) -> Self {
        Self {
            id: l.id,
            other: l.other_structure,
            place: l.place.unwrap_or_default(),
            service: l.service,
            urgent: l.urgency == Urgency::Urgente,
            status: l.status.label(),
            date: fr::day_of(l.created_at),
        }
    }
}

pub struct EventView {
    pub date: String,
    pub who: String,
    pub what: &'static str,
    pub detail: String,
    pub message: String,
}

impl From<Event> for EventView {
    fn from(e: Event) -> Self {
        Self {
            date: fr::date_time(e.at),
            who: e
                .actor
                .unwrap_or_else(|| "Passerelle (délai dépassé)".into()),
            what: e.status_to.label(),
            detail: match e.detail {
                Some(EventDetail::Appointment(rendezvous)) => {
                    format!(
                        "Rendez-vous le {}",
                        fr::rendezvous(rendezvous.day, rendezvous.time)
                    )
                }
                Some(EventDetail::Refusal(reason)) => format!("Motif : {reason}"),
                Some(EventDetail::Reoriented { .. }) => "Réorientée vers un autre lieu".into(),
                None => String::new(),
            },
            message: e.message.unwrap_or_default(),
        }
    }
}

/// What the viewer can do next on a referral, by the lifecycle's rules.
#[derive(Default)]
pub struct NextSteps {
    pub open: bool,
    pub appointment: bool,
    pub accompanied: bool,
    pub no_show: bool,
    pub refuse: bool,
    pub cancel: bool,
}

impl NextSteps {
    pub fn of(status: Status, receiver: bool, sender: bool) -> Self {
        let may =
            |step: Step, side: Side, allowed: bool| allowed && next(status, &step, side).is_ok();
        Self {
            open: may(Step::Open, Side::Receiver, receiver),
            // After receipt: acknowledging comes first.
            appointment: status != Status::Envoyee
                && may(
                    Step::Appointment(Rendezvous::on(NaiveDate::MIN)),
                    Side::Receiver,
                    receiver,
                ),
            accompanied: may(Step::Accompanied, Side::Receiver, receiver),
            no_show: may(Step::NoShow, Side::Receiver, receiver),
            refuse: may(
                Step::Refuse {
                    reason: String::new(),
                    message: String::new(),
                },
                Side::Receiver,
                receiver,
            ),
            cancel: may(Step::Cancel, Side::Sender, sender),
        }
    }
}

/// A destructive action waiting for its confirmation on the page
/// (`?confirmer=…`): the button that acts appears only then, and sends
/// `confirmer=oui`, without which the server does not act.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Confirm {
    Refuse,
    Cancel,
    Erase,
}

impl Confirm {
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "refus" => Some(Self::Refuse),
            "annulation" => Some(Self::Cancel),
            "effacement" => Some(Self::Erase),
            _ => None,
        }
    }
}
