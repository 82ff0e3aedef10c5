//! E-mail through `lettre` against a real SMTP server on loopback
//! (`common::Relay`: Python's aiosmtpd): headers and French text as they
//! arrive, authentication, STARTTLS with a private CA, a relay that stalls
//! or refuses, and the delivery state on the outbox page.

mod common;

use std::sync::Arc;

use common::{Client, Relay, call, world};
use passerelle_store::outbox::Delivery;
use passerelle_web::mailer::{Mailer, SmtpConfig, deliver_pending};

const LINKS: &str = "http://passerelle.test";

fn mailer(url: &str) -> Arc<Mailer> {
    Arc::new(Mailer::new(&SmtpConfig::parse(url).unwrap()).unwrap())
}

async fn deliveries(db: &passerelle_store::Database) -> Vec<(String, Delivery)> {
    let mut all: Vec<_> = db
        .outbox(false, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.to_address.clone(), m.delivery()))
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

#[tokio::test]
async fn messages_arrive_with_their_headers_and_french_text() {
    let w = world().await;
    let asked = call(
        &w.app,
        &Client::anonymous(),
        "POST",
        "/mot-de-passe-oublie",
        Some("email=membre.b%40rennes.fr"),
    )
    .await;
    assert_eq!(asked.status.as_u16(), 200);
    common::queue_written_mail(
        &w.db,
        "anne@exemple.fr",
        "Réunion du réseau « numérique » à Quimper",
        "Bonjour Anne,\n.ligne qui commence par un point\nÀ bientôt, l’équipe",
    )
    .await;
    let relay = Relay::start(&["--auth", "relais:s3cret"]);
    let sender = mailer(&format!(
        "smtp://relais:s3cret@127.0.0.1:{}?from=passerelle%40hub.bzh",
        relay.port
    ));
    assert_eq!(deliver_pending(&w.db, &sender, LINKS).await.unwrap(), 2);
    let received = relay.received();
    assert_eq!(received.len(), 2);
    let ids: Vec<i64> = common::outbox(&w.db, false, 10)
        .await
        .iter()
        .map(|m| m.id)
        .collect();
    for message in &received {
        assert!(message.authenticated);
        assert_eq!(message.mail_from, "passerelle@hub.bzh");
        assert_eq!(message.headers["From"], "Passerelle <passerelle@hub.bzh>");
        assert!(message.headers.contains_key("Date"), "{message:?}");
        let id = &message.headers["Message-ID"];
        assert!(
            ids.iter()
                .any(|n| id.starts_with(&format!("<passerelle.{n}.")) && id.ends_with("@hub.bzh>")),
            "{id}"
        );
        let content_type = message.headers["Content-Type"]
            .to_lowercase()
            .replace('"', "");
        assert!(content_type.contains("charset=utf-8"), "{content_type}");
    }
    let reset = received
        .iter()
        .find(|m| m.rcpt_tos == ["membre.b@rennes.fr"])
        .unwrap();
    assert!(
        reset.text.contains("ouvrez ce lien dans l’heure")
            && reset
                .text
                .contains("http://passerelle.test/reinitialisation/"),
        "{}",
        reset.text
    );
    let written = received
        .iter()
        .find(|m| m.rcpt_tos == ["anne@exemple.fr"])
        .unwrap();
    assert_eq!(
        written.headers["Subject"],
        "Réunion du réseau « numérique » à Quimper"
    );
    assert_eq!(
        written.text.replace("\r\n", "\n"),
        "Bonjour Anne,\n.ligne qui commence par un point\nÀ bientôt, l’équipe\n"
    );
    // Delivered: sent on the outbox page, nothing left to send.
    assert!(
        deliveries(&w.db)
            .await
            .iter()
            .all(|(_, d)| matches!(d, Delivery::Sent(_)))
    );
    assert!(deliver_pending(&w.db, &sender, LINKS).await.unwrap() == 0);
    let admin = Client::signed_in(&w.db, w.admin).await;
    let page = call(&w.app, &admin, "GET", "/admin/courriels", None).await;
    assert!(
        page.body
            .contains("fr-badge--success\">Envoyé</span> envoyé le "),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn starttls_is_required_and_the_certificate_checked() {
    let w = world().await;
    common::queue_written_mail(&w.db, "anne@exemple.fr", "Sujet", "Corps").await;
    let relay = Relay::start(&["--tls", "--auth", "relais:s3cret"]);
    // A certificate no trusted authority signed: not sent, tried again.
    let untrusted = mailer(&format!(
        "smtp://relais:s3cret@localhost:{}?tls=starttls&timeout=10",
        relay.port
    ));
    assert_eq!(deliver_pending(&w.db, &untrusted, LINKS).await.unwrap(), 0);
    assert!(relay.received().is_empty());
    let queued = &deliveries(&w.db).await[0].1;
    assert!(
        matches!(
            queued,
            Delivery::Queued {
                attempts: 1,
                last_error: Some(_),
                retry_at: Some(_)
            }
        ),
        "{queued:?}"
    );
    // With the relay's CA trusted, the message leaves encrypted (once due).
    sqlx::query("UPDATE outbox SET next_attempt_at = NULL")
        .execute(w.db.pool())
        .await
        .unwrap();
    let trusted = mailer(&format!(
        "smtp://relais:s3cret@localhost:{}?tls=starttls&ca={}",
        relay.port,
        relay.ca.as_ref().unwrap().display()
    ));
    assert_eq!(deliver_pending(&w.db, &trusted, LINKS).await.unwrap(), 1);
    let received = relay.received();
    assert!(received[0].tls && received[0].authenticated, "{received:?}");
}

#[tokio::test]
async fn a_relay_that_stalls_does_not_block_the_other_messages() {
    let w = world().await;
    common::queue_written_mail(&w.db, "lent@exemple.fr", "Premier", "Bloqué").await;
    for n in 1..=5 {
        common::queue_written_mail(&w.db, &format!("p{n}@exemple.fr"), "Suivant", "Parti").await;
    }
    let relay = Relay::start(&["--stall", "lent@exemple.fr"]);
    let sender = mailer(&format!("smtp://127.0.0.1:{}?timeout=2", relay.port));
    assert_eq!(deliver_pending(&w.db, &sender, LINKS).await.unwrap(), 5);
    assert_eq!(relay.received().len(), 5);
    let all = deliveries(&w.db).await;
    let (_, stalled) = all.iter().find(|(to, _)| to == "lent@exemple.fr").unwrap();
    match stalled {
        Delivery::Queued {
            attempts: 1,
            last_error: Some(e),
            retry_at: Some(_),
        } => assert!(e.contains("le relais n’a pas répondu en 2 s"), "{e}"),
        other => panic!("{other:?}"),
    }
    // Not tried again before its backoff.
    assert_eq!(deliver_pending(&w.db, &sender, LINKS).await.unwrap(), 0);
    let admin = Client::signed_in(&w.db, w.admin).await;
    let page = call(&w.app, &admin, "GET", "/admin/courriels", None).await;
    assert!(
        page.body
            .contains("fr-badge--info\">En attente</span> en attente : 1 essai sans succès")
            && page.body.contains("nouvel essai le "),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_refusal_fails_the_message_and_a_relay_down_is_tried_again() {
    let w = world().await;
    common::queue_written_mail(&w.db, "inconnu@exemple.fr", "Sujet", "Corps").await;
    common::queue_written_mail(&w.db, "b@exemple.fr", "Sujet", "Corps").await;
    // Nobody listens: both stay queued, with why.
    let nowhere = mailer("smtp://127.0.0.1:1?timeout=5");
    assert_eq!(deliver_pending(&w.db, &nowhere, LINKS).await.unwrap(), 0);
    assert!(deliveries(&w.db).await.iter().all(|(_, d)| matches!(
        d,
        Delivery::Queued {
            attempts: 1,
            last_error: Some(_),
            ..
        }
    )));
    sqlx::query("UPDATE outbox SET next_attempt_at = NULL")
        .execute(w.db.pool())
        .await
        .unwrap();
    // The relay refuses one address for good: that message fails, with
    // the reason and without the address; the other leaves.
    let relay = Relay::start(&["--refuse", "inconnu@exemple.fr"]);
    let sender = mailer(&format!("smtp://127.0.0.1:{}", relay.port));
    assert_eq!(deliver_pending(&w.db, &sender, LINKS).await.unwrap(), 1);
    let all = deliveries(&w.db).await;
    assert!(matches!(all[0].1, Delivery::Sent(_)), "{all:?}");
    match &all[1].1 {
        Delivery::Failed { reason, .. } => {
            assert!(
                reason.contains("refusé par le relais")
                    && reason.contains("Recipient address rejected")
                    && !reason.contains("inconnu@"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
    let admin = Client::signed_in(&w.db, w.admin).await;
    let page = call(&w.app, &admin, "GET", "/admin/courriels", None).await;
    assert!(
        page.body
            .contains("fr-badge--error\">Échec</span> échec définitif le "),
        "{}",
        page.body
    );
}
