//! What a page says after an action (a DSFR alert): the handler that acted
//! redirects with `?info=<code>`, the page it lands on shows the French
//! sentence for that code. The flag survives the redirect without any
//! cookie or server state, and carries no personal data — only a code from
//! the list below; an unknown code shows nothing.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::Deserialize;

/// The codes and their sentences.
const NOTICES: &[(&str, &str)] = &[
    (
        "structure-creee",
        "Structure créée. Invitez maintenant ses membres.",
    ),
    (
        "invitation",
        "Invitation envoyée : elle apparaît ci-dessous jusqu’à ce qu’elle soit acceptée.",
    ),
    (
        "demande-envoyee",
        "Vous êtes connecté avec ProConnect. Votre structure a reçu votre demande : vous pourrez y travailler dès qu’un de ses gestionnaires l’aura acceptée.",
    ),
    (
        "demande-acceptee",
        "Demande acceptée : la personne est maintenant membre de la structure.",
    ),
    (
        "demande-refusee",
        "Demande refusée : la personne n’a aucun rôle dans la structure.",
    ),
    (
        "invitation-acceptee",
        "Invitation acceptée : bienvenue dans votre structure.",
    ),
    (
        "orientation-envoyee",
        "Orientation envoyée. La structure destinataire a été prévenue par courriel.",
    ),
    ("suivi-enregistre", "Suivi enregistré."),
    (
        "donnees-effacees",
        "Les données de la personne ont été effacées.",
    ),
    ("referent-ajoute", "Référent ajouté et validé."),
    (
        "referent-propose",
        "Référent proposé. Il recevra des demandes quand un coordinateur de son territoire ou un administrateur l’aura validé.",
    ),
    (
        "referent-valide",
        "Référent validé : il peut désormais recevoir des demandes.",
    ),
    ("referent-retire", "Référent retiré de l’annuaire."),
    (
        "demande-envoyee",
        "Demande envoyée : les référents de l’organisme la liront ici.",
    ),
    (
        "demande-effacee",
        "Les informations sur la personne ont été effacées, l’objet et les messages compris.",
    ),
];

#[derive(Deserialize, Default)]
struct InfoQuery {
    #[serde(default)]
    info: String,
}

/// The notice a page was reached with, if any.
#[derive(Debug, Clone, Copy, Default)]
pub struct Notice(Option<&'static str>);

impl Notice {
    pub fn of(code: &str) -> Self {
        Self(NOTICES.iter().find(|(c, _)| *c == code).map(|(_, m)| *m))
    }

    pub fn message(self) -> Option<&'static str> {
        self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Notice {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Ok(Query(q)) = Query::<InfoQuery>::from_request_parts(parts, state).await else {
            return Ok(Self::default());
        };
        Ok(Self::of(&q.info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_speak_french_and_unknown_ones_say_nothing() {
        assert_eq!(
            Notice::of("structure-creee").message(),
            Some("Structure créée. Invitez maintenant ses membres.")
        );
        assert_eq!(Notice::of("<script>").message(), None);
        assert_eq!(Notice::of("").message(), None);
    }
}
