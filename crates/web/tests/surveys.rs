//! Enquêtes over HTTP: the public form (conditions, validation, anonymity,
//! invitations, save and resume) and the results of the structure running
//! the survey.

mod common;

use common::{Client, call, world};
use passerelle_store::surveys::{Access, NewSurvey};
use passerelle_surveys::templates;
use sqlx::Row;

const ANSWERS: &str = "poste=conseiller&lieux.mairie=1&fiche_de_poste=oui&accompagne=oui\
    &france_services=oui&personnes_semaine=12&sites_web.caf=7&action=envoyer";

#[tokio::test]
async fn a_visitor_answers_anonymously_and_the_structure_reads_the_tables() {
    let w = world().await;
    let anonymous = Client::anonymous();
    let url = format!("/enquetes/{}", w.survey_a);
    let form = call(&w.app, &anonymous, "GET", &url, None).await;
    assert_eq!(form.status.as_u16(), 200);
    assert!(form.body.contains("intitulé de votre poste ?"));
    assert!(
        form.body
            .contains("Seulement si vous avez répondu « Non » à la question 4."),
        "conditions are said in words"
    );
    assert!(
        form.body
            .contains("data-depends-on=\"accompagne\" data-test=\"any:non\"")
    );
    assert!(form.body.contains("/static/app/enquetes.js"));

    // Out of range: refused in French, nothing stored, answers kept.
    let bad = ANSWERS.replace("personnes_semaine=12", "personnes_semaine=900");
    let refused = call(&w.app, &anonymous, "POST", &url, Some(&bad)).await;
    assert_eq!(refused.status.as_u16(), 422);
    assert!(
        refused
            .body
            .contains("Un nombre entier entre 0 et 500 est attendu."),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"900\""));
    // A required question unanswered.
    let incomplete = ANSWERS.replace("poste=conseiller&", "");
    let refused = call(&w.app, &anonymous, "POST", &url, Some(&incomplete)).await;
    assert!(refused.body.contains("Réponse obligatoire."));

    // Without JavaScript every question is shown: an answer to one that
    // does not apply is dropped, not refused.
    let with_hidden = format!("{ANSWERS}&pourquoi_pas.ne_sais_pas=1");
    let thanks = call(&w.app, &anonymous, "POST", &url, Some(&with_hidden)).await;
    assert_eq!(thanks.status.as_u16(), 200, "{}", thanks.body);
    assert!(thanks.body.contains("Merci pour vos réponses"));
    let stored = sqlx::query("SELECT submitted_on, answers FROM survey_responses")
        .fetch_all(w.db.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].try_get::<String, _>(0).unwrap().len(),
        10,
        "the day only"
    );
    assert!(
        !stored[0]
            .try_get::<String, _>(1)
            .unwrap()
            .contains("pourquoi_pas")
    );

    let membre = Client::signed_in(&w.db, w.membre_a).await;
    let index = call(&w.app, &membre, "GET", "/enquetes", None).await;
    assert!(
        index
            .body
            .contains("href=\"/enquetes/enquete-a/resultats\"")
    );
    assert!(index.body.contains("<td>1</td>"), "one response");
    let outsider = Client::signed_in(&w.db, w.membre_b).await;
    let index = call(&w.app, &outsider, "GET", "/enquetes", None).await;
    assert!(!index.body.contains("enquete-a") && index.body.contains("Aucune enquête"));
    let results = call(&w.app, &membre, "GET", &format!("{url}/resultats"), None).await;
    assert_eq!(results.status.as_u16(), 200);
    assert!(results.body.contains("Répondant·e·s : 1."));
    assert!(
        results.body.contains("<td>1</td><td>100,0 %</td>"),
        "{}",
        results.body
    );
    let published = call(
        &w.app,
        &membre,
        "GET",
        &format!("{url}/resultats?seuil=5"),
        None,
    )
    .await;
    assert!(published.body.contains("&#60; 5"), "{}", published.body);
    assert!(
        !published.body.contains("<td>100,0 %</td>"),
        "{}",
        published.body
    );
    assert!(
        results.body.contains("<svg class=\"enquete-barre\""),
        "bars for choices"
    );
    // The builders: a crosstab, a comparison, a subgroup.
    let built = call(
        &w.app,
        &membre,
        "GET",
        &format!("{url}/resultats?lignes=accompagne&colonnes=france_services&mesure=personnes_semaine&groupes=poste&filtre=poste&valeur=conseiller"),
        None,
    )
    .await;
    assert_eq!(built.status.as_u16(), 200);
    assert!(
        built
            .body
            .contains("du sous-groupe poste = conseiller : 1."),
        "{}",
        built.body
    );
    assert!(built.body.contains("Croisement : Vous réalisez"));
    assert!(
        built.body.contains("selon Quel est"),
        "the comparison table"
    );
    let models = call(
        &w.app,
        &membre,
        "GET",
        &format!("{url}/resultats?regression=personnes_semaine~age%2Blieux.mairie&manova=sites_web.caf%2Bpersonnes_semaine~poste"),
        None,
    )
    .await;
    assert!(
        models
            .body
            .contains("Régression linéaire : personnes_semaine ~ age + lieux.mairie"),
        "{}",
        models.body
    );
    assert!(
        models
            .body
            .contains("MANOVA : sites_web.caf, personnes_semaine selon poste")
    );
    let wrong = call(
        &w.app,
        &membre,
        "GET",
        &format!("{url}/resultats?filtre=poste&valeur=astronaute"),
        None,
    )
    .await;
    assert!(
        wrong
            .body
            .contains("Sous-groupe impossible : « astronaute »")
    );
    let tables = call(
        &w.app,
        &membre,
        "GET",
        &format!("{url}/resultats.csv?lignes=accompagne&colonnes=france_services"),
        None,
    )
    .await;
    assert!(
        tables.body.contains("Croisement") && tables.body.contains(";"),
        "{}",
        tables.body
    );
    let book = call(
        &w.app,
        &membre,
        "GET",
        &format!("{url}/resultats.xlsx"),
        None,
    )
    .await;
    assert_eq!(book.status.as_u16(), 200);
    assert!(
        book.headers["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let csv = call(&w.app, &membre, "GET", &format!("{url}/reponses.csv"), None).await;
    assert!(csv.body.starts_with("poste,poste.other,lieux.mairie"));
    assert!(
        csv.body
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("conseiller,,1,")
    );
    // The same responses for SPSS: the syntax names the data file served
    // beside it, one fixed-width line per response.
    let sps = call(&w.app, &membre, "GET", &format!("{url}/reponses.sps"), None).await;
    assert_eq!(sps.status, 200);
    assert!(
        sps.body
            .contains(&format!("DATA LIST FILE='{}-reponses.dat'", w.survey_a)),
        "{}",
        sps.body
    );
    assert!(sps.body.contains("MISSING VALUES"));
    let dat = call(&w.app, &membre, "GET", &format!("{url}/reponses.dat"), None).await;
    assert_eq!(dat.status, 200);
    assert_eq!(dat.body.lines().count(), csv.body.lines().count() - 1);
}

#[tokio::test]
async fn drafts_resume_and_invitations_serve_once() {
    let w = world().await;
    let anonymous = Client::anonymous();
    let url = format!("/enquetes/{}", w.survey_a);
    let saved = call(
        &w.app,
        &anonymous,
        "POST",
        &url,
        Some("poste=animateur&action=enregistrer"),
    )
    .await;
    assert_eq!(saved.status.as_u16(), 200);
    let start = saved.body.find("?brouillon=").expect("a private link");
    let token: String = saved.body[start + 11..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64);
    let resumed = call(
        &w.app,
        &anonymous,
        "GET",
        &format!("{url}?brouillon={token}"),
        None,
    )
    .await;
    assert!(
        resumed
            .body
            .contains("name=\"poste\" value=\"animateur\" checked"),
        "{}",
        resumed.body
    );

    let text = templates::text("esc-rennes-professionnels").unwrap();
    let id =
        w.db.create_survey(&NewSurvey {
            slug: "esc-invitations",
            structure_id: w.a,
            questionnaire: text,
            access: Access::Invitation,
            opens_on: None,
            closes_on: None,
        })
        .await
        .unwrap()
        .unwrap();
    let token =
        w.db.create_survey_invitations(id, 1)
            .await
            .unwrap()
            .remove(0);
    let without = call(&w.app, &anonymous, "GET", "/enquetes/esc-invitations", None).await;
    assert!(without.body.contains("se remplit sur invitation"));
    let answers = format!("invitation={token}&service=ccas&mission=encadrement&action=envoyer");
    let first = call(
        &w.app,
        &anonymous,
        "POST",
        "/enquetes/esc-invitations",
        Some(&answers),
    )
    .await;
    assert_eq!(first.status.as_u16(), 200, "{}", first.body);
    let again = call(
        &w.app,
        &anonymous,
        "POST",
        "/enquetes/esc-invitations",
        Some(&answers),
    )
    .await;
    assert_eq!(again.status.as_u16(), 422);
    assert!(again.body.contains("une invitation vaut une réponse"));
    let unknown = call(&w.app, &anonymous, "GET", "/enquetes/inconnue", None).await;
    assert_eq!(unknown.status.as_u16(), 404);
}

#[tokio::test]
async fn gestionnaires_put_surveys_online_and_invite() {
    let w = world().await;
    let gestionnaire = Client::signed_in(&w.db, w.gestionnaire_a).await;
    let page = call(&w.app, &gestionnaire, "GET", "/enquetes/nouvelle", None).await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(page.body.contains("CCAS de Quimper"));
    let bad = format!(
        "structure={}&modele=&questionnaire=id+%3D+%22x%22&adresse=essai&acces=ouvert",
        w.a
    );
    let refused = call(
        &w.app,
        &gestionnaire,
        "POST",
        "/enquetes/nouvelle",
        Some(&bad),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 422);
    assert!(refused.body.contains("line 1"), "{}", refused.body);
    let good = format!(
        "structure={}&modele=esc-rennes-professionnels&adresse=esc-2021&acces=invitation&ouverture=&cloture=",
        w.a
    );
    let created = call(
        &w.app,
        &gestionnaire,
        "POST",
        "/enquetes/nouvelle",
        Some(&good),
    )
    .await;
    assert_eq!(created.status.as_u16(), 303, "{}", created.body);
    assert_eq!(created.headers["location"], "/enquetes/esc-2021/resultats");
    let results = call(
        &w.app,
        &gestionnaire,
        "GET",
        "/enquetes/esc-2021/resultats",
        None,
    )
    .await;
    assert!(results.body.contains("Créer les invitations"));
    let invited = call(
        &w.app,
        &gestionnaire,
        "POST",
        "/enquetes/esc-2021/invitations",
        Some("nombre=2"),
    )
    .await;
    assert_eq!(invited.status.as_u16(), 200);
    assert_eq!(
        invited
            .body
            .matches("/enquetes/esc-2021?invitation=")
            .count(),
        2
    );
    // A member reads the results but does not manage the survey.
    let membre = Client::signed_in(&w.db, w.membre_a).await;
    let results = call(&w.app, &membre, "GET", "/enquetes/esc-2021/resultats", None).await;
    assert_eq!(results.status.as_u16(), 200);
    assert!(!results.body.contains("Créer les invitations"));
    let denied = call(
        &w.app,
        &membre,
        "POST",
        "/enquetes/esc-2021/invitations",
        Some("nombre=2"),
    )
    .await;
    assert_eq!(denied.status.as_u16(), 403);
}

#[tokio::test]
async fn a_gestionnaire_closes_the_survey_and_the_form_says_so() {
    let w = world().await;
    let url = format!("/enquetes/{}", w.survey_a);
    let anyone = Client::anonymous();
    let open = call(&w.app, &anyone, "GET", &url, None).await;
    assert!(!open.body.contains("n’accepte pas de réponse"));
    let member = Client::signed_in(&w.db, w.membre_a).await;
    let refused = call(&w.app, &member, "POST", &format!("{url}/cloture"), Some("")).await;
    assert_eq!(refused.status.as_u16(), 403, "gestionnaires only");
    let gestionnaire = Client::signed_in(&w.db, w.gestionnaire_a).await;
    let closed = call(
        &w.app,
        &gestionnaire,
        "POST",
        &format!("{url}/cloture"),
        Some(""),
    )
    .await;
    assert_eq!(closed.status.as_u16(), 303);
    let after = call(&w.app, &anyone, "GET", &url, None).await;
    assert!(
        after.body.contains("n’accepte pas de réponse"),
        "{}",
        after.body
    );
}
