//! The text of Réseau's e-mails, in French, from the typed notices the
//! store queues (`passerelle_network::notice`). `letter` is the one place
//! they are written: when the outbox stores typed notifications rendered
//! from templates with per-person preferences, it becomes that renderer.

use passerelle_network::notice::{DigestItem, EventNotice, Notice};
use passerelle_store::network::Letter;

use crate::fr;

/// The e-mail of a notice; links start with `base` (the public URL).
pub fn letter(notice: &Notice, base: &str) -> Letter {
    let sign = "\n\n— Passerelle, le réseau de la médiation numérique du territoire";
    let (subject, body) = match notice {
        Notice::SeatGiven { event } => (
            format!("Une place s’est libérée : {}", event.title),
            format!(
                "Bonjour,\n\nUne place s’est libérée et vous revient : vous êtes inscrit·e à « {} ».\n\n{}\n\nSi vous ne pouvez plus venir, désinscrivez-vous pour laisser la place à la personne suivante : {base}/reseau/evenements/{}",
                event.title,
                event_lines(event),
                event.id
            ),
        ),
        Notice::Reminder { event } => (
            format!("Rappel : {} demain", event.title),
            format!(
                "Bonjour,\n\nPour rappel, vous êtes inscrit·e à « {} ».\n\n{}\n\nEmpêché·e ? Désinscrivez-vous pour laisser votre place : {base}/reseau/evenements/{}",
                event.title,
                event_lines(event),
                event.id
            ),
        ),
        Notice::EventCancelled { event } => (
            format!("Annulé : {}", event.title),
            format!(
                "Bonjour,\n\nL’organisateur a annulé « {} », prévu le {}. Vous n’avez rien à faire.\n\nLes prochains temps du réseau : {base}/reseau/evenements",
                event.title,
                fr::date_time(event.starts_at)
            ),
        ),
        Notice::Contact {
            from_name,
            from_structure,
            from_email,
            message,
        } => (
            format!("Message de {from_name} via l’annuaire du réseau"),
            format!(
                "Bonjour,\n\n{from_name}{} vous écrit par l’annuaire du réseau :\n\n{message}\n\nPour lui répondre, écrivez à {from_email} (adresse qu’il ou elle a choisi de vous donner). Votre adresse ne lui a pas été montrée.\n\nVous ne souhaitez plus figurer dans l’annuaire ? {base}/reseau/profil",
                from_structure
                    .as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default()
            ),
        ),
        Notice::JoinRequested {
            network_id,
            network,
            person,
        } => (
            format!("Demande d’adhésion au réseau « {network} »"),
            format!(
                "Bonjour,\n\n{person} demande à rejoindre le réseau « {network} », que vous animez. Acceptez ou refusez la demande : {base}/reseau/reseaux/{network_id}"
            ),
        ),
        Notice::JoinAccepted {
            network_id,
            network,
        } => (
            format!("Bienvenue dans le réseau « {network} »"),
            format!(
                "Bonjour,\n\nVotre demande est acceptée : vous êtes membre du réseau « {network} ». Ses temps forts et son agenda : {base}/reseau/reseaux/{network_id}"
            ),
        ),
        Notice::Digest { items } => (
            match items.len() {
                1 => "Veille du réseau : 1 nouvelle opportunité".to_string(),
                n => format!("Veille du réseau : {n} nouvelles opportunités"),
            },
            format!(
                "Bonjour,\n\nVoici les opportunités publiées cette semaine pour votre territoire et vos thèmes :\n\n{}\n\nToutes les opportunités : {base}/reseau/opportunites\nChanger ou arrêter cette veille : {base}/reseau/veille",
                items
                    .iter()
                    .map(|i| digest_item(i, base))
                    .collect::<Vec<_>>()
                    .join("\n\n")
            ),
        ),
    };
    Letter {
        subject,
        body: format!("{body}{sign}"),
    }
}

fn event_lines(e: &EventNotice) -> String {
    let place = match (&e.link, e.venue.is_empty()) {
        (Some(link), _) => format!("En ligne : {link}"),
        (None, true) => "En ligne (le lien vous sera donné par l’organisateur)".to_string(),
        (None, false) => format!("Lieu : {}", e.venue),
    };
    format!("Quand : {}\n{place}", fr::date_time(e.starts_at))
}

fn digest_item(i: &DigestItem, base: &str) -> String {
    let reach = match (&i.reach, i.online) {
        (_, true) => "en ligne".to_string(),
        (Some(name), false) => name.clone(),
        (None, false) => "partout".to_string(),
    };
    format!(
        "• {} — {} ({}, {reach})\n  Jusqu’au {} : {base}/reseau/opportunites/{}",
        i.title,
        i.organisation,
        i.kind.label(),
        fr::date(i.deadline),
        i.id
    )
}

/// The renderer the store is given, for this instance's address.
pub fn renderer(base: &str) -> impl Fn(&Notice) -> Letter + Send + Sync + use<> {
    let base = base.to_string();
    move |n: &Notice| letter(n, &base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};
    use passerelle_network::vocab::OpportunityKind;

    #[test]
    fn letters_say_when_in_paris_time_and_link_back() {
        let event = EventNotice {
            id: 7,
            title: "Rencontre du Finistère".into(),
            starts_at: Utc.with_ymd_and_hms(2026, 12, 3, 13, 30, 0).unwrap(),
            venue: "Médiathèque, Quimper".into(),
            link: None,
        };
        let l = letter(&Notice::Reminder { event }, "https://passerelle.test");
        assert_eq!(l.subject, "Rappel : Rencontre du Finistère demain");
        assert!(
            l.body.contains("Quand : 3 décembre 2026 à 14 h 30"),
            "{}",
            l.body
        );
        assert!(l.body.contains("Lieu : Médiathèque, Quimper"));
        assert!(
            l.body
                .contains("https://passerelle.test/reseau/evenements/7")
        );
        let digest = letter(
            &Notice::Digest {
                items: vec![DigestItem {
                    id: 3,
                    kind: OpportunityKind::Funding,
                    title: "AAP inclusion numérique".into(),
                    organisation: "Région Bretagne".into(),
                    deadline: NaiveDate::from_ymd_opt(2027, 1, 31).unwrap(),
                    reach: Some("Bretagne".into()),
                    online: false,
                }],
            },
            "https://passerelle.test",
        );
        assert_eq!(digest.subject, "Veille du réseau : 1 nouvelle opportunité");
        assert!(digest.body.contains(
            "AAP inclusion numérique — Région Bretagne (Appel à projets ou financement, Bretagne)"
        ));
        assert!(digest.body.contains("Jusqu’au 31 janvier 2027"));
    }
}
