//! Réseau over HTTP: the regional hub's network animation. `directory`:
//! the opt-in directory of professionals, its map and the contact relay;
//! `networks`: named groups and their animators; `events`: publishing,
//! registering, the waiting list, attendance, attendee exports and
//! iCalendar feeds; `resources`: the ressourcerie; `opportunities`: funding
//! calls, job and training offers and the weekly digest's settings;
//! `needs`: training needs; `figures`: what coordinators count. `forms`
//! reads what people type into domain drafts and says problems in French;
//! `views` formats what pages show (the e-mails' text: `crate::mail`).
//!
//! Every handler asks `passerelle_accounts::policy` (the `…Network…`,
//! `…Event…`, `…Resource…` actions), calls `store::network`, renders.

mod directory;
mod events;
mod figures;
mod forms;
mod needs;
mod networks;
mod opportunities;
mod resources;
mod views;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use passerelle_accounts::ScopeLevel;
use passerelle_accounts::policy::Action;
use passerelle_store::network::{
    EventQuery, Member, OpportunityQuery, ResourceQuery, TerritoryChoice,
};

use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::pages::{Chrome, Crumb, crumbs, render};
use crate::routes::Route;

pub use events::ATTENDEES_LIMIT;

pub fn routes() -> Vec<Route> {
    let mut routes = vec![Route::get("/reseau", home)];
    routes.extend(directory::routes());
    routes.extend(networks::routes());
    routes.extend(events::routes());
    routes.extend(resources::routes());
    routes.extend(opportunities::routes());
    routes.extend(needs::routes());
    routes.extend(figures::routes());
    routes
}

/// The section of the navigation.
const SECTION: &str = "/reseau";

/// Now, for the rules (tests drive the store with their own clock).
fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Today in Paris.
fn today() -> NaiveDate {
    crate::fr::paris_now().date()
}

/// The signed-in person acting, for the store's audit lines.
fn acting(viewer: &Viewer) -> Result<Member, PageError> {
    Member::of(viewer.acting(None)).ok_or(PageError::NotFound)
}

/// Asks the policy; a denial becomes the page's answer.
fn allow(viewer: &Viewer, action: Action<'_>, path: &str) -> Result<(), PageError> {
    viewer
        .authorize(action)
        .map_err(|d| PageError::denied(d, path))
}

/// The breadcrumb of a Réseau page.
fn trail(current: &str) -> Vec<Crumb> {
    crumbs(&[("Réseau", SECTION)], current)
}

fn trail2(parent: (&str, &str), current: &str) -> Vec<Crumb> {
    crumbs(&[("Réseau", SECTION), parent], current)
}

/// A territory in a picker: `level:code` as the option's value (never
/// shown), its name as the label.
pub(crate) fn territory_value(level: ScopeLevel, code: &str) -> String {
    format!("{}:{code}", level.code())
}

/// The territory a picker's value names.
pub(crate) fn parse_territory(value: &str) -> Option<(ScopeLevel, String)> {
    let (level, code) = value.split_once(':')?;
    let level = ScopeLevel::parse(level)?;
    (!code.is_empty()).then(|| (level, code.to_string()))
}

/// The pickers' options, grouped by level, with `selected` chosen.
pub(crate) struct TerritoryGroup {
    pub label: &'static str,
    pub options: Vec<views::Choice>,
}

pub(crate) async fn territory_groups(
    state: &AppState,
    selected: &str,
) -> Result<Vec<TerritoryGroup>, PageError> {
    let all: Vec<TerritoryChoice> = state.db.territory_choices().await?;
    Ok([
        (ScopeLevel::Region, "Régions"),
        (ScopeLevel::Departement, "Départements"),
        (ScopeLevel::Epci, "Intercommunalités"),
    ]
    .into_iter()
    .map(|(level, label)| TerritoryGroup {
        label,
        options: all
            .iter()
            .filter(|c| c.level == level)
            .map(|c| {
                let value = territory_value(c.level, &c.code);
                views::Choice {
                    selected: value == selected,
                    value,
                    label: c.name.clone(),
                }
            })
            .collect(),
    })
    .collect())
}

