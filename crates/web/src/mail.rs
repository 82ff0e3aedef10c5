//! The French text of e-mails, written from the notifications the outbox
//! stores (`passerelle_accounts::notification`), with the instance's public
//! address for links. The mailer sends what this writes; the outbox page
//! shows it. Text templates: `templates/mail/`.

use askama::Template;
use passerelle_accounts::notification::Notification;
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

/// The e-mail a stored message makes, for the instance at `public_url`.
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
    let thread = |subject: String, sentence: String, path: String| Mail {
        subject,
        body: text(&Thread {
            sentence,
            link: format!("{public_url}{path}"),
        }),
    };
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
        Notification::ReferralReceived { referral, service } => thread(
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
            thread(
                subject.into(),
                format!("L’orientation n° {referral} est maintenant : {label}."),
                format!("/orientations/{referral}"),
            )
        }
        Notification::ReferralReminder { referral, days } => thread(
            "Rappel : une orientation attend votre réponse".into(),
            format!("L’orientation n° {referral} attend une action depuis {days} jours."),
            format!("/orientations/{referral}"),
        ),
        Notification::RequestReceived { request } => thread(
            "Situation complexe : une demande de professionnel".into(),
            "Un professionnel vous soumet une situation complexe : lisez-la et répondez sur Passerelle.".into(),
            format!("/referents/demandes/{request}"),
        ),
        Notification::RequestMessage { request } => thread(
            "Situation complexe : un nouveau message".into(),
            format!("Un message vous attend dans la demande n° {request}."),
            format!("/referents/demandes/{request}"),
        ),
        Notification::InactivityReminder { name, months, left } => Mail {
            subject: "Passerelle : votre compte sera bientôt désactivé".into(),
            body: text(&InactivityReminder {
                name,
                months: *months,
                left: *left,
                link: format!("{public_url}/connexion"),
            }),
        },
        Notification::Digest { items } => digest(items, public_url),
        Notification::RequestClosedIdle { request, days } => thread(
            "Situation complexe : demande close faute d’échange".into(),
            format!("La demande n° {request} est close : aucun message depuis {days} jours."),
            format!("/referents/demandes/{request}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use passerelle_accounts::Role;

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
