//! Secrets handed to people and machines (session cookies, one-time links,
//! API tokens, CSRF tokens): 256 random bits, hex-encoded. Only their SHA-256
//! is stored, so a copy of the database opens no session.

use sha2::{Digest, Sha256};

/// What replaces a one-time link in a stored message once the link is
/// delivered, used or replaced: whoever reads the outbox (or a backup of
/// it) must not be able to use it.
pub const REDACTED_LINK: &str = "[lien retiré]";

/// A new random secret, 64 hex characters.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source is available");
    hex(&bytes)
}

/// What is stored for a secret.
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Comparison whose time does not depend on where the strings differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether a presented secret has the shape of ours (cheap rejection of
/// garbage before any database look-up).
pub fn looks_like_secret(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hashed() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(looks_like_secret(&a));
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(hash_secret(&a), a);
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
        assert!(!constant_time_eq("ab", "abc"));
        assert!(!looks_like_secret("ABC") && !looks_like_secret(&a[1..]));
    }
}
