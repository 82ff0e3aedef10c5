//! What Réseau tells people by e-mail, as typed notices: the store queues
//! them in the transaction that causes them, the web renders their French
//! text (`passerelle_web`'s `reseau::mail`). Nothing here is personal
//! beyond what the recipient may know: a relayed message carries the
//! sender's own words and address, never the recipient's to the sender.

use chrono::{DateTime, NaiveDate, Utc};

use crate::vocab::OpportunityKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A seat freed up and went to them, from the waiting list.
    SeatGiven { event: EventNotice },
    /// Their event is tomorrow.
    Reminder { event: EventNotice },
    /// The organiser cancelled an event they registered for.
    EventCancelled { event: EventNotice },
    /// A professional writes to them through the directory.
    Contact {
        from_name: String,
        from_structure: Option<String>,
        /// The sender's address, which they agreed to give for the reply.
        from_email: String,
        message: String,
    },
    /// Someone asks to join a network they animate.
    JoinRequested {
        network_id: i64,
        network: String,
        person: String,
    },
    /// Their request to join was accepted.
    JoinAccepted { network_id: i64, network: String },
    /// The weekly digest of opportunities.
    Digest { items: Vec<DigestItem> },
}

/// An event as e-mails name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventNotice {
    pub id: i64,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    /// Where: the place or address and its commune ("Médiathèque,
    /// Quimper"); empty when online.
    pub venue: String,
    /// For online events, given to those registered.
    pub link: Option<String>,
}

/// One opportunity of a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestItem {
    pub id: i64,
    pub kind: OpportunityKind,
    pub title: String,
    pub organisation: String,
    pub deadline: NaiveDate,
    /// Where it applies: the name of its territory in the reference
    /// ("Finistère", "Quimper"); none when everywhere or online.
    pub reach: Option<String>,
    pub online: bool,
}
