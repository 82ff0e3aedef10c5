//! Which status may follow which, and who may move a referral. Every step
//! is recorded (when, by whom) and shown to the sender: that is the
//! follow-up the seeds say is missing.
//!
//! ```text
//! envoyée ──open──► reçue ──appointment──► rendez-vous fixé ──► accompagnée
//!    │                │                        │            └─► personne non venue
//!    ├── refuse ──────┴────────────────────────┴──► refusée
//!    ├── cancel (sender, any open status) ──────────► annulée
//!    └── expire (no action for 30 days: envoyée, reçue) ► expirée
//! rendez-vous fixé ── lapse (appointment past, no outcome) ► sans suite
//! re-orient (receiver or sender, any open status): to another place, back to envoyée
//! ```

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Envoyee,
    Recue,
    RendezVousFixe,
    Accompagnee,
    NonVenue,
    Refusee,
    Annulee,
    Expiree,
    /// The appointment passed long ago and nobody recorded what came of
    /// it: closed by the scheduled job, with no outcome about the person.
    SansSuite,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Self::Envoyee,
        Self::Recue,
        Self::RendezVousFixe,
        Self::Accompagnee,
        Self::NonVenue,
        Self::Refusee,
        Self::Annulee,
        Self::Expiree,
        Self::SansSuite,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Envoyee => "envoyee",
            Self::Recue => "recue",
            Self::RendezVousFixe => "rendez_vous_fixe",
            Self::Accompagnee => "accompagnee",
            Self::NonVenue => "non_venue",
            Self::Refusee => "refusee",
            Self::Annulee => "annulee",
            Self::Expiree => "expiree",
            Self::SansSuite => "sans_suite",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Envoyee => "envoyée",
            Self::Recue => "reçue",
            Self::RendezVousFixe => "rendez-vous fixé",
            Self::Accompagnee => "accompagnée",
            Self::NonVenue => "personne non venue",
            Self::Refusee => "refusée",
            Self::Annulee => "annulée",
            Self::Expiree => "expirée",
            Self::SansSuite => "sans suite",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// No one acts on it any more: the retention period runs from here.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            Self::Accompagnee
                | Self::NonVenue
                | Self::Refusee
                | Self::Annulee
                | Self::Expiree
                | Self::SansSuite
        )
    }
}

/// Which end of the referral someone acts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Side {
    #[serde(rename = "expediteur")]
    Sender,
    #[serde(rename = "destinataire")]
    Receiver,
    /// The scheduled job.
    #[serde(rename = "systeme")]
    System,
}

impl Side {
    pub const ALL: [Side; 3] = [Self::Sender, Self::Receiver, Self::System];

    /// As stored in the follow-up.
    pub fn code(self) -> &'static str {
        match self {
            Self::Sender => "expediteur",
            Self::Receiver => "destinataire",
            Self::System => "systeme",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// An appointment: its day, and its time (Paris) when the receiving
/// structure gives it — a person is told "le 10 décembre à 14 h 30".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rendezvous {
    pub day: NaiveDate,
    pub time: Option<NaiveTime>,
}

impl Rendezvous {
    /// A day without a time.
    pub fn on(day: NaiveDate) -> Self {
        Self { day, time: None }
    }
}

/// What someone does to a referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The receiving structure opens it.
    Open,
    /// An appointment on this day, at this time when it is said.
    Appointment(Rendezvous),
    Accompanied,
    NoShow,
    /// A reason from `model::REFUSAL_REASONS`, and a message to the sender.
    Refuse {
        reason: String,
        message: String,
    },
    Cancel,
    Expire,
    /// The scheduled job closes a referral whose appointment is long past
    /// with no outcome recorded.
    Lapse,
    /// To another place of the directory (received by this structure),
    /// keeping the history.
    Reorient {
        place_id: i64,
        structure_id: i64,
    },
}

