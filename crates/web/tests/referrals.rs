//! Orientations through HTTP: consent required, idempotent creation, the
//! receiving structure's steps, the sender's follow-up, who sees the
//! person, conflicts.

mod common;

use common::{Client, call, world};

fn form(place: i64, key: &str, consent: bool) -> String {
    format!(
        "lieu={place}&service=Aide+aux+d%C3%A9marches+administratives&organisme=CAF\
         &situation=Renouveler+la+prime+d%E2%80%99activit%C3%A9&urgence=normale&disponibilites=le+matin\
         &prenom=Maryvonne&canal=telephone&contact=06+11+22+33+44&cle={key}{}&consentement_mode=oral",
        if consent { "&consentement=oui" } else { "" }
    )
}

#[tokio::test]
async fn a_referral_from_sending_to_accompanied() {
    let w = world().await;
    let sender = Client::signed_in(&w.db, w.membre_b).await;
    let page = call(
        &w.app,
        &sender,
        "GET",
        &format!("/orientations/nouvelle?lieu={}", w.place_a),
        None,
    )
    .await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(
        page.body.contains("Point numérique du CCAS de Quimper"),
        "the place can receive"
    );

    // Without the person's consent nothing is created.
    let refused = call(
        &w.app,
        &sender,
        "POST",
        "/orientations",
        Some(&form(w.place_a, "k1", false)),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 422);
    assert!(refused.body.contains("consentement"), "{}", refused.body);
    let sent = call(
        &w.app,
        &sender,
        "POST",
        "/orientations",
        Some(&form(w.place_a, "k1", true)),
    )
    .await;
    assert_eq!(sent.status.as_u16(), 303, "{}", sent.body);
    let location = sent.location().split('?').next().unwrap().to_string();
    // A retried submission lands on the same referral.
    let again = call(
        &w.app,
        &sender,
        "POST",
        "/orientations",
        Some(&form(w.place_a, "k1", true)),
    )
    .await;
    assert_eq!(again.location().split('?').next().unwrap(), location);

    // The receiving structure opens it: the person's details; reading
    // changes nothing, acknowledging is a step of its own (a POST).
    let receiver = Client::signed_in(&w.db, w.membre_a).await;
    let opened = call(&w.app, &receiver, "GET", &location, None).await;
    assert!(
        opened.body.contains(": envoyée")
            && opened.body.contains("Maryvonne")
            && opened.body.contains("Accuser réception"),
        "{}",
        opened.body
    );
    // How the person agreed, by its French name, never its stored code.
    assert!(
        opened.body.contains(", oralement, en entretien</dd>"),
        "{}",
        opened.body
    );
    let acknowledged = call(
        &w.app,
        &receiver,
        "POST",
        &format!("{location}/etape"),
        Some("etape=ouverture&version=1"),
    )
    .await;
    assert_eq!(acknowledged.status.as_u16(), 303, "{}", acknowledged.body);
    let opened = call(&w.app, &receiver, "GET", &location, None).await;
    assert!(opened.body.contains(": reçue"), "{}", opened.body);
    let trail =
        w.db.audit_events(Some("referral.read_person"), 10)
            .await
            .unwrap();
    assert!(!trail.is_empty(), "the reading is audited");

    let step = |fields: String| {
        let (app, client, uri) = (w.app.clone(), receiver.clone(), format!("{location}/etape"));
        async move { call(&app, &client, "POST", &uri, Some(&fields)).await }
    };
    let soon = (chrono::Utc::now() + chrono::Duration::days(30)).date_naive();
    let fixed = step(format!("etape=rendez_vous&version=2&date={soon}")).await;
    assert_eq!(fixed.status.as_u16(), 303, "{}", fixed.body);
    // Someone acting on the page they loaded before: a clear conflict.
    let stale = step("etape=accompagnee&version=2".into()).await;
    assert_eq!(stale.status.as_u16(), 409);
    assert!(stale.body.contains("Rien n’a été perdu"));
    // Not a step of this status.
    let wrong = step("etape=rendez_vous&version=3&date=pas-une-date".into()).await;
    assert_eq!(wrong.status.as_u16(), 422);
    let done = step("etape=accompagnee&version=3".into()).await;
    assert_eq!(done.status.as_u16(), 303, "{}", done.body);

    // The mediator links the accompaniment they recorded in Activités.
    let activity = "type=demarche&date=2026-11-20&duree=30&lieu=autre&commune=29232\
        &themes=D%C3%A9marche+en+ligne&organisation=CAF&aides=Remplissage+d%27un+formulaire";
    assert_eq!(
        call(&w.app, &receiver, "POST", "/activites", Some(activity))
            .await
            .status
            .as_u16(),
        303
    );
    let record = w.db.activities_of(w.membre_a, 1).await.unwrap()[0].id;
    let bad = call(
        &w.app,
        &receiver,
        "POST",
        &format!("{location}/activite"),
        Some("activite=999999"),
    )
    .await;
    assert_eq!(bad.status.as_u16(), 422);
    let linked = call(
        &w.app,
        &receiver,
        "POST",
        &format!("{location}/activite"),
        Some(&format!("activite={record}")),
    )
    .await;
    assert_eq!(linked.status.as_u16(), 303);
    assert_eq!(
        w.db.referral(location.rsplit('/').next().unwrap().parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .activity_id,
        Some(record)
    );
    // The sender sees "accompagnée" in its list and every step.
    let outbox = call(&w.app, &sender, "GET", "/orientations", None).await;
    assert!(outbox.body.contains("accompagnée"), "{}", outbox.body);
    let followed = call(&w.app, &sender, "GET", &location, None).await;
    for s in ["envoyée", "reçue", "rendez-vous fixé", "accompagnée"] {
        assert!(followed.body.contains(s), "{s}");
    }
    // The sender cannot act as the receiver.
    let not_theirs = call(
        &w.app,
        &sender,
        "POST",
        &format!("{location}/etape"),
        Some("etape=non_venue&version=4"),
    )
    .await;
    assert_eq!(not_theirs.status.as_u16(), 403);

    // An administrator outside both structures sees the follow-up, not the person.
    let admin = Client::signed_in(&w.db, w.admin).await;
    let meta = call(&w.app, &admin, "GET", &location, None).await;
    assert_eq!(meta.status.as_u16(), 200);
    assert!(!meta.body.contains("Maryvonne") && !meta.body.contains("06 11 22 33 44"));
    assert_eq!(
        call(&w.app, &admin, "GET", &format!("{location}/donnees"), None)
            .await
            .status
            .as_u16(),
        403
    );

    // Right of access, then right to erasure, by a structure holding it.
    let data = call(&w.app, &sender, "GET", &format!("{location}/donnees"), None).await;
    assert!(data.body.contains("Maryvonne") && data.body.contains("\"suivi\""));
    // Without its confirmation, erasing only shows the confirmation.
    let unconfirmed = call(
        &w.app,
        &sender,
        "POST",
        &format!("{location}/effacement"),
        Some(""),
    )
    .await;
    assert_eq!(unconfirmed.status.as_u16(), 303);
    assert_eq!(
        unconfirmed.location(),
        format!("{location}?confirmer=effacement#confirmation")
    );
    let kept = call(&w.app, &receiver, "GET", &location, None).await;
    assert!(kept.body.contains("Maryvonne"), "nothing erased yet");
    let erased = call(
        &w.app,
        &sender,
        "POST",
        &format!("{location}/effacement"),
        Some("confirmer=oui"),
    )
    .await;
    assert_eq!(erased.status.as_u16(), 303);
    assert_eq!(
        erased.location(),
        format!("{location}?info=donnees-effacees")
    );
    let after = call(&w.app, &receiver, "GET", erased.location(), None).await;
    assert!(
        after
            .body
            .contains("Les données de la personne ont été effacées.")
    );
    assert!(!after.body.contains("Maryvonne") && after.body.contains("effacées"));

    // A referral can also go to a structure directly.
    let direct = form(0, "k2", true).replace("lieu=0", &format!("lieu=&structure={}", w.a));
    let sent = call(&w.app, &sender, "POST", "/orientations", Some(&direct)).await;
    assert_eq!(sent.status.as_u16(), 303, "{}", sent.body);
    let inbox = call(&w.app, &receiver, "GET", "/orientations", None).await;
    assert!(
        inbox.body.matches("Médiathèque de Rennes").count() >= 2,
        "{}",
        inbox.body
    );

    // Coordinators: anonymous figures only, also as CSV.
    let csv = call(
        &w.app,
        &Client::signed_in(&w.db, w.coordinator_35).await,
        "GET",
        "/orientations/statistiques.csv?departement=35",
        None,
    )
    .await;
    assert!(
        csv.body
            .contains("Qui oriente vers qui,\"Médiathèque, bibliothèque\",CCAS / CIAS,2"),
        "{}",
        csv.body
    );
    let coordinator = Client::signed_in(&w.db, w.coordinator_35).await;
    let stats = call(
        &w.app,
        &coordinator,
        "GET",
        "/orientations/statistiques?departement=35",
        None,
    )
    .await;
    assert_eq!(stats.status.as_u16(), 200, "{}", stats.body);
    assert!(
        stats.body.contains("Médiathèque") && !stats.body.contains("Maryvonne"),
        "{}",
        stats.body
    );
    assert_eq!(
        call(
            &w.app,
            &coordinator,
            "GET",
            "/orientations/statistiques?departement=29",
            None
        )
        .await
        .status
        .as_u16(),
        403
    );
}

#[tokio::test]
async fn referents_and_a_complex_situation() {
    let w = world().await;
    // A coordinator of the Finistère adds a referent there, not elsewhere.
    let coordinator = Client::signed_in(&w.db, w.coordinator_29).await;
    let entry = "organisme=CPAM&territoire=dep%3A29&nom=Service+partenaires&courriel=partenaires%40cpam29.fr\
                 &telephone=&perimetre=Droits+bloqu%C3%A9s";
    let added = call(&w.app, &coordinator, "POST", "/referents", Some(entry)).await;
    assert_eq!(added.status.as_u16(), 303, "{}", added.body);
    let elsewhere = call(
        &w.app,
        &coordinator,
        "POST",
        "/referents",
        Some(&entry.replace("dep%3A29", "dep%3A35")),
    )
    .await;
    assert_eq!(elsewhere.status.as_u16(), 422);
    assert!(elsewhere.body.contains("le territoire que vous coordonnez"));
    // Any professional reads the directory; the public does not.
    let b = Client::signed_in(&w.db, w.membre_b).await;
    let directory = call(&w.app, &b, "GET", "/referents", None).await;
    assert!(
        directory.body.contains("partenaires@cpam29.fr")
            && directory.body.contains("Pôle partenaires")
    );
    assert_eq!(
        call(&w.app, &Client::anonymous(), "GET", "/referents", None)
            .await
            .status
            .as_u16(),
        303
    );

    // B submits a situation to A's referent group (the world's CAF entry).
    let form = format!(
        "groupe={}&objet=Prime+bloqu%C3%A9e&description=Aucune+r%C3%A9ponse+depuis+deux+mois\
         &personne=Jeanne+D.%2C+n%C3%A9e+en+1958&mandat=papier&mandat_date=2026-01-02&cle=req-1",
        w.a
    );
    let sent = call(&w.app, &b, "POST", "/referents/demandes", Some(&form)).await;
    assert_eq!(sent.status.as_u16(), 303, "{}", sent.body);
    let page = sent.location().split('?').next().unwrap().to_string();
    let referent = Client::signed_in(&w.db, w.membre_a).await;
    let seen = call(&w.app, &referent, "GET", &page, None).await;
    assert!(
        seen.body.contains("Jeanne D., née en 1958"),
        "{}",
        seen.body
    );
    // The person's mandate by its French name, never its stored code.
    assert!(
        seen.body
            .contains("<dd>Mandat papier signé, le 2 janvier 2026</dd>"),
        "{}",
        seen.body
    );
    // A mandate that is none of the three is refused next to its field,
    // and nothing is sent.
    let unknown = call(
        &w.app,
        &b,
        "POST",
        "/referents/demandes",
        Some(
            &form
                .replace("mandat=papier", "mandat=t%C3%A9l%C3%A9pathie")
                .replace("req-1", "req-9"),
        ),
    )
    .await;
    assert_eq!(unknown.status.as_u16(), 422, "{}", unknown.body);
    assert!(
        unknown.body.contains("id=\"mandat-error\"")
            && unknown
                .body
                .contains("comment la personne a donné son accord"),
        "{}",
        unknown.body
    );
    let answered = call(
        &w.app,
        &referent,
        "POST",
        &format!("{page}/reponse"),
        Some("version=1&message=Dossier+d%C3%A9bloqu%C3%A9"),
    )
    .await;
    assert_eq!(answered.status.as_u16(), 303);
    // The referent cannot close it; the requester can, as useful.
    let not_theirs = call(
        &w.app,
        &referent,
        "POST",
        &format!("{page}/reponse"),
        Some("version=2&issue=utile"),
    )
    .await;
    assert_eq!(not_theirs.status.as_u16(), 403);
    let stale = call(
        &w.app,
        &b,
        "POST",
        &format!("{page}/reponse"),
        Some("version=1&issue=utile"),
    )
    .await;
    assert_eq!(stale.status.as_u16(), 409);
    let closed = call(
        &w.app,
        &b,
        "POST",
        &format!("{page}/reponse"),
        Some("version=2&issue=utile"),
    )
    .await;
    assert_eq!(closed.status.as_u16(), 303);
    let end = call(&w.app, &b, "GET", &page, None).await;
    assert!(
        end.body.contains("Dossier débloqué") && end.body.contains("Utile"),
        "{}",
        end.body
    );
    // An administrator outside both sees that it exists, not the person.
    let admin = call(
        &w.app,
        &Client::signed_in(&w.db, w.admin).await,
        "GET",
        &page,
        None,
    )
    .await;
    assert_eq!(admin.status.as_u16(), 200);
    assert!(!admin.body.contains("Jeanne D.") && !admin.body.contains("Dossier débloqué"));
}

fn request_form(group: i64, subject: &str, key: &str) -> String {
    format!(
        "groupe={group}&objet={subject}&description=Aucune+r%C3%A9ponse+depuis+deux+mois\
         &personne=Jeanne+D.%2C+n%C3%A9e+en+1958&mandat=papier&mandat_date=2026-01-02&cle={key}"
    )
}

/// Issue 12, H1: a centre social cannot pose as the CAF's referent group;
/// an entry is validated by a coordinator of its territory or an admin,
/// shows who created and validated it, and receives nothing before.
#[tokio::test]
async fn h1_nobody_poses_as_an_administrations_referent_group() {
    use passerelle_accounts::{Role, StructureKind};
    use passerelle_store::accounts::NewStructure;
    let w = world().await;
    let structure = |nom, kind| {
        let db = w.db.clone();
        async move {
            db.create_structure(&NewStructure {
                nom,
                kind,
                siret: None,
                commune_code: Some("35238"),
            })
            .await
            .unwrap()
            .unwrap()
        }
    };
    let centre = structure("Centre social de Maurepas", StructureKind::CentreSocial).await;
    let caf = structure("CAF d’Ille-et-Vilaine", StructureKind::Caf).await;
    let person = |email: &'static str, s| {
        let db = w.db.clone();
        async move {
            db.create_person_with_role(email, email, None, s, Role::Membre, &[])
                .await
                .unwrap()
        }
    };
    let animator = Client::signed_in(&w.db, person("anim@maurepas.fr", centre).await).await;
    let agent = Client::signed_in(&w.db, person("agent@caf35.fr", caf).await).await;
    let entry = |structure: i64| {
        format!(
            "organisme=CAF&territoire=dep%3A35&nom=P%C3%B4le+partenaires&courriel=partenaires%40caf35.fr\
             &telephone=&perimetre=Dossiers+bloqu%C3%A9s&structure={structure}"
        )
    };
    // The centre social's member cannot name their structure the CAF's,
    // nor can a coordinator or an admin vouch for such an entry.
    for who in [
        &animator,
        &Client::signed_in(&w.db, w.coordinator_35).await,
        &Client::signed_in(&w.db, w.admin).await,
    ] {
        let posing = call(&w.app, who, "POST", "/referents", Some(&entry(centre))).await;
        assert_eq!(posing.status.as_u16(), 422, "{}", posing.body);
        assert!(
            posing
                .body
                .contains("ne peut pas représenter l’organisme CAF")
                && posing
                    .body
                    .contains(r#"aria-describedby="structure-error""#),
            "{}",
            posing.body
        );
    }
    assert_eq!(w.db.referents().await.unwrap().len(), 1, "nothing added");

    // A member of the CAF proposes it: awaiting validation, and shown so.
    let proposed = call(&w.app, &agent, "POST", "/referents", Some(&entry(caf))).await;
    assert_eq!(proposed.status.as_u16(), 303, "{}", proposed.body);
    assert_eq!(proposed.location(), "/referents?info=referent-propose");
    let b = Client::signed_in(&w.db, w.membre_b).await;
    let directory = call(&w.app, &b, "GET", "/referents", None).await;
    assert!(
        directory.body.contains("À valider")
            && directory.body.contains("Ajouté par agent@caf35.fr"),
        "{}",
        directory.body
    );
    let id =
        w.db.referents()
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.structure_id == Some(caf))
            .unwrap()
            .id;

    // It receives no request: not offered, refused when posted anyway.
    let page = call(&w.app, &b, "GET", "/referents/demandes", None).await;
    assert!(
        !page.body.contains("CAF d’Ille-et-Vilaine"),
        "{}",
        page.body
    );
    let form = request_form(caf, "Prime+bloqu%C3%A9e", "h1");
    let refused = call(&w.app, &b, "POST", "/referents/demandes", Some(&form)).await;
    assert_eq!(refused.status.as_u16(), 422);
    assert!(refused.body.contains("groupe"), "{}", refused.body);

    // Only a coordinator of its territory, or an admin, validates it.
    let validation = format!("/referents/{id}/validation");
    for who in [w.coordinator_29, w.membre_b] {
        let client = Client::signed_in(&w.db, who).await;
        let denied = call(&w.app, &client, "POST", &validation, Some("")).await;
        assert_eq!(denied.status.as_u16(), 403, "person {who}");
    }
    let denied = call(&w.app, &agent, "POST", &validation, Some("")).await;
    assert_eq!(denied.status.as_u16(), 403, "not by its own member");
    let coordinator = Client::signed_in(&w.db, w.coordinator_35).await;
    let validated = call(&w.app, &coordinator, "POST", &validation, Some("")).await;
    assert_eq!(validated.status.as_u16(), 303, "{}", validated.body);
    let trail =
        w.db.audit_events(Some("referent.validated"), 1)
            .await
            .unwrap();
    assert_eq!(trail[0].subject, Some(format!("referent:{id}")));
    assert_eq!(trail[0].actor.as_deref(), Some("coord.35@hub.bzh"));
    let directory = call(&w.app, &b, "GET", "/referents", None).await;
    assert!(
        directory.body.contains("Par coord.35, le "),
        "{}",
        directory.body
    );

    // From now on the CAF receives requests.
    let sent = call(&w.app, &b, "POST", "/referents/demandes", Some(&form)).await;
    assert_eq!(sent.status.as_u16(), 303, "{}", sent.body);
}

