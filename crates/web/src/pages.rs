//! Server-rendered pages, in French, with the DSFR. They work without
//! JavaScript; `web/src/territoires.js` only refreshes search results as the
//! person types, using the `/territoires/resultats` fragment.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use passerelle_territory::{Commune, Departement, Epci, Region, RegionSummary, epci_nature_label};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::routes::Route;

/// What the layout around every page needs: the current section of the
/// navigation, and who is signed in (header links, sign-out form).
pub struct Chrome {
    pub section: &'static str,
    pub user: Option<String>,
    pub is_admin: bool,
    pub csrf: String,
}

impl Chrome {
    pub fn new(section: &'static str, viewer: &Viewer) -> Self {
        Self {
            section,
            user: viewer.person.as_ref().map(|p| p.display_name.clone()),
            is_admin: viewer.is_admin(),
            csrf: viewer.csrf.clone(),
        }
    }

    /// For pages answered before the request's viewer is known.
    pub fn anonymous() -> Self {
        Self {
            section: "",
            user: None,
            is_admin: false,
            csrf: String::new(),
        }
    }
}

/// A posted form's fields in order (repeated names kept), or why it
/// could not be read.
pub type FormFields =
    Result<axum::Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>;

/// A capability in the main navigation.
pub struct NavItem {
    pub path: &'static str,
    pub label: &'static str,
    pub summary: &'static str,
    pub available: bool,
}

pub const NAVIGATION: [NavItem; 7] = [
    NavItem {
        path: "/lieux",
        label: "Lieux",
        summary: "L’annuaire et la carte des lieux d’aide au numérique, au format du standard national : où cette personne peut-elle être aidée, près de chez elle, et quand ?",
        available: true,
    },
    NavItem {
        path: "/activites",
        label: "Activités",
        summary: "Le journal d’activité des médiateurs, rempli en quelques secondes, et son agrégation à toutes les échelles du territoire.",
        available: true,
    },
    NavItem {
        path: "/orientations",
        label: "Orientations",
        summary: "L’orientation d’une personne vers une autre structure, avec son consentement et un suivi pour que personne ne soit perdu.",
        available: true,
    },
    NavItem {
        path: "/reseau",
        label: "Réseau",
        summary: "L’animation du réseau par le hub : événements et inscriptions, ressourcerie, financements et offres, annuaire des professionnels, besoins de formation.",
        available: true,
    },
    NavItem {
        path: "/diagnostic",
        label: "Diagnostic",
        summary: "Le portrait PORTREA des besoins et de l’offre d’aide, de la commune à la région, pour repérer les territoires prioritaires.",
        available: true,
    },
    NavItem {
        path: "/enquetes",
        label: "Enquêtes",
        summary: "Questionnaires, collecte anonyme et statistiques des chercheurs : tris à plat, tableaux croisés, tests.",
        available: true,
    },
    NavItem {
        path: "/territoires",
        label: "Territoires",
        summary: "Le référentiel officiel des régions, départements, intercommunalités et communes, avec leur population.",
        available: true,
    },
];

pub fn routes() -> Vec<Route> {
    let mut routes = vec![
        Route::get("/", home),
        Route::get("/accessibilite", accessibility),
        Route::get("/territoires", territories),
        Route::get("/territoires/resultats", territory_results),
        Route::get("/territoires/communes/{code}", commune),
        Route::get("/territoires/epci/{siren}", epci),
        Route::get("/territoires/departements/{code}", departement),
        Route::get("/territoires/regions/{code}", region),
    ];
    for item in NAVIGATION.iter().filter(|i| !i.available) {
        routes.push(Route::get(item.path, move |viewer: Viewer| async move {
            capability(item, &viewer)
        }));
    }
    routes
}

// Helpers called from the templates.

/// An integer, however many references templates wrap it in.
pub trait Integer {
    fn value(&self) -> i64;
}

impl Integer for i64 {
    fn value(&self) -> i64 {
        *self
    }
}

