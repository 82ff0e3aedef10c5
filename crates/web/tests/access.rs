//! Access control of every route, table-driven: anonymous visitors, a
//! member of another structure and a coordinator of another territory each
//! get the expected status and never the data. A route that the registry
//! serves and this table does not list fails the test: add it here.

mod common;

use std::collections::BTreeSet;

use common::{Client, World, call, world};

/// Data of structure A that none of these visitors may see.
const SECRETS: &[&str] = &[
    "gestionnaire.a@quimper.fr",
    "membre.a@quimper.fr",
    "Jeton secret A",
];

struct Case {
    method: &'static str,
    route: &'static str,
    uri: String,
    form: Option<&'static str>,
    /// Expected status for: anonymous, member of another structure,
    /// coordinator of another territory.
    expect: [u16; 3],
}

fn cases(w: &World) -> Vec<Case> {
    let (a, m, t, p, twin) = (
        w.a,
        w.membre_a_membership,
        w.token_a_id,
        w.place_a,
        w.place_a_twin,
    );
    let case = |method, route, uri: String, form, expect| Case {
        method,
        route,
        uri,
        form,
        expect,
    };
    let public = [200, 200, 200];
    let page = [303, 200, 200]; // one's own pages: sign-in first
    let admin_only = [303, 403, 403];
    let structure_a = [303, 404, 404]; // others must not learn it exists
    vec![
        case("GET", "/health", "/health".into(), None, public),
        case("GET", "/health/live", "/health/live".into(), None, public),
        case("GET", "/health/ready", "/health/ready".into(), None, public),
        // Only with PASSERELLE_METRICS_TOKEN, which this world has not.
        case("GET", "/metrics", "/metrics".into(), None, [404, 404, 404]),
        case(
            "GET",
            "/api/v1/openapi.json",
            "/api/v1/openapi.json".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/api/v1/territories/communes",
            "/api/v1/territories/communes?q=quimper".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/api/v1/territories/communes/{code}",
            "/api/v1/territories/communes/29232".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/api/v1/territories/epci/{siren}",
            "/api/v1/territories/epci/200068120".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/api/v1/territories/departements/{code}",
            "/api/v1/territories/departements/29".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/api/v1/territories/regions/{code}",
            "/api/v1/territories/regions/53".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/api/v1/me",
            "/api/v1/me".into(),
            None,
            [401, 200, 200],
        ),
        case(
            "GET",
            "/api/v1/structures/{id}",
            format!("/api/v1/structures/{a}"),
            None,
            [401, 404, 404],
        ),
        case("GET", "/", "/".into(), None, public),
        case(
            "GET",
            "/accessibilite",
            "/accessibilite".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/mentions-legales",
            "/mentions-legales".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/donnees-personnelles",
            "/donnees-personnelles".into(),
            None,
            public,
        ),
        case("GET", "/plan-du-site", "/plan-du-site".into(), None, public),
        case(
            "GET",
            "/territoires",
            "/territoires?q=quimper".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/territoires/resultats",
            "/territoires/resultats?q=brest".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/territoires/communes/{code}",
            "/territoires/communes/29232".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/territoires/epci/{siren}",
            "/territoires/epci/200068120".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/territoires/departements/{code}",
            "/territoires/departements/29".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/territoires/regions/{code}",
            "/territoires/regions/53".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/lieux",
            "/lieux?commune=Quimper&service=Aide+aux+d%C3%A9marches+administratives".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/lieux/export.csv",
            "/lieux/export.csv?commune=Quimper".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/lieux/carte/contours",
            "/lieux/carte/contours?bbox=-4.3,47.9,-3.9,48.1&zoom=11".into(),
            None,
            public,
        ),
        case("GET", "/lieux/{id}", format!("/lieux/{p}"), None, public),
        case(
            "GET",
            "/lieux/{id}/fiche",
            format!("/lieux/{p}/fiche"),
            None,
            public,
        ),
        case(
            "GET",
            "/lieux/{id}/modifier",
            format!("/lieux/{p}/modifier"),
            None,
            [303, 403, 403],
        ),
        case(
            "POST",
            "/lieux/{id}/modifier",
            format!("/lieux/{p}/modifier"),
            Some("nom=Pirate"),
            [303, 403, 403],
        ),
        case(
            "GET",
            "/lieux/coordination",
            "/lieux/coordination".into(),
            None,
            [303, 403, 200],
        ),
        case(
            "POST",
            "/lieux/doublons/{a}/{b}",
            format!("/lieux/doublons/{p}/{twin}"),
            Some("decision=fusionner"),
            [303, 403, 403],
        ),
        case(
            "GET",
            "/api/v1/places",
            "/api/v1/places?commune=29232".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/api/v1/places.geojson",
            "/api/v1/places.geojson?q=brest".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/api/v1/places/{id}",
            format!("/api/v1/places/{p}"),
            None,
            public,
        ),
        case(
            "POST",
            "/api/v1/places/import",
            "/api/v1/places/import".into(),
            Some(""),
            [401, 403, 403],
        ),
        case(
            "GET",
            "/api/v1/places/data-inclusion",
            "/api/v1/places/data-inclusion".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/api/v1/open/places",
            "/api/v1/open/places?limit=2".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/activites",
            "/activites".into(),
            None,
            [303, 200, 403],
        ),
        case(
            "POST",
            "/activites",
            "/activites".into(),
            Some("type=individuel"),
            [303, 422, 403],
        ),
        case(
            "GET",
            "/activites/{id}/suppression",
            "/activites/999999/suppression".into(),
            None,
            [303, 404, 403],
        ),
        case(
            "POST",
            "/activites/{id}/suppression",
            "/activites/999999/suppression".into(),
            Some(""),
            [303, 404, 403],
        ),
        case(
            "GET",
            "/activites/tableau-de-bord",
            "/activites/tableau-de-bord".into(),
            None,
            [303, 200, 200],
        ),
        case(
            "GET",
            "/activites/tableau-de-bord.csv",
            "/activites/tableau-de-bord.csv".into(),
            None,
            [303, 200, 200],
        ),
        case(
            "GET",
            "/activites/tableau-de-bord.xlsx",
            "/activites/tableau-de-bord.xlsx".into(),
            None,
            [303, 200, 200],
        ),
        case(
            "GET",
            "/activites/statistiques",
            "/activites/statistiques?from=2025-01-01&to=2025-12-31".into(),
            None,
            page,
        ),
        case(
            "GET",
            "/activites/statistiques.csv",
            "/activites/statistiques.csv?from=2025-01-01&to=2025-12-31".into(),
            None,
            page,
        ),
        case(
            "GET",
            "/api/v1/activities/stats",
            "/api/v1/activities/stats?from=2025-01-01&to=2025-12-31".into(),
            None,
            [401, 200, 200],
        ),
        // Links to views are a coordinator's (or an administrator's).
        case(
            "GET",
            "/activites/partages",
            "/activites/partages".into(),
            None,
            [303, 403, 200],
        ),
        case(
            "POST",
            "/activites/partages",
            "/activites/partages".into(),
            Some("titre=Vue&from=2025-01-01&to=2025-12-31"),
            [303, 403, 303],
        ),
        case(
            "POST",
            "/activites/partages/{id}/retrait",
            "/activites/partages/999999/retrait".into(),
            Some("confirmer=1"),
            [303, 404, 404],
        ),
        // Anyone holding a link; nobody without one.
        case(
            "GET",
            "/partage/activites/{token}",
            "/partage/activites/inconnu".into(),
            None,
            [404, 404, 404],
        ),
        case(
            "GET",
            "/partage/activites/{token}/integrer",
            "/partage/activites/inconnu/integrer".into(),
            None,
            [404, 404, 404],
        ),
        case(
            "GET",
            "/activites/{id}/modifier",
            "/activites/999999/modifier".into(),
            None,
            [303, 404, 403],
        ),
        case(
            "POST",
            "/activites/{id}/modifier",
            "/activites/999999/modifier".into(),
            Some("type=individuel"),
            [303, 404, 403],
        ),
        case(
            "POST",
            "/api/v1/activities",
            "/api/v1/activities".into(),
            Some("x=1"),
            [401, 400, 403],
        ),
        case(
            "GET",
            "/orientations",
            "/orientations".into(),
            None,
            [303, 200, 200],
        ),
        case(
            "POST",
            "/orientations",
            "/orientations".into(),
            Some("service=x"),
            [303, 422, 403],
        ),
        case(
            "GET",
            "/orientations/nouvelle",
            "/orientations/nouvelle".into(),
            None,
            [303, 200, 403],
        ),
        case(
            "GET",
            "/orientations/statistiques",
            "/orientations/statistiques".into(),
            None,
            [303, 403, 200],
        ),
        case(
            "GET",
            "/api/v1/open/activities",
            "/api/v1/open/activities?territory=com:29232&from=2025-01&to=2025-12".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/api/v1/diagnostic",
            "/api/v1/diagnostic?territoire=epci:200068120".into(),
            None,
            [200, 200, 200],
        ),
        case(
            "GET",
            "/referents",
            "/referents".into(),
            None,
            [303, 200, 200],
        ),
        case(
            "POST",
            "/referents",
            "/referents".into(),
            Some("nom=x"),
            [303, 422, 422],
        ),
        case(
            "POST",
            "/referents/{id}/validation",
            format!("/referents/{}/validation", w.referent_a),
            Some(""),
            [303, 403, 403],
        ),
        case(
            "POST",
            "/referents/{id}/suppression",
            format!("/referents/{}/suppression", w.referent_a),
            Some(""),
            [303, 403, 403],
        ),
        case(
            "GET",
            "/referents/demandes",
            "/referents/demandes".into(),
            None,
            [303, 200, 200],
        ),
        case(
            "POST",
            "/referents/demandes",
            "/referents/demandes".into(),
            Some("objet=x"),
            [303, 422, 403],
        ),
        case(
            "GET",
            "/referents/demandes/{id}",
            format!("/referents/demandes/{}", w.request_a),
            None,
            [303, 404, 404],
        ),
        case(
            "POST",
            "/referents/demandes/{id}/reponse",
            format!("/referents/demandes/{}/reponse", w.request_a),
            Some("version=1&message=x"),
            [303, 404, 404],
        ),
        case(
            "POST",
            "/referents/demandes/{id}/effacement",
            format!("/referents/demandes/{}/effacement", w.request_a),
            Some(""),
            [303, 404, 404],
        ),
        case(
            "GET",
            "/orientations/statistiques.csv",
            "/orientations/statistiques.csv".into(),
            None,
            [303, 403, 200],
        ),
        case(
            "GET",
            "/orientations/statistiques.xlsx",
            "/orientations/statistiques.xlsx".into(),
            None,
            [303, 403, 200],
        ),
        case(
            "GET",
            "/orientations/{id}",
            format!("/orientations/{}", w.referral_a),
            None,
            [303, 404, 404],
        ),
        case(
            "POST",
            "/orientations/{id}/etape",
            format!("/orientations/{}/etape", w.referral_a),
            Some("etape=annulation&version=1"),
            [303, 404, 404],
        ),
        case(
            "POST",
            "/orientations/{id}/activite",
            format!("/orientations/{}/activite", w.referral_a),
            Some("activite=1"),
            [303, 404, 404],
        ),
        case(
            "GET",
            "/orientations/{id}/donnees",
            format!("/orientations/{}/donnees", w.referral_a),
            None,
            [303, 404, 404],
        ),
        case(
            "POST",
            "/orientations/{id}/effacement",
            format!("/orientations/{}/effacement", w.referral_a),
            Some(""),
            [303, 404, 404],
        ),
        case("GET", "/diagnostic", "/diagnostic".into(), None, public),
        case(
            "GET",
            "/diagnostic/communes.csv",
            "/diagnostic/communes.csv?territoire=epci:200068120".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/diagnostic/territoires.csv",
            "/diagnostic/territoires.csv?territoire=dep:29".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/diagnostic/acces.csv",
            "/diagnostic/acces.csv?territoire=dep:29".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/diagnostic/rapport.xlsx",
            "/diagnostic/rapport.xlsx?territoire=epci:200068120".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/diagnostic/communes.geojson",
            "/diagnostic/communes.geojson?territoire=epci:200068120".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/diagnostic/lieux.geojson",
            "/diagnostic/lieux.geojson?territoire=epci:200068120".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/diagnostic/synthese",
            "/diagnostic/synthese?territoire=epci:200068120".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/diagnostic/carte.svg",
            "/diagnostic/carte.svg?territoire=epci:200068120".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/diagnostic/comparer",
            "/diagnostic/comparer".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/diagnostic/comparer.csv",
            "/diagnostic/comparer.csv?t1=dep:29&t2=dep:35".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/diagnostic/comparer.xlsx",
            "/diagnostic/comparer.xlsx?t1=dep:29&t2=dep:35".into(),
            None,
            public,
        ),
        // Coordinators and admins import the official files.
        case(
            "GET",
            "/diagnostic/import",
            "/diagnostic/import".into(),
            None,
            [303, 403, 200],
        ),
        case(
            "POST",
            "/diagnostic/import",
            "/diagnostic/import".into(),
            Some(""),
            [303, 403, 422],
        ),
        case(
            "GET",
            "/diagnostic/import/apercu",
            "/diagnostic/import/apercu?jeton=inconnu".into(),
            None,
            [303, 403, 422],
        ),
        case(
            "POST",
            "/diagnostic/import/confirmer",
            "/diagnostic/import/confirmer".into(),
            Some("jeton=inconnu"),
            [303, 403, 422],
        ),
        case("GET", "/enquetes", "/enquetes".into(), None, public),
        case(
            "GET",
            "/enquetes/nouvelle",
            "/enquetes/nouvelle".into(),
            None,
            [303, 403, 403],
        ),
        case(
            "POST",
            "/enquetes/nouvelle",
            "/enquetes/nouvelle".into(),
            Some(Box::leak(
                format!("structure={a}&adresse=pirate&modele=hub-bretagne-2023").into_boxed_str(),
            )),
            structure_a,
        ),
        case(
            "POST",
            "/enquetes/{slug}/invitations",
            format!("/enquetes/{}/invitations", w.survey_a),
            Some("nombre=3"),
            structure_a,
        ),
        case(
            "POST",
            "/enquetes/{slug}/cloture",
            format!("/enquetes/{}/cloture", w.survey_a),
            Some(""),
            structure_a,
        ),
        case(
            "GET",
            "/enquetes/{slug}/cloture",
            format!("/enquetes/{}/cloture", w.survey_a),
            None,
            structure_a,
        ),
        case(
            "GET",
            "/enquetes/{slug}/questionnaire",
            format!("/enquetes/{}/questionnaire", w.survey_a),
            None,
            structure_a,
        ),
        case(
            "POST",
            "/enquetes/{slug}/questionnaire",
            format!("/enquetes/{}/questionnaire", w.survey_a),
            Some("titre=Pirate"),
            structure_a,
        ),
        case(
            "GET",
            "/enquetes/{slug}/questionnaire.toml",
            format!("/enquetes/{}/questionnaire.toml", w.survey_a),
            None,
            structure_a,
        ),
        case(
            "POST",
            "/enquetes/{slug}/questionnaire/import",
            format!("/enquetes/{}/questionnaire/import", w.survey_a),
            Some(""),
            structure_a,
        ),
        case(
            "POST",
            "/enquetes/{slug}/questions",
            format!("/enquetes/{}/questions", w.survey_a),
            Some("texte=Pirate&type=text"),
            structure_a,
        ),
        case(
            "GET",
            "/enquetes/{slug}/questions/{id}",
            format!("/enquetes/{}/questions/poste", w.survey_a),
            None,
            structure_a,
        ),
        case(
            "POST",
            "/enquetes/{slug}/questions/{id}",
            format!("/enquetes/{}/questions/poste", w.survey_a),
            Some("texte=Pirate&type=text"),
            structure_a,
        ),
        case(
            "POST",
            "/enquetes/{slug}/questions/{id}/deplacer",
            format!("/enquetes/{}/questions/poste/deplacer", w.survey_a),
            Some("sens=bas"),
            structure_a,
        ),
        case(
            "GET",
            "/enquetes/{slug}/questions/{id}/retrait",
            format!("/enquetes/{}/questions/poste/retrait", w.survey_a),
            None,
            structure_a,
        ),
        case(
            "POST",
            "/enquetes/{slug}/questions/{id}/retrait",
            format!("/enquetes/{}/questions/poste/retrait", w.survey_a),
            Some(""),
            structure_a,
        ),
        case(
            "POST",
            "/enquetes/{slug}/mise-en-ligne",
            format!("/enquetes/{}/mise-en-ligne", w.survey_a),
            Some(""),
            structure_a,
        ),
        case(
            "GET",
            "/enquetes/{slug}/partage",
            format!("/enquetes/{}/partage", w.survey_a),
            None,
            structure_a,
        ),
        case(
            "GET",
            "/enquetes/{slug}/qr.svg",
            format!("/enquetes/{}/qr.svg", w.survey_a),
            None,
            structure_a,
        ),
        // A survey's form is public; its results are A's.
        case(
            "GET",
            "/enquetes/{slug}",
            format!("/enquetes/{}", w.survey_a),
            None,
            public,
        ),
        case(
            "POST",
            "/enquetes/{slug}",
            format!("/enquetes/{}", w.survey_a),
            Some("poste=astronaute"),
            [422, 422, 422],
        ),
        case(
            "GET",
            "/enquetes/{slug}/resultats",
            format!("/enquetes/{}/resultats", w.survey_a),
            None,
            structure_a,
        ),
        case(
            "GET",
            "/enquetes/{slug}/resultats.csv",
            format!("/enquetes/{}/resultats.csv", w.survey_a),
            None,
            structure_a,
        ),
        case(
            "GET",
            "/enquetes/{slug}/resultats.xlsx",
            format!("/enquetes/{}/resultats.xlsx", w.survey_a),
            None,
            structure_a,
        ),
        case(
            "GET",
            "/enquetes/{slug}/reponses.csv",
            format!("/enquetes/{}/reponses.csv", w.survey_a),
            None,
            structure_a,
        ),
        case(
            "GET",
            "/enquetes/{slug}/reponses.sps",
            format!("/enquetes/{}/reponses.sps", w.survey_a),
            None,
            structure_a,
        ),
        case(
            "GET",
            "/enquetes/{slug}/reponses.dat",
            format!("/enquetes/{}/reponses.dat", w.survey_a),
            None,
            structure_a,
        ),
        case("GET", "/connexion", "/connexion".into(), None, public),
        case(
            "POST",
            "/connexion",
            "/connexion".into(),
            Some("email=quelqu.un%40exemple.fr&password=faux"),
            [401, 401, 401],
        ),
        // Only with ProConnect configured, which this world has not
        // (crates/web/tests/proconnect.rs signs in through it).
        case(
            "POST",
            "/connexion/proconnect",
            "/connexion/proconnect".into(),
            Some(""),
            [404, 404, 404],
        ),
        case(
            "GET",
            "/connexion/proconnect/retour",
            "/connexion/proconnect/retour?code=x&state=y".into(),
            None,
            [404, 404, 404],
        ),
        case(
            "POST",
            "/deconnexion",
            "/deconnexion".into(),
            Some(""),
            [303, 303, 303],
        ),
        case(
            "GET",
            "/mot-de-passe-oublie",
            "/mot-de-passe-oublie".into(),
            None,
            public,
        ),
        case(
            "POST",
            "/mot-de-passe-oublie",
            "/mot-de-passe-oublie".into(),
            Some("email=inconnu%40exemple.fr"),
            public,
        ),
        // One-time links are capabilities: whoever holds one may use it.
        case(
            "GET",
            "/reinitialisation/{token}",
            format!("/reinitialisation/{}", "f".repeat(64)),
            None,
            [404, 404, 404],
        ),
        case(
            "POST",
            "/reinitialisation/{token}",
            format!("/reinitialisation/{}", "f".repeat(64)),
            Some("new_password=x&confirmation=x"),
            [404, 404, 404],
        ),
        case(
            "GET",
            "/invitation/{token}",
            format!("/invitation/{}", "e".repeat(64)),
            None,
            [404, 404, 404],
        ),
        case(
            "POST",
            "/invitation/{token}",
            format!("/invitation/{}", "e".repeat(64)),
            Some(""),
            [404, 404, 404],
        ),
        case("GET", "/compte", "/compte".into(), None, page),
        case(
            "POST",
            "/compte/mot-de-passe",
            "/compte/mot-de-passe".into(),
            Some("current_password=faux&new_password=x&confirmation=x"),
            [303, 422, 422],
        ),
        case(
            "POST",
            "/compte/deconnexion-partout",
            "/compte/deconnexion-partout".into(),
            Some(""),
            [303, 303, 303],
        ),
        case(
            "POST",
            "/compte/notifications",
            "/compte/notifications".into(),
            Some("referral_step=jamais"),
            [303, 422, 422],
        ),
        case(
            "GET",
            "/admin/structures",
            "/admin/structures".into(),
            None,
            admin_only,
        ),
        case(
            "POST",
            "/admin/structures",
            "/admin/structures".into(),
            Some("nom=Pirate&kind=autre"),
            admin_only,
        ),
        case(
            "GET",
            "/admin/journal",
            "/admin/journal".into(),
            None,
            admin_only,
        ),
        case(
            "GET",
            "/admin/journal.csv",
            "/admin/journal.csv".into(),
            None,
            admin_only,
        ),
        case(
            "GET",
            "/admin/courriels",
            "/admin/courriels".into(),
            None,
            admin_only,
        ),
        case(
            "GET",
            "/structures/{id}",
            format!("/structures/{a}"),
            None,
            structure_a,
        ),
        case(
            "POST",
            "/structures/{id}/invitations",
            format!("/structures/{a}/invitations"),
            Some("email=x%40y.fr&role=membre"),
            structure_a,
        ),
        case(
            "POST",
            "/structures/{id}/membres/{membership}/role",
            format!("/structures/{a}/membres/{m}/role"),
            Some("role=gestionnaire"),
            structure_a,
        ),
        case(
            "POST",
            "/structures/{id}/membres/{membership}/fin",
            format!("/structures/{a}/membres/{m}/fin"),
            Some(""),
            structure_a,
        ),
        case(
            "POST",
            "/structures/{id}/membres/{membership}/reactivation",
            format!("/structures/{a}/membres/{m}/reactivation"),
            Some(""),
            structure_a,
        ),
        case(
            "POST",
            "/structures/{id}/demandes/{request}/acceptation",
            format!("/structures/{a}/demandes/1/acceptation"),
            Some(""),
            structure_a,
        ),
        case(
            "POST",
            "/structures/{id}/demandes/{request}/refus",
            format!("/structures/{a}/demandes/1/refus"),
            Some(""),
            structure_a,
        ),
        case(
            "POST",
            "/structures/{id}/jetons",
            format!("/structures/{a}/jetons"),
            Some("name=vol"),
            structure_a,
        ),
        case(
            "POST",
            "/structures/{id}/jetons/{token}/revocation",
            format!("/structures/{a}/jetons/{t}/revocation"),
            Some(""),
            structure_a,
        ),
        // Réseau. Public: its home, events open to all, public resources,
        // opportunities. Professionals: the rest. Organisers, animators
        // and coordinators of the event's territory: the organiser's tools.
        case("GET", "/reseau", "/reseau".into(), None, public),
        case(
            "GET",
            "/reseau/annuaire",
            "/reseau/annuaire".into(),
            None,
            page,
        ),
        case(
            "GET",
            "/reseau/annuaire.geojson",
            "/reseau/annuaire.geojson".into(),
            None,
            page,
        ),
        // A's member has no entry: nobody finds them.
        case(
            "GET",
            "/reseau/annuaire/{id}",
            format!("/reseau/annuaire/{}", w.membre_a),
            None,
            [303, 404, 404],
        ),
        case(
            "POST",
            "/reseau/annuaire/{id}/message",
            format!("/reseau/annuaire/{}/message", w.membre_a),
            Some("message=Bonjour%2C+pourrions-nous+%C3%A9changer+%3F"),
            [303, 404, 404],
        ),
        case("GET", "/reseau/profil", "/reseau/profil".into(), None, page),
        case(
            "POST",
            "/reseau/profil",
            "/reseau/profil".into(),
            Some("poste="),
            [303, 422, 422],
        ),
        case(
            "POST",
            "/reseau/profil/retrait",
            "/reseau/profil/retrait".into(),
            Some(""),
            [303, 303, 303],
        ),
        case(
            "GET",
            "/reseau/reseaux",
            "/reseau/reseaux".into(),
            None,
            page,
        ),
        case(
            "POST",
            "/reseau/reseaux",
            "/reseau/reseaux".into(),
            Some("nom="),
            [303, 403, 422],
        ),
        case(
            "GET",
            "/reseau/reseaux/{id}",
            format!("/reseau/reseaux/{}", w.network),
            None,
            page,
        ),
        case(
            "POST",
            "/reseau/reseaux/{id}/membres/{person}",
            format!("/reseau/reseaux/{}/membres/{}", w.network, w.coordinator_29),
            Some("role=retirer"),
            [303, 403, 403],
        ),
        case(
            "POST",
            "/reseau/reseaux/{id}/adhesion",
            format!("/reseau/reseaux/{}/adhesion", w.network),
            Some(""),
            [303, 303, 303],
        ),
        case(
            "POST",
            "/reseau/reseaux/{id}/depart",
            format!("/reseau/reseaux/{}/depart", w.network),
            Some(""),
            [303, 303, 303],
        ),
        case(
            "GET",
            "/reseau/evenements",
            "/reseau/evenements".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/reseau/evenements/nouveau",
            "/reseau/evenements/nouveau".into(),
            None,
            [303, 403, 200],
        ),
        case(
            "POST",
            "/reseau/evenements",
            "/reseau/evenements".into(),
            Some("titre="),
            [303, 403, 422],
        ),
        case(
            "GET",
            "/reseau/evenements/{id}",
            format!("/reseau/evenements/{}", w.event),
            None,
            page,
        ),
        case(
            "GET",
            "/reseau/evenements/{id}/presences",
            format!("/reseau/evenements/{}/presences", w.event),
            None,
            [303, 403, 403],
        ),
        case(
            "POST",
            "/reseau/evenements/{id}/presences",
            format!("/reseau/evenements/{}/presences", w.event),
            Some(""),
            [303, 403, 403],
        ),
        case(
            "GET",
            "/reseau/evenements/{id}/participants.csv",
            format!("/reseau/evenements/{}/participants.csv", w.event),
            None,
            [303, 403, 403],
        ),
        case(
            "GET",
            "/reseau/evenements/{id}/participants.xlsx",
            format!("/reseau/evenements/{}/participants.xlsx", w.event),
            None,
            [303, 403, 403],
        ),
        case(
            "POST",
            "/reseau/evenements/{id}/capacite",
            format!("/reseau/evenements/{}/capacite", w.event),
            Some("capacite=1"),
            [303, 403, 403],
        ),
        case(
            "POST",
            "/reseau/evenements/{id}/annulation",
            format!("/reseau/evenements/{}/annulation", w.event),
            Some(""),
            [303, 403, 403],
        ),
        case(
            "POST",
            "/reseau/evenements/{id}/inscription",
            format!("/reseau/evenements/{}/inscription", w.event),
            Some(""),
            [303, 303, 303],
        ),
        case(
            "POST",
            "/reseau/evenements/{id}/desinscription",
            format!("/reseau/evenements/{}/desinscription", w.event),
            Some(""),
            [303, 303, 303],
        ),
        case("GET", "/reseau/agenda", "/reseau/agenda".into(), None, page),
        case(
            "POST",
            "/reseau/agenda",
            "/reseau/agenda".into(),
            Some(""),
            page,
        ),
        case(
            "GET",
            "/reseau/agenda/{token}/inscriptions",
            format!("/reseau/agenda/{}/inscriptions", "d".repeat(64)),
            None,
            [404, 404, 404],
        ),
        case(
            "GET",
            "/reseau/agenda/{token}/reseaux/{id}",
            format!("/reseau/agenda/{}/reseaux/{}", "d".repeat(64), w.network),
            None,
            [404, 404, 404],
        ),
        case(
            "GET",
            "/reseau/bilan",
            "/reseau/bilan".into(),
            None,
            [303, 403, 200],
        ),
        case(
            "GET",
            "/reseau/ressources",
            "/reseau/ressources".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/reseau/ressources/nouvelle",
            "/reseau/ressources/nouvelle".into(),
            None,
            page,
        ),
        // A form, not a file: unreadable once signed in.
        case(
            "POST",
            "/reseau/ressources",
            "/reseau/ressources".into(),
            Some("titre=x"),
            [303, 400, 400],
        ),
        case(
            "GET",
            "/reseau/ressources/{id}",
            format!("/reseau/ressources/{}", w.resource),
            None,
            page,
        ),
        case(
            "GET",
            "/reseau/ressources/{id}/fichier",
            format!("/reseau/ressources/{}/fichier", w.resource),
            None,
            [303, 404, 404],
        ),
        case(
            "POST",
            "/reseau/ressources/{id}/utile",
            format!("/reseau/ressources/{}/utile", w.resource),
            Some("utile=1"),
            [303, 303, 303],
        ),
        case(
            "POST",
            "/reseau/ressources/{id}/moderation",
            format!("/reseau/ressources/{}/moderation", w.resource),
            Some("decision=inconnue"),
            [303, 403, 400],
        ),
        case(
            "POST",
            "/reseau/ressources/{id}/suppression",
            format!("/reseau/ressources/{}/suppression", w.resource),
            Some(""),
            [303, 403, 403],
        ),
        case(
            "GET",
            "/reseau/opportunites",
            "/reseau/opportunites".into(),
            None,
            public,
        ),
        case(
            "GET",
            "/reseau/opportunites/nouvelle",
            "/reseau/opportunites/nouvelle".into(),
            None,
            page,
        ),
        case(
            "POST",
            "/reseau/opportunites",
            "/reseau/opportunites".into(),
            Some("titre="),
            [303, 422, 422],
        ),
        case(
            "GET",
            "/reseau/opportunites/{id}",
            format!("/reseau/opportunites/{}", w.opportunity),
            None,
            public,
        ),
        case(
            "POST",
            "/reseau/opportunites/{id}/retrait",
            format!("/reseau/opportunites/{}/retrait", w.opportunity),
            Some(""),
            [303, 403, 403],
        ),
        case("GET", "/reseau/veille", "/reseau/veille".into(), None, page),
        case(
            "POST",
            "/reseau/veille",
            "/reseau/veille".into(),
            Some("territoire="),
            [303, 303, 303],
        ),
        case(
            "POST",
            "/reseau/veille/arret",
            "/reseau/veille/arret".into(),
            Some(""),
            [303, 303, 303],
        ),
        case(
            "GET",
            "/reseau/besoins",
            "/reseau/besoins".into(),
            None,
            page,
        ),
        case(
            "POST",
            "/reseau/besoins",
            "/reseau/besoins".into(),
            Some("theme="),
            [303, 422, 422],
        ),
        case(
            "POST",
            "/reseau/besoins/{id}/suppression",
            "/reseau/besoins/1/suppression".into(),
            Some(""),
            [303, 303, 303],
        ),
    ]
}