/// Issue 12, M7: the structures holding a "situation complexe" request
/// erase it on request, its subject and thread included; the subject never
/// went into e-mails. An appointment cannot be fixed years ahead.
#[tokio::test]
async fn m7_a_request_is_erased_on_request_subject_and_thread_included() {
    let w = world().await;
    let b = Client::signed_in(&w.db, w.membre_b).await;
    let referent = Client::signed_in(&w.db, w.membre_a).await;
    let admin = Client::signed_in(&w.db, w.admin).await;
    let subject = "Expulsion de Maelys Quemener";
    let form = request_form(w.a, &subject.replace(' ', "+"), "m7");
    let sent = call(&w.app, &b, "POST", "/referents/demandes", Some(&form)).await;
    assert_eq!(sent.status.as_u16(), 303, "{}", sent.body);
    let page = sent.location().split('?').next().unwrap().to_string();
    for m in common::outbox(&w.db, false, 50).await {
        assert!(!m.body.contains("Quemener") && !m.subject.contains("Quemener"));
    }
    let answered = call(
        &w.app,
        &referent,
        "POST",
        &format!("{page}/reponse"),
        Some("version=1&message=Vu+avec+Maelys+ce+matin"),
    )
    .await;
    assert_eq!(answered.status.as_u16(), 303);
    assert!(
        call(&w.app, &b, "GET", &page, None)
            .await
            .body
            .contains(subject)
    );
    // An administrator outside both structures cannot erase it.
    let erase = format!("{page}/effacement");
    assert_eq!(
        call(&w.app, &admin, "POST", &erase, Some(""))
            .await
            .status
            .as_u16(),
        403
    );
    // Asked for, erasing shows its confirmation first; the server waits
    // for it.
    let asking = call(
        &w.app,
        &b,
        "GET",
        &format!("{page}?confirmer=effacement"),
        None,
    )
    .await;
    assert!(asking.body.contains("Effacer définitivement"));
    assert!(asking.body.contains("name=\"confirmer\" value=\"oui\""));
    let unconfirmed = call(&w.app, &b, "POST", &erase, Some("")).await;
    assert_eq!(
        unconfirmed.location(),
        format!("{page}?confirmer=effacement#confirmation")
    );
    assert!(
        call(&w.app, &b, "GET", &page, None)
            .await
            .body
            .contains(subject),
        "nothing erased without the confirmation"
    );
    let erased = call(&w.app, &b, "POST", &erase, Some("confirmer=oui")).await;
    assert_eq!(erased.status.as_u16(), 303, "{}", erased.body);
    assert_eq!(erased.location(), format!("{page}?info=demande-effacee"));
    for (who, uri) in [
        (&referent, page.as_str()),
        (&b, page.as_str()),
        (&b, "/referents/demandes"),
        (&referent, "/referents/demandes"),
        (&admin, page.as_str()),
        (&admin, "/admin/courriels"),
    ] {
        let seen = call(&w.app, who, "GET", uri, None).await;
        assert_eq!(seen.status.as_u16(), 200, "{uri}");
        assert!(
            !seen.body.contains("Quemener") && !seen.body.contains("Maelys"),
            "{uri}: {}",
            seen.body
        );
    }
    let list = call(&w.app, &b, "GET", "/referents/demandes", None).await;
    assert!(list.body.contains("objet effacé"));
    let trail =
        w.db.audit_events(Some("complex_request.erase_person"), 5)
            .await
            .unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].detail.as_deref(), Some("on request"));
    // Nothing more is written about the person.
    let late = call(
        &w.app,
        &referent,
        "POST",
        &format!("{page}/reponse"),
        Some("version=2&message=Encore+Maelys"),
    )
    .await;
    assert_eq!(late.status.as_u16(), 422);
    assert!(late.body.contains("effacées"), "{}", late.body);

    // Appointments: within the coming year only, so no date keeps the
    // person's fields alive for years.
    let location = format!("/orientations/{}", w.referral_a);
    let far = (chrono::Utc::now() + chrono::Duration::days(400)).date_naive();
    let refused = call(
        &w.app,
        &referent,
        "POST",
        &format!("{location}/etape"),
        Some(&format!("etape=rendez_vous&version=1&date={far}")),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 422);
    assert!(refused.body.contains("dans l’année"), "{}", refused.body);
}

