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

    /// The kind, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PasswordReset { .. } => "password_reset",
            Self::Invitation { .. } => "invitation",
            Self::AdminJoined { .. } => "admin_joined",
            Self::ReferralReceived { .. } => "referral_received",
            Self::ReferralStep { .. } => "referral_step",
            Self::ReferralReminder { .. } => "referral_reminder",
            Self::RequestReceived { .. } => "request_received",
            Self::RequestMessage { .. } => "request_message",
            Self::RequestClosedIdle { .. } => "request_closed_idle",
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