#[tokio::test]
async fn every_route_is_listed_and_guarded() {
    let w = world().await;
    let table = cases(&w);
    let listed: BTreeSet<(String, &str)> = table
        .iter()
        .map(|c| (c.method.to_string(), c.route))
        .collect();
    let served: BTreeSet<(String, &str)> = passerelle_web::route_table()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p))
        .collect();
    let unlisted: Vec<_> = served.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "routes missing from the access table: {unlisted:?}"
    );
    let stale: Vec<_> = listed.difference(&served).collect();
    assert!(
        stale.is_empty(),
        "routes in the table but not served: {stale:?}"
    );

    let mut failures = Vec::new();
    for case in &table {
        for (who, expected) in [
            "anonymous",
            "member of another structure",
            "coordinator of another territory",
        ]
        .iter()
        .zip(case.expect)
        {
            // A fresh session per request: some routes end the session.
            let client = match *who {
                "anonymous" => Client::anonymous(),
                "member of another structure" => Client::signed_in(&w.db, w.membre_b).await,
                _ => Client::signed_in(&w.db, w.coordinator_35).await,
            };
            let answer = call(&w.app, &client, case.method, &case.uri, case.form).await;
            if answer.status.as_u16() != expected {
                failures.push(format!(
                    "{} {} as {who}: {} (expected {expected})",
                    case.method, case.uri, answer.status
                ));
            }
            if expected == 303
                && *who == "anonymous"
                && answer.status.as_u16() == 303
                && !answer.location().starts_with("/connexion")
                // Signing out needs no sign-in: it goes home.
                && !["/deconnexion", "/compte/deconnexion-partout"].contains(&case.route)
            {
                failures.push(format!(
                    "{} {} as {who}: redirected to {}",
                    case.method,
                    case.uri,
                    answer.location()
                ));
            }
            if answer.new_session().is_some() {
                failures.push(format!(
                    "{} {} as {who}: opened a session",
                    case.method, case.uri
                ));
            }
            for secret in SECRETS {
                if answer.body.contains(secret) {
                    failures.push(format!(
                        "{} {} as {who}: leaked {secret:?}",
                        case.method, case.uri
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing the refused requests attempted took effect.
    assert_eq!(w.db.search_structures("pirate", 10).await.unwrap().len(), 0);
    // Nothing of Réseau's was changed by those who may not.
    let event = w.db.network_event(w.event).await.unwrap().unwrap();
    assert_eq!((event.capacity, event.cancelled_at), (Some(10), None));
    assert!(w.db.resource(w.resource, None).await.unwrap().is_some());
    assert!(
        !w.db
            .opportunity(w.opportunity)
            .await
            .unwrap()
            .unwrap()
            .withdrawn
    );
    assert_eq!(
        w.db.network_ref(w.network)
            .await
            .unwrap()
            .unwrap()
            .animators,
        vec![w.coordinator_29]
    );
    let tokens = w.db.api_tokens_of(w.a).await.unwrap();
    assert_eq!(tokens.len(), 1);
    assert!(tokens[0].revoked_at.is_none());
    assert_eq!(
        w.db.place(w.place_a).await.unwrap().unwrap().place.nom,
        "Point numérique du CCAS de Quimper"
    );
    assert_eq!(
        w.db.pending_duplicates().await.unwrap().len(),
        1,
        "no refused decision was taken"
    );
    let membre =
        w.db.membership(w.membre_a_membership)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        (membre.role, membre.ended_at),
        (passerelle_accounts::Role::Membre, None)
    );
}

#[tokio::test]
async fn those_entitled_get_in() {
    let w = world().await;
    let a = w.a;
    for (person, uri, expected) in [
        (w.admin, format!("/structures/{a}"), 200),
        (w.admin, "/admin/structures".to_string(), 200),
        (w.admin, "/admin/journal".to_string(), 200),
        (w.gestionnaire_a, format!("/structures/{a}"), 200),
        (w.membre_a, format!("/structures/{a}"), 200),
        (w.coordinator_29, format!("/structures/{a}"), 200),
        (w.coordinator_29, format!("/api/v1/structures/{a}"), 200),
        (w.gestionnaire_a, "/admin/structures".to_string(), 403),
    ] {
        let client = Client::signed_in(&w.db, person).await;
        let answer = call(&w.app, &client, "GET", &uri, None).await;
        assert_eq!(answer.status.as_u16(), expected, "{uri} as person {person}");
    }
    // Members and coordinators see who works there, not their addresses;
    // the gestionnaire sees both, and management forms.
    let membre = call(
        &w.app,
        &Client::signed_in(&w.db, w.membre_a).await,
        "GET",
        &format!("/structures/{a}"),
        None,
    )
    .await;
    assert!(
        membre.body.contains("gestionnaire.a")
            && !membre.body.contains("gestionnaire.a@quimper.fr")
    );
    assert!(
        !membre.body.contains("Inviter une personne") && !membre.body.contains("Jeton secret A")
    );
    let gestionnaire = call(
        &w.app,
        &Client::signed_in(&w.db, w.gestionnaire_a).await,
        "GET",
        &format!("/structures/{a}"),
        None,
    )
    .await;
    assert!(
        gestionnaire.body.contains("membre.a@quimper.fr")
            && gestionnaire.body.contains("Inviter une personne")
    );
    assert!(gestionnaire.body.contains("Jeton secret A"));
}

#[tokio::test]
async fn api_tokens_read_their_own_structure_only() {
    let w = world().await;
    let own = call(
        &w.app,
        &Client::bearer(&w.token_a),
        "GET",
        &format!("/api/v1/structures/{}", w.a),
        None,
    )
    .await;
    assert_eq!(own.status.as_u16(), 200, "{}", own.body);
    assert!(own.body.contains("CCAS de Quimper") && !own.body.contains("membre.a@quimper.fr"));
    let other = call(
        &w.app,
        &Client::bearer(&w.token_b),
        "GET",
        &format!("/api/v1/structures/{}", w.a),
        None,
    )
    .await;
    assert_eq!(other.status.as_u16(), 404);
    assert!(!other.body.contains("CCAS de Quimper"));
    let me = call(
        &w.app,
        &Client::bearer(&w.token_a),
        "GET",
        "/api/v1/me",
        None,
    )
    .await;
    assert!(me.body.contains("\"kind\":\"api_token\""), "{}", me.body);
    let forged = call(
        &w.app,
        &Client::bearer(&"0".repeat(64)),
        "GET",
        "/api/v1/me",
        None,
    )
    .await;
    assert_eq!(forged.status.as_u16(), 401);
    // Tokens manage nothing, even in their own structure.
    let page = call(
        &w.app,
        &Client::bearer(&w.token_a),
        "POST",
        &format!("/structures/{}/jetons", w.a),
        Some("name=x"),
    )
    .await;
    assert_eq!(page.status.as_u16(), 403);
}