impl<T: Integer + ?Sized> Integer for &T {
    fn value(&self) -> i64 {
        (**self).value()
    }
}

/// A count in French typography (`fr::integer`), for templates.
pub fn fr_number(n: impl Integer) -> String {
    crate::fr::integer(n.value())
}

/// The months, in French.
pub const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

pub fn fr_optional_number(n: &Option<i64>) -> String {
    n.map_or_else(|| "non renseignée".to_string(), fr_number)
}

pub fn epci_name(nom: &Option<String>, siren: &str) -> String {
    nom.clone().unwrap_or_else(|| format!("EPCI {siren}"))
}

pub fn nature_label(nature: &Option<String>) -> &'static str {
    nature
        .as_deref()
        .map_or("Intercommunalité", epci_nature_label)
}

pub struct Crumb {
    pub label: String,
    pub href: Option<String>,
}

pub fn crumbs(trail: &[(&str, &str)], current: &str) -> Vec<Crumb> {
    let mut out: Vec<Crumb> = [("Accueil", "/")]
        .iter()
        .chain(trail)
        .map(|(label, href)| Crumb {
            label: label.to_string(),
            href: Some(href.to_string()),
        })
        .collect();
    out.push(Crumb {
        label: current.to_string(),
        href: None,
    });
    out
}

fn territory_crumbs(trail: &[(&str, &str)], current: &str) -> Vec<Crumb> {
    let mut full = vec![("Territoires", "/territoires")];
    full.extend_from_slice(trail);
    crumbs(&full, current)
}

pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!("template error: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "Erreur interne").into_response()
        }
    }
}

/// What a page handler answers when the database fails.
pub fn storage_failure(error: passerelle_store::StoreError) -> Response {
    tracing::error!("storage error: {error}");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Erreur du serveur",
        &[
            "La base de données n’a pas répondu. Réessayez dans un instant ; si le problème persiste, prévenez l’administrateur de cette instance.",
        ],
    )
}

pub fn message(status: StatusCode, heading: &str, paragraphs: &[&str]) -> Response {
    message_back(status, heading, paragraphs, ("/", "Retour à l’accueil"))
}

/// The same, with the way back to where the person came from.
pub fn message_back(
    status: StatusCode,
    heading: &str,
    paragraphs: &[&str],
    (back, back_label): (&str, &str),
) -> Response {
    let message = Message {
        heading: heading.into(),
        paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
        back: back.into(),
        back_label: back_label.into(),
    };
    (status, axum::Extension(message)).into_response()
}

/// A message page to show, as a handler answers it: `with_viewer_chrome`
/// renders it with the header of whoever asked (signed in or not), which
/// the code deciding the refusal does not need to know.
#[derive(Clone)]
pub struct Message {
    heading: String,
    paragraphs: Vec<String>,
    back: String,
    back_label: String,
}

/// Renders the `Message` an answer carries, with the viewer's header: a
/// signed-in person refused a page still sees their account and the way
/// to sign out, not a "Se connecter" button.
pub async fn with_viewer_chrome(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let headers = request.headers().clone();
    let response = next.run(request).await;
    let Some(message) = response.extensions().get::<Message>().cloned() else {
        return response;
    };
    let (mut parts, ()) = axum::http::Request::new(()).into_parts();
    parts.headers = headers;
    let chrome = match <Viewer as axum::extract::FromRequestParts<AppState>>::from_request_parts(
        &mut parts, &state,
    )
    .await
    {
        Ok(viewer) => Chrome::new("", &viewer),
        Err(_) => Chrome::anonymous(),
    };
    let page = MessagePage {
        chrome,
        heading: message.heading,
        paragraphs: message.paragraphs,
        back: message.back,
        back_label: message.back_label,
    };
    let (mut head, _) = response.into_parts();
    head.extensions.remove::<Message>();
    head.headers.remove(axum::http::header::CONTENT_LENGTH);
    let rendered = render(&page);
    let (rendered_head, body) = rendered.into_parts();
    head.headers.extend(rendered_head.headers);
    Response::from_parts(head, body)
}

