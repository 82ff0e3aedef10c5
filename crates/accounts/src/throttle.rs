//! Slowing down password guessing without locking people out (OWASP ASVS
//! 2.2.1, and OWASP's "device cookies").
//!
//! Three counters decide whether a sign-in attempt is even checked:
//! - **the account**: after `FREE_FAILURES` failures since its last
//!   success, each new attempt waits a delay that doubles with every
//!   failure, up to `MAX_DELAY_SECONDS`. The right password waits too, or
//!   guessing would only need patience — but the wait is seconds at first,
//!   never a fifteen-minute lock;
//! - **the address**: many failures from one address within
//!   `ADDRESS_WINDOW_SECONDS` (credential stuffing) make that address wait
//!   the end of the window. The limit is high, because a whole office or a
//!   France services behind one address signs in from it;
//! - **the device**: a browser where the person signed in successfully holds
//!   a device cookie for them. Someone else's failures (on the account or
//!   the address) never slow that browser down; only its own failures do,
//!   and after `DEVICE_FAILURES` of them the cookie is no longer trusted.
//!
//! Pure rules: the store counts, `web` asks here, and tells the person how
//! long to wait.

/// Failures an account may have since its last success before attempts
/// start to wait.
pub const FREE_FAILURES: i64 = 5;
/// The longest wait between two attempts on one account.
pub const MAX_DELAY_SECONDS: i64 = 15 * 60;
/// How far back an account's failures count (a success resets them too).
pub const ACCOUNT_WINDOW_SECONDS: i64 = 24 * 3600;
/// Failures from one address, on any accounts, that make it wait.
pub const ADDRESS_FAILURES: i64 = 100;
pub const ADDRESS_WINDOW_SECONDS: i64 = 15 * 60;
/// Failures made with a device cookie before it stops being trusted.
pub const DEVICE_FAILURES: i64 = 5;
/// How long a device stays trusted without a sign-in.
pub const DEVICE_DAYS: i64 = 180;

/// What the store knows about recent attempts, in seconds since the epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempts {
    /// Failures on the account since its last success, within
    /// `ACCOUNT_WINDOW_SECONDS`, and when the latest one happened.
    pub account_failures: i64,
    pub last_account_failure: Option<i64>,
    /// Failures from the address within `ADDRESS_WINDOW_SECONDS`, and the
    /// oldest of them (the window ends `ADDRESS_WINDOW_SECONDS` after it).
    pub address_failures: i64,
    pub oldest_address_failure: Option<i64>,
    /// The browser holds a device cookie this account trusts.
    pub trusted_device: bool,
}

/// Whether to check the password now, or how many seconds to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Check,
    Wait { seconds: i64 },
}

/// The wait imposed after `failures` failures on an account.
pub fn account_delay(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(20) as u32;
    (1_i64 << doublings).min(MAX_DELAY_SECONDS)
}

/// Decides an attempt made at `now`.
pub fn decide(attempts: &Attempts, now: i64) -> Verdict {
    if attempts.trusted_device {
        return Verdict::Check;
    }
    let mut wait = 0;
    if attempts.address_failures >= ADDRESS_FAILURES
        && let Some(oldest) = attempts.oldest_address_failure
    {
        wait = wait.max(oldest + ADDRESS_WINDOW_SECONDS - now);
    }
    let delay = account_delay(attempts.account_failures);
    if let Some(last) = attempts.last_account_failure
        && delay > 0
    {
        // Stored times are whole seconds: the failure happened up to a
        // second after `last`, so the wait is counted from the second after.
        wait = wait.max(last + 1 + delay - now);
    }
    if wait > 0 {
        Verdict::Wait { seconds: wait }
    } else {
        Verdict::Check
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_doubles_after_the_free_failures_and_stays_bounded() {
        let delays: Vec<i64> = (0..12).map(account_delay).collect();
        assert_eq!(delays, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64]);
        assert_eq!(account_delay(1_000), MAX_DELAY_SECONDS);
    }

    #[test]
    fn the_account_waits_from_its_last_failure_only() {
        let at = |failures, last| Attempts {
            account_failures: failures,
            last_account_failure: Some(last),
            ..Attempts::default()
        };
        assert_eq!(decide(&at(4, 100), 100), Verdict::Check);
        assert_eq!(decide(&at(5, 100), 100), Verdict::Wait { seconds: 2 });
        assert_eq!(decide(&at(5, 100), 101), Verdict::Wait { seconds: 1 });
        assert_eq!(decide(&at(7, 100), 101), Verdict::Wait { seconds: 4 });
        assert_eq!(decide(&at(7, 100), 105), Verdict::Check);
    }

    #[test]
    fn a_busy_address_waits_for_its_window_but_a_trusted_device_does_not() {
        let busy = Attempts {
            address_failures: ADDRESS_FAILURES,
            oldest_address_failure: Some(1_000),
            ..Attempts::default()
        };
        assert_eq!(decide(&busy, 1_100), Verdict::Wait { seconds: 800 });
        assert_eq!(
            decide(&busy, 1_000 + ADDRESS_WINDOW_SECONDS),
            Verdict::Check
        );
        let below = Attempts {
            address_failures: ADDRESS_FAILURES - 1,
            ..busy
        };
        assert_eq!(decide(&below, 1_100), Verdict::Check);
        let trusted = Attempts {
            trusted_device: true,
            account_failures: 50,
            last_account_failure: Some(1_099),
            ..busy
        };
        assert_eq!(decide(&trusted, 1_100), Verdict::Check);
    }
}
