//! The French text of e-mails, written from the notifications the outbox
//! stores (`passerelle_accounts::notification`), with the instance's public
//! address for links. The mailer sends what this writes; the outbox page
//! shows it. Text templates: `templates/mail/`.

use askama::Template;
use passerelle_accounts::notification::{
    EventMention, Notification, OpportunityMention, PlaceMention,
};
use passerelle_accounts::secret::REDACTED_LINK;
use passerelle_referrals::lifecycle::Status;
use passerelle_store::outbox::Content;

/// An e-mail as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
struct PasswordReset<'a> {
    name: &'a str,
    link: String,
}

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct Invitation<'a> {
    inviter: &'a str,
    structure: &'a str,
    role: &'a str,
    link: String,
}

#[derive(Template)]
#[template(path = "mail/admin_joined.txt")]
struct AdminJoined<'a> {
    admin_name: &'a str,
    admin_email: &'a str,
    role: &'a str,
    structure: &'a str,
    link: String,
}

#[derive(Template)]
#[template(path = "mail/membership_requested.txt")]
struct MembershipRequested<'a> {
    name: &'a str,
    email: &'a str,
    structure: &'a str,
    link: String,
}

#[derive(Template)]
#[template(path = "mail/inactivity_reminder.txt")]
struct InactivityReminder<'a> {
    name: &'a str,
    months: u32,
    left: u32,
    link: String,
}

/// A message about a referral or a request: one sentence and the page to
/// read it on.
#[derive(Template)]
#[template(path = "mail/referral.txt")]
struct Thread {
    sentence: String,
    link: String,
}

/// A message with one sentence and the page it is about.
#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct Notice {
    sentence: String,
    link: String,
}

/// A Réseau message about an event: what happens, when and where, and
/// what the person can do.
#[derive(Template)]
#[template(path = "mail/event.txt")]
struct Event {
    sentence: String,
    when: String,
    place: String,
    action: &'static str,
    link: String,
}

#[derive(Template)]
#[template(path = "mail/directory_contact.txt")]
struct DirectoryContact<'a> {
    from_name: &'a str,
    from_structure: &'a Option<String>,
    from_email: &'a str,
    message: &'a str,
    profile: String,
}

struct OpportunityLine {
    title: String,
    organisation: String,
    kind: &'static str,
    reach: String,
    deadline: String,
    link: String,
}

#[derive(Template)]
#[template(path = "mail/opportunities_digest.txt")]
struct OpportunitiesDigest {
    items: Vec<OpportunityLine>,
    all: String,
    settings: String,
}

struct PlaceLine {
    name: String,
    commune: String,
    updated: String,
    link: String,
}

#[derive(Template)]
#[template(path = "mail/stale_places.txt")]
struct StalePlaces {
    count: String,
    verb: &'static str,
    before: String,
    places: Vec<PlaceLine>,
    more: i64,
    more_text: String,
    link: String,
}

fn text(template: &impl Template) -> String {
    template
        .render()
        .expect("mail templates render from plain values")
}

/// A one-time link, or the words that replace it once it was cut out.
fn one_time(public_url: &str, path: &str, token: &str) -> String {
    if token.is_empty() {
        REDACTED_LINK.to_string()
    } else {
        format!("{public_url}{path}{token}")
    }
}

/// The day's digest: each message's subject and text, one after the other.
fn digest(items: &[Notification], public_url: &str) -> Mail {
    let mut body = format!(
        "Bonjour,\n\nVoici le résumé du jour de Passerelle ({} message{}). Vous choisissez ce que vous recevez, et quand, dans « Mon compte » → « Notifications ».\n",
        items.len(),
        if items.len() > 1 { "s" } else { "" }
    );
    for item in items {
        let mail = render(&Content::Notification(item.clone()), public_url);
        body.push_str(&format!(
            "\n— {}\n\n{}\n",
            mail.subject,
            mail.body.trim_end()
        ));
    }
    Mail {
        subject: "Passerelle : votre résumé du jour".into(),
        body,
    }
}

