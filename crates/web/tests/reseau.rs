//! Réseau through HTTP, on the back-end the environment selects: an event
//! from publication to the figures (waiting list, the seat given and
//! told, attendance), calendar feeds read back by an iCalendar parser, a
//! file shared and found signed out, a funding call reaching the digest,
//! the directory's opt-in and its contact relay.

mod common;

use chrono::{Duration, Utc};
use common::{Client, call, send_body, world};
use passerelle_store::network::DigestRun;

async fn outbox(w: &common::World) -> Vec<(String, String, String)> {
    let mut all: Vec<_> = common::outbox(&w.db, false, 100)
        .await
        .into_iter()
        .map(|m| (m.to_address, m.subject, m.body))
        .collect();
    all.reverse();
    all
}

/// The Paris day after tomorrow, as a date field sends it.
fn in_two_days() -> String {
    passerelle_web::fr::paris(Utc::now() + Duration::days(2))
        .date()
        .to_string()
}

#[tokio::test]
async fn an_event_from_publication_to_the_figures() {
    let w = world().await;
    let coordinator = Client::signed_in(&w.db, w.coordinator_29).await;
    let form = format!(
        "type=echange-pratiques&titre=%C3%89change+de+pratiques+IA&themes=ia&themes=pedagogie\
         &date={}&debut=09%3A30&fin=12%3A00&ou=adresse&adresse=2+rue+du+Parc&commune=Quimper\
         &public=professionnels&capacite=2",
        in_two_days()
    );
    // Without a title: refused, said next to the field, the rest kept.
    let refused = call(
        &w.app,
        &coordinator,
        "POST",
        "/reseau/evenements",
        Some(&form.replace("titre=%C3%89change+de+pratiques+IA", "titre=")),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 422);
    assert!(refused.body.contains("aria-describedby=\"titre-error\""));
    assert!(refused.body.contains("Indiquez le titre."));
    assert!(
        refused.body.contains("value=\"2 rue du Parc\""),
        "what was typed is kept"
    );
    let published = call(
        &w.app,
        &coordinator,
        "POST",
        "/reseau/evenements",
        Some(&form),
    )
    .await;
    assert_eq!(published.status.as_u16(), 303, "{}", published.body);
    let page = published.location().split('?').next().unwrap().to_string();
    let id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    let shown = call(&w.app, &coordinator, "GET", &page, None).await;
    assert!(shown.body.contains("à 9 h 30 – 12 h"), "Paris time");
    assert!(shown.body.contains("2 rue du Parc, Quimper (Finistère)"));

    // Three professionals for two seats: the third waits.
    let people = [w.membre_a, w.membre_b, w.gestionnaire_a];
    let mut clients = Vec::new();
    for p in people {
        let c = Client::signed_in(&w.db, p).await;
        let r = call(&w.app, &c, "POST", &format!("{page}/inscription"), Some("")).await;
        assert_eq!(r.status.as_u16(), 303);
        clients.push(c);
    }
    let third = call(
        &w.app,
        &clients[2],
        "GET",
        &format!("{page}?inscrit=1"),
        None,
    )
    .await;
    assert!(
        third.body.contains("liste d’attente, en position 1"),
        "{}",
        third.body
    );
    // The first withdraws: the seat goes to the third, who is told.
    let gone = call(
        &w.app,
        &clients[0],
        "POST",
        &format!("{page}/desinscription"),
        Some(""),
    )
    .await;
    assert_eq!(gone.status.as_u16(), 303);
    let mail = outbox(&w).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].0, "gestionnaire.a@quimper.fr");
    assert_eq!(
        mail[0].1,
        "Une place s’est libérée : Échange de pratiques IA"
    );
    assert!(mail[0].2.contains("Quand : "), "{}", mail[0].2);
    // Not the organiser's tools for a participant.
    let denied = call(
        &w.app,
        &clients[1],
        "GET",
        &format!("{page}/presences"),
        None,
    )
    .await;
    assert_eq!(denied.status.as_u16(), 403);
    // Attendance waits for the day.
    let early = call(
        &w.app,
        &coordinator,
        "POST",
        &format!("{page}/presences"),
        Some(""),
    )
    .await;
    assert_eq!(early.status.as_u16(), 422);
    // The day has come (the test moves the event to an hour ago).
    let start = Utc::now() - Duration::hours(1);
    sqlx::query("UPDATE network_events SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(passerelle_store::referrals::iso(start))
        .bind(passerelle_store::referrals::iso(
            start + Duration::minutes(30),
        ))
        .bind(id)
        .execute(w.db.pool())
        .await
        .unwrap();
    let attendees = w.db.attendees(id).await.unwrap();
    let b = attendees
        .iter()
        .find(|a| a.name.as_deref() == Some("membre.b"))
        .unwrap()
        .registration_id;
    let taken = call(
        &w.app,
        &coordinator,
        "POST",
        &format!("{page}/presences"),
        Some(&format!("present={b}")),
    )
    .await;
    assert_eq!(taken.status.as_u16(), 303);
    let csv = call(
        &w.app,
        &coordinator,
        "GET",
        &format!("{page}/participants.csv"),
        None,
    )
    .await;
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.body.contains("Participants,membre.b,,Présent·e"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains("Participants,gestionnaire.a,,Absent·e"));
    assert!(!csv.body.contains("@"), "no addresses in the export");
    let xlsx = call(
        &w.app,
        &coordinator,
        "GET",
        &format!("{page}/participants.xlsx"),
        None,
    )
    .await;
    assert_eq!(&xlsx.bytes[..2], b"PK");
    // The figures: the Finistère's coordinator counts it, with its theme.
    let figures = call(&w.app, &coordinator, "GET", "/reseau/bilan", None).await;
    assert_eq!(figures.status.as_u16(), 200);
    assert!(figures.body.contains("<th scope=\"row\">Finistère</th><td class=\"passerelle-nombre\">1</td><td class=\"passerelle-nombre\">2</td><td class=\"passerelle-nombre\">1</td>"), "{}", figures.body);
    assert!(figures.body.contains("Intelligence artificielle"));
    let other = Client::signed_in(&w.db, w.coordinator_35).await;
    let elsewhere = call(&w.app, &other, "GET", "/reseau/bilan", None).await;
    assert!(!elsewhere.body.contains("Échange de pratiques"));
    assert!(!elsewhere.body.contains("<th scope=\"row\">Finistère</th>"));
    // The activity dashboard says it too.
    let dashboard = call(
        &w.app,
        &coordinator,
        "GET",
        "/activites/tableau-de-bord",
        None,
    )
    .await;
    assert!(
        dashboard
            .body
            .contains("Animation du réseau : 1 événement tenu depuis le 1er janvier, 1 présent."),
        "{}",
        dashboard.body
    );
}

