//! Signing in through an OpenID Connect provider (ProConnect): who the
//! provider says a person is, and the rules Passerelle applies to it. No
//! I/O: the web layer verifies the tokens (`openidconnect`), the store links
//! the identity to a person.

/// What the provider vouches for, once its ID token and userinfo were
/// verified against its keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The provider's `iss`.
    pub issuer: String,
    /// The person's `sub` at that provider: stable, whatever the address.
    pub subject: String,
    /// The address, as stored (`normalize_email`).
    pub email: String,
    /// ProConnect says nothing of it (its identity providers verify the
    /// addresses they vouch for); a provider that says `false` is not
    /// believed on the address.
    pub email_verified: bool,
    pub given_name: Option<String>,
    /// ProConnect's family name claim.
    pub usual_name: Option<String>,
    /// The SIRET of the establishment the person works in, when the
    /// provider knows it.
    pub siret: Option<String>,
}

impl Profile {
    /// The name shown for a person created by a first sign-in: "Prénom Nom",
    /// or the part of the address before `@` when the provider gave no name.
    pub fn display_name(&self) -> String {
        let parts: Vec<&str> = [&self.given_name, &self.usual_name]
            .into_iter()
            .flatten()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            self.email.split('@').next().unwrap_or_default().to_string()
        } else {
            parts.join(" ")
        }
    }

    /// The SIRET as a structure would store it (digits only), when it is one.
    pub fn siret(&self) -> Option<String> {
        let digits: String = self
            .siret
            .as_deref()?
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        crate::is_valid_siret(&digits).then_some(digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        Profile {
            issuer: "https://proconnect.example".into(),
            subject: "abc".into(),
            email: "anne.le-goff@quimper.fr".into(),
            email_verified: true,
            given_name: Some("Anne".into()),
            usual_name: Some("Le Goff".into()),
            siret: Some("130 025 265 00013".into()),
        }
    }

    #[test]
    fn names_and_siret_as_passerelle_keeps_them() {
        let p = profile();
        assert_eq!(p.display_name(), "Anne Le Goff");
        assert_eq!(p.siret().as_deref(), Some("13002526500013"));
        let bare = Profile {
            given_name: None,
            usual_name: Some("  ".into()),
            siret: Some("12345678901234".into()),
            ..p
        };
        assert_eq!(bare.display_name(), "anne.le-goff");
        assert_eq!(bare.siret(), None, "a wrong checksum is no SIRET");
    }
}