impl Step {
    pub fn kind(&self) -> StepKind {
        match self {
            Self::Open => StepKind::Open,
            Self::Appointment(_) => StepKind::Appointment,
            Self::Accompanied => StepKind::Accompanied,
            Self::NoShow => StepKind::NoShow,
            Self::Refuse { .. } => StepKind::Refuse,
            Self::Cancel => StepKind::Cancel,
            Self::Expire => StepKind::Expire,
            Self::Lapse => StepKind::Lapse,
            Self::Reorient { .. } => StepKind::Reorient,
        }
    }

    pub fn code(&self) -> &'static str {
        self.kind().code()
    }
}

/// What a line of the follow-up records: the sending, then each step,
/// without its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "&'static str")]
pub enum StepKind {
    Sent,
    Open,
    Appointment,
    Accompanied,
    NoShow,
    Refuse,
    Cancel,
    Expire,
    Lapse,
    Reorient,
}

impl From<StepKind> for &'static str {
    fn from(kind: StepKind) -> Self {
        kind.code()
    }
}

impl StepKind {
    pub const ALL: [StepKind; 10] = [
        Self::Sent,
        Self::Open,
        Self::Appointment,
        Self::Accompanied,
        Self::NoShow,
        Self::Refuse,
        Self::Cancel,
        Self::Expire,
        Self::Lapse,
        Self::Reorient,
    ];

    /// As stored in the follow-up (and in audit actions, `referral.<code>`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Sent => "envoi",
            Self::Open => "ouverture",
            Self::Appointment => "rendez_vous",
            Self::Accompanied => "accompagnee",
            Self::NoShow => "non_venue",
            Self::Refuse => "refus",
            Self::Cancel => "annulation",
            Self::Expire => "expiration",
            Self::Lapse => "sans_suite",
            Self::Reorient => "reorientation",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// This side may not take this step.
    NotYours,
    /// Not from this status.
    NotNow(Status),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotYours => write!(f, "cette action revient à l’autre structure"),
            Self::NotNow(s) => write!(f, "impossible : l’orientation est {}", s.label()),
        }
    }
}

