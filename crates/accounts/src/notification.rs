//! What Passerelle tells people by e-mail, as data: a kind and its
//! parameters. The outbox stores these; the French text is written by the
//! web layer from its templates when a message is shown or sent, so the
//! storage holds no prose and no web address, and one template serves every
//! message of a kind.
//!
//! No personal data of a referred person ever goes into a notification:
//! the referral or request is named by its number, and reading it requires
//! signing in.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::Role;

/// One message to one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notification {
    /// A link to choose a new password. `token` is the link's secret while
    /// the link can be used; empty once delivered, used, replaced or
    /// expired (the outbox then holds no usable link).
    PasswordReset { name: String, token: String },
    /// An invitation from `inviter` to join `structure` with `role`;
    /// `token` as above.
    Invitation {
        inviter: String,
        structure: String,
        role: Role,
        token: String,
    },
    /// An administrator of the instance now works in a structure, so may
    /// read its people's data: told to its gestionnaires.
    AdminJoined {
        admin_name: String,
        admin_email: String,
        role: Role,
        structure_id: i64,
        structure: String,
    },
    /// A person signed in through ProConnect for the first time, working
    /// in the structure by its SIRET: its gestionnaires accept or decline
    /// them on the structure's page (no role is given until then).
    MembershipRequested {
        name: String,
        email: String,
        structure_id: i64,
        structure: String,
    },
    /// A referral arrived for the structure.
    ReferralReceived { referral: i64, service: String },
    /// A referral the structure sent or received moved to `status` (a code
    /// of `passerelle_referrals::lifecycle::Status`).
    ReferralStep { referral: i64, status: String },
    /// A referral has waited `days` for its receiver to act.
    ReferralReminder { referral: i64, days: i64 },
    /// A "situation complexe" request arrived for the referent group.
    RequestReceived { request: i64 },
    /// A new message in a request's thread.
    RequestMessage { request: i64 },
    /// A request closed after `days` without a message.
    RequestClosedIdle { request: i64, days: i64 },
    /// No sign-in for `months`: the account is deactivated if none comes
    /// within `left` more months.
    InactivityReminder {
        name: String,
        months: u32,
        left: u32,
    },
    /// The day's messages a person chose to receive together, in one.
    Digest { items: Vec<Notification> },
    /// Réseau: a seat of an event freed up and went to them, from its
    /// waiting list.
    EventSeatGiven { event: EventMention },
    /// Réseau: an event they registered for is tomorrow.
    EventReminder { event: EventMention },
    /// Réseau: the organiser cancelled an event they registered or waited
    /// for.
    EventCancelled { event: EventMention },
    /// Réseau: an event was published for a network they belong to.
    EventPublished {
        event: EventMention,
        network: String,
    },
    /// Réseau: a professional writes to them through the directory (their
    /// own words, and the address they agreed to give for the reply).
    DirectoryContact {
        from_name: String,
        from_structure: Option<String>,
        from_email: String,
        message: String,
    },
    /// Réseau: someone asks to join a network they animate.
    NetworkJoinRequested {
        network_id: i64,
        network: String,
        person: String,
    },
    /// Réseau: their request to join a network was accepted.
    NetworkJoinAccepted { network_id: i64, network: String },
    /// Réseau: the weekly digest of opportunities they subscribed to.
    OpportunitiesDigest { items: Vec<OpportunityMention> },
    /// A survey of their structure closes on `closes_on`.
    SurveyClosing {
        survey: i64,
        /// Its address: `/enquetes/<slug>`.
        slug: String,
        title: String,
        closes_on: NaiveDate,
    },
    /// The places of their territory not updated since `before`: how
    /// many, and the first of them.
    StalePlaces {
        before: NaiveDate,
        count: i64,
        places: Vec<PlaceMention>,
    },
}

/// An event as messages name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMention {
    pub id: i64,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    /// Where: the place or address and its commune ("Médiathèque,
    /// Quimper"); empty when online.
    pub venue: String,
    /// For online events, given to those registered.
    pub link: Option<String>,
}

/// One opportunity of Réseau's weekly digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityMention {
    pub id: i64,
    /// A code of `passerelle_network::vocab::OpportunityKind`.
    pub kind: String,
    pub title: String,
    pub organisation: String,
    pub deadline: NaiveDate,
    /// Where it applies: the name of its territory ("Finistère"); none
    /// when everywhere or online.
    pub reach: Option<String>,
    pub online: bool,
}

/// A place as messages name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceMention {
    pub id: i64,
    pub name: String,
    pub commune: String,
    pub updated_on: NaiveDate,
}

/// What a person chooses how to be told about (`Frequency`). Messages
/// about the account itself (passwords, invitations, its lifecycle) are
/// always sent at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    ReferralReceived,
    ReferralStep,
    ReferralReminder,
    RequestReceived,
    RequestMessage,
    RequestClosed,
    /// Réseau: a seat given from the waiting list, a cancelled event.
    EventRegistration,
    EventReminder,
    /// Réseau: a new event in one of my networks.
    NetworkEvent,
    /// Réseau: requests to join a network I animate, the answer to mine.
    NetworkMembership,
    SurveyClosing,
    /// For coordinators: the places of their territory left without update.
    StalePlaces,
}

