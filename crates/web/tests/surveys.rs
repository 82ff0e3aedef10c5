//! Enquêtes over HTTP: the public form (conditions, validation, anonymity,
//! invitations, save and resume) and the results of the structure running
//! the survey.

mod common;

use common::send_body;
use common::{Client, call, world};
use passerelle_store::surveys::{Access, NewSurvey, Status};
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

    let esc = templates::load("esc-rennes-professionnels")
        .unwrap()
        .unwrap();
    w.db.create_survey(
        &NewSurvey {
            slug: "esc-invitations",
            structure_id: w.a,
            questionnaire: &esc,
            access: Access::Invitation,
            opens_on: None,
            closes_on: None,
            status: Status::Online,
        },
        &passerelle_store::write::Acting::system(),
    )
    .await
    .unwrap()
    .unwrap();
    let survey =
        w.db.survey_by_slug("esc-invitations")
            .await
            .unwrap()
            .unwrap();
    let token =
        w.db.create_survey_invitations(&survey, 1, &passerelle_store::write::Acting::system())
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
    assert!(!page.body.contains("TOML"), "no TOML on the way in");
    // Refused field by field, everything typed kept.
    let bad = format!(
        "structure={}&modele=&titre=&adresse=Mon+Enqu%C3%AAte&acces=ouvert&ouverture=2025-13-45&cloture=",
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
    for (field, message) in [
        ("titre", "Donnez un titre à l’enquête."),
        ("adresse", "minuscules sans accent"),
        ("ouverture", "« 2025-13-45 » n’est pas une date"),
    ] {
        assert!(
            refused
                .body
                .contains(&format!("aria-describedby=\"{field}-erreur\"")),
            "{field}: {}",
            refused.body
        );
        assert!(refused.body.contains(message), "{message}");
    }
    assert!(refused.body.contains("value=\"Mon Enquête\""));
    assert!(refused.body.contains("value=\"2025-13-45\""));
    // From a built-in questionnaire: a draft, then online.
    let good = format!(
        "structure={}&modele=esc-rennes-professionnels&titre=&adresse=esc-2021&acces=invitation&ouverture=&cloture=",
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
    assert_eq!(
        created.headers["location"],
        "/enquetes/esc-2021/questionnaire?fait=creee"
    );
    let anonymous = Client::anonymous();
    let hidden = call(&w.app, &anonymous, "GET", "/enquetes/esc-2021", None).await;
    assert_eq!(hidden.status.as_u16(), 404, "a draft is nobody else's");
    let preview = call(&w.app, &gestionnaire, "GET", "/enquetes/esc-2021", None).await;
    assert!(
        preview
            .body
            .contains("Aperçu : l’enquête n’est pas encore en ligne")
    );
    assert!(!preview.body.contains("Envoyer mes réponses"));
    let online = call(
        &w.app,
        &gestionnaire,
        "POST",
        "/enquetes/esc-2021/mise-en-ligne",
        Some(""),
    )
    .await;
    assert_eq!(online.status.as_u16(), 303);
    assert_eq!(
        online.headers["location"],
        "/enquetes/esc-2021/partage?fait=en-ligne"
    );
    let shared = call(
        &w.app,
        &gestionnaire,
        "GET",
        "/enquetes/esc-2021/partage?fait=en-ligne",
        None,
    )
    .await;
    assert!(shared.body.contains("Enquête mise en ligne"));
    assert!(
        shared
            .body
            .contains("http://passerelle.test/enquetes/esc-2021")
    );
    assert!(shared.body.contains("src=\"/enquetes/esc-2021/qr.svg\""));
    assert!(
        !shared.body.contains("passerelle survey"),
        "no command line"
    );
    let results = call(
        &w.app,
        &gestionnaire,
        "GET",
        "/enquetes/esc-2021/resultats",
        None,
    )
    .await;
    assert!(results.body.contains("Créer les invitations"));
    let wrong = call(
        &w.app,
        &gestionnaire,
        "POST",
        "/enquetes/esc-2021/invitations",
        Some("nombre=beaucoup"),
    )
    .await;
    assert_eq!(wrong.status.as_u16(), 422);
    assert!(wrong.body.contains("aria-describedby=\"nombre-erreur\""));
    assert!(wrong.body.contains("value=\"beaucoup\""));
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

/// The form of one question, as the page posts it.
fn question(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).unwrap()
}

#[tokio::test]
async fn a_questionnaire_is_built_in_the_form_and_shared() {
    let w = world().await;
    let g = Client::signed_in(&w.db, w.gestionnaire_a).await;
    let form = format!(
        "structure={}&titre=Usagers+2026&modele=&adresse=&acces=ouvert",
        w.a
    );
    let created = call(&w.app, &g, "POST", "/enquetes/nouvelle", Some(&form)).await;
    assert_eq!(
        created.headers["location"],
        "/enquetes/usagers-2026/questionnaire?fait=creee"
    );
    let page = call(
        &w.app,
        &g,
        "GET",
        "/enquetes/usagers-2026/questionnaire?fait=creee",
        None,
    )
    .await;
    assert!(page.body.contains("Enquête créée"));
    assert!(page.body.contains("Aucune question pour l’instant"));
    assert!(
        !page.body.contains("Mettre en ligne</button>"),
        "nothing to put online yet"
    );
    let add = |fields: Vec<(&'static str, &'static str)>| {
        let app = w.app.clone();
        let g = &g;
        async move {
            call(
                &app,
                g,
                "POST",
                "/enquetes/usagers-2026/questions",
                Some(&question(&fields)),
            )
            .await
        }
    };
    // A refused question comes back with what was typed.
    let refused = add(vec![
        ("texte", "Venez-vous souvent ?"),
        ("type", "scale"),
        ("min", "5"),
        ("max", "un"),
    ])
    .await;
    assert_eq!(refused.status.as_u16(), 422);
    assert!(
        refused.body.contains("« un » n’est pas un nombre."),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("aria-describedby=\"max-erreur\""));
    assert!(refused.body.contains(">Venez-vous souvent ?</textarea>"));
    let first = add(vec![
        ("texte", "Êtes-vous accompagné·e ?"),
        ("type", "single"),
        ("reponses", "Oui\r\nNon"),
        ("obligatoire", "oui"),
    ])
    .await;
    assert_eq!(first.status.as_u16(), 303, "{}", first.body);
    assert_eq!(
        first.headers["location"],
        "/enquetes/usagers-2026/questionnaire?fait=ajoutee#q-q1"
    );
    let page = call(
        &w.app,
        &g,
        "GET",
        "/enquetes/usagers-2026/questionnaire",
        None,
    )
    .await;
    assert!(
        page.body
            .contains("<option value=\"q1=non\">Si la réponse est « Non »</option>"),
        "{}",
        page.body
    );
    assert_eq!(
        add(vec![
            ("texte", "Pourquoi pas ?"),
            ("type", "multiple"),
            ("reponses", "Trop loin\nPas le temps"),
            ("autre", "Autre, précisez"),
            ("condition", "q1=non")
        ])
        .await
        .status
        .as_u16(),
        303
    );
    assert_eq!(
        add(vec![
            ("texte", "Votre satisfaction"),
            ("type", "scale"),
            ("min", "1"),
            ("max", "5"),
            ("min_libelle", "pas du tout")
        ])
        .await
        .status
        .as_u16(),
        303
    );
    assert_eq!(
        add(vec![
            ("texte", "Votre âge"),
            ("type", "integer"),
            ("min", "15")
        ])
        .await
        .status
        .as_u16(),
        303
    );
    let page = call(
        &w.app,
        &g,
        "GET",
        "/enquetes/usagers-2026/questionnaire",
        None,
    )
    .await;
    assert!(
        page.body
            .contains("Seulement si vous avez répondu « Non » à la question 1.")
    );
    assert!(page.body.contains("Notes de 1 (pas du tout) à 5"));
    // Moves that would put a condition before its question are refused.
    let up = call(
        &w.app,
        &g,
        "POST",
        "/enquetes/usagers-2026/questions/q2/deplacer",
        Some("sens=haut"),
    )
    .await;
    assert_eq!(up.status.as_u16(), 422);
    assert!(
        up.body.contains("elle doit rester après elle"),
        "{}",
        up.body
    );
    let up = call(
        &w.app,
        &g,
        "POST",
        "/enquetes/usagers-2026/questions/q4/deplacer",
        Some("sens=haut"),
    )
    .await;
    assert_eq!(up.status.as_u16(), 303);
    // Editing keeps the form's values; removing asks first.
    let edit = call(
        &w.app,
        &g,
        "GET",
        "/enquetes/usagers-2026/questions/q1",
        None,
    )
    .await;
    assert!(edit.body.contains(">Oui\nNon</textarea>"), "{}", edit.body);
    let broken = call(
        &w.app,
        &g,
        "POST",
        "/enquetes/usagers-2026/questions/q1",
        Some(&question(&[
            ("texte", "Accompagné·e ?"),
            ("type", "single"),
            ("reponses", "Oui"),
        ])),
    )
    .await;
    assert_eq!(broken.status.as_u16(), 422);
    assert!(
        broken
            .body
            .contains("La question 2 s’affiche selon la réponse « Non »"),
        "{}",
        broken.body
    );
    let confirm = call(
        &w.app,
        &g,
        "GET",
        "/enquetes/usagers-2026/questions/q3/retrait",
        None,
    )
    .await;
    assert!(
        confirm.body.contains("Retirer la question 4 ?"),
        "{}",
        confirm.body
    );
    let removed = call(
        &w.app,
        &g,
        "POST",
        "/enquetes/usagers-2026/questions/q3/retrait",
        Some(""),
    )
    .await;
    assert_eq!(removed.status.as_u16(), 303);
    // TOML stays for exchange: exported, imported with French problems.
    let toml = call(
        &w.app,
        &g,
        "GET",
        "/enquetes/usagers-2026/questionnaire.toml",
        None,
    )
    .await;
    assert!(
        toml.body
            .contains("show_if = { question = \"q1\", equals = \"non\" }"),
        "{}",
        toml.body
    );
    let boundary = "limite";
    let multipart = |text: &str| {
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"fichier\"; filename=\"q.toml\"\r\nContent-Type: text/plain\r\n\r\n{text}\r\n--{boundary}--\r\n").into_bytes()
    };
    let kind = format!("multipart/form-data; boundary={boundary}");
    let bad = send_body(&w.app, &g, "/enquetes/usagers-2026/questionnaire/import", &kind, multipart("id = \"x\"\ntitle = \"X\"\n[[questions]]\nid = \"a\"\ntype = \"echelle\"\ntext = \"A\"\n"), true).await;
    assert_eq!(bad.status.as_u16(), 422);
    assert!(
        bad.body
            .contains("Ligne 5, champ « type » : type « echelle » inconnu"),
        "{}",
        bad.body
    );
    let good = send_body(
        &w.app,
        &g,
        "/enquetes/usagers-2026/questionnaire/import",
        &kind,
        multipart(&toml.body),
        true,
    )
    .await;
    assert_eq!(good.status.as_u16(), 303, "{}", good.body);
    // Online: the link and its QR code; the questionnaire no longer changes.
    let online = call(
        &w.app,
        &g,
        "POST",
        "/enquetes/usagers-2026/mise-en-ligne",
        Some(""),
    )
    .await;
    assert_eq!(online.status.as_u16(), 303);
    let qr = call(&w.app, &g, "GET", "/enquetes/usagers-2026/qr.svg", None).await;
    assert_eq!(qr.headers["content-type"], "image/svg+xml");
    assert!(qr.body.contains("<svg") && qr.body.contains("<path"));
    let late = call(
        &w.app,
        &g,
        "POST",
        "/enquetes/usagers-2026/questions",
        Some(&question(&[("texte", "Encore ?"), ("type", "text")])),
    )
    .await;
    assert_eq!(late.status.as_u16(), 409);
    assert!(late.body.contains("son questionnaire ne change plus"));
    let form = call(
        &w.app,
        &Client::anonymous(),
        "GET",
        "/enquetes/usagers-2026",
        None,
    )
    .await;
    assert!(form.body.contains("Êtes-vous accompagné·e ?"));
    assert!(
        form.body
            .contains("data-depends-on=\"q1\" data-test=\"any:non\"")
    );
    // Closing asks first, and says what it changes.
    let ask = call(&w.app, &g, "GET", "/enquetes/usagers-2026/cloture", None).await;
    assert!(ask.body.contains("Clore l’enquête « Usagers 2026 » ?"));
    assert!(ask.body.contains("Les réponses reçues (0) restent"));
    let audit: Vec<String> = sqlx::query(
        "SELECT action FROM audit_events WHERE subject = 'survey:usagers-2026' ORDER BY id",
    )
    .fetch_all(w.db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get("action").unwrap())
    .collect();
    assert_eq!(audit.first().map(String::as_str), Some("survey.created"));
    assert_eq!(audit.last().map(String::as_str), Some("survey.published"));
}