#[derive(Template)]
#[template(path = "reseau/accueil.html")]
struct HomePage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    professional: bool,
    coordinator: bool,
    events: Vec<views::EventCard>,
    resources: Vec<views::ResourceCard>,
    opportunities: Vec<views::OpportunityCard>,
}

/// `/reseau`: what the network offers now; the directory and networks
/// for professionals.
async fn home(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let professional = viewer.authorize(Action::ViewNetwork).is_ok();
    let events = state
        .db
        .network_events(&EventQuery {
            upcoming_at: Some(now()),
            ..EventQuery::default()
        })
        .await?;
    let events = events::visible(&state, &viewer, events).await?;
    let resources = state
        .db
        .resources(&ResourceQuery {
            members: professional,
            viewer: viewer.person_id(),
            ..ResourceQuery::default()
        })
        .await?;
    let opportunities = state
        .db
        .opportunities(&OpportunityQuery {
            open_on: Some(today()),
            ..OpportunityQuery::default()
        })
        .await?;
    Ok(render(&HomePage {
        chrome: Chrome::new(SECTION, &viewer),
        crumbs: crumbs(&[], "Réseau"),
        professional,
        coordinator: viewer.authorize(Action::ModerateNetwork).is_ok(),
        events: events.iter().take(4).map(views::EventCard::of).collect(),
        resources: resources
            .iter()
            .take(4)
            .map(views::ResourceCard::of)
            .collect(),
        opportunities: opportunities
            .iter()
            .take(4)
            .map(views::OpportunityCard::of)
            .collect(),
    }))
}

/// The line the activity dashboard shows coordinators about the
/// network's events this year, if they see network figures.
pub(crate) async fn dashboard_line(state: &AppState, viewer: &Viewer) -> Option<String> {
    match figures::summary(state, viewer).await {
        Ok(Some((events, present))) => Some(format!(
            "{} depuis le 1er janvier, {}.",
            match events {
                0 => "aucun événement tenu".to_string(),
                1 => "1 événement tenu".to_string(),
                n => format!("{} événements tenus", crate::fr::integer(n)),
            },
            match present {
                0 | 1 => format!("{present} présent"),
                n => format!("{} présents", crate::fr::integer(n)),
            }
        )),
        Ok(None) => None,
        Err(e) => {
            tracing::error!("network figures for the dashboard: {e:?}");
            None
        }
    }
}

/// A page that answers 200 or 422 (a form shown again with its errors).
fn page(template: &impl Template, invalid: bool) -> Response {
    use axum::response::IntoResponse;
    let status = if invalid {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    (status, render(template)).into_response()
}

/// The INSEE code of the commune a person typed (a name, a postcode or a
/// code); a problem goes to `errors` under `commune`. `None` when empty.
pub(crate) async fn find_commune(
    state: &AppState,
    text: &str,
    errors: &mut forms::Errors,
) -> Result<Option<String>, PageError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let found = state.db.search_communes(text, 8).await?;
    let key = passerelle_territory::search::search_key(text);
    let exact: Vec<_> = found
        .iter()
        .filter(|c| passerelle_territory::search::search_key(&c.nom) == key)
        .collect();
    let named = |c: &passerelle_territory::Commune| match c.postcodes.first() {
        Some(p) => format!("{} ({p})", c.nom),
        None => c.nom.clone(),
    };
    match (exact.as_slice(), found.as_slice()) {
        ([one], _) => return Ok(Some(one.code.clone())),
        ([], [one]) => return Ok(Some(one.code.clone())),
        ([], []) => errors.add(
            "commune",
            format!("Aucune commune « {text} » dans le référentiel chargé : vérifiez l’orthographe, ou tapez son code postal."),
        ),
        _ => errors.add(
            "commune",
            format!(
                "Plusieurs communes répondent à « {text} » : {}. Tapez son nom complet ou son code postal.",
                found.iter().take(5).map(named).collect::<Vec<_>>().join(", ")
            ),
        ),
    }
    Ok(None)
}