/// Réseau's messages about an event.
fn event(n: &Notification, e: &EventMention, public_url: &str) -> Mail {
    let (subject, sentence, action) = match n {
        Notification::EventSeatGiven { .. } => (
            format!("Une place s’est libérée : {}", e.title),
            format!(
                "Une place s’est libérée et vous revient : vous êtes inscrit·e à « {} ».",
                e.title
            ),
            "Si vous ne pouvez plus venir, désinscrivez-vous pour laisser la place à la personne suivante :",
        ),
        Notification::EventReminder { .. } => (
            format!("Rappel : {} demain", e.title),
            format!("Pour rappel, vous êtes inscrit·e à « {} ».", e.title),
            "Empêché·e ? Désinscrivez-vous pour laisser votre place :",
        ),
        Notification::EventCancelled { .. } => (
            format!("Annulé : {}", e.title),
            format!(
                "L’organisateur a annulé « {} ». Vous n’avez rien à faire.",
                e.title
            ),
            "Les autres temps du réseau :",
        ),
        Notification::EventPublished { network, .. } => (
            format!("Nouveau temps du réseau « {network} » : {}", e.title),
            format!(
                "Un nouveau temps est annoncé dans le réseau « {network} » : « {} ».",
                e.title
            ),
            "Le programme et l’inscription :",
        ),
        _ => unreachable!("only event messages come here"),
    };
    let place = match (&e.link, e.venue.is_empty()) {
        (Some(link), _) => format!("En ligne : {link}"),
        (None, true) => "En ligne (le lien vous sera donné par l’organisateur)".to_string(),
        (None, false) => format!("Lieu : {}", e.venue),
    };
    let link = match n {
        Notification::EventCancelled { .. } => format!("{public_url}/reseau/evenements"),
        _ => format!("{public_url}/reseau/evenements/{}", e.id),
    };
    Mail {
        subject,
        body: text(&Event {
            sentence,
            when: crate::fr::date_time(e.starts_at),
            place,
            action,
            link,
        }),
    }
}

fn opportunities(items: &[OpportunityMention], public_url: &str) -> Mail {
    let items = items
        .iter()
        .map(|i| OpportunityLine {
            title: i.title.clone(),
            organisation: i.organisation.clone(),
            kind: passerelle_network::vocab::OpportunityKind::parse(&i.kind)
                .map_or("Opportunité", |k| k.label()),
            reach: match (&i.reach, i.online) {
                (_, true) => "en ligne".to_string(),
                (Some(name), false) => name.clone(),
                (None, false) => "partout".to_string(),
            },
            deadline: crate::fr::date(i.deadline),
            link: format!("{public_url}/reseau/opportunites/{}", i.id),
        })
        .collect::<Vec<_>>();
    Mail {
        subject: match items.len() {
            1 => "Veille du réseau : 1 nouvelle opportunité".to_string(),
            n => format!("Veille du réseau : {n} nouvelles opportunités"),
        },
        body: text(&OpportunitiesDigest {
            items,
            all: format!("{public_url}/reseau/opportunites"),
            settings: format!("{public_url}/reseau/veille"),
        }),
    }
}

fn stale_places(
    before: chrono::NaiveDate,
    count: i64,
    places: &[PlaceMention],
    public_url: &str,
) -> Mail {
    let (count_text, verb) = match count {
        1 => ("1 lieu".to_string(), "a"),
        n => (format!("{} lieux", crate::fr::integer(n)), "ont"),
    };
    Mail {
        subject: format!("Coordination : {count_text} à mettre à jour"),
        body: text(&StalePlaces {
            count: count_text,
            verb,
            before: crate::fr::date(before),
            more: count - places.len() as i64,
            more_text: crate::fr::integer(count - places.len() as i64),
            places: places
                .iter()
                .map(|p| PlaceLine {
                    name: p.name.clone(),
                    commune: p.commune.clone(),
                    updated: crate::fr::date(p.updated_on),
                    link: format!("{public_url}/lieux/{}", p.id),
                })
                .collect(),
            link: format!("{public_url}/lieux/coordination"),
        }),
    }
}

/// The e-mail a stored message makes, for the instance at `public_url`:
/// each part of Passerelle writes its own.
pub fn render(content: &Content, public_url: &str) -> Mail {
    let n = match content {
        Content::Written { subject, body } => {
            return Mail {
                subject: subject.clone(),
                body: body.clone(),
            };
        }
        Content::Notification(n) => n,
    };
    match n {
        Notification::PasswordReset { .. }
        | Notification::Invitation { .. }
        | Notification::AdminJoined { .. }
        | Notification::MembershipRequested { .. }
        | Notification::InactivityReminder { .. } => account(n, public_url),
        Notification::ReferralReceived { .. }
        | Notification::ReferralStep { .. }
        | Notification::ReferralReminder { .. }
        | Notification::RequestReceived { .. }
        | Notification::RequestMessage { .. }
        | Notification::RequestClosedIdle { .. } => orientation(n, public_url),
        Notification::Digest { items } => digest(items, public_url),
        Notification::EventSeatGiven { event: e }
        | Notification::EventReminder { event: e }
        | Notification::EventCancelled { event: e }
        | Notification::EventPublished { event: e, .. } => event(n, e, public_url),
        Notification::DirectoryContact { .. }
        | Notification::NetworkJoinRequested { .. }
        | Notification::NetworkJoinAccepted { .. } => network(n, public_url),
        Notification::OpportunitiesDigest { items } => opportunities(items, public_url),
        Notification::SurveyClosing {
            slug,
            title,
            closes_on,
            ..
        } => Mail {
            subject: format!(
                "Enquête « {title} » : clôture le {}",
                crate::fr::date(*closes_on)
            ),
            body: text(&Notice {
                sentence: format!(
                    "L’enquête « {title} » de votre structure ne reçoit plus de réponses après le {}. Pour la prolonger, relancer les personnes ou préparer l’analyse :",
                    crate::fr::date(*closes_on)
                ),
                link: format!("{public_url}/enquetes/{slug}/questionnaire"),
            }),
        },
        Notification::StalePlaces {
            before,
            count,
            places,
        } => stale_places(*before, *count, places, public_url),
    }
}