/// Issue 12, L7: on SQLite, erased text leaves the database file and its
/// write-ahead log (secure_delete, then a checkpoint).
#[tokio::test]
async fn l7_erased_text_leaves_the_sqlite_file_and_its_wal() {
    use sqlx::Row;
    let w = world().await;
    let marker = "Gwenaelle-Tremeur-4417";
    let sender = Client::signed_in(&w.db, w.membre_b).await;
    let sent = call(
        &w.app,
        &sender,
        "POST",
        "/orientations",
        Some(&form(w.place_a, "l7", true).replace("Maryvonne", marker)),
    )
    .await;
    assert_eq!(sent.status.as_u16(), 303, "{}", sent.body);
    let location = sent.location().split('?').next().unwrap().to_string();
    // And a request whose subject (early in its row) names the person.
    let asked = call(
        &w.app,
        &sender,
        "POST",
        "/referents/demandes",
        Some(&request_form(w.a, &format!("Dossier+de+{marker}"), "l7")),
    )
    .await;
    assert_eq!(asked.status.as_u16(), 303, "{}", asked.body);
    let request = asked.location().split('?').next().unwrap().to_string();
    let file = if w.db.backend() == passerelle_store::Backend::Sqlite {
        let rows = sqlx::query("PRAGMA database_list")
            .fetch_all(w.db.pool())
            .await
            .unwrap();
        let main = rows
            .iter()
            .find(|r| r.try_get::<String, _>("name").unwrap() == "main")
            .unwrap();
        Some(main.try_get::<String, _>("file").unwrap())
    } else {
        None
    };
    let on_disk = |path: &str| {
        let bytes = std::fs::read(path).unwrap_or_default();
        bytes
            .windows(marker.len())
            .any(|window| window == marker.as_bytes())
    };
    if let Some(file) = &file {
        assert!(
            on_disk(file) || on_disk(&format!("{file}-wal")),
            "the name is written before erasure"
        );
    }
    let erased = call(
        &w.app,
        &sender,
        "POST",
        &format!("{location}/effacement"),
        Some("confirmer=oui"),
    )
    .await;
    assert_eq!(erased.status.as_u16(), 303);
    let page = call(&w.app, &sender, "GET", &location, None).await;
    assert!(!page.body.contains(marker));
    let erased = call(
        &w.app,
        &sender,
        "POST",
        &format!("{request}/effacement"),
        Some("confirmer=oui"),
    )
    .await;
    assert_eq!(erased.status.as_u16(), 303);
    // PostgreSQL keeps dead row versions until VACUUM: see
    // docs/donnees-personnelles.md.
    if let Some(file) = &file {
        assert!(!on_disk(file), "{file} still holds the erased name");
        assert!(
            !on_disk(&format!("{file}-wal")),
            "the WAL still holds the erased name"
        );
    }
}

/// L2: a referral's idempotency key (the form's `cle`) is the sender's
/// own: another structure sending with the same key creates its referral.
#[tokio::test]
async fn two_structures_may_send_referrals_with_the_same_key() {
    let w = world().await;
    let mut locations = Vec::new();
    for person in [w.membre_b, w.membre_a, w.membre_b] {
        let sender = Client::signed_in(&w.db, person).await;
        let sent = call(
            &w.app,
            &sender,
            "POST",
            "/orientations",
            Some(&form(w.place_a, "meme-cle", true)),
        )
        .await;
        assert_eq!(sent.status.as_u16(), 303, "{}", sent.body);
        locations.push(sent.location().split('?').next().unwrap().to_string());
    }
    assert_ne!(locations[0], locations[1], "A's referral is its own");
    assert_eq!(
        locations[0], locations[2],
        "B's retry lands on B's referral"
    );
}