/// 403: signed in, but this is not theirs to see or do.
pub fn forbidden() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "Accès refusé",
        &[
            "Votre compte ne donne pas accès à cette page. Si vous pensez que c’est une erreur, adressez-vous au gestionnaire de votre structure.",
        ],
    )
}

/// 404 for what the viewer may not learn exists, as for what does not.
pub fn missing() -> Response {
    page_not_found("L’adresse demandée ne correspond à aucune page de Passerelle. Vérifiez-la, ou repartez de l’accueil.".into())
}

/// 403 for a form that failed the CSRF or origin check.
pub fn forbidden_form(why: &str) -> Response {
    message(StatusCode::FORBIDDEN, "Formulaire refusé", &[why])
}

fn page_not_found(what: String) -> Response {
    message(StatusCode::NOT_FOUND, "Page introuvable", &[&what])
}

pub async fn not_found() -> Response {
    missing()
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    chrome: Chrome,
    heading: String,
    paragraphs: Vec<String>,
    back: String,
    back_label: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    communes: i64,
    regions: Vec<RegionSummary>,
}

async fn home(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let regions = state.db.regions().await?;
    Ok(render(&HomePage {
        chrome: Chrome::new("/", &viewer),
        communes: regions.iter().map(|r| r.communes).sum(),
        regions,
    }))
}

async fn accessibility(viewer: Viewer) -> Response {
    render(&MessagePage {
        chrome: Chrome::new("", &viewer),
        heading: "Déclaration d’accessibilité".into(),
        paragraphs: vec![
            "Passerelle s’engage à rendre ses services accessibles, conformément à l’article 47 de la loi n° 2005-102 du 11 février 2005, en suivant le référentiel général d’amélioration de l’accessibilité (RGAA 4.1).".into(),
            "État de conformité : non conforme. Aucun audit n’a encore été réalisé. Les pages utilisent le système de design de l’État (DSFR), fonctionnent sans JavaScript et au clavier, et sont testées dans un navigateur à chaque modification.".into(),
            "Si vous ne parvenez pas à accéder à un contenu ou à un service, contactez l’administrateur de cette instance pour être orienté vers une alternative accessible.".into(),
        ],
        back: "/".into(),
        back_label: "Retour à l’accueil".into(),
    })
}

#[derive(Template)]
#[template(path = "capability.html")]
struct CapabilityTemplate<'a> {
    chrome: Chrome,
    item: &'a NavItem,
    crumbs: Vec<Crumb>,
}

fn capability(item: &'static NavItem, viewer: &Viewer) -> Response {
    render(&CapabilityTemplate {
        chrome: Chrome::new(item.path, viewer),
        item,
        crumbs: crumbs(&[], item.label),
    })
}

#[derive(Deserialize)]
struct SearchParams {
    #[serde(default)]
    q: String,
}

const PAGE_RESULTS: i64 = 20;

/// The search, shared by the full page and the fragment.
struct Search {
    q: String,
    results: Vec<Commune>,
    error: Option<String>,
    limit: i64,
}

async fn run_search(state: &AppState, q: &str) -> Result<Search, passerelle_store::StoreError> {
    let q = q.trim().to_string();
    let (results, error) = if q.is_empty() {
        (Vec::new(), None)
    } else if q.chars().count() > 100 {
        (
            Vec::new(),
            Some("La recherche ne peut pas dépasser 100 caractères.".to_string()),
        )
    } else {
        (state.db.search_communes(&q, PAGE_RESULTS).await?, None)
    };
    Ok(Search {
        q,
        results,
        error,
        limit: PAGE_RESULTS,
    })
}

