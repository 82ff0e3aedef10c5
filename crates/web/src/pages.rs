//! Server-rendered pages, in French, with the DSFR: the layout every page
//! shares (`Chrome`, the navigation, breadcrumbs), message pages, the home
//! page, and the helpers templates call. The capabilities' own pages live
//! in their folders (`lieux/`, `territoires/`, `diagnostic/`…).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use passerelle_accounts::policy::{Action, activity_figures};

use crate::AppState;
use crate::auth::Viewer;
use crate::routes::Route;

/// What the layout around every page needs: the current section of the
/// navigation, and who is signed in (header links, sign-out form).
pub struct Chrome {
    pub section: &'static str,
    pub user: Option<String>,
    pub is_admin: bool,
    pub csrf: String,
    /// The main navigation as this viewer uses it.
    pub nav: Vec<NavLink>,
}

/// An entry of the main navigation: `section` marks the current page,
/// `href` is where this viewer's work in it starts.
pub struct NavLink {
    pub section: &'static str,
    pub href: &'static str,
    pub label: &'static str,
}

/// Where each capability starts for this viewer: a coordinator who records
/// no activity and sends no referral lands on the territory's figures.
fn navigation(viewer: Option<&Viewer>) -> Vec<NavLink> {
    let records = viewer.is_some_and(|v| v.authorize(Action::RecordActivity).is_ok());
    let figures = viewer.is_some_and(|v| activity_figures(&v.actor).is_ok());
    let refers = viewer.is_some_and(|v| v.authorize(Action::SendReferral).is_ok());
    let stats = viewer.is_some_and(|v| v.authorize(Action::ViewReferralStats).is_ok());
    NAVIGATION
        .iter()
        .map(|item| NavLink {
            section: item.path,
            href: match item.path {
                "/activites" if !records && figures => "/activites/tableau-de-bord",
                "/orientations" if !refers && stats => "/orientations/statistiques",
                path => path,
            },
            label: item.label,
        })
        .collect()
}

impl Chrome {
    pub fn new(section: &'static str, viewer: &Viewer) -> Self {
        Self {
            section,
            user: viewer.person.as_ref().map(|p| p.display_name.clone()),
            is_admin: viewer.is_admin(),
            csrf: viewer.csrf.clone(),
            nav: navigation(Some(viewer)),
        }
    }

    /// For pages answered before the request's viewer is known.
    pub fn anonymous() -> Self {
        Self {
            section: "",
            user: None,
            is_admin: false,
            csrf: String::new(),
            nav: navigation(None),
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
    let mut routes = Vec::new();
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