#[tokio::test]
async fn exports_open_in_french_excel() {
    let w = world().await;
    let anonymous = Client::anonymous();
    let url = format!("/enquetes/{}", w.survey_a);
    call(&w.app, &anonymous, "POST", &url, Some(ANSWERS)).await;
    let membre = Client::signed_in(&w.db, w.membre_a).await;
    let excel = call(
        &w.app,
        &membre,
        "GET",
        &format!("{url}/reponses.csv?format=excel"),
        None,
    )
    .await;
    assert!(
        excel.bytes.starts_with(&[0xef, 0xbb, 0xbf]),
        "a byte-order mark"
    );
    assert!(excel.body.contains("poste;poste.other;lieux.mairie"));
    let tables = call(
        &w.app,
        &membre,
        "GET",
        &format!("{url}/resultats.csv"),
        None,
    )
    .await;
    assert!(tables.bytes.starts_with(&[0xef, 0xbb, 0xbf]));
    assert!(tables.body.contains("100,0 %"));
    let standard = call(
        &w.app,
        &membre,
        "GET",
        &format!("{url}/resultats.csv?format=standard"),
        None,
    )
    .await;
    assert!(!standard.bytes.starts_with(&[0xef, 0xbb, 0xbf]));
    assert!(standard.body.contains("100.0 %"), "{}", standard.body);
    let page = call(
        &w.app,
        &membre,
        "GET",
        &format!("{url}/resultats?lignes=accompagne&colonnes=france_services"),
        None,
    )
    .await;
    let summary = page.body.find("Sommaire").unwrap();
    let built = page.body.find("id=\"construits\"").unwrap();
    let first_question = page.body.find("id=\"questions\"").unwrap();
    assert!(
        summary < built && built < first_question,
        "the crosstab comes before the question tables"
    );
    assert!(
        page.body
            .contains("action=\"/enquetes/enquete-a/resultats#construits\"")
    );
    let unknown = call(
        &w.app,
        &membre,
        "GET",
        &format!("{url}/resultats?regression=personnes_semaine~astronaute"),
        None,
    )
    .await;
    assert!(
        unknown
            .body
            .contains("« astronaute » n’est pas une variable qui convient ici"),
        "{}",
        unknown.body
    );
    assert!(!unknown.body.contains("expected"), "no English");
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
