//! Comptes: who acts in Passerelle, for which structure, with which rights.
//!
//! No I/O here: roles and structure kinds, the access policy (the one place
//! that decides every access), password rules and hashing, and the secrets
//! (session, one-time and API tokens) with their stored hashes, and the
//! rules that slow down password guessing (`throttle`).
//! `passerelle-store` persists, `passerelle-web` asks `policy::authorize`.

pub mod kinds;
pub mod notification;
pub mod oidc;
pub mod password;
pub mod policy;
pub mod secret;
pub mod throttle;

pub use kinds::{Role, ScopeLevel, StructureKind};

/// An e-mail address as stored: trimmed and lower-cased, so that sign-in is
/// case-insensitive. `None` when it does not look like an address.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let valid = !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        && !domain.contains('@');
    valid.then_some(email)
}

/// SIRET: 14 digits whose Luhn checksum holds (La Poste's SIRETs, SIREN
/// 356000000, follow another rule: digit sum divisible by 5).
pub fn is_valid_siret(siret: &str) -> bool {
    if siret.len() != 14 || !siret.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = siret.bytes().map(|b| u32::from(b - b'0')).collect();
    if siret.starts_with("356000000") {
        return digits.iter().sum::<u32>() % 5 == 0;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                (d * 2) % 9 + u32::from(d * 2 == 18) * 9
            } else {
                *d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalize_email("  Anne.Le-Gall@Exemple.FR "),
            Some("anne.le-gall@exemple.fr".into())
        );
        for bad in [
            "",
            "anne",
            "anne@",
            "@exemple.fr",
            "anne@exemple",
            "a b@exemple.fr",
            "anne@@exemple.fr",
            "anne@.fr",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
        assert_eq!(
            normalize_email(&format!("{}@exemple.fr", "a".repeat(65))),
            None
        );
    }

    #[test]
    fn siret_checksum() {
        // SIRET of the DINUM; La Poste SIRETs use the digit-sum rule.
        assert!(is_valid_siret("13002526500013"));
        assert!(is_valid_siret("35600000000001"));
        assert!(!is_valid_siret("35600000000002"));
        assert!(!is_valid_siret("13002526500014"));
        assert!(!is_valid_siret("1300252650001"));
        assert!(!is_valid_siret("1300252650001A"));
    }
}