/// How a person is told about a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    Immediately,
    /// In one e-mail a day with the others.
    Daily,
    Never,
}

impl Topic {
    pub const ALL: [Topic; 12] = [
        Topic::ReferralReceived,
        Topic::ReferralStep,
        Topic::ReferralReminder,
        Topic::RequestReceived,
        Topic::RequestMessage,
        Topic::RequestClosed,
        Topic::EventRegistration,
        Topic::EventReminder,
        Topic::NetworkEvent,
        Topic::NetworkMembership,
        Topic::SurveyClosing,
        Topic::StalePlaces,
    ];

    /// As stored.
    pub fn code(self) -> &'static str {
        match self {
            Self::ReferralReceived => "referral_received",
            Self::ReferralStep => "referral_step",
            Self::ReferralReminder => "referral_reminder",
            Self::RequestReceived => "request_received",
            Self::RequestMessage => "request_message",
            Self::RequestClosed => "request_closed",
            Self::EventRegistration => "event_registration",
            Self::EventReminder => "event_reminder",
            Self::NetworkEvent => "network_event",
            Self::NetworkMembership => "network_membership",
            Self::SurveyClosing => "survey_closing",
            Self::StalePlaces => "stale_places",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ReferralReceived => "Une orientation arrive pour ma structure",
            Self::ReferralStep => "Une orientation de ma structure avance",
            Self::ReferralReminder => "Rappel d’une orientation qui attend une réponse",
            Self::RequestReceived => "Une situation complexe est soumise à mon groupe de référents",
            Self::RequestMessage => "Une réponse dans une situation complexe",
            Self::RequestClosed => "Une situation complexe est close faute d’échange",
            Self::EventRegistration => {
                "Mes inscriptions aux temps du réseau : place libérée pour moi, temps annulé"
            }
            Self::EventReminder => "Rappel la veille d’un temps du réseau où je suis inscrit·e",
            Self::NetworkEvent => "Un nouveau temps est annoncé dans un de mes réseaux",
            Self::NetworkMembership => {
                "Adhésion à un réseau : demande à traiter (animateurs), réponse à ma demande"
            }
            Self::SurveyClosing => "Une enquête de ma structure va bientôt clore",
            Self::StalePlaces => {
                "Les lieux de mon territoire sans mise à jour depuis un an (coordination)"
            }
        }
    }

    /// The part of Passerelle it belongs to, as the account page groups
    /// topics (`ALL` lists each part's together).
    pub fn area(self) -> &'static str {
        match self {
            Self::ReferralReceived | Self::ReferralStep | Self::ReferralReminder => "Orientations",
            Self::RequestReceived | Self::RequestMessage | Self::RequestClosed => {
                "Situations complexes"
            }
            Self::EventRegistration
            | Self::EventReminder
            | Self::NetworkEvent
            | Self::NetworkMembership => "Réseau",
            Self::SurveyClosing => "Enquêtes",
            Self::StalePlaces => "Lieux",
        }
    }

    /// The frequencies a person may choose: a summary of stale places is
    /// itself a digest, so it comes in the daily one or not at all.
    pub fn choices(self) -> &'static [Frequency] {
        match self {
            Self::StalePlaces => &[Frequency::Daily, Frequency::Never],
            _ => &Frequency::ALL,
        }
    }

    /// Sober defaults (people of the field asked for fewer e-mails): what
    /// waits for someone's action or cannot wait a day (a seat given, an
    /// event cancelled or tomorrow) at once, the rest in the daily digest.
    pub fn default_frequency(self) -> Frequency {
        match self {
            Self::ReferralReceived
            | Self::RequestReceived
            | Self::RequestMessage
            | Self::EventRegistration
            | Self::EventReminder
            | Self::NetworkMembership => Frequency::Immediately,
            Self::ReferralStep
            | Self::ReferralReminder
            | Self::RequestClosed
            | Self::NetworkEvent
            | Self::SurveyClosing
            | Self::StalePlaces => Frequency::Daily,
        }
    }
}

impl Frequency {
    pub const ALL: [Frequency; 3] = [Frequency::Immediately, Frequency::Daily, Frequency::Never];

    pub fn code(self) -> &'static str {
        match self {
            Self::Immediately => "immediately",
            Self::Daily => "daily",
            Self::Never => "never",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Immediately => "Tout de suite",
            Self::Daily => "Dans le résumé du jour",
            Self::Never => "Jamais",
        }
    }
}

impl Notification {
    /// The one-time secret the message carries, if any (to cut it out
    /// once it must no longer be usable).
    pub fn token(&self) -> Option<&str> {
        match self {
            Self::PasswordReset { token, .. } | Self::Invitation { token, .. } => {
                Some(token.as_str()).filter(|t| !t.is_empty())
            }
            _ => None,
        }
    }