/// The status after a step, or why it cannot be taken.
pub fn next(status: Status, step: &Step, side: Side) -> Result<Status, Refused> {
    use Status::*;
    let by = |expected: Side| {
        if side == expected {
            Ok(())
        } else {
            Err(Refused::NotYours)
        }
    };
    let open = !status.is_closed();
    let not_now = Err(Refused::NotNow(status));
    match step {
        Step::Open => {
            by(Side::Receiver)?;
            if status == Envoyee {
                Ok(Recue)
            } else {
                not_now
            }
        }
        Step::Appointment(_) => {
            by(Side::Receiver)?;
            if matches!(status, Envoyee | Recue | RendezVousFixe) {
                Ok(RendezVousFixe)
            } else {
                not_now
            }
        }
        Step::Accompanied => {
            by(Side::Receiver)?;
            if matches!(status, Recue | RendezVousFixe) {
                Ok(Accompagnee)
            } else {
                not_now
            }
        }
        Step::NoShow => {
            by(Side::Receiver)?;
            if status == RendezVousFixe {
                Ok(NonVenue)
            } else {
                not_now
            }
        }
        Step::Refuse { .. } => {
            by(Side::Receiver)?;
            if open { Ok(Refusee) } else { not_now }
        }
        Step::Cancel => {
            by(Side::Sender)?;
            if open { Ok(Annulee) } else { not_now }
        }
        Step::Expire => {
            by(Side::System)?;
            if matches!(status, Envoyee | Recue) {
                Ok(Expiree)
            } else {
                not_now
            }
        }
        Step::Lapse => {
            by(Side::System)?;
            if status == RendezVousFixe {
                Ok(SansSuite)
            } else {
                not_now
            }
        }
        Step::Reorient { .. } => {
            if side == Side::System {
                return Err(Refused::NotYours);
            }
            if open { Ok(Envoyee) } else { not_now }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn step_kinds_and_sides_read_back_what_they_store() {
        for k in StepKind::ALL {
            assert_eq!(StepKind::parse(k.code()), Some(k));
        }
        for s in Side::ALL {
            assert_eq!(Side::parse(s.code()), Some(s));
        }
        assert_eq!(StepKind::parse("inconnue"), None);
        assert_eq!(Step::Cancel.code(), "annulation");
    }

    #[test]
    fn the_whole_path() {
        let s = next(Envoyee, &Step::Open, Side::Receiver).unwrap();
        assert_eq!(s, Recue);
        let s = next(
            s,
            &Step::Appointment(Rendezvous::on(
                NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            )),
            Side::Receiver,
        )
        .unwrap();
        assert_eq!(s, RendezVousFixe);
        assert_eq!(next(s, &Step::Accompanied, Side::Receiver), Ok(Accompagnee));
        assert_eq!(next(s, &Step::NoShow, Side::Receiver), Ok(NonVenue));
    }

    #[test]
    fn each_side_its_steps() {
        assert_eq!(
            next(Envoyee, &Step::Open, Side::Sender),
            Err(Refused::NotYours)
        );
        assert_eq!(
            next(Envoyee, &Step::Cancel, Side::Receiver),
            Err(Refused::NotYours)
        );
        assert_eq!(
            next(Envoyee, &Step::Expire, Side::Sender),
            Err(Refused::NotYours)
        );
        assert_eq!(next(Recue, &Step::Cancel, Side::Sender), Ok(Annulee));
        assert_eq!(
            next(
                Recue,
                &Step::Reorient {
                    place_id: 2,
                    structure_id: 3
                },
                Side::Receiver
            ),
            Ok(Envoyee)
        );
        assert_eq!(
            next(
                Recue,
                &Step::Reorient {
                    place_id: 2,
                    structure_id: 3
                },
                Side::System
            ),
            Err(Refused::NotYours)
        );
    }

    #[test]
    fn closed_is_closed() {
        for closed in [Accompagnee, NonVenue, Refusee, Annulee, Expiree, SansSuite] {
            assert!(closed.is_closed());
            for step in [
                Step::Open,
                Step::Accompanied,
                Step::Cancel,
                Step::Refuse {
                    reason: "x".into(),
                    message: String::new(),
                },
                Step::Reorient {
                    place_id: 1,
                    structure_id: 3,
                },
            ] {
                let side = if step == Step::Cancel {
                    Side::Sender
                } else {
                    Side::Receiver
                };
                assert_eq!(
                    next(closed, &step, side),
                    Err(Refused::NotNow(closed)),
                    "{step:?}"
                );
            }
        }
    }

    #[test]
    fn forbidden_jumps() {
        assert_eq!(
            next(Envoyee, &Step::NoShow, Side::Receiver),
            Err(Refused::NotNow(Envoyee))
        );
        assert_eq!(
            next(Envoyee, &Step::Accompanied, Side::Receiver),
            Err(Refused::NotNow(Envoyee))
        );
        assert_eq!(
            next(RendezVousFixe, &Step::Expire, Side::System),
            Err(Refused::NotNow(RendezVousFixe))
        );
        assert_eq!(
            next(RendezVousFixe, &Step::Open, Side::Receiver),
            Err(Refused::NotNow(RendezVousFixe))
        );
        assert_eq!(
            next(RendezVousFixe, &Step::Lapse, Side::System),
            Ok(SansSuite)
        );
        assert_eq!(
            next(RendezVousFixe, &Step::Lapse, Side::Receiver),
            Err(Refused::NotYours)
        );
        assert_eq!(
            next(Recue, &Step::Lapse, Side::System),
            Err(Refused::NotNow(Recue))
        );
    }

    #[test]
    fn codes_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.code()), Some(s));
        }
    }
}