/// The messages of accounts: password, invitation, membership, inactivity.
fn account(n: &Notification, public_url: &str) -> Mail {
    match n {
        Notification::PasswordReset { name, token } => Mail {
            subject: "Passerelle : nouveau mot de passe".into(),
            body: text(&PasswordReset {
                name,
                link: one_time(public_url, "/reinitialisation/", token),
            }),
        },
        Notification::Invitation {
            inviter,
            structure,
            role,
            token,
        } => Mail {
            subject: format!("Invitation à rejoindre {structure} sur Passerelle"),
            body: text(&Invitation {
                inviter,
                structure,
                role: role.label(),
                link: one_time(public_url, "/invitation/", token),
            }),
        },
        Notification::AdminJoined {
            admin_name,
            admin_email,
            role,
            structure_id,
            structure,
        } => Mail {
            subject: format!("Passerelle : un administrateur a rejoint {structure}"),
            body: text(&AdminJoined {
                admin_name,
                admin_email,
                role: role.label(),
                structure,
                link: format!("{public_url}/structures/{structure_id}"),
            }),
        },
        Notification::MembershipRequested {
            name,
            email,
            structure_id,
            structure,
        } => Mail {
            subject: format!("Passerelle : {name} demande à rejoindre {structure}"),
            body: text(&MembershipRequested {
                name,
                email,
                structure,
                link: format!("{public_url}/structures/{structure_id}"),
            }),
        },
        Notification::InactivityReminder { name, months, left } => Mail {
            subject: "Passerelle : votre compte sera bientôt désactivé".into(),
            body: text(&InactivityReminder {
                name,
                months: *months,
                left: *left,
                link: format!("{public_url}/connexion"),
            }),
        },
        _ => unreachable!("only account messages come here"),
    }
}

/// The messages of Orientations: referrals and situation complexe
/// requests, each a sentence and the link to its thread.
fn orientation(n: &Notification, public_url: &str) -> Mail {
    let (subject, sentence, path) = match n {
        Notification::ReferralReceived { referral, service } => (
            format!("Nouvelle orientation : {service}"),
            format!("Une structure vous oriente une personne pour « {service} »."),
            format!("/orientations/{referral}"),
        ),
        Notification::ReferralStep { referral, status } => {
            let status = Status::parse(status);
            let subject = match status {
                Some(Status::Envoyee) => "Orientation réorientée vers vous",
                Some(Status::Annulee) => "Orientation annulée",
                Some(Status::Expiree) => "Orientation expirée sans réponse",
                Some(Status::SansSuite) => "Orientation close sans suite",
                _ => "Suivi de votre orientation",
            };
            let label = status.map_or("mise à jour", Status::label);
            (
                subject.into(),
                format!("L’orientation n° {referral} est maintenant : {label}."),
                format!("/orientations/{referral}"),
            )
        }
        Notification::ReferralReminder { referral, days } => (
            "Rappel : une orientation attend votre réponse".into(),
            format!("L’orientation n° {referral} attend une action depuis {days} jours."),
            format!("/orientations/{referral}"),
        ),
        Notification::RequestReceived { request } => (
            "Situation complexe : une demande de professionnel".into(),
            "Un professionnel vous soumet une situation complexe : lisez-la et répondez sur Passerelle.".into(),
            format!("/referents/demandes/{request}"),
        ),
        Notification::RequestMessage { request } => (
            "Situation complexe : un nouveau message".into(),
            format!("Un message vous attend dans la demande n° {request}."),
            format!("/referents/demandes/{request}"),
        ),
        Notification::RequestClosedIdle { request, days } => (
            "Situation complexe : demande close faute d’échange".into(),
            format!("La demande n° {request} est close : aucun message depuis {days} jours."),
            format!("/referents/demandes/{request}"),
        ),
        _ => unreachable!("only Orientations messages come here"),
    };
    Mail {
        subject,
        body: text(&Thread {
            sentence,
            link: format!("{public_url}{path}"),
        }),
    }
}

