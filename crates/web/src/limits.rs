//! Rate limits on what anonymous visitors can make the server store (survey
//! drafts), per client address, in this server's memory.
//!
//! In memory rather than in the database on purpose: the survey form must
//! never store the respondent's address (responses are anonymous by
//! construction), and a limit that resets when the server restarts, or
//! counts per server when there are several, is still a limit. Fixed
//! windows: simple, and enough against a script filling a disk.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What is limited, with how many per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limited {
    /// Saving a survey draft ("Enregistrer et reprendre plus tard").
    SurveyDraft,
}

impl Limited {
    fn allowance(self) -> (u32, Duration) {
        match self {
            // A respondent saves a few times per questionnaire; a household
            // or a class behind one address, a few dozen.
            Self::SurveyDraft => (60, Duration::from_secs(3600)),
        }
    }
}

#[derive(Default)]
pub struct RateLimits {
    windows: Mutex<HashMap<(Limited, IpAddr), (Instant, u32)>>,
}

impl RateLimits {
    /// Counts one more `what` from `address`; `false` when over the limit.
    /// Requests without an address (tests, a Unix socket) are not limited.
    pub fn allow(&self, what: Limited, address: Option<&str>) -> bool {
        let Some(address) = address.and_then(|a| a.parse::<IpAddr>().ok()) else {
            return true;
        };
        let (allowed, window) = what.allowance();
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > 100_000 {
            windows.retain(|(kind, _), (start, _)| now.duration_since(*start) < kind.allowance().1);
        }
        let entry = windows.entry((what, address)).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_allowance() {
        let limits = RateLimits::default();
        for _ in 0..60 {
            assert!(limits.allow(Limited::SurveyDraft, Some("192.0.2.1")));
        }
        assert!(!limits.allow(Limited::SurveyDraft, Some("192.0.2.1")));
        assert!(limits.allow(Limited::SurveyDraft, Some("192.0.2.2")));
        assert!(limits.allow(Limited::SurveyDraft, None));
    }
}
