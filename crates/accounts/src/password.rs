//! Passwords: the rules a new one must meet, and Argon2id hashing with the
//! OWASP parameters (19 MiB of memory, 2 passes, 1 lane). Hashing takes tens
//! of milliseconds of CPU: callers run it off the async runtime.

use std::collections::HashSet;
use std::sync::OnceLock;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_LENGTH: usize = 12;
/// Bounds the work an attacker can make the server do per attempt.
pub const MAX_LENGTH: usize = 256;

/// The Argon2id parameters in use: OWASP's first recommended set.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params =
        Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why a new password is refused, in French for the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    Common,
    ContainsEmail,
}

impl PasswordProblem {
    pub fn message(&self) -> String {
        match self {
            Self::TooShort => format!("Le mot de passe doit compter au moins {MIN_LENGTH} caractères."),
            Self::TooLong => format!("Le mot de passe ne peut pas dépasser {MAX_LENGTH} caractères."),
            Self::Common => "Ce mot de passe fait partie des mots de passe les plus courants : choisissez-en un autre.".into(),
            Self::ContainsEmail => "Le mot de passe ne doit pas contenir votre adresse électronique.".into(),
        }
    }
}

fn common_passwords() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../../../data/accounts/common-passwords.txt")
            .lines()
            .collect()
    })
}

/// Checks a password someone chooses. Length counts characters, not bytes.
pub fn check_new_password(password: &str, email: &str) -> Result<(), PasswordProblem> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordProblem::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PasswordProblem::TooLong);
    }
    let lower = password.to_lowercase();
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let list = common_passwords();
    if list.contains(lower.as_str()) || (core.chars().count() >= 6 && list.contains(core)) {
        return Err(PasswordProblem::Common);
    }
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    if local.chars().count() >= 4 && lower.contains(&local) {
        return Err(PasswordProblem::ContainsEmail);
    }
    Ok(())
}

/// The PHC string to store (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub fn hash_password(password: &str) -> String {
    argon2()
        .hash_password(password.as_bytes())
        .expect("Argon2 hashing with valid parameters")
        .to_string()
}

/// Whether `password` matches a stored PHC string. Over-long input is refused
/// before hashing.
pub fn verify_password(password: &str, stored: &str) -> bool {
    password.len() <= MAX_LENGTH * 4
        && argon2()
            .verify_password(password.as_bytes(), stored)
            .is_ok()
}

/// Spends the time of one verification, so that an unknown address takes as
/// long to refuse as a wrong password.
pub fn verify_nothing(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("passerelle-dummy-password"));
    let _ = verify_password(password, hash);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_with_owasp_argon2id_and_verifies() {
        let hash = hash_password("un long mot de passe 42");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("un long mot de passe 42", &hash));
        assert!(!verify_password("un long mot de passe 43", &hash));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(hash, hash_password("un long mot de passe 42"), "salted");
    }

    #[test]
    fn new_password_rules() {
        let email = "anne.legall@exemple.fr";
        assert_eq!(
            check_new_password("court", email),
            Err(PasswordProblem::TooShort)
        );
        assert_eq!(
            check_new_password("élan-ça-va-1", email),
            Ok(()),
            "12 characters, 15 bytes"
        );
        assert_eq!(
            check_new_password(&"x".repeat(257), email),
            Err(PasswordProblem::TooLong)
        );
        assert_eq!(
            check_new_password("123qweasdzxc", email),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check_new_password("Motdepasse2024!", email),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check_new_password("2024AZERTYUIOP", email),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check_new_password("anne.legall-1234", email),
            Err(PasswordProblem::ContainsEmail)
        );
        assert_eq!(
            check_new_password("chaloupe verte sur le blavet", email),
            Ok(())
        );
    }
}
