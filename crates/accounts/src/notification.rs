//! What Passerelle tells people by e-mail, as data: a kind and its
//! parameters. The outbox stores these; the French text is written by the
//! web layer from its templates when a message is shown or sent, so the
//! storage holds no prose and no web address, and one template serves every
//! message of a kind.
//!
//! No personal data of a referred person ever goes into a notification:
//! the referral or request is named by its number, and reading it requires
//! signing in.

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
    pub const ALL: [Topic; 6] = [
        Topic::ReferralReceived,
        Topic::ReferralStep,
        Topic::ReferralReminder,
        Topic::RequestReceived,
        Topic::RequestMessage,
        Topic::RequestClosed,
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
        }
    }

    /// Sober defaults (people of the field asked for fewer e-mails): what
    /// waits for someone's action at once, the rest in the daily digest.
    pub fn default_frequency(self) -> Frequency {
        match self {
            Self::ReferralReceived | Self::RequestReceived | Self::RequestMessage => {
                Frequency::Immediately
            }
            Self::ReferralStep | Self::ReferralReminder | Self::RequestClosed => Frequency::Daily,
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
            Self::PasswordReset { .. }
            | Self::Invitation { .. }
            | Self::AdminJoined { .. }
            | Self::MembershipRequested { .. }
            | Self::InactivityReminder { .. }
            | Self::Digest { .. } => None,
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
