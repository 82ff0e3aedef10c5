//! The pages every public service owes its users, linked from the footer:
//! "Mentions légales", "Données personnelles" (what is kept about the
//! people referred, for how long — the periods the retention jobs apply —,
//! their rights, whom to contact), "Accessibilité" (with a contact and the
//! Défenseur des droits) and "Plan du site". Who runs the instance comes
//! from its configuration (`PASSERELLE_OPERATOR_*`, see README).

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::AppState;
use crate::auth::Viewer;
use crate::pages::{Chrome, Crumb, NavLink, crumbs, render};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/mentions-legales", legal_notice),
        Route::get("/donnees-personnelles", personal_data),
        Route::get("/accessibilite", accessibility),
        Route::get("/plan-du-site", site_map),
    ]
}

/// Who runs an instance, as its legal pages name them. Every field is
/// optional: an unset one is said to be missing, never invented.
#[derive(Debug, Clone, Default)]
pub struct Operator {
    /// The organisation publishing the instance (`PASSERELLE_OPERATOR_NAME`).
    pub name: Option<String>,
    /// Its postal address (`PASSERELLE_OPERATOR_ADDRESS`).
    pub address: Option<String>,
    /// Where people write, about their data or accessibility
    /// (`PASSERELLE_OPERATOR_EMAIL`).
    pub email: Option<String>,
    /// The publication director (`PASSERELLE_OPERATOR_DIRECTOR`).
    pub director: Option<String>,
    /// The host: name and address (`PASSERELLE_OPERATOR_HOST`).
    pub host: Option<String>,
}

impl Operator {
    /// From values as read from the environment: blank ones are unset.
    pub fn new(
        name: Option<String>,
        address: Option<String>,
        email: Option<String>,
        director: Option<String>,
        host: Option<String>,
    ) -> Self {
        let set = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        Self {
            name: set(name),
            address: set(address),
            email: set(email),
            director: set(director),
            host: set(host),
        }
    }
}

#[derive(Template)]
#[template(path = "mentions_legales.html")]
struct LegalNotice {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    operator: Operator,
}

async fn legal_notice(State(state): State<AppState>, viewer: Viewer) -> Response {
    render(&LegalNotice {
        chrome: Chrome::new("", &viewer),
        crumbs: crumbs(&[], "Mentions légales"),
        operator: state.config.operator.clone(),
    })
}

/// A retention period in words: "6 mois", "30 jours", "1 mois".
fn months(n: u32) -> String {
    format!("{n} mois")
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 jour".to_string()
    } else {
        format!("{} jours", crate::fr::integer(n))
    }
}

#[derive(Template)]
#[template(path = "donnees_personnelles.html")]
struct PersonalData {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    operator: Operator,
    referral_retention: String,
    referral_expiry: String,
    request_idle: String,
    ip_retention: String,
    typed_address_retention: String,
    outbox_retention: String,
}

async fn personal_data(State(state): State<AppState>, viewer: Viewer) -> Response {
    let (p, r) = (state.config.periods, state.config.retention);
    render(&PersonalData {
        chrome: Chrome::new("", &viewer),
        crumbs: crumbs(&[], "Données personnelles"),
        operator: state.config.operator.clone(),
        referral_retention: months(p.retention_months),
        referral_expiry: days(p.expiry_days),
        request_idle: days(p.request_idle_days),
        ip_retention: months(r.ip_months),
        typed_address_retention: days(r.typed_address_days),
        outbox_retention: months(r.outbox_months),
    })
}

#[derive(Template)]
#[template(path = "accessibilite.html")]
struct Accessibility {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    operator: Operator,
}

async fn accessibility(State(state): State<AppState>, viewer: Viewer) -> Response {
    render(&Accessibility {
        chrome: Chrome::new("", &viewer),
        crumbs: crumbs(&[], "Accessibilité"),
        operator: state.config.operator.clone(),
    })
}

#[derive(Template)]
#[template(path = "plan_du_site.html")]
struct SiteMap {
    crumbs: Vec<Crumb>,
    signed_in: bool,
    nav: Vec<NavLink>,
    chrome: Chrome,
}

async fn site_map(viewer: Viewer) -> Response {
    let chrome = Chrome::new("", &viewer);
    render(&SiteMap {
        crumbs: crumbs(&[], "Plan du site"),
        signed_in: chrome.user.is_some(),
        nav: Chrome::new("", &viewer).nav,
        chrome,
    })
}
