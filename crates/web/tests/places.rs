//! Lieux over HTTP: the import API (administrators, CSRF token in a header)
//! and the search API that sees what was imported.

mod common;

use common::{Client, call, world};

const FILE: &str = "id,pivot,nom,commune,code_postal,adresse,latitude,longitude,date_maj,services,horaires\n\
    q1,21290019600010,Médiathèque des Ursulines,Quimper,29000,1 esplanade Julien Gracq,47.9975,-4.1035,2024-05-02,Maîtrise des outils numériques du quotidien,Tu-Sa 10:00-18:00\n\
    q2,21290019600010,France services Quimper,Quimper,29000,2 rue,47.99,-4.10,2024-05-02,Aide aux démarches administratives,Mo-Fr 09:00-17:00\n";

async fn import(
    w: &common::World,
    client: &Client,
    body: &str,
    query: &str,
) -> (u16, serde_json::Value) {
    let uri = format!("/api/v1/places/import{query}");
    let answer = common::send_body(&w.app, client, &uri, "text/csv", body.into(), false).await;
    (
        answer.status.as_u16(),
        serde_json::from_str(&answer.body).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn administrators_import_and_everyone_finds() {
    let w = world().await;
    let admin = Client::signed_in(&w.db, w.admin).await;
    let (status, answer) = import(&w, &admin, FILE, "?source=carto-29").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["added"], 2);
    // Found at once, near Quimper, by service.
    let found = call(
        &w.app,
        &Client::anonymous(),
        "GET",
        "/api/v1/places?commune=Quimper&q=france+services&service=Aide+aux+d%C3%A9marches+administratives",
        None,
    )
    .await;
    let list: serde_json::Value = serde_json::from_str(&found.body).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["place"]["nom"], "France services Quimper");
    assert!(list[0]["distance_km"].as_f64().unwrap() < 2.0);
    let geo = call(
        &w.app,
        &Client::anonymous(),
        "GET",
        "/api/v1/places.geojson?q=ursulines",
        None,
    )
    .await;
    assert!(
        geo.body.contains("\"coordinates\":[-4.1035,47.9975]"),
        "{}",
        geo.body
    );
    let id = list[0]["id"].as_i64().unwrap();
    let page = call(
        &w.app,
        &Client::anonymous(),
        "GET",
        &format!("/lieux/{id}"),
        None,
    )
    .await;
    assert!(page.body.contains("France services Quimper"));
    assert!(
        page.body
            .contains("<th scope=\"row\">lundi</th><td>9 h – 17 h</td>")
            && page
                .body
                .contains("<th scope=\"row\">dimanche</th><td>fermé</td>"),
        "hours in words, a weekly table"
    );
    assert!(
        !page.body.contains("Mo-Fr") && !page.body.contains("tels que fournis"),
        "never the syntax"
    );

    // Importing the same source again updates.
    let (_, again) = import(&w, &admin, FILE, "?source=carto-29").await;
    assert_eq!(
        (again["added"].as_i64(), again["updated"].as_i64()),
        (Some(0), Some(2))
    );
    // Each import has its audit line, written with the places.
    let imports =
        w.db.audit_events(Some("places.imported"), 10)
            .await
            .unwrap();
    let ours: Vec<_> = imports
        .iter()
        .filter(|e| {
            e.detail
                .as_deref()
                .is_some_and(|d| d.starts_with("source: carto-29;"))
        })
        .collect();
    assert_eq!(ours.len(), 2, "{imports:?}");
    assert!(ours[0].actor.is_some(), "who imported: {imports:?}");
    assert!(
        ours[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("added 0, updated 2"),
        "{imports:?}"
    );

    // An invalid row refuses the file unless asked to skip it.
    let bad = format!("{FILE}q3,12,Faux,Quimper,29000,3 rue,,,2024-05-02,,\n");
    let (status, refused) = import(&w, &admin, &bad, "").await;
    assert_eq!(status, 422);
    assert!(
        refused["errors"][0]
            .as_str()
            .unwrap()
            .contains("ligne 4, champ « pivot »"),
        "{refused}"
    );
    let (status, skipped) = import(&w, &admin, &bad, "?skip_invalid=true&source=carto-29").await;
    assert_eq!((status, skipped["rejected"].as_i64()), (200, Some(1)));
}

#[tokio::test]
async fn only_administrators_import() {
    let w = world().await;
    let (status, _) = import(
        &w,
        &Client::signed_in(&w.db, w.gestionnaire_a).await,
        FILE,
        "",
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = import(&w, &Client::bearer(&w.token_a), FILE, "").await;
    assert_eq!(status, 403);
    let (status, _) = import(&w, &Client::anonymous(), FILE, "").await;
    assert_eq!(
        status, 403,
        "no session cookie, no token: the CSRF guard refuses first"
    );
    // Without the CSRF header, an administrator's session is not enough.
    let admin = Client::signed_in(&w.db, w.admin).await;
    let no_header = Client {
        csrf: "0".repeat(64),
        ..admin
    };
    let (status, _) = import(&w, &no_header, FILE, "").await;
    assert_eq!(status, 403);
    assert_eq!(
        w.db.places().await.unwrap().len(),
        2,
        "only the world's own places"
    );
}

#[tokio::test]
async fn search_parameters_are_checked() {
    let w = world().await;
    for (query, part) in [
        ("service=D%C3%A9marches", "not a value of the standard"),
        ("near=48", "latitude,longitude"),
        ("limit=0", "limit"),
    ] {
        let answer = call(
            &w.app,
            &Client::anonymous(),
            "GET",
            &format!("/api/v1/places?{query}"),
            None,
        )
        .await;
        assert_eq!(answer.status.as_u16(), 400, "{query}");
        assert!(answer.body.contains(part), "{query}: {}", answer.body);
    }
}

#[tokio::test]
async fn a_member_edits_the_place_of_their_structure() {
    let w = world().await;
    let membre = Client::signed_in(&w.db, w.membre_a).await;
    let page = call(
        &w.app,
        &membre,
        "GET",
        &format!("/lieux/{}", w.place_a),
        None,
    )
    .await;
    assert!(
        page.body.contains("Modifier ce lieu"),
        "run by A: its SIRET is the place's pivot"
    );
    let other = call(
        &w.app,
        &Client::signed_in(&w.db, w.membre_b).await,
        "GET",
        &format!("/lieux/{}", w.place_a),
        None,
    )
    .await;
    assert!(!other.body.contains("Modifier ce lieu"));

    // The weekly grid: Monday to Friday, 9 h to 12 h, typed as people do.
    let week = ["lundi", "mardi", "mercredi", "jeudi", "vendredi"]
        .iter()
        .map(|d| format!("&{d}-1-debut=9h&{d}-1-fin=12+h"))
        .collect::<String>();
    let form = format!(
        "nom=Point+num%C3%A9rique+du+CCAS&adresse=1+rue+de+la+Providence&code_postal=29000&commune=Quimper\
                &telephone=02+98+00+00+00{week}\
                &services=Aide+aux+d%C3%A9marches+administratives&services=Ma%C3%AEtrise+des+outils+num%C3%A9riques+du+quotidien\
                &frais_a_charge=Gratuit"
    );
    let bad = call(
        &w.app,
        &membre,
        "POST",
        &format!("/lieux/{}/modifier", w.place_a),
        Some(&form.replace("mardi-1-debut=9h", "mardi-1-debut=le+matin")),
    )
    .await;
    assert_eq!(bad.status.as_u16(), 422);
    assert!(
        bad.body.contains(
            "mardi : première plage : « le matin » n’est pas une heure ; écrivez par exemple 9 h ou 13 h 30."
        ) && bad.body.contains("id=\"mardi-erreur\""),
        "a time that is not one is said in French next to its day"
    );
    assert!(
        bad.body.contains("value=\"le matin\"")
            && bad.body.contains("value=\"Point numérique du CCAS\"")
            && bad.body.contains("value=\"02 98 00 00 00\""),
        "what was typed is kept"
    );
    assert!(
        !bad.body.contains("Mo-Fr"),
        "the editor never shows the syntax"
    );
    let saved = call(
        &w.app,
        &membre,
        "POST",
        &format!("/lieux/{}/modifier", w.place_a),
        Some(&form),
    )
    .await;
    assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    assert_eq!(
        saved.headers.get("location").and_then(|l| l.to_str().ok()),
        Some(format!("/lieux/{}?info=modifie", w.place_a).as_str())
    );
    let place = w.db.place(w.place_a).await.unwrap().unwrap().place;
    assert_eq!(place.nom, "Point numérique du CCAS");
    assert_eq!(place.services.len(), 2);
    assert_eq!(place.horaires.as_deref(), Some("Mo-Fr 09:00-12:00"));
    assert_eq!(
        place.telephone.as_deref(),
        Some("+33298000000"),
        "the number as people write it, stored in the standard's form"
    );
    assert_eq!(
        place.code_insee.as_deref(),
        Some("29232"),
        "the commune found by its name"
    );
    assert_ne!(place.date_maj, "2020-03-01", "date_maj follows the edit");
    assert_eq!(
        place.pivot,
        common::SIRET_A,
        "fields outside the form are kept"
    );
    let history = w.db.place_changes(w.place_a).await.unwrap();
    assert_eq!(history[0].by.as_deref(), Some("membre.a"));
    let passerelle_store::places::PlaceChangeKind::Edited { fields } = &history[0].kind else {
        panic!("{:?}", history[0]);
    };
    assert!(
        fields.iter().any(|f| f == "nom") && fields.iter().any(|f| f == "services"),
        "{fields:?}"
    );
    let page = call(
        &w.app,
        &Client::anonymous(),
        "GET",
        &format!("/lieux/{}", w.place_a),
        None,
    )
    .await;
    assert!(
        page.body.contains("ouvert 15 h par semaine"),
        "Mo-Fr 09:00-12:00"
    );
    let programme = call(
        &w.app,
        &Client::anonymous(),
        "GET",
        "/lieux?programme=Aidants+Connect",
        None,
    )
    .await;
    assert!(programme.body.contains("0 lieu") && programme.body.contains("Dispositif national"));
    // Mo-Fr 09:00-12:00: open on Tuesday morning, not in the afternoon.
    let morning = call(
        &w.app,
        &Client::anonymous(),
        "GET",
        "/api/v1/places?q=point+numerique&ouvert_le=mardi-matin",
        None,
    )
    .await;
    assert!(
        morning.body.contains("Point numérique du CCAS"),
        "{}",
        morning.body
    );
    let afternoon = call(
        &w.app,
        &Client::anonymous(),
        "GET",
        "/api/v1/places?q=point+numerique&ouvert_le=mardi-apres-midi",
        None,
    )
    .await;
    assert_eq!(afternoon.body, "[]");
    let bad = call(
        &w.app,
        &Client::anonymous(),
        "GET",
        "/api/v1/places?ouvert_le=mardi",
        None,
    )
    .await;
    assert_eq!(bad.status.as_u16(), 400);
    // The public finder sees the change at once.
    let found = call(
        &w.app,
        &Client::anonymous(),
        "GET",
        "/api/v1/places?q=point+numerique",
        None,
    )
    .await;
    assert!(found.body.contains("Point numérique du CCAS"));
}

#[tokio::test]
async fn coordinators_see_their_territory_and_decide_duplicates() {
    let w = world().await;
    let finistere = Client::signed_in(&w.db, w.coordinator_29).await;
    let page = call(&w.app, &finistere, "GET", "/lieux/coordination", None).await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(
        page.body.contains("Doublons possibles (1)"),
        "the pair in Quimper"
    );
    assert!(
        page.body.contains("<td>1er mars 2020</td>"),
        "a place not updated for a year is flagged, its date in French"
    );
    let ille = call(
        &w.app,
        &Client::signed_in(&w.db, w.coordinator_35).await,
        "GET",
        "/lieux/coordination",
        None,
    )
    .await;
    assert!(
        ille.body.contains("Doublons possibles (0)") && !ille.body.contains("1er mars 2020"),
        "another territory's places are not theirs"
    );

    let decided = call(
        &w.app,
        &finistere,
        "POST",
        &format!("/lieux/doublons/{}/{}", w.place_a, w.place_a_twin),
        Some("decision=fusionner"),
    )
    .await;
    assert_eq!(decided.status.as_u16(), 303);
    let back = decided.headers["location"].to_str().unwrap().to_string();
    let after = call(&w.app, &finistere, "GET", &back, None).await;
    assert!(
        after.body.contains("fr-alert--success") && after.body.contains("fusionnées"),
        "a DSFR alert says what was done"
    );
    assert!(w.db.place(w.place_a_twin).await.unwrap().is_none());
    let merged = w.db.place(w.place_a).await.unwrap().unwrap();
    assert!(merged.place.adresse.contains("Providence"));
    let again = call(
        &w.app,
        &finistere,
        "POST",
        &format!("/lieux/doublons/{}/{}", w.place_a, w.place_a_twin),
        Some("decision=fusionner"),
    )
    .await;
    assert_eq!(again.status.as_u16(), 404, "decided once");
}

#[tokio::test]
async fn open_places_are_paged_by_an_opaque_cursor_that_does_not_shift() {
    let w = world().await;
    let csv = |rows: &[(&str, &str)]| {
        let mut text = "id,pivot,nom,commune,code_postal,adresse,date_maj,services\n".to_string();
        for (id, nom) in rows {
            text.push_str(&format!(
                "{id},123456789,{nom},Brest,29200,{id} rue de Siam,2024-01-01,Aide aux démarches administratives|Loisirs et créations numériques\n"
            ));
        }
        passerelle_places::import::check(text.as_bytes(), "2024-01-01").valid
    };
    let rows = csv(&[
        ("o1", "Maison de quartier de Bellevue"),
        ("o2", "Cyberespace de Recouvrance"),
        ("o3", "Médiathèque de Saint-Martin"),
        ("o4", "Centre social de Kerourien"),
    ]);
    w.db.import_places(&rows, "essai", "test", None)
        .await
        .unwrap();
    let page = |url: String| {
        let app = w.app.clone();
        async move {
            let r = call(&app, &Client::anonymous(), "GET", &url, None).await;
            assert_eq!(r.status, 200, "{url}: {}", r.body);
            serde_json::from_str::<serde_json::Value>(&r.body).unwrap()
        }
    };
    let first = page("/api/v1/open/places?limit=3".into()).await;
    let places = first["places"].as_array().unwrap();
    assert_eq!(places.len(), 3);
    // The national JSON shape: multi-valued fields joined, no nulls.
    for p in places {
        for (key, value) in p.as_object().unwrap() {
            assert!(value.is_string() || value.is_number(), "{key}: {value}");
        }
    }
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let second = page(format!("/api/v1/open/places?limit=3&cursor={cursor}")).await;
    // A place imported between two calls does not shift the pages.
    w.db.import_places(
        &csv(&[("o5", "Lieu ajouté entre deux pages")]),
        "essai",
        "test",
        None,
    )
    .await
    .unwrap();
    let again = page(format!("/api/v1/open/places?limit=3&cursor={cursor}")).await;
    assert_eq!(second["places"], again["places"]);
    assert_ne!(first["places"][0], second["places"][0]);
    // Walking every page gives every place once, the new one last.
    let mut seen = Vec::new();
    let mut url = "/api/v1/open/places?limit=2".to_string();
    loop {
        let body = page(url.clone()).await;
        seen.extend(body["places"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/open/places?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), w.db.places().await.unwrap().len());
    assert_eq!(seen.last().unwrap()["nom"], "Lieu ajouté entre deux pages");
    assert_eq!(
        seen.iter().find(|p| p["id"] == "o1").unwrap()["services"],
        "Aide aux démarches administratives|Loisirs et créations numériques"
    );
    for bad in ["cursor=42", "limit=0", "limit=5000", "page=2"] {
        let r = call(
            &w.app,
            &Client::anonymous(),
            "GET",
            &format!("/api/v1/open/places?{bad}"),
            None,
        )
        .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }
    // A place's page names its typologies with the library's labels.
    let mut relais = csv(&[("o6", "Relais lecture de Lambézellec")]);
    relais[0].typologie = vec!["BIB".into(), "RELAIS_LECTURE".into()];
    w.db.import_places(&relais, "essai", "test", None)
        .await
        .unwrap();
    let id =
        w.db.places()
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.place.id == "o6")
            .unwrap()
            .id;
    let sheet = call(
        &w.app,
        &Client::anonymous(),
        "GET",
        &format!("/lieux/{id}"),
        None,
    )
    .await;
    assert!(
        sheet
            .body
            .contains("<dt>Type de lieu</dt><dd>Bibliothèque / Médiathèque, Relais lecture</dd>"),
        "{}",
        sheet.body
    );
    // data·inclusion: a structure and a service per place.
    let di = page("/api/v1/places/data-inclusion".into()).await;
    assert_eq!(
        di["structures"].as_array().unwrap().len(),
        di["services"].as_array().unwrap().len()
    );
    assert_eq!(di["services"][0]["nom"], "Médiation numérique");
}

/// M9: merging a duplicate failed (FOREIGN KEY, 500, the pair pending for
/// ever) once an activity or a referral pointed at it. The merge now moves
/// every reference to the kept place, in the same transaction, with the
/// counts unchanged and the change log and audit trail written.
#[tokio::test]
async fn merging_a_duplicate_moves_its_activities_and_referrals() {
    use sqlx::Row;
    let w = world().await;
    let (kept, twin) = (w.place_a, w.place_a_twin);
    // An activity recorded at the duplicate, and a referral to it.
    let mediator = Client::signed_in(&w.db, w.membre_a).await;
    let form = format!(
        "type=individuel&date=2026-11-20&duree=30&lieu=lieu%3A{twin}&themes=Courriels&autonomie=autonome"
    );
    let saved = call(&w.app, &mediator, "POST", "/activites", Some(&form)).await;
    assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    let referral = sqlx::query("SELECT data FROM activities")
        .fetch_one(w.db.pool())
        .await
        .unwrap();
    assert!(
        referral
            .try_get::<String, _>("data")
            .unwrap()
            .contains(&twin.to_string())
    );
    sqlx::query("UPDATE referrals SET place_id = $1 WHERE id = $2")
        .bind(twin)
        .bind(w.referral_a)
        .execute(w.db.pool())
        .await
        .unwrap();
    let counts = |db: passerelle_store::Database| async move {
        let q = passerelle_store::activities::StatsQuery {
            dimension: "theme",
            territory: passerelle_store::activities::Territory::Commune("29232".into()),
            from: "2026-01".into(),
            to: "2026-12".into(),
            structure_id: None,
            scope: passerelle_accounts::policy::FiguresScope::Everything,
        };
        db.activity_stats(&q).await.unwrap()
    };
    let before = counts(w.db.clone()).await;
    assert_eq!(before.len(), 1);

    let finistere = Client::signed_in(&w.db, w.coordinator_29).await;
    let decided = call(
        &w.app,
        &finistere,
        "POST",
        &format!("/lieux/doublons/{kept}/{twin}"),
        Some("decision=fusionner"),
    )
    .await;
    assert_eq!(decided.status.as_u16(), 303, "{}", decided.body);
    assert!(w.db.place(twin).await.unwrap().is_none());
    assert!(
        w.db.pending_duplicates().await.unwrap().is_empty(),
        "the pair is resolved"
    );
    let row = sqlx::query("SELECT place_id, data FROM activities")
        .fetch_one(w.db.pool())
        .await
        .unwrap();
    assert_eq!(
        row.try_get::<Option<i64>, _>("place_id").unwrap(),
        Some(kept)
    );
    let data: serde_json::Value =
        serde_json::from_str(&row.try_get::<String, _>("data").unwrap()).unwrap();
    assert_eq!(
        data["place"],
        serde_json::json!({"kind": "lieu", "value": kept})
    );
    let referral = sqlx::query("SELECT place_id FROM referrals WHERE id = $1")
        .bind(w.referral_a)
        .fetch_one(w.db.pool())
        .await
        .unwrap();
    assert_eq!(
        referral.try_get::<Option<i64>, _>("place_id").unwrap(),
        Some(kept)
    );
    assert_eq!(
        counts(w.db.clone()).await,
        before,
        "the counts are unchanged"
    );
    // The activity's edit form offers the kept place.
    let passerelle_store::activities::OwnActivity { id, activity: a } =
        w.db.activities_of(w.membre_a, 1).await.unwrap().remove(0);
    assert_eq!(a.place, passerelle_activities::model::Where::Lieu(kept));
    let edit = call(
        &w.app,
        &mediator,
        "GET",
        &format!("/activites/{id}/modifier"),
        None,
    )
    .await;
    assert!(
        edit.body
            .contains(&format!("value=\"lieu:{kept}\" selected"))
    );
    // Who merged what is in the place's history and the audit trail.
    let changes = w.db.place_changes(kept).await.unwrap();
    assert!(changes.iter().any(|c| c.kind
        == passerelle_store::places::PlaceChangeKind::DuplicateMerged { duplicate: twin }));
    let audited = w.db.audit_events(Some("place.merged"), 5).await.unwrap();
    assert_eq!(audited.len(), 1);
    assert_eq!(
        audited[0].subject.as_deref(),
        Some(format!("place:{kept}").as_str())
    );
    assert!(
        audited[0]
            .detail
            .as_deref()
            .unwrap_or("")
            .contains(&format!("place:{twin}")),
        "{:?}",
        audited[0]
    );
}

/// Three places of Quimper for the finder's journeys: one says everything,
/// one says nothing of its fees and hours, one is paying.
async fn three_places(w: &common::World) -> (i64, i64) {
    let place = |id: &str, nom: &str, lat: f64| passerelle_places::Place {
        id: id.into(),
        pivot: "00000000000000".into(),
        nom: nom.into(),
        commune: "Quimper".into(),
        code_postal: "29000".into(),
        code_insee: Some("29232".into()),
        adresse: "2 rue du Steir".into(),
        latitude: Some(lat),
        longitude: Some(-4.0950),
        date_maj: "2026-10-01".into(),
        services: vec!["Aide aux démarches administratives".into()],
        ..Default::default()
    };
    let full = passerelle_places::Place {
        frais_a_charge: vec!["Gratuit".into()],
        horaires: Some("Mo-Fr 09:00-12:00,14:00-17:00; PH off".into()),
        telephone: Some("+33298988989".into()),
        ..place("steir", "Espace numérique du Steir", 47.9970)
    };
    let silent = place("cyber", "Cyber-base de Kerfeunteun", 48.0100);
    let paying = passerelle_places::Place {
        frais_a_charge: vec!["Payant".into()],
        ..place("atelier", "Atelier payant", 47.9900)
    };
    w.db.import_places(&[full, silent, paying], "essai", "essai.csv", None)
        .await
        .unwrap();
    let id = |nom: &'static str| {
        let db = w.db.clone();
        async move {
            db.places()
                .await
                .unwrap()
                .into_iter()
                .find(|p| p.place.nom == nom)
                .unwrap()
                .id
        }
    };
    (
        id("Espace numérique du Steir").await,
        id("Cyber-base de Kerfeunteun").await,
    )
}

#[tokio::test]
async fn the_finder_says_what_it_leaves_out_and_what_opens_next() {
    let w = world().await;
    three_places(&w).await;
    let anonymous = Client::anonymous();
    let free = call(
        &w.app,
        &anonymous,
        "GET",
        "/lieux?commune=Quimper&frais=Gratuit",
        None,
    )
    .await;
    assert!(free.body.contains("Espace numérique du Steir"));
    assert!(
        !free.body.contains("Atelier payant") && !free.body.contains("Cyber-base"),
        "{}",
        free.body
    );
    // The place that says nothing of its fees, and the world's two, are
    // not silently dropped.
    assert!(
        free.body.contains("3 lieux sans information sur les frais"),
        "{}",
        free.body
    );
    assert!(
        free.body.contains("Filtres (1 choisi)"),
        "the count of filters"
    );
    // "Autour de moi" asks the browser's position: the page may.
    assert_eq!(
        free.headers["permissions-policy"].to_str().unwrap(),
        "geolocation=(self), camera=(), microphone=()"
    );
    let link = "/lieux?commune=Quimper&#38;frais=Gratuit&#38;inconnu=frais#resultats";
    assert!(free.body.contains(link), "a way to include them");
    let included = call(
        &w.app,
        &anonymous,
        "GET",
        "/lieux?commune=Quimper&frais=Gratuit&inconnu=frais",
        None,
    )
    .await;
    assert!(included.body.contains("Cyber-base de Kerfeunteun"));
    assert!(!included.body.contains("Atelier payant"));
    assert!(!included.body.contains("sans information sur les frais"));

    // Tuesday 24 November 2026 at 12:30: nothing is open; the places that
    // open soonest come first, saying when.
    let lunch = call(
        &w.app,
        &anonymous,
        "GET",
        "/lieux?commune=Quimper&ouvert=maintenant&open_at=2026-11-24T12:30",
        None,
    )
    .await;
    assert!(
        lunch
            .body
            .contains("Aucun lieu n’est ouvert à ce moment-là. Le premier ouvre à 14 h"),
        "{}",
        lunch.body
    );
    assert!(lunch.body.contains("Fermé · ouvre à 14 h"));
    assert!(
        lunch
            .body
            .contains("Aucun lieu ouvert maintenant près de Quimper"),
        "nothing open, said in words"
    );
    assert!(
        lunch.body.contains("lieux sans horaires connus"),
        "unknown hours are counted too"
    );
}

#[tokio::test]
async fn a_place_s_page_and_sheet_speak_to_people_and_professionals() {
    let w = world().await;
    let (steir, cyber) = three_places(&w).await;
    let anonymous = Client::anonymous();
    let page = call(&w.app, &anonymous, "GET", &format!("/lieux/{steir}"), None).await;
    assert!(
        page.body
            .contains("<th scope=\"row\">lundi</th><td>9 h – 12 h, 14 h – 17 h</td>")
    );
    assert!(page.body.contains("Fermé les jours fériés."));
    assert!(
        page.body
            .contains("<a href=\"tel:+33298988989\">02 98 98 89 89</a>")
    );
    assert!(
        page.body
            .contains("https://www.openstreetmap.org/directions?to=47.997%2C-4.095"),
        "a route link"
    );
    assert!(
        page.body.contains("href=\"sms:?&#38;body=Espace%20num"),
        "share by SMS"
    );
    assert!(page.body.contains("Mise à jour le 1er octobre 2026"));
    assert!(
        !page.body.contains("Orienter une personne"),
        "not for the public"
    );

    let sheet = call(
        &w.app,
        &anonymous,
        "GET",
        &format!("/lieux/{steir}/fiche"),
        None,
    )
    .await;
    assert!(
        sheet
            .body
            .contains("Pensez à appeler avant de vous déplacer : 02 98 98 89 89."),
        "the sheet carries the phone number"
    );
    let silent = call(
        &w.app,
        &anonymous,
        "GET",
        &format!("/lieux/{cyber}/fiche"),
        None,
    )
    .await;
    assert_eq!(silent.status.as_u16(), 200);
    assert!(
        !silent.body.contains("appeler"),
        "never 'call first' without a number"
    );

    // A professional orients a person from the place's page: the referral
    // form opens with the place chosen.
    let mediator = Client::signed_in(&w.db, w.membre_a).await;
    let own = call(
        &w.app,
        &mediator,
        "GET",
        &format!("/lieux/{}", w.place_a),
        None,
    )
    .await;
    let link = format!("/orientations/nouvelle?lieu={}", w.place_a);
    assert!(
        own.body.contains(&format!("href=\"{link}\"")),
        "{}",
        own.body
    );
    let form = call(&w.app, &mediator, "GET", &link, None).await;
    assert!(
        form.body
            .contains(&format!("<option value=\"{}\" selected>", w.place_a)),
        "the place is chosen"
    );
    let elsewhere = call(
        &w.app,
        &Client::signed_in(&w.db, w.membre_b).await,
        "GET",
        &format!("/lieux/{cyber}"),
        None,
    )
    .await;
    assert!(
        elsewhere
            .body
            .contains("Ce lieu ne reçoit pas encore d’orientations par Passerelle"),
        "a place outside Passerelle is said so"
    );
}

#[tokio::test]
async fn places_download_for_french_excel_or_in_the_standard() {
    let w = world().await;
    three_places(&w).await;
    let anonymous = Client::anonymous();
    let excel = call(
        &w.app,
        &anonymous,
        "GET",
        "/lieux/export.csv?commune=Quimper",
        None,
    )
    .await;
    assert_eq!(excel.status.as_u16(), 200);
    assert_eq!(&excel.bytes[..3], b"\xef\xbb\xbf", "UTF-8 with a BOM");
    let text = &excel.body;
    assert!(text.contains("Nom;Adresse;Code postal;Commune;Distance (km);Téléphone"));
    let steir = text
        .lines()
        .find(|l| l.starts_with("Espace numérique du Steir;"))
        .expect("the place");
    assert!(steir.contains(";02 98 98 89 89;"), "{steir}");
    assert!(steir.contains("lundi : 9 h – 12 h, 14 h – 17 h"), "{steir}");
    let distance = steir.split(';').nth(4).unwrap();
    assert!(distance.contains(','), "a decimal comma: {distance}");
    let standard = call(
        &w.app,
        &anonymous,
        "GET",
        "/lieux/export.csv?commune=Quimper&dialecte=standard",
        None,
    )
    .await;
    assert!(
        standard
            .body
            .starts_with("id,pivot,nom,commune,code_postal"),
        "the standard's own CSV: {}",
        &standard.body[..80]
    );
}

#[tokio::test]
async fn the_maps_get_borders_for_their_view() {
    let w = world().await;
    let anonymous = Client::anonymous();
    let borders = call(
        &w.app,
        &anonymous,
        "GET",
        "/lieux/carte/contours?bbox=-4.3,47.9,-3.9,48.1&zoom=11",
        None,
    )
    .await;
    assert_eq!(borders.status.as_u16(), 200);
    assert_eq!(
        borders.headers["content-type"].to_str().unwrap(),
        "application/geo+json"
    );
    let doc: serde_json::Value = serde_json::from_str(&borders.body).unwrap();
    assert_eq!(doc["features"][1]["properties"]["niveau"], "commune");
    for bad in [
        "bbox=1,2,3&zoom=5",
        "bbox=-4,48,-5,49&zoom=5",
        "bbox=0,0,90,80&zoom=3",
        "zoom=3",
    ] {
        let refused = call(
            &w.app,
            &anonymous,
            "GET",
            &format!("/lieux/carte/contours?{bad}"),
            None,
        )
        .await;
        assert_eq!(refused.status.as_u16(), 400, "{bad}");
    }
}

#[tokio::test]
async fn the_editor_finds_the_commune_by_its_name() {
    let w = world().await;
    let membre = Client::signed_in(&w.db, w.membre_a).await;
    let post = |commune: &str, postcode: &str| {
        format!("nom=Point+num%C3%A9rique&adresse=1+rue&code_postal={postcode}&commune={commune}")
    };
    let uri = format!("/lieux/{}/modifier", w.place_a);
    let unknown = call(
        &w.app,
        &membre,
        "POST",
        &uri,
        Some(&post("Quimpr", "29000")),
    )
    .await;
    assert_eq!(unknown.status.as_u16(), 422);
    assert!(
        unknown
            .body
            .contains("Aucune commune ne s’appelle « Quimpr » dans le référentiel"),
        "{}",
        unknown.body
    );
    assert!(unknown.body.contains("aria-describedby=\"commune-erreur\""));
    let wrong_postcode = call(&w.app, &membre, "POST", &uri, Some(&post("Brest", "29000"))).await;
    assert_eq!(wrong_postcode.status.as_u16(), 422);
    assert!(
        wrong_postcode
            .body
            .contains("Les codes postaux de Brest sont : 29200."),
        "{}",
        wrong_postcode.body
    );
    let moved = call(&w.app, &membre, "POST", &uri, Some(&post("brest", ""))).await;
    assert_eq!(moved.status.as_u16(), 303, "{}", moved.body);
    let place = w.db.place(w.place_a).await.unwrap().unwrap();
    assert_eq!(
        (
            place.place.commune.as_str(),
            place.place.code_postal.as_str(),
            place.place.code_insee.as_deref(),
            place.commune_code.as_deref()
        ),
        ("Brest", "29200", Some("29019"), Some("29019")),
        "the official name, its only postcode, its code"
    );
}