    /// What the person chose how to be told about, if this is one of those.
    pub fn topic(&self) -> Option<Topic> {
        match self {
            Self::ReferralReceived { .. } => Some(Topic::ReferralReceived),
            Self::ReferralStep { .. } => Some(Topic::ReferralStep),
            Self::ReferralReminder { .. } => Some(Topic::ReferralReminder),
            Self::RequestReceived { .. } => Some(Topic::RequestReceived),
            Self::RequestMessage { .. } => Some(Topic::RequestMessage),
            Self::RequestClosedIdle { .. } => Some(Topic::RequestClosed),
            Self::EventSeatGiven { .. } | Self::EventCancelled { .. } => {
                Some(Topic::EventRegistration)
            }
            Self::EventReminder { .. } => Some(Topic::EventReminder),
            Self::EventPublished { .. } => Some(Topic::NetworkEvent),
            Self::NetworkJoinRequested { .. } | Self::NetworkJoinAccepted { .. } => {
                Some(Topic::NetworkMembership)
            }
            Self::SurveyClosing { .. } => Some(Topic::SurveyClosing),
            Self::StalePlaces { .. } => Some(Topic::StalePlaces),
            // A message a person wrote to them, and a weekly digest they
            // subscribed to on its own page (`/reseau/veille`): not topics.
            Self::PasswordReset { .. }
            | Self::Invitation { .. }
            | Self::AdminJoined { .. }
            | Self::MembershipRequested { .. }
            | Self::InactivityReminder { .. }
            | Self::Digest { .. }
            | Self::DirectoryContact { .. }
            | Self::OpportunitiesDigest { .. } => None,
        }
    }

    /// The kind, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PasswordReset { .. } => "password_reset",
            Self::Invitation { .. } => "invitation",
            Self::AdminJoined { .. } => "admin_joined",
            Self::MembershipRequested { .. } => "membership_requested",
            Self::ReferralReceived { .. } => "referral_received",
            Self::ReferralStep { .. } => "referral_step",
            Self::ReferralReminder { .. } => "referral_reminder",
            Self::RequestReceived { .. } => "request_received",
            Self::RequestMessage { .. } => "request_message",
            Self::RequestClosedIdle { .. } => "request_closed_idle",
            Self::InactivityReminder { .. } => "inactivity_reminder",
            Self::Digest { .. } => "digest",
            Self::EventSeatGiven { .. } => "event_seat_given",
            Self::EventReminder { .. } => "event_reminder",
            Self::EventCancelled { .. } => "event_cancelled",
            Self::EventPublished { .. } => "event_published",
            Self::DirectoryContact { .. } => "directory_contact",
            Self::NetworkJoinRequested { .. } => "network_join_requested",
            Self::NetworkJoinAccepted { .. } => "network_join_accepted",
            Self::OpportunitiesDigest { .. } => "opportunities_digest",
            Self::SurveyClosing { .. } => "survey_closing",
            Self::StalePlaces { .. } => "stale_places",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_has_its_code_and_a_default_it_allows() {
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.code()), Some(t));
            assert!(t.choices().contains(&t.default_frequency()), "{t:?}");
        }
        let areas: Vec<_> = Topic::ALL.chunk_by(|a, b| a.area() == b.area()).collect();
        assert_eq!(areas.len(), 5, "each part's topics are listed together");
    }

    #[test]
    fn notifications_round_trip_through_their_stored_form() {
        let all = [
            Notification::PasswordReset {
                name: "Anne".into(),
                token: "a".repeat(64),
            },
            Notification::Invitation {
                inviter: "Malo".into(),
                structure: "CCAS de Quimper".into(),
                role: Role::Membre,
                token: "b".repeat(64),
            },
            Notification::ReferralStep {
                referral: 7,
                status: "accompagnee".into(),
            },
            Notification::EventReminder {
                event: EventMention {
                    id: 3,
                    title: "Rencontre du Finistère".into(),
                    starts_at: DateTime::from_timestamp(1_796_304_600, 0).unwrap(),
                    venue: "Médiathèque, Quimper".into(),
                    link: None,
                },
            },
            Notification::StalePlaces {
                before: NaiveDate::from_ymd_opt(2025, 12, 6).unwrap(),
                count: 1,
                places: vec![PlaceMention {
                    id: 4,
                    name: "Espace numérique".into(),
                    commune: "Brest".into(),
                    updated_on: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
                }],
            },
        ];
        for n in all {
            let stored = serde_json::to_string(&n).unwrap();
            assert!(
                stored.contains(&format!("\"kind\":\"{}\"", n.kind())),
                "{stored}"
            );
            assert_eq!(serde_json::from_str::<Notification>(&stored).unwrap(), n);
        }
        assert_eq!(
            Notification::PasswordReset {
                name: "Anne".into(),
                token: String::new()
            }
            .token(),
            None,
            "a cut-out link is no token"
        );
    }
}
