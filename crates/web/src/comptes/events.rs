//! The audit trail's events as administrators read them: each action the
//! store records (`sign_in.failure`, `referral.refus`…) named in French.
//! The codes stay in the database and in the CSV export (a stable column
//! for scripts); pages show the names.

/// Every action the store records, with its name; the journal's filter
/// offers them in this order (by part of Passerelle).
pub const EVENTS: &[(&str, &str)] = &[
    ("sign_in.success", "Connexion"),
    (
        "sign_in.failure",
        "Connexion refusée (mot de passe incorrect)",
    ),
    (
        "sign_in.throttled",
        "Connexion bloquée (trop de tentatives)",
    ),
    ("sign_out", "Déconnexion"),
    ("sign_out.everywhere", "Déconnexion de toutes les sessions"),
    ("oidc.refused", "Connexion ProConnect refusée"),
    (
        "oidc.identity_linked",
        "Identité ProConnect reliée à un compte",
    ),
    (
        "oidc.person_created",
        "Compte créé à la première connexion ProConnect",
    ),
    ("password.changed", "Mot de passe changé"),
    (
        "password.change_refused",
        "Changement de mot de passe refusé",
    ),
    (
        "password.reset_requested",
        "Réinitialisation du mot de passe demandée",
    ),
    ("password.reset", "Mot de passe réinitialisé"),
    (
        "notifications.preferences",
        "Choix de notifications enregistrés",
    ),
    (
        "person.inactivity_reminded",
        "Rappel avant désactivation envoyé",
    ),
    ("person.deactivated", "Compte désactivé (inactivité)"),
    ("person.reactivated", "Compte réactivé"),
    ("invitation.created", "Invitation envoyée"),
    ("invitation.accepted", "Invitation acceptée"),
    ("membership.role_changed", "Rôle modifié"),
    ("membership.ended", "Personne retirée d’une structure"),
    (
        "membership.admin_joined",
        "Administrateur ajouté à une structure",
    ),
    (
        "membership_request.created",
        "Demande pour rejoindre une structure",
    ),
    (
        "membership_request.accepted",
        "Demande pour rejoindre acceptée",
    ),
    (
        "membership_request.declined",
        "Demande pour rejoindre refusée",
    ),
    ("structure.created", "Structure créée"),
    ("api_token.created", "Jeton d’API créé"),
    ("api_token.revoked", "Jeton d’API révoqué"),
    ("audit.exported", "Journal d’audit exporté"),
    ("places.imported", "Lieux importés"),
    ("place.edited", "Lieu modifié"),
    ("place.merged", "Doublons de lieux fusionnés"),
    (
        "place.duplicate_distinct",
        "Lieux déclarés distincts (pas des doublons)",
    ),
    ("places.stale_told", "Lieux à mettre à jour signalés"),
    ("activities.import", "Activités importées"),
    ("activity.created", "Accompagnement enregistré"),
    ("activity.updated", "Accompagnement modifié"),
    ("activity.withdrawn", "Accompagnement retiré"),
    (
        "activity.share.created",
        "Lien de partage de statistiques créé",
    ),
    (
        "activity.share.revoked",
        "Lien de partage de statistiques révoqué",
    ),
    ("referral.create", "Orientation créée"),
    ("referral.envoi", "Orientation envoyée"),
    ("referral.ouverture", "Orientation ouverte par le lieu"),
    ("referral.rendez_vous", "Rendez-vous fixé"),
    ("referral.accompagnee", "Personne accompagnée"),
    ("referral.non_venue", "Personne non venue"),
    ("referral.refus", "Orientation refusée"),
    ("referral.annulation", "Orientation annulée"),
    ("referral.expiration", "Orientation expirée"),
    ("referral.sans_suite", "Orientation classée sans suite"),
    ("referral.reorientation", "Personne réorientée"),
    (
        "referral.read_person",
        "Données d’une personne orientée consultées",
    ),
    (
        "referral.erase_person",
        "Données d’une personne orientée effacées",
    ),
    (
        "referral.link_activity",
        "Orientation reliée à un accompagnement",
    ),
    ("referent.saved", "Référent enregistré"),
    ("referent.validated", "Référent validé"),
    ("referent.deleted", "Référent supprimé"),
    ("complex_request.create", "Situation complexe soumise"),
    (
        "complex_request.message",
        "Réponse à une situation complexe",
    ),
    ("complex_request.close", "Situation complexe close"),
    ("complex_request.expire", "Situation complexe expirée"),
    (
        "complex_request.read_person",
        "Données d’une situation complexe consultées",
    ),
    (
        "complex_request.erase_person",
        "Données d’une situation complexe effacées",
    ),
    ("diagnostic.import", "Données du diagnostic importées"),
    ("survey.created", "Enquête créée"),
    ("survey.questionnaire", "Questionnaire d’enquête modifié"),
    ("survey.published", "Enquête mise en ligne"),
    ("survey.invitations", "Invitations à une enquête envoyées"),
    ("survey.responses_imported", "Réponses d’enquête importées"),
    (
        "survey.closing_told",
        "Fin prochaine d’une enquête annoncée",
    ),
    ("survey.closed", "Enquête close"),
    ("network.created", "Réseau créé"),
    ("network.joined", "Adhésion à un réseau"),
    ("network.left", "Départ d’un réseau"),
    ("network.member_set", "Membre d’un réseau modifié"),
    ("network.event_published", "Temps de réseau publié"),
    ("network.event_cancelled", "Temps de réseau annulé"),
    (
        "network.event_capacity",
        "Places d’un temps de réseau modifiées",
    ),
    ("network.registered", "Inscription à un temps de réseau"),
    ("network.withdrawn", "Désinscription d’un temps de réseau"),
    (
        "network.seat_given",
        "Place libérée donnée à la liste d’attente",
    ),
    ("network.attendance", "Présences relevées"),
    ("network.reminder_sent", "Rappel de temps de réseau envoyé"),
    ("network.calendar_link", "Lien d’agenda créé"),
    ("network.contact", "Message relayé par l’annuaire"),
    ("network.profile_saved", "Fiche d’annuaire enregistrée"),
    ("network.profile_withdrawn", "Fiche d’annuaire retirée"),
    ("network.need_added", "Besoin de formation ajouté"),
    ("network.need_removed", "Besoin de formation retiré"),
    ("network.resource_shared", "Ressource partagée"),
    ("network.resource_marked", "Ressource signalée"),
    ("network.resource_unmarked", "Signalement de ressource levé"),
    ("network.resource_hidden", "Ressource masquée"),
    ("network.resource_shown", "Ressource remise en ligne"),
    ("network.resource_featured", "Ressource mise en avant"),
    ("network.resource_unfeatured", "Ressource retirée de la une"),
    ("network.resource_deleted", "Ressource supprimée"),
    ("network.opportunity_published", "Opportunité publiée"),
    ("network.opportunity_withdrawn", "Opportunité retirée"),
    (
        "network.opportunities_expired",
        "Opportunités arrivées à échéance",
    ),
    ("network.digest_followed", "Veille des opportunités suivie"),
    ("network.digest_stopped", "Veille des opportunités arrêtée"),
    ("network.digest_sent", "Veille des opportunités envoyée"),
];

/// The French name of an audit action; one the list does not know yet (a
/// newer server wrote it) is said as such rather than as its code.
pub fn name(action: &str) -> &'static str {
    EVENTS
        .iter()
        .find(|(code, _)| *code == action)
        .map_or("Autre événement", |(_, name)| name)
}

/// The action filtered on, if it is one the list knows.
pub fn known(action: &str) -> Option<&'static str> {
    EVENTS
        .iter()
        .find(|(code, _)| *code == action)
        .map(|(code, _)| *code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every referral step of the lifecycle has its name in the journal.
    #[test]
    fn every_referral_step_is_named() {
        for kind in passerelle_referrals::lifecycle::StepKind::ALL {
            let action = format!("referral.{}", kind.code());
            assert_ne!(name(&action), "Autre événement", "{action}");
        }
    }

    #[test]
    fn codes_are_listed_once() {
        let mut codes: Vec<&str> = EVENTS.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        let before = codes.len();
        codes.dedup();
        assert_eq!(before, codes.len());
    }
}
