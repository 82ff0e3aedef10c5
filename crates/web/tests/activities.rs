//! Activités through HTTP: the form, the dashboard, the API's idempotency.

mod common;

use axum::body::Body;
use axum::http::{Request, header};
use common::{Client, call, world};

const FORM: &str = "type=demarche&date=2026-11-20&duree=30&lieu=autre&commune=29232\
    &themes=D%C3%A9marche+en+ligne&organisation=CAF&aides=Remplissage+d%27un+formulaire\
    &age=60-69+ans&statut=retrait%C3%A9&autonomie=partiellement+autonome";

#[tokio::test]
async fn a_mediator_records_and_sees_it_counted() {
    let w = world().await;
    let mediator = Client::signed_in(&w.db, w.membre_a).await;
    let saved = call(&w.app, &mediator, "POST", "/activites", Some(FORM)).await;
    assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    let own = call(
        &w.app,
        &mediator,
        "GET",
        "/activites/tableau-de-bord?annee=2026",
        None,
    )
    .await;
    assert!(
        own.body.contains("Mes activités")
            && own.body.contains("CAF")
            && own.body.contains("formulaire"),
        "{}",
        own.body
    );
    // The coordinator of the Finistère sees it in the département, the one
    // of Ille-et-Vilaine does not, and may not look at the Finistère.
    let finistere = call(
        &w.app,
        &Client::signed_in(&w.db, w.coordinator_29).await,
        "GET",
        "/activites/tableau-de-bord?territoire=dep:29&annee=2026",
        None,
    )
    .await;
    assert!(
        finistere.body.contains("Démarche en ligne"),
        "{}",
        finistere.body
    );
    let ille = Client::signed_in(&w.db, w.coordinator_35).await;
    let theirs = call(
        &w.app,
        &ille,
        "GET",
        "/activites/tableau-de-bord?annee=2026",
        None,
    )
    .await;
    assert!(!theirs.body.contains("Démarche en ligne"));
    assert_eq!(
        call(
            &w.app,
            &ille,
            "GET",
            "/activites/tableau-de-bord?territoire=dep:29",
            None
        )
        .await
        .status
        .as_u16(),
        403
    );
    // At commune level, fewer than 5 people read "< 5".
    let admin = Client::signed_in(&w.db, w.admin).await;
    let commune = call(
        &w.app,
        &admin,
        "GET",
        "/activites/tableau-de-bord?territoire=com:29232&annee=2026",
        None,
    )
    .await;
    assert!(
        commune.body.contains("&lt; 5") || commune.body.contains("&#60; 5"),
        "small cells hidden"
    );
    assert!(
        finistere.body.contains("Personnes accompagnées par mois")
            && finistere.body.contains("novembre 2026")
    );
    assert!(
        finistere
            .body
            .contains("Aide ponctuelle à une démarche, sans suivi")
    );
    let csv = call(
        &w.app,
        &Client::signed_in(&w.db, w.coordinator_29).await,
        "GET",
        "/activites/tableau-de-bord.csv?territoire=dep:29&annee=2026",
        None,
    )
    .await;
    assert_eq!(csv.status.as_u16(), 200);
    // For people: French Excel (BOM, semicolons, decimal comma).
    assert!(
        csv.body
            .starts_with("\u{feff}tableau;valeur;personnes;pourcentage;fiches\n"),
        "{}",
        csv.body
    );
    assert!(
        csv.body
            .contains("Thèmes des accompagnements;Démarche en ligne;1;100;1"),
        "{}",
        csv.body
    );
    // For machines: the standard variant.
    let standard = call(
        &w.app,
        &Client::signed_in(&w.db, w.coordinator_29).await,
        "GET",
        "/activites/tableau-de-bord.csv?territoire=dep:29&annee=2026&format=standard",
        None,
    )
    .await;
    assert!(
        standard
            .body
            .starts_with("tableau,valeur,personnes,pourcentage,fiches\n")
            && standard
                .body
                .contains("Thèmes des accompagnements,Démarche en ligne,1,100,1"),
        "{}",
        standard.body
    );
    // The dashboard says how the form's age brackets were grouped.
    assert!(
        finistere
            .body
            .contains("18-24 ans et 25-39 ans comptent dans « 18-35 ans »"),
        "{}",
        finistere.body
    );
    // The same tables as a workbook, one sheet per table, counts as numbers.
    let xlsx = call(
        &w.app,
        &Client::signed_in(&w.db, w.coordinator_29).await,
        "GET",
        "/activites/tableau-de-bord.xlsx?territoire=dep:29&annee=2026",
        None,
    )
    .await;
    assert_eq!(xlsx.status.as_u16(), 200);
    {
        use calamine::{Data, Reader, Xlsx};
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx.bytes.clone())).unwrap();
        assert!(book.sheet_names().contains(&"Présentation".to_string()));
        let themes = book.worksheet_range("Thèmes des accompagnements").unwrap();
        let row = themes
            .rows()
            .find(|r| r.first() == Some(&Data::String("Démarche en ligne".into())))
            .expect("the theme's line");
        assert_eq!(row[1], Data::Float(1.0));
        assert_eq!(row[2], Data::Float(100.0));
    }
    // A period without the record, then with it; a structure to narrow to.
    let coordinator = Client::signed_in(&w.db, w.coordinator_29).await;
    let spring = call(
        &w.app,
        &coordinator,
        "GET",
        "/activites/tableau-de-bord?territoire=dep:29&du=2026-03&au=2026-06",
        None,
    )
    .await;
    assert!(
        spring.body.contains("mars 2026 – juin 2026") && !spring.body.contains("Démarche en ligne"),
        "{}",
        spring.body
    );
    let november = call(
        &w.app,
        &coordinator,
        "GET",
        "/activites/tableau-de-bord?territoire=dep:29&du=2026-11&au=2026-11",
        None,
    )
    .await;
    assert!(november.body.contains("Démarche en ligne"));
    assert!(
        november.body.contains("Toutes les structures")
            && november.body.contains("CCAS de Quimper"),
        "the structure with records is offered"
    );
    let narrowed = call(
        &w.app,
        &coordinator,
        "GET",
        &format!(
            "/activites/tableau-de-bord?territoire=dep:29&annee=2026&structure={}",
            w.a
        ),
        None,
    )
    .await;
    assert!(
        narrowed.body.contains("Démarche en ligne"),
        "{}",
        narrowed.body
    );
    let other = call(
        &w.app,
        &coordinator,
        "GET",
        &format!(
            "/activites/tableau-de-bord?territoire=dep:29&annee=2026&structure={}",
            w.b
        ),
        None,
    )
    .await;
    assert_eq!(other.status.as_u16(), 404, "no records of B here");
    let unknown = call(
        &w.app,
        &coordinator,
        "GET",
        "/activites/tableau-de-bord?territoire=dep:29&annee=2026&structure=999999",
        None,
    )
    .await;
    assert_eq!(unknown.status.as_u16(), 404);
    // At commune level a hidden cell hides its share and records too.
    assert!(!commune.body.contains("100 %"), "share of a hidden cell");
    // Invalid input is refused with the field named.
    let bad = call(
        &w.app,
        &mediator,
        "POST",
        "/activites",
        Some(&FORM.replace("organisation=CAF", "organisation=")),
    )
    .await;
    assert_eq!(bad.status.as_u16(), 422);
    assert!(
        bad.body.contains(
            "<p id=\"organisation-erreur\" class=\"fr-error-text\">Choisissez l’organisme concerné par la démarche</p>"
        ) && bad.body.contains("aria-describedby=\"organisation-erreur\""),
        "{}",
        bad.body
    );
}