/// The messages of Réseau's directory and networks.
fn network(n: &Notification, public_url: &str) -> Mail {
    match n {
        Notification::DirectoryContact {
            from_name,
            from_structure,
            from_email,
            message,
        } => Mail {
            subject: format!("Message de {from_name} via l’annuaire du réseau"),
            body: text(&DirectoryContact {
                from_name,
                from_structure,
                from_email,
                message,
                profile: format!("{public_url}/reseau/profil"),
            }),
        },
        Notification::NetworkJoinRequested {
            network_id,
            network,
            person,
        } => Mail {
            subject: format!("Demande d’adhésion au réseau « {network} »"),
            body: text(&Notice {
                sentence: format!(
                    "{person} demande à rejoindre le réseau « {network} », que vous animez. Acceptez ou refusez la demande :"
                ),
                link: format!("{public_url}/reseau/reseaux/{network_id}"),
            }),
        },
        Notification::NetworkJoinAccepted {
            network_id,
            network,
        } => Mail {
            subject: format!("Bienvenue dans le réseau « {network} »"),
            body: text(&Notice {
                sentence: format!(
                    "Votre demande est acceptée : vous êtes membre du réseau « {network} ». Ses temps forts et son agenda :"
                ),
                link: format!("{public_url}/reseau/reseaux/{network_id}"),
            }),
        },
        _ => unreachable!("only Réseau's directory and network messages come here"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};
    use passerelle_accounts::Role;

    fn mail(n: Notification) -> Mail {
        render(&Content::Notification(n), "https://passerelle.test")
    }

    #[test]
    fn reseau_messages_say_when_in_paris_time_and_link_back() {
        let event = EventMention {
            id: 7,
            title: "Rencontre du Finistère".into(),
            starts_at: Utc.with_ymd_and_hms(2026, 12, 3, 13, 30, 0).unwrap(),
            venue: "Médiathèque, Quimper".into(),
            link: None,
        };
        let reminder = mail(Notification::EventReminder {
            event: event.clone(),
        });
        assert_eq!(reminder.subject, "Rappel : Rencontre du Finistère demain");
        assert_eq!(
            reminder.body,
            "Bonjour,\n\nPour rappel, vous êtes inscrit·e à « Rencontre du Finistère ».\n\n\
             Quand : 3 décembre 2026 à 14 h 30\nLieu : Médiathèque, Quimper\n\n\
             Empêché·e ? Désinscrivez-vous pour laisser votre place :\n\
             https://passerelle.test/reseau/evenements/7\n\n\
             — Passerelle, le réseau de la médiation numérique du territoire"
        );
        let published = mail(Notification::EventPublished {
            event,
            network: "Médiathèques du Finistère".into(),
        });
        assert_eq!(
            published.subject,
            "Nouveau temps du réseau « Médiathèques du Finistère » : Rencontre du Finistère"
        );
        let digest = mail(Notification::OpportunitiesDigest {
            items: vec![OpportunityMention {
                id: 3,
                kind: "financement".into(),
                title: "AAP inclusion numérique".into(),
                organisation: "Région Bretagne".into(),
                deadline: NaiveDate::from_ymd_opt(2027, 1, 31).unwrap(),
                reach: Some("Bretagne".into()),
                online: false,
            }],
        });
        assert_eq!(digest.subject, "Veille du réseau : 1 nouvelle opportunité");
        assert!(
            digest.body.contains(
                "\n• AAP inclusion numérique — Région Bretagne (Appel à projets ou financement, Bretagne)\n  \
                 Jusqu’au 31 janvier 2027 : https://passerelle.test/reseau/opportunites/3\n"
            ),
            "{}",
            digest.body
        );
        let contact = mail(Notification::DirectoryContact {
            from_name: "Malo".into(),
            from_structure: Some("CCAS de Brest".into()),
            from_email: "malo@ccas.bzh".into(),
            message: "Pouvons-nous échanger ?".into(),
        });
        assert!(
            contact
                .body
                .starts_with("Bonjour,\n\nMalo (CCAS de Brest) vous écrit par l’annuaire du réseau :\n\nPouvons-nous échanger ?\n"),
            "{}",
            contact.body
        );
    }

    #[test]
    fn a_closing_survey_and_stale_places_read_in_french() {
        let survey = mail(Notification::SurveyClosing {
            survey: 4,
            slug: "besoins-2027".into(),
            title: "Besoins 2027".into(),
            closes_on: NaiveDate::from_ymd_opt(2026, 12, 9).unwrap(),
        });
        assert_eq!(
            survey.subject,
            "Enquête « Besoins 2027 » : clôture le 9 décembre 2026"
        );
        assert!(
            survey
                .body
                .contains("https://passerelle.test/enquetes/besoins-2027/questionnaire")
        );
        let place = |id, name: &str| PlaceMention {
            id,
            name: name.into(),
            commune: "Quimper".into(),
            updated_on: NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
        };
        let stale = mail(Notification::StalePlaces {
            before: NaiveDate::from_ymd_opt(2025, 12, 6).unwrap(),
            count: 1_204,
            places: vec![place(1, "Médiathèque"), place(2, "Espace numérique")],
        });
        assert_eq!(
            stale.subject,
            "Coordination : 1\u{202f}204 lieux à mettre à jour"
        );
        assert_eq!(
            stale.body,
            "Bonjour,\n\n1\u{202f}204 lieux sur votre territoire n’ont pas été mis à jour depuis le 6 décembre 2025. \
             Une fiche à jour, c’est une personne bien orientée : vérifiez-les avec leurs structures.\n\n\
             • Médiathèque (Quimper), mis à jour le 1er mars 2024 : https://passerelle.test/lieux/1\n\
             • Espace numérique (Quimper), mis à jour le 1er mars 2024 : https://passerelle.test/lieux/2\n\n\
             … et 1\u{202f}202 autres.\n\n\
             La liste complète : https://passerelle.test/lieux/coordination"
        );
    }

    #[test]
    fn a_digest_gathers_its_messages() {
        let mail = render(
            &Content::Notification(Notification::Digest {
                items: vec![
                    Notification::ReferralReminder {
                        referral: 3,
                        days: 5,
                    },
                    Notification::RequestClosedIdle {
                        request: 9,
                        days: 30,
                    },
                ],
            }),
            "https://passerelle.bzh",
        );
        assert_eq!(mail.subject, "Passerelle : votre résumé du jour");
        assert!(
            mail.body.contains("(2 messages)")
                && mail
                    .body
                    .contains("— Rappel : une orientation attend votre réponse")
                && mail.body.contains("https://passerelle.bzh/orientations/3")
                && mail
                    .body
                    .contains("https://passerelle.bzh/referents/demandes/9"),
            "{}",
            mail.body
        );
    }

    #[test]
    fn the_inactivity_reminder_says_when_and_how_to_keep_the_account() {
        let mail = render(
            &Content::Notification(Notification::InactivityReminder {
                name: "Anne".into(),
                months: 4,
                left: 2,
            }),
            "https://passerelle.bzh",
        );
        assert_eq!(
            mail.subject,
            "Passerelle : votre compte sera bientôt désactivé"
        );
        assert!(
            mail.body.contains("depuis 4 mois")
                && mail.body.contains("dans les 2 prochains mois")
                && mail.body.contains("https://passerelle.bzh/connexion"),
            "{}",
            mail.body
        );
    }

    #[test]
    fn links_follow_the_public_address_and_vanish_once_cut_out() {
        let invitation = |token: &str| {
            Content::Notification(Notification::Invitation {
                inviter: "Malo".into(),
                structure: "CCAS de Quimper".into(),
                role: Role::Membre,
                token: token.into(),
            })
        };
        let mail = render(&invitation(&"a".repeat(64)), "https://passerelle.bzh");
        assert_eq!(
            mail.subject,
            "Invitation à rejoindre CCAS de Quimper sur Passerelle"
        );
        assert!(mail.body.contains(&format!(
            "https://passerelle.bzh/invitation/{}",
            "a".repeat(64)
        )));
        assert!(mail.body.contains("Malo vous invite") && mail.body.contains("Membre"));
        let cut = render(&invitation(""), "https://passerelle.bzh");
        assert!(cut.body.contains(REDACTED_LINK) && !cut.body.contains("/invitation/"));
        let step = render(
            &Content::Notification(Notification::ReferralStep {
                referral: 12,
                status: "annulee".into(),
            }),
            "http://x",
        );
        assert_eq!(step.subject, "Orientation annulée");
        assert!(
            step.body.contains("n° 12 est maintenant : annulée")
                && step.body.contains("http://x/orientations/12")
        );
    }
}