#[tokio::test]
async fn calendar_feeds_are_valid_icalendar() {
    let w = world().await;
    let member = Client::signed_in(&w.db, w.membre_b).await;
    let r = call(
        &w.app,
        &member,
        "POST",
        &format!("/reseau/evenements/{}/inscription", w.event),
        Some(""),
    )
    .await;
    assert_eq!(r.status.as_u16(), 303);
    let page = call(&w.app, &member, "POST", "/reseau/agenda", Some("")).await;
    assert_eq!(page.status.as_u16(), 200);
    let link = page
        .body
        .split("http://passerelle.test")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_string();
    assert!(link.ends_with("/inscriptions"), "{link}");
    // Calendar applications send no cookie.
    let feed = call(&w.app, &Client::anonymous(), "GET", &link, None).await;
    assert_eq!(feed.status.as_u16(), 200);
    assert_eq!(feed.headers["content-type"], "text/calendar; charset=utf-8");
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(feed.body.as_bytes()));
    let calendar = parser.next().unwrap().unwrap();
    assert_eq!(calendar.events.len(), 1);
    let value = |name: &str| {
        calendar.events[0]
            .properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap()
    };
    assert_eq!(value("SUMMARY"), "Rencontre départementale du Finistère");
    assert_eq!(
        value("UID"),
        format!("evenement-{}@passerelle.test", w.event)
    );
    assert!(value("DTSTART").ends_with('Z'));
    // A renewed link replaces the old one.
    call(&w.app, &member, "POST", "/reseau/agenda", Some("")).await;
    let old = call(&w.app, &Client::anonymous(), "GET", &link, None).await;
    assert_eq!(old.status.as_u16(), 404);
}

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----reseau-test";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn a_shared_file_is_found_signed_out_and_served_with_its_type() {
    let w = world().await;
    let member = Client::signed_in(&w.db, w.membre_a).await;
    let fields = [
        ("titre", "Guide de l’atelier débutant"),
        (
            "description",
            "Déroulé et fiches à imprimer pour un premier atelier.",
        ),
        ("themes", "usages-quotidien"),
        ("publics", "grand-public"),
        ("publics", "seniors"),
        ("format", "guide"),
        ("licence", "cc-by-sa"),
        ("visibilite", "public"),
    ];
    // A program renamed .pdf is refused, next to the file field.
    let (kind, body) = multipart(&fields, Some(("guide.pdf", b"MZ\x90\x00not a pdf")));
    let refused = send_body(&w.app, &member, "/reseau/ressources", &kind, body, true).await;
    assert_eq!(refused.status.as_u16(), 422);
    assert!(
        refused.body.contains("id=\"fichier-error\""),
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("value=\"Guide de l’atelier débutant\"")
    );
    let pdf = b"%PDF-1.7\n% un guide\n".repeat(100);
    let (kind, body) = multipart(&fields, Some(("Guide été.pdf", &pdf)));
    let shared = send_body(&w.app, &member, "/reseau/ressources", &kind, body, true).await;
    assert_eq!(shared.status.as_u16(), 303, "{}", shared.body);
    let page = shared.location().split('?').next().unwrap().to_string();
    // Signed out: found by a word, the members-only one is not listed.
    let anonymous = Client::anonymous();
    let found = call(
        &w.app,
        &anonymous,
        "GET",
        "/reseau/ressources?q=atelier",
        None,
    )
    .await;
    assert!(found.body.contains("Guide de l’atelier débutant"));
    assert!(
        !found
            .body
            .contains("Fiche : créer son adresse électronique")
    );
    let file = call(&w.app, &anonymous, "GET", &format!("{page}/fichier"), None).await;
    assert_eq!(file.status.as_u16(), 200);
    assert_eq!(file.headers["content-type"], "application/pdf");
    assert_eq!(
        file.headers["content-disposition"],
        "inline; filename=\"Guide _t_.pdf\"; filename*=UTF-8''Guide%20%C3%A9t%C3%A9%2Epdf"
    );
    assert!(
        file.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    assert_eq!(file.bytes, pdf);
    // Marked useful, then hidden by a moderator: gone for the public.
    let other = Client::signed_in(&w.db, w.membre_b).await;
    call(
        &w.app,
        &other,
        "POST",
        &format!("{page}/utile"),
        Some("utile=1"),
    )
    .await;
    let seen = call(&w.app, &other, "GET", &page, None).await;
    assert!(seen.body.contains("Utile à 1 personne"));
    let coordinator = Client::signed_in(&w.db, w.coordinator_35).await;
    let hidden = call(
        &w.app,
        &coordinator,
        "POST",
        &format!("{page}/moderation"),
        Some("decision=masquer"),
    )
    .await;
    assert_eq!(hidden.status.as_u16(), 303);
    assert_eq!(
        call(&w.app, &anonymous, "GET", &page, None)
            .await
            .status
            .as_u16(),
        303,
        "sign in first"
    );
    assert_eq!(
        call(&w.app, &other, "GET", &page, None)
            .await
            .status
            .as_u16(),
        404
    );
    assert_eq!(
        call(&w.app, &member, "GET", &page, None)
            .await
            .status
            .as_u16(),
        200,
        "its author"
    );
}