async fn post_json(
    w: &common::World,
    client: &Client,
    body: &str,
    key: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut request =
        Request::post("/api/v1/activities").header(header::CONTENT_TYPE, "application/json");
    if let Some(b) = &client.bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {b}"));
    }
    if let Some(k) = key {
        request = request.header("idempotency-key", k);
    }
    common::send_json(&w.app, request.body(Body::from(body.to_string())).unwrap()).await
}

const RECORD: &str = r#"{"kind":"individuel","date":"2026-11-02","duration_minutes":45,"place":{"kind":"distance"},
  "workshop_title":null,"level":null,"participants":1,"ages":[["25-39 ans",1]],"statuses":[["en emploi",1]],
  "residence_commune":"35238","follow_up_code":null,"themes":["Courriels"],"organisation":null,"kinds_of_help":[],
  "autonomy":"autonome","equipment":null,"orientation":null}"#;

#[tokio::test]
async fn the_api_records_once_per_idempotency_key() {
    let w = world().await;
    let token = Client::bearer(&w.token_a);
    let (status, first) = post_json(&w, &token, RECORD, Some("abc")).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["created"], 1);
    let (_, again) = post_json(&w, &token, RECORD, Some("abc")).await;
    assert_eq!(
        (again["created"].as_i64(), again["existing"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(again["ids"], first["ids"]);
    let (_, batch) = post_json(&w, &token, &format!("[{RECORD},{RECORD}]"), Some("lot-1")).await;
    assert_eq!(batch["created"], 2);
    let (status, bad) = post_json(
        &w,
        &token,
        &format!("[{RECORD},{}]", RECORD.replace("Courriels", "Internet")),
        Some("lot-2"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        bad["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("élément 2, champ `themes` : « Internet » n’est pas un thème"),
        "{bad}"
    );
    assert_eq!(bad["created"], 0, "nothing of a refused batch is stored");
    let total =
        w.db.activity_stats(&passerelle_store::activities::StatsQuery {
            dimension: "total",
            territory: passerelle_store::activities::Territory::All,
            from: "2026-01".into(),
            to: "2026-12".into(),
            structure_id: Some(w.a),
            scope: passerelle_accounts::policy::FiguresScope::Everything,
        })
        .await
        .unwrap();
    assert_eq!(total[0].records, 3);
}

#[tokio::test]
async fn a_mediator_edits_and_withdraws_their_record_and_it_is_audited() {
    let w = world().await;
    let mediator = Client::signed_in(&w.db, w.membre_a).await;
    assert_eq!(
        call(&w.app, &mediator, "POST", "/activites", Some(FORM))
            .await
            .status
            .as_u16(),
        303
    );
    let id =
        w.db.activities_of(w.membre_a, 1)
            .await
            .unwrap()
            .remove(0)
            .id;
    let form = call(
        &w.app,
        &mediator,
        "GET",
        &format!("/activites/{id}/modifier"),
        None,
    )
    .await;
    assert_eq!(form.status.as_u16(), 200);
    assert!(
        form.body.contains("Modifier une activité") && form.body.contains("value=\"CAF\" selected"),
        "prefilled"
    );
    // Someone else's record is not theirs to see.
    let other = Client::signed_in(&w.db, w.gestionnaire_a).await;
    assert_eq!(
        call(
            &w.app,
            &other,
            "GET",
            &format!("/activites/{id}/modifier"),
            None
        )
        .await
        .status
        .as_u16(),
        404
    );
    let edited = call(
        &w.app,
        &mediator,
        "POST",
        &format!("/activites/{id}/modifier"),
        Some(&FORM.replace("organisation=CAF", "organisation=CPAM")),
    )
    .await;
    assert_eq!(edited.status.as_u16(), 303, "{}", edited.body);
    let q = passerelle_store::activities::StatsQuery {
        dimension: "organisation",
        territory: passerelle_store::activities::Territory::Departement("29".into()),
        from: "2026-01".into(),
        to: "2026-12".into(),
        structure_id: None,
        scope: passerelle_accounts::policy::FiguresScope::Everything,
    };
    let orgs = w.db.activity_stats(&q).await.unwrap();
    assert_eq!(
        orgs.iter().map(|r| r.value.as_str()).collect::<Vec<_>>(),
        vec!["CPAM"],
        "the counts follow the edit"
    );
    // "Retirer" asks first.
    let confirm = call(
        &w.app,
        &mediator,
        "GET",
        &format!("/activites/{id}/suppression"),
        None,
    )
    .await;
    assert_eq!(confirm.status.as_u16(), 200);
    assert!(
        confirm.body.contains("Retirer une activité ?")
            && confirm.body.contains("Retirer cette activité")
            && confirm.body.contains("20 novembre 2026"),
        "{}",
        confirm.body
    );
    assert!(
        w.db.activity_of(id, w.membre_a).await.unwrap().is_some(),
        "asking changes nothing"
    );
    let withdrawn = call(
        &w.app,
        &mediator,
        "POST",
        &format!("/activites/{id}/suppression"),
        Some(""),
    )
    .await;
    assert_eq!(withdrawn.status.as_u16(), 303);
    assert_eq!(
        withdrawn.headers.get("location").unwrap(),
        "/activites?info=retiree"
    );
    assert!(w.db.activity_stats(&q).await.unwrap().is_empty());
    let back = call(&w.app, &mediator, "GET", "/activites?info=retiree", None).await;
    assert!(
        back.body.contains("fr-alert--success") && back.body.contains("Activité retirée"),
        "{}",
        back.body
    );
    let actions: Vec<String> =
        w.db.audit_events(None, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
    for action in ["activity.created", "activity.updated", "activity.withdrawn"] {
        assert!(
            actions.contains(&action.to_string()),
            "{action}: {actions:?}"
        );
    }
}

#[tokio::test]
async fn a_workshop_is_recorded_with_its_people_per_bracket() {
    let w = world().await;
    let mediator = Client::signed_in(&w.db, w.membre_a).await;
    let form = "type=atelier&date=2026-11-20&duree=90&lieu=autre&commune=29232\
        &themes=Courriels&participants=5&titre_atelier=Premiers+courriels&niveau=d%C3%A9butant\
        &nb_age_5=3&nb_age_6=2&nb_statut_3=5";
    let page = call(&w.app, &mediator, "GET", "/activites", None).await;
    assert!(
        page.body.contains("name=\"nb_age_6\"") && page.body.contains("70 ans et plus"),
        "the form asks for the counts"
    );
    let saved = call(&w.app, &mediator, "POST", "/activites", Some(form)).await;
    assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    let own = call(
        &w.app,
        &mediator,
        "GET",
        "/activites/tableau-de-bord?annee=2026",
        None,
    )
    .await;
    // 5 people, all 60 and over in the seeds' brackets, all retired.
    assert!(own.body.contains("60 ans et +"), "{}", own.body);
    // Counts that do not add up are refused, naming the field.
    let bad = call(
        &w.app,
        &mediator,
        "POST",
        "/activites",
        Some(&form.replace("nb_age_6=2", "nb_age_6=1")),
    )
    .await;
    assert_eq!(bad.status.as_u16(), 422);
    // In French next to the counts, with everything typed kept (type,
    // participants, title, level, the counts themselves).
    for expected in [
        "<p id=\"nb_age-erreur\" class=\"fr-error-text\">Les nombres font 4 en tout, pas les 5 participants</p>",
        "id=\"type-atelier\" name=\"type\" value=\"atelier\" checked",
        "name=\"participants\" min=\"1\" max=\"10000\" value=\"5\"",
        "value=\"Premiers courriels\"",
        "value=\"débutant\" selected",
        "name=\"nb_age_6\" value=\"1\"",
    ] {
        assert!(bad.body.contains(expected), "{expected}: {}", bad.body);
    }
}

#[tokio::test]
async fn a_dashboard_narrowed_to_a_place_or_a_programme() {
    let w = world().await;
    let mediator = Client::signed_in(&w.db, w.membre_a).await;
    let at_place = FORM
        .replace(
            "lieu=autre&commune=29232",
            &format!("lieu=lieu%3A{}", w.place_a),
        )
        .replace("organisation=CAF", "organisation=MSA");
    for form in [at_place.as_str(), FORM] {
        let saved = call(&w.app, &mediator, "POST", "/activites", Some(form)).await;
        assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    }
    let coordinator = Client::signed_in(&w.db, w.coordinator_29).await;
    let get = |query: String| {
        let (app, client) = (w.app.clone(), &coordinator);
        async move {
            call(
                &app,
                client,
                "GET",
                &format!("/activites/tableau-de-bord?territoire=dep:29&annee=2026{query}"),
                None,
            )
            .await
        }
    };
    let all = get(String::new()).await;
    assert!(all.body.contains("MSA") && all.body.contains("CAF"));
    assert!(
        all.body.contains("Point numérique du CCAS de Quimper"),
        "the place is offered"
    );
    let place = get(format!("&lieu={}", w.place_a)).await;
    assert_eq!(place.status.as_u16(), 200);
    assert!(
        place.body.contains("MSA") && !place.body.contains(">CAF<"),
        "{}",
        place.body
    );
    // The place is in no national programme: nothing under one.
    let programme = get("&programme=France+Services".into()).await;
    assert!(!programme.body.contains(">MSA<") && !programme.body.contains(">CAF<"));
    assert_eq!(get("&programme=Inconnu".into()).await.status.as_u16(), 404);
    assert_eq!(get("&lieu=999999".into()).await.status.as_u16(), 404);
}

async fn stored_records(w: &common::World) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COUNT(*) AS n FROM activities")
        .fetch_one(w.db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

/// M8: a batch naming a place that does not exist was half written (the
/// items before it stored) and answered 500. Every item is now checked
/// first: 422 naming the item and the field, nothing stored.
#[tokio::test]
async fn a_batch_naming_an_unknown_place_or_commune_stores_nothing() {
    let w = world().await;
    let token = Client::bearer(&w.token_a);
    let at_place = |id: i64| {
        RECORD.replace(
            r#"{"kind":"distance"}"#,
            &format!(r#"{{"kind":"lieu","value":{id}}}"#),
        )
    };
    let batch = format!(
        "[{RECORD},{},{},{RECORD}]",
        at_place(w.place_a),
        at_place(999_999)
    );
    let (status, body) = post_json(&w, &token, &batch, Some("lot-m8")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["problems"][0]["index"], 2, "{body}");
    assert_eq!(body["problems"][0]["field"], "place", "{body}");
    assert!(
        body["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("élément 3, champ `place` : aucun lieu n° 999999 dans l’annuaire"),
        "{body}"
    );
    assert_eq!(
        stored_records(&w).await,
        0,
        "nothing of a refused batch is stored"
    );
    // A commune the reference does not have, where it happened or where
    // the person lives: the same.
    let elsewhere = RECORD.replace(
        r#"{"kind":"distance"}"#,
        r#"{"kind":"autre","value":"29999"}"#,
    );
    let resident = RECORD.replace(r#""35238""#, r#""35999""#);
    let (status, body) = post_json(
        &w,
        &token,
        &format!("[{elsewhere},{RECORD},{resident}]"),
        None,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let named: Vec<(i64, &str)> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["index"].as_i64().unwrap(), p["field"].as_str().unwrap()))
        .collect();
    assert_eq!(named, vec![(0, "place"), (2, "residence_commune")]);
    assert_eq!(stored_records(&w).await, 0);
    // The same batch with a real place is stored whole, in one go.
    let fixed = batch.replace("999999", &w.place_a.to_string());
    let (status, body) = post_json(&w, &token, &fixed, Some("lot-m8")).await;
    assert_eq!((status, body["created"].as_i64()), (200, Some(4)), "{body}");
    assert_eq!(stored_records(&w).await, 4);
    let audited =
        w.db.audit_events(Some("activity.created"), 10)
            .await
            .unwrap();
    assert_eq!(
        audited.len(),
        1,
        "one audit line for the batch, none for the refusals"
    );
}

/// M8: the entry form with an unknown place answered 500. It now shows
/// the form again, the error in French next to the place field, with
/// what was typed; the same when editing a record.
#[tokio::test]
async fn the_entry_form_says_an_unknown_place_next_to_the_field_and_keeps_what_was_typed() {
    let w = world().await;
    let mediator = Client::signed_in(&w.db, w.membre_a).await;
    let form = FORM.replace(
        "lieu=autre&commune=29232",
        "lieu=lieu%3A999999&commune=29232",
    );
    let page = call(&w.app, &mediator, "POST", "/activites", Some(&form)).await;
    assert_eq!(page.status.as_u16(), 422, "{}", page.body);
    for expected in [
        "fr-select-group--error",
        "aria-describedby=\"lieu-erreur\"",
        "<p id=\"lieu-erreur\" class=\"fr-error-text\">Ce lieu n’est pas (ou plus) dans l’annuaire",
        "value=\"lieu:999999\" selected",
        "value=\"2026-11-20\"",
        "value=\"CAF\" selected",
        "value=\"60-69 ans\" selected",
        "value=\"29232\"",
    ] {
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }
    assert_eq!(stored_records(&w).await, 0);
    // An unknown commune: next to the commune field.
    let form = FORM.replace("commune=29232", "commune=29999");
    let page = call(&w.app, &mediator, "POST", "/activites", Some(&form)).await;
    assert_eq!(page.status.as_u16(), 422);
    assert!(
        page.body.contains("<p id=\"commune-erreur\" class=\"fr-error-text\">Aucune commune n’a le code INSEE « 29999 »")
            && page.body.contains("aria-describedby=\"commune-erreur\"")
            && page.body.contains("value=\"29999\""),
        "{}",
        page.body
    );
    // Editing a record to an unknown place: refused the same way, the
    // record unchanged.
    assert_eq!(
        call(&w.app, &mediator, "POST", "/activites", Some(FORM))
            .await
            .status
            .as_u16(),
        303
    );
    let own = w.db.activities_of(w.membre_a, 1).await.unwrap().remove(0);
    let (id, before) = (own.id, own.activity);
    let edit = FORM.replace("lieu=autre", "lieu=lieu%3A999999");
    let page = call(
        &w.app,
        &mediator,
        "POST",
        &format!("/activites/{id}/modifier"),
        Some(&edit),
    )
    .await;
    assert_eq!(page.status.as_u16(), 422, "{}", page.body);
    assert!(
        page.body.contains("lieu-erreur")
            && page.body.contains(&format!("/activites/{id}/modifier"))
    );
    assert_eq!(
        w.db.activity_of(id, w.membre_a).await.unwrap(),
        Some(before)
    );
}

/// L2: an idempotency key was unique across the instance: another
/// structure's identical key dropped the record and answered with the
/// other structure's id. Keys are now the sender's own.
#[tokio::test]
async fn two_structures_may_use_the_same_idempotency_key() {
    let w = world().await;
    let (a, b) = (Client::bearer(&w.token_a), Client::bearer(&w.token_b));
    let (_, first_a) = post_json(&w, &a, RECORD, Some("cle-1")).await;
    assert_eq!(first_a["created"], 1);
    let (status, first_b) = post_json(&w, &b, RECORD, Some("cle-1")).await;
    assert_eq!(status, 200);
    assert_eq!(first_b["created"], 1, "B's record is stored: {first_b}");
    assert_ne!(first_b["ids"], first_a["ids"], "and A's id is not revealed");
    // Each one's retry still lands on its own record.
    let (_, again_b) = post_json(&w, &b, RECORD, Some("cle-1")).await;
    assert_eq!(
        (again_b["existing"].as_i64(), &again_b["ids"]),
        (Some(1), &first_b["ids"])
    );
    let (_, again_a) = post_json(&w, &a, RECORD, Some("cle-1")).await;
    assert_eq!(again_a["ids"], first_a["ids"]);
    // Batches too, and a person signed in has keys of their own.
    let (_, lot_a) = post_json(&w, &a, &format!("[{RECORD}]"), Some("lot")).await;
    let (_, lot_b) = post_json(&w, &b, &format!("[{RECORD}]"), Some("lot")).await;
    assert_eq!(
        (lot_a["created"].as_i64(), lot_b["created"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(stored_records(&w).await, 4);
}

/// The open figures of a territory: anonymous, small cells hidden below
/// the EPCI together with what would give them away.
#[tokio::test]
async fn open_activity_figures_hide_small_cells() {
    use passerelle_activities::model::{Activity, Kind, Where};
    use passerelle_store::activities::Author;
    let w = world().await;
    let record = |kind: Kind, people: u32, month: u32, commune: &str| Activity {
        kind,
        date: chrono::NaiveDate::from_ymd_opt(2025, month, 10).unwrap(),
        duration_minutes: 60,
        place: Where::Autre(commune.into()),
        workshop_title: (kind == Kind::Atelier).then(|| "Tablette".into()),
        level: (kind == Kind::Atelier).then(|| "débutant".into()),
        participants: people,
        ages: vec![],
        statuses: vec![],
        residence_commune: None,
        follow_up_code: None,
        themes: vec!["Courriels".into()],
        organisation: None,
        kinds_of_help: vec![],
        autonomy: None,
        equipment: None,
        orientation: None,
        returning: 0,
    };
    w.db.import_activities(
        &[
            record(Kind::Individuel, 1, 3, "29232"),
            record(Kind::Atelier, 8, 4, "29232"),
            record(Kind::Atelier, 6, 5, "29232"),
            record(Kind::Atelier, 3, 5, "29019"),
        ],
        Author {
            mediator_id: None,
            structure_id: None,
            token_id: None,
        },
    )
    .await
    .unwrap();
    let get = |uri: &'static str| {
        let app = w.app.clone();
        async move {
            let r = call(&app, &Client::anonymous(), "GET", uri, None).await;
            let json: serde_json::Value =
                serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null);
            (r.status.as_u16(), json)
        }
    };
    let (status, q) =
        get("/api/v1/open/activities?territory=com:29232&from=2025-01&to=2025-12").await;
    assert_eq!(status, 200, "{q}");
    assert_eq!(q["territory"]["name"], "Quimper");
    assert_eq!(q["total"]["people"], 15);
    assert_eq!(q["total"]["records"], serde_json::Value::Null, "3 records");
    let months = q["months"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    assert_eq!(
        months[2]["people"],
        serde_json::Value::Null,
        "1 person in March"
    );
    assert_eq!(months[3]["people"], 8);
    assert_eq!(
        months[4]["people"],
        serde_json::Value::Null,
        "May (6) hidden too: March = 15 − 8 − 6"
    );
    assert_eq!(months[0]["people"], 0);
    let types = q["dimensions"]["type"].as_array().unwrap();
    assert!(
        types.iter().all(|c| c["people"].is_null()),
        "one individual: both types hidden: {types:?}"
    );
    assert_eq!(q["dimensions"]["theme"][0]["people"], 15);
    // The département: no small cell hidden.
    let (_, d) = get("/api/v1/open/activities?territory=dep:29&from=2025-01&to=2025-12").await;
    assert_eq!(d["total"]["people"], 18);
    assert_eq!(d["total"]["records"], 4);
    assert_eq!(d["months"][2]["people"], 1);
    // Territories of the reference only; months as YYYY-MM.
    let (status, e) =
        get("/api/v1/open/activities?territory=com:99999&from=2025-01&to=2025-12").await;
    assert_eq!(status, 404, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("référentiel")
    );
    for uri in [
        "/api/v1/open/activities?from=2025-01&to=2025-12",
        "/api/v1/open/activities?territory=all&from=2025-01&to=2025-12",
        "/api/v1/open/activities?territory=dep:29&from=2025-1&to=2025-12",
        "/api/v1/open/activities?territory=dep:29&from=1990-01&to=2025-12",
    ] {
        assert_eq!(get(uri).await.0, 400, "{uri}");
    }
}

/// Issue 13/14: a regional coordinator got 403 on each département, EPCI
/// and commune of her région (codes of one level were compared). Coverage
/// is now decided on where the territory lies; territories are offered
/// and named by their names.
#[tokio::test]
async fn a_regional_coordinator_opens_every_territory_of_her_region_by_name() {
    use passerelle_accounts::{Role, ScopeLevel};
    let w = world().await;
    let mediator = Client::signed_in(&w.db, w.membre_a).await;
    assert_eq!(
        call(&w.app, &mediator, "POST", "/activites", Some(FORM))
            .await
            .status
            .as_u16(),
        303
    );
    let hub = w.db.memberships_of(w.coordinator_29).await.unwrap()[0].structure_id;
    let regional =
        w.db.create_person_with_role(
            "coord.bretagne@hub.bzh",
            "Coordinatrice régionale",
            None,
            hub,
            Role::Coordinateur,
            &[(ScopeLevel::Region, "53".into())],
        )
        .await
        .unwrap();
    let client = Client::signed_in(&w.db, regional).await;
    let get = |territory: &'static str| {
        let (app, client) = (w.app.clone(), &client);
        async move {
            call(
                &app,
                client,
                "GET",
                &format!("/activites/tableau-de-bord?territoire={territory}&annee=2026"),
                None,
            )
            .await
        }
    };
    let home = get("").await;
    assert_eq!(home.status.as_u16(), 200, "{}", home.body);
    assert!(
        home.body.contains("Activités : Bretagne, 2026"),
        "{}",
        home.body
    );
    for (territory, name) in [
        ("dep:29", "Finistère"),
        ("epci:200068120", "CA Quimper Bretagne Occidentale"),
        ("com:29232", "Quimper"),
    ] {
        let page = get(territory).await;
        assert_eq!(page.status.as_u16(), 200, "{territory}: {}", page.body);
        assert!(
            page.body.contains(&format!("Activités : {name}")),
            "{territory}: {}",
            page.body
        );
        assert!(
            page.body.contains(&format!("selected>{name}</option>")),
            "picked by name: {}",
            page.body
        );
    }
    assert!(get("dep:29").await.body.contains("Démarche en ligne"));
    // At an EPCI, its communes are offered to go further down, by name.
    let epci = get("epci:200068120").await;
    assert!(
        epci.body
            .contains("<option value=\"com:29232\">Quimper</option>")
            && epci.body.contains(">Plogonnec</option>"),
        "{}",
        epci.body
    );
    // Outside her région: refused; unknown: not found.
    assert_eq!(get("dep:14").await.status.as_u16(), 403, "Calvados");
    assert_eq!(
        get("dep:99").await.status.as_u16(),
        404,
        "not in the reference"
    );
    // No territory code reaches the page as text.
    assert!(!home.body.contains(">dep:") && !home.body.contains("Département 29"));
}

/// Issue 14 §3: "Répéter la dernière activité" fills the form as the last
/// record, dated today; a new form remembers the last place and duration.
#[tokio::test]
async fn the_last_record_can_be_repeated() {
    let w = world().await;
    let mediator = Client::signed_in(&w.db, w.membre_a).await;
    let first = call(&w.app, &mediator, "GET", "/activites", None).await;
    assert!(!first.body.contains("Répéter la dernière activité"));
    let at_place = FORM
        .replace(
            "lieu=autre&commune=29232",
            &format!("lieu=lieu%3A{}", w.place_a),
        )
        .replace("duree=30", "duree=45");
    let saved = call(&w.app, &mediator, "POST", "/activites", Some(&at_place)).await;
    assert_eq!(saved.status.as_u16(), 303, "{}", saved.body);
    let fresh = call(
        &w.app,
        &mediator,
        "GET",
        "/activites?info=enregistree",
        None,
    )
    .await;
    for expected in [
        "Activité enregistrée.",
        "href=\"/activites?repeter=derniere\"",
        "<option value=\"45\" selected>",
        &format!("value=\"lieu:{}\" selected", w.place_a),
    ] {
        assert!(fresh.body.contains(expected), "{expected}: {}", fresh.body);
    }
    assert!(
        !fresh.body.contains("value=\"CAF\" selected"),
        "a new record"
    );
    let repeated = call(
        &w.app,
        &mediator,
        "GET",
        "/activites?repeter=derniere",
        None,
    )
    .await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive()
        .to_string();
    for expected in [
        "value=\"CAF\" selected",
        "value=\"Démarche en ligne\" checked",
        "value=\"Remplissage d&#39;un formulaire\" checked",
        "value=\"60-69 ans\" selected",
        "id=\"type-demarche\" name=\"type\" value=\"demarche\" checked",
        &format!("value=\"{today}\""),
    ] {
        assert!(
            repeated.body.contains(expected),
            "{expected}: {}",
            repeated.body
        );
    }
}

/// Statistics at any grain: the API and the page answer from the server's
/// index what a plain count of the imported records gives; each viewer
/// within their scope; a write through another server shows at once.
#[tokio::test]
async fn statistics_at_any_grain_within_each_scope() {
    use passerelle_activities::generate::Generator;
    use passerelle_store::activities::Author;
    let w = world().await;
    let mut g = Generator::new(
        4,
        vec!["29232".into(), "29019".into(), "35238".into()],
        2025,
    );
    let records: Vec<_> = (0..1500).map(|_| g.record()).collect();
    let theirs = Author {
        mediator_id: Some(w.membre_a),
        structure_id: Some(w.a),
        token_id: None,
    };
    w.db.import_activities(&records[..1000], theirs)
        .await
        .unwrap();
    let admin = Client::signed_in(&w.db, w.admin).await;
    let url = "/api/v1/activities/stats?territory=dep:29&from=2025-03-01&to=2025-06-30&by=theme,type&age=60+ans+et+%2B";
    let asked = call(&w.app, &admin, "GET", url, None).await;
    assert_eq!(asked.status.as_u16(), 200, "{}", asked.body);
    let json: serde_json::Value = serde_json::from_str(&asked.body).unwrap();
    let count = |records: &[passerelle_activities::Activity]| {
        let mut cells = std::collections::BTreeMap::<(String, String), (u64, u64)>::new();
        for a in records {
            let passerelle_activities::model::Where::Autre(c) = &a.place else {
                continue;
            };
            let day = a.date.to_string();
            let old = a
                .ages
                .iter()
                .any(|(b, _)| b.starts_with("60") || b.starts_with("70"));
            if c.starts_with("29")
                && old
                && day.as_str() >= "2025-03-01"
                && day.as_str() <= "2025-06-30"
            {
                for t in &a.themes {
                    let cell = cells
                        .entry((t.clone(), a.kind.label().to_string()))
                        .or_default();
                    cell.0 += u64::from(a.participants);
                    cell.1 += 1;
                }
            }
        }
        cells
    };
    let got =
        |json: &serde_json::Value| -> std::collections::BTreeMap<(String, String), (u64, u64)> {
            json["cells"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        (
                            c["values"]["theme"].as_str().unwrap().into(),
                            c["values"]["type"].as_str().unwrap().into(),
                        ),
                        (
                            c["people"].as_u64().unwrap(),
                            c["records"].as_u64().unwrap(),
                        ),
                    )
                })
                .collect()
        };
    assert_eq!(got(&json), count(&records[..1000]));
    // Written since, as if by another server: counted before answering.
    w.db.import_activities(&records[1000..], theirs)
        .await
        .unwrap();
    let again = call(&w.app, &admin, "GET", url, None).await;
    assert_eq!(
        got(&serde_json::from_str(&again.body).unwrap()),
        count(&records)
    );

    // A coordinator: her département, not the other.
    let ille = Client::signed_in(&w.db, w.coordinator_35).await;
    assert_eq!(
        call(&w.app, &ille, "GET", url, None).await.status.as_u16(),
        403
    );
    let theirs = call(
        &w.app,
        &ille,
        "GET",
        "/api/v1/activities/stats?territory=dep:35&from=2025-01-01&to=2025-12-31&by=",
        None,
    )
    .await;
    assert_eq!(theirs.status.as_u16(), 200, "{}", theirs.body);
    // Structure B's token sees B's records: none.
    let b = call(
        &w.app,
        &Client::bearer(&w.token_b),
        "GET",
        "/api/v1/activities/stats?from=2025-01-01&to=2025-12-31&by=",
        None,
    )
    .await;
    let b: serde_json::Value = serde_json::from_str(&b.body).unwrap();
    assert_eq!(b["records"], serde_json::json!(0), "{b}");
    // Unreadable fields are named.
    let bad = call(
        &w.app,
        &admin,
        "GET",
        "/api/v1/activities/stats?from=2025-13-01&to=2025-12-31",
        None,
    )
    .await;
    assert_eq!(bad.status.as_u16(), 400);
    assert!(bad.body.contains("« from »"), "{}", bad.body);

    // The page: a crosstab, territories by name with a drill-down link,
    // the fields kept; a bad date said next to its field.
    let page = call(&w.app, &admin, "GET", "/activites/statistiques?territory=reg:53&from=2025-03-10&to=2025-03-12&by=departement&by2=type", None).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    assert!(page.body.contains(">Finistère</a>"), "{}", page.body);
    assert!(page.body.contains("territory=dep%3A29"), "{}", page.body);
    assert!(page.body.contains("value=\"2025-03-10\""));
    assert!(
        page.body.contains("du 10 mars 2025 au 12 mars 2025"),
        "{}",
        page.body
    );
    let bad = call(
        &w.app,
        &admin,
        "GET",
        "/activites/statistiques?from=demain",
        None,
    )
    .await;
    assert!(
        bad.body.contains("id=\"from-error\"") && bad.body.contains("value=\"demain\""),
        "{}",
        bad.body
    );
    let csv = call(
        &w.app,
        &admin,
        "GET",
        "/activites/statistiques.csv?territory=dep:29&from=2025-01-01&to=2025-12-31&by=theme",
        None,
    )
    .await;
    assert!(
        csv.body.contains("theme,personnes,pourcentage,fiches"),
        "{}",
        csv.body
    );
}

/// A coordinator shares a view: anyone reads it signed out, under the
/// small-cell rule, with the date of the data; it may be framed (that page
/// only); revoked, it is gone.
#[tokio::test]
async fn a_shared_view_is_read_signed_out_until_revoked() {
    use passerelle_activities::generate::Generator;
    use passerelle_store::activities::Author;
    let w = world().await;
    let mut g = Generator::new(8, vec!["29232".into(), "29019".into()], 2025);
    let records: Vec<_> = (0..300).map(|_| g.record()).collect();
    let author = Author {
        mediator_id: None,
        structure_id: Some(w.a),
        token_id: None,
    };
    w.db.import_activities(&records, author).await.unwrap();
    let coordinator = Client::signed_in(&w.db, w.coordinator_29).await;
    let page = call(
        &w.app,
        &coordinator,
        "GET",
        "/activites/statistiques?territory=com:29232&from=2025-01-01&to=2025-12-31&by=theme",
        None,
    )
    .await;
    assert!(
        page.body.contains("Créer le lien de partage"),
        "{}",
        page.body
    );
    let created = call(
        &w.app,
        &coordinator,
        "POST",
        "/activites/partages",
        Some("titre=Quimper+2025&territory=com%3A29232&from=2025-01-01&to=2025-12-31&by=theme"),
    )
    .await;
    assert_eq!(created.status.as_u16(), 303, "{}", created.body);
    let list = call(&w.app, &coordinator, "GET", "/activites/partages", None).await;
    let url = list
        .body
        .split("http://passerelle.test")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the link in the list")
        .to_string();
    assert!(url.starts_with("/partage/activites/"), "{url}");
    let anonymous = Client::anonymous();
    let read = call(&w.app, &anonymous, "GET", &url, None).await;
    assert_eq!(read.status.as_u16(), 200, "{}", read.body);
    assert!(
        read.body.contains("Quimper 2025") && read.body.contains("Données à jour au"),
        "{}",
        read.body
    );
    assert!(
        read.body.contains(">&#60; 5<"),
        "small cells hidden at a commune: {}",
        read.body
    );
    assert_eq!(read.headers.get("x-frame-options").unwrap(), "DENY");
    let framed = call(&w.app, &anonymous, "GET", &format!("{url}/integrer"), None).await;
    assert_eq!(framed.status.as_u16(), 200);
    assert!(framed.headers.get("x-frame-options").is_none());
    let csp = framed
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    assert!(!framed.body.contains("fr-header"), "no header when framed");
    // Another coordinator may not share outside her territory.
    let ille = Client::signed_in(&w.db, w.coordinator_35).await;
    let refused = call(
        &w.app,
        &ille,
        "POST",
        "/activites/partages",
        Some("territory=dep%3A29&from=2025-01-01&to=2025-12-31"),
    )
    .await;
    assert_ne!(refused.status.as_u16(), 303);
    // Revoked: gone.
    let id = list
        .body
        .split("/activites/partages/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        call(
            &w.app,
            &ille,
            "POST",
            &format!("/activites/partages/{id}/retrait"),
            Some("confirmer=1")
        )
        .await
        .status
        .as_u16(),
        404,
        "only its creator"
    );
    let revoked = call(
        &w.app,
        &coordinator,
        "POST",
        &format!("/activites/partages/{id}/retrait"),
        Some("confirmer=1"),
    )
    .await;
    assert_eq!(revoked.status.as_u16(), 303);
    assert_eq!(
        call(&w.app, &anonymous, "GET", &url, None)
            .await
            .status
            .as_u16(),
        410
    );
}

/// People accompanied before (issue 18 §4): a follow-up code seen at two
/// sessions or more, or people said to have come back, over the distinct
/// people of the territory and period.
#[tokio::test]
async fn people_followed_over_several_sessions_are_counted() {
    use passerelle_activities::generate::Generator;
    use passerelle_activities::model::Kind;
    use passerelle_store::activities::Author;
    let w = world().await;
    let mut g = Generator::new(2, vec!["29232".into()], 2025);
    let mut records = Vec::new();
    for code in ["A", "A", "A", "B", "B", "C"] {
        let mut r = g.record();
        r.kind = Kind::Individuel;
        r.participants = 1;
        r.ages = vec![("60-69 ans".into(), 1)];
        r.statuses = vec![("retraité".into(), 1)];
        r.follow_up_code = Some(code.into());
        records.push(r);
    }
    let mut workshop = g.record();
    workshop.kind = Kind::Atelier;
    workshop.participants = 8;
    workshop.ages = vec![("60-69 ans".into(), 8)];
    workshop.statuses = vec![("retraité".into(), 8)];
    workshop.follow_up_code = None;
    workshop.returning = 3;
    workshop.workshop_title = Some("Atelier".into());
    workshop.level = Some("débutant".into());
    workshop.duration_minutes = 120;
    records.push(workshop);
    let author = Author {
        mediator_id: None,
        structure_id: Some(w.a),
        token_id: None,
    };
    w.db.import_activities(&records, author).await.unwrap();
    let admin = Client::signed_in(&w.db, w.admin).await;
    let asked = call(
        &w.app,
        &admin,
        "GET",
        "/api/v1/activities/stats?territory=dep:29&from=2025-01-01&to=2025-12-31",
        None,
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&asked.body).unwrap();
    assert_eq!(json["followed"], serde_json::json!(5), "{json}");
    assert_eq!(json["distinct_people"], serde_json::json!(11), "{json}");
    let page = call(
        &w.app,
        &admin,
        "GET",
        "/activites/statistiques?territory=dep:29&from=2025-01-01&to=2025-12-31",
        None,
    )
    .await;
    assert!(
        page.body
            .contains("Personnes déjà accompagnées : 5 sur 11 personnes distinctes (45\u{202f}%)"),
        "{}",
        page.body
    );
}

/// Issue 18 §2 on every dashboard page people reach — the monthly
/// dashboard (a coordinator's territory, a mediator's own figures) and the
/// detailed statistics (the same two): the trend, the themes as bars, the
/// ages, the statuses, individual or collective, drawn as SVG on the
/// server, each followed by its table; the trend by day, week or month as
/// the period's length asks; a territory's row opens the same dashboard
/// for it.
#[tokio::test]
async fn charts_and_drill_down_on_every_dashboard_page() {
    use passerelle_activities::generate::Generator;
    use passerelle_store::activities::Author;
    let w = world().await;
    let mut g = Generator::new(
        7,
        vec!["29232".into(), "29019".into(), "35238".into()],
        2025,
    );
    let records: Vec<_> = (0..600).map(|_| g.record()).collect();
    let theirs = Author {
        mediator_id: Some(w.membre_a),
        structure_id: Some(w.a),
        token_id: None,
    };
    w.db.import_activities(&records, theirs).await.unwrap();
    let coordinator = Client::signed_in(&w.db, w.coordinator_29).await;
    let mediator = Client::signed_in(&w.db, w.membre_a).await;
    let charts = |body: &str, trend: &str| {
        for id in ["tendance", "themes", "ages", "statuts", "types"] {
            let at = body
                .find(&format!("role=\"img\" aria-labelledby=\"{id}-titre\""))
                .unwrap_or_else(|| panic!("no {id} chart: {body}"));
            let rest = &body[at..];
            assert!(
                rest.find("</svg>").unwrap() < rest.find("<table>").unwrap(),
                "{id}: a table follows its chart"
            );
        }
        assert!(
            body.contains(&format!("Personnes accompagnées par {trend}")),
            "trend by {trend}"
        );
    };
    let get = |client: &Client, url: String| {
        let app = w.app.clone();
        let client = client.clone();
        async move {
            let page = call(&app, &client, "GET", &url, None).await;
            assert_eq!(page.status.as_u16(), 200, "{url}: {}", page.body);
            page.body
        }
    };
    // The monthly dashboard, a coordinator's: its EPCI rows open theirs.
    let dashboard = get(
        &coordinator,
        "/activites/tableau-de-bord?territoire=dep:29&annee=2025".into(),
    )
    .await;
    charts(&dashboard, "mois");
    let link = dashboard
        .split("href=\"")
        .map(|s| &s[..s.find('"').unwrap()])
        .find(|h| h.starts_with("/activites/tableau-de-bord?") && h.contains("territoire=epci%3A"))
        .unwrap_or_else(|| panic!("no drill-down: {dashboard}"))
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(link.contains("annee=2025"), "the same period: {link}");
    let epci = get(&coordinator, link.clone()).await;
    charts(&epci, "mois");
    assert!(
        epci.contains("territoire=com%3A29"),
        "its communes' rows in turn: {link}"
    );
    // The mediator's own dashboard: her charts, no territory to open.
    let own = get(&mediator, "/activites/tableau-de-bord?annee=2025".into()).await;
    charts(&own, "mois");
    assert!(!own.contains("Par territoire"));
    // The detailed statistics: the trend's grain follows the period.
    for (from, to, trend) in [
        ("2025-03-10", "2025-03-31", "jour"),
        ("2025-03-01", "2025-05-31", "semaine"),
        ("2025-01-01", "2025-12-31", "mois"),
    ] {
        let page = get(
            &coordinator,
            format!("/activites/statistiques?territory=dep:29&from={from}&to={to}&by=epci"),
        )
        .await;
        charts(&page, trend);
        assert!(
            page.contains("/activites/statistiques?") && page.contains("territory=epci%3A"),
            "an EPCI's row opens its figures: {page}"
        );
        let own = get(
            &mediator,
            format!("/activites/statistiques?from={from}&to={to}&by=theme"),
        )
        .await;
        charts(&own, trend);
    }
}