#[derive(Template)]
#[template(path = "territoires.html")]
struct TerritoriesPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    q: String,
    results: Vec<Commune>,
    error: Option<String>,
    limit: i64,
    regions: Vec<RegionSummary>,
}

async fn territories(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<SearchParams>,
) -> PageResult {
    let search = run_search(&state, &params.q).await?;
    let regions = state.db.regions().await?;
    Ok(render(&TerritoriesPage {
        chrome: Chrome::new("/territoires", &viewer),
        crumbs: crumbs(&[], "Territoires"),
        q: search.q,
        results: search.results,
        error: search.error,
        limit: search.limit,
        regions,
    }))
}

#[derive(Template)]
#[template(path = "search_results.html")]
struct SearchResultsFragment {
    q: String,
    results: Vec<Commune>,
    error: Option<String>,
    limit: i64,
}

async fn territory_results(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> PageResult {
    let s = run_search(&state, &params.q).await?;
    Ok(render(&SearchResultsFragment {
        q: s.q,
        results: s.results,
        error: s.error,
        limit: s.limit,
    }))
}

#[derive(Template)]
#[template(path = "commune.html")]
struct CommunePage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    c: Commune,
}

async fn commune(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> PageResult {
    let Some(c) = state.db.commune(&code).await? else {
        return Err(PageError::Unknown(format!(
            "Aucune commune n’a le code INSEE « {code} » dans le référentiel chargé."
        )));
    };
    let dep_href = format!("/territoires/departements/{}", c.departement.code);
    let crumbs = territory_crumbs(&[(c.departement.nom.as_str(), dep_href.as_str())], &c.nom);
    Ok(render(&CommunePage {
        chrome: Chrome::new("/territoires", &viewer),
        crumbs,
        c,
    }))
}

#[derive(Template)]
#[template(path = "epci.html")]
struct EpciPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    name: String,
    nature_label: &'static str,
    e: Epci,
}

async fn epci(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(siren): Path<String>,
) -> PageResult {
    let Some(e) = state.db.epci(&siren).await? else {
        return Err(PageError::Unknown(format!(
            "Aucune intercommunalité n’a le SIREN « {siren} » dans le référentiel chargé."
        )));
    };
    let name = epci_name(&e.nom, &e.siren);
    Ok(render(&EpciPage {
        chrome: Chrome::new("/territoires", &viewer),
        crumbs: territory_crumbs(&[], &name),
        nature_label: nature_label(&e.nature),
        name,
        e,
    }))
}

#[derive(Template)]
#[template(path = "departement.html")]
struct DepartementPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    d: Departement,
}

async fn departement(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> PageResult {
    let Some(d) = state.db.departement(&code).await? else {
        return Err(PageError::Unknown(format!(
            "Aucun département n’a le code « {code} » dans le référentiel."
        )));
    };
    let region_href = format!("/territoires/regions/{}", d.region.code);
    let crumbs = territory_crumbs(&[(d.region.nom.as_str(), region_href.as_str())], &d.nom);
    Ok(render(&DepartementPage {
        chrome: Chrome::new("/territoires", &viewer),
        crumbs,
        d,
    }))
}

#[derive(Template)]
#[template(path = "region.html")]
struct RegionPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    r: Region,
}

async fn region(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
) -> PageResult {
    let Some(r) = state.db.region(&code).await? else {
        return Err(PageError::Unknown(format!(
            "Aucune région n’a le code « {code} » dans le référentiel."
        )));
    };
    Ok(render(&RegionPage {
        chrome: Chrome::new("/territoires", &viewer),
        crumbs: territory_crumbs(&[], &r.nom),
        r,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_number_formatting() {
        assert_eq!(fr_number(0), "0");
        assert_eq!(fr_number(999), "999");
        assert_eq!(fr_number(64385), "64\u{202f}385");
        assert_eq!(fr_number(3_453_023), "3\u{202f}453\u{202f}023");
        assert_eq!(fr_number(-1200), "-1\u{202f}200");
    }
}