#[tokio::test]
async fn a_funding_call_reaches_the_weekly_digest() {
    let w = world().await;
    let follower = Client::signed_in(&w.db, w.membre_b).await;
    let follow = call(
        &w.app,
        &follower,
        "POST",
        "/reseau/veille",
        Some("territoire=departement%3A35&themes=financements"),
    )
    .await;
    assert_eq!(follow.status.as_u16(), 303);
    let settings = call(&w.app, &follower, "GET", "/reseau/veille", None).await;
    assert!(
        settings
            .body
            .contains("<option value=\"departement:35\" selected>Ille-et-Vilaine</option>")
    );
    let coordinator = Client::signed_in(&w.db, w.coordinator_29).await;
    let form = format!(
        "type=financement&titre=AAP+Inclusion+num%C3%A9rique+2027&organisme=R%C3%A9gion+Bretagne\
         &themes=financements&territoire=region%3A53&date_limite={}&lien=https%3A%2F%2Fwww.bretagne.bzh%2Faap&montant=20000",
        in_two_days()
    );
    let published = call(
        &w.app,
        &coordinator,
        "POST",
        "/reseau/opportunites",
        Some(&form),
    )
    .await;
    assert_eq!(published.status.as_u16(), 303, "{}", published.body);
    let listed = call(
        &w.app,
        &Client::anonymous(),
        "GET",
        "/reseau/opportunites?territoire=departement%3A35",
        None,
    )
    .await;
    assert!(
        listed.body.contains("AAP Inclusion numérique 2027"),
        "a région's call concerns its départements"
    );
    assert!(listed.body.contains("Jusqu’à 20\u{202f}000 €"));
    let report =
        w.db.run_network_jobs(Utc::now(), DigestRun::Forced)
            .await
            .unwrap();
    assert_eq!(report.digests, 1);
    let mail = outbox(&w).await;
    let digest = mail.iter().find(|m| m.0 == "membre.b@rennes.fr").unwrap();
    assert_eq!(digest.1, "Veille du réseau : 1 nouvelle opportunité");
    assert!(digest.2.contains("AAP Inclusion numérique 2027 — Région Bretagne (Appel à projets ou financement, Bretagne)"), "{}", digest.2);
    assert!(
        !digest.2.contains("Conseiller numérique (H/F)"),
        "Quimper's job offer is not Ille-et-Vilaine's"
    );
}

#[tokio::test]
async fn the_directory_is_opt_in_and_relays_messages_without_addresses() {
    let w = world().await;
    let reader = Client::signed_in(&w.db, w.membre_b).await;
    let before = call(&w.app, &reader, "GET", "/reseau/annuaire", None).await;
    assert!(
        before.body.contains("0 professionnel"),
        "nobody chose to appear"
    );
    let member = Client::signed_in(&w.db, w.membre_a).await;
    let wrong = call(
        &w.app,
        &member,
        "POST",
        "/reseau/profil",
        Some("poste=Conseill%C3%A8re&commune=Nulle-Part-sur-Mer&themes=pedagogie"),
    )
    .await;
    assert_eq!(wrong.status.as_u16(), 422);
    assert!(wrong.body.contains("Aucune commune « Nulle-Part-sur-Mer »"));
    let saved = call(
        &w.app,
        &member,
        "POST",
        "/reseau/profil",
        Some(&format!("poste=Conseill%C3%A8re+num%C3%A9rique&structure={}&commune=Quimper&themes=pedagogie&themes=ia", w.a)),
    )
    .await;
    assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    let listed = call(
        &w.app,
        &reader,
        "GET",
        "/reseau/annuaire?territoire=departement%3A29&theme=ia",
        None,
    )
    .await;
    assert!(listed.body.contains("Conseillère numérique"));
    assert!(listed.body.contains("CCAS de Quimper"));
    assert!(!listed.body.contains("membre.a@quimper.fr"), "no address");
    let map = call(
        &w.app,
        &reader,
        "GET",
        "/reseau/annuaire.geojson?territoire=departement%3A29",
        None,
    )
    .await;
    let map: serde_json::Value = serde_json::from_str(&map.body).unwrap();
    assert_eq!(
        map["features"][0]["properties"]["nom"],
        "Quimper : 1 professionnel"
    );
    let entry = format!("/reseau/annuaire/{}", w.membre_a);
    let page = call(&w.app, &reader, "GET", &entry, None).await;
    assert!(!page.body.contains("membre.a@quimper.fr"));
    let message = "message=Bonjour%2C+pourrions-nous+%C3%A9changer+sur+vos+ateliers+IA+%3F";
    for _ in 0..2 {
        let sent = call(
            &w.app,
            &reader,
            "POST",
            &format!("{entry}/message"),
            Some(message),
        )
        .await;
        assert_eq!(sent.status.as_u16(), 303);
    }
    let limited = call(
        &w.app,
        &reader,
        "POST",
        &format!("{entry}/message"),
        Some(message),
    )
    .await;
    assert_eq!(limited.status.as_u16(), 429);
    assert!(limited.body.contains("déjà écrit deux fois"));
    let mail = outbox(&w).await;
    assert_eq!(mail.len(), 2);
    assert_eq!(mail[0].0, "membre.a@quimper.fr");
    assert!(
        mail[0]
            .2
            .contains("pourrions-nous échanger sur vos ateliers IA ?")
    );
    assert!(mail[0].2.contains("écrivez à membre.b@rennes.fr"));
    // Withdrawn: gone from the directory at once.
    call(&w.app, &member, "POST", "/reseau/profil/retrait", Some("")).await;
    assert_eq!(
        call(&w.app, &reader, "GET", &entry, None)
            .await
            .status
            .as_u16(),
        404
    );
}
