//! A place's page and its printable sheet: what it offers, its hours in a
//! weekly table, whether it is open now, and the gestures of the people
//! who use it — the way there, sharing it with a person (SMS, e-mail),
//! orienting a person to it (signed-in professionals), editing it (its
//! structure's members).

use askama::Template;
use axum::extract::{Path, Query, State};
use passerelle_accounts::policy::Action;
use serde::Deserialize;

use super::place_ref;
use super::views::PlaceView;
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::pages::{Chrome, Crumb, crumbs, render};

#[derive(Template)]
#[template(path = "lieu.html")]
struct PlacePage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    p: PlaceView,
    /// The commune of the reference: code (for its page) and name.
    commune: Option<(String, String)>,
    can_edit: bool,
    /// The viewer may orient people, and this place receives them through
    /// Passerelle (`Some(true)`), or not (`Some(false)`).
    refer: Option<bool>,
    route: String,
    geo: Option<String>,
    share_sms: String,
    share_mail: String,
    url: String,
    notice: Option<&'static str>,
    tiles: String,
}

/// What was just done, for the alert at the top of the page.
#[derive(Deserialize)]
pub struct Done {
    info: Option<String>,
}

fn notice(info: Option<&str>) -> Option<&'static str> {
    match info? {
        "modifie" => Some("Vos modifications sont enregistrées et publiées."),
        "verifie" => {
            Some("Fiche vérifiée : sa date de mise à jour est désormais celle d’aujourd’hui.")
        }
        _ => None,
    }
}

/// The place behind `/lieux/{id}`, as pages show it.
async fn view(state: &AppState, id: &str) -> Result<(PlaceView, Option<String>), PageError> {
    let id = id.parse::<i64>().map_err(|_| PageError::NotFound)?;
    let index = state.place_index().await?;
    let entry = index.get(id).ok_or(PageError::NotFound)?;
    let commune = state.db.place(id).await?.and_then(|p| p.commune_code);
    Ok((PlaceView::new(entry, None, crate::fr::paris_now()), commune))
}

/// Percent-encoded for a URI's query, spaces as `%20` (mail and SMS
/// applications do not read `+` as a space).
fn uri_text(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .unwrap_or_default()
        .trim_start_matches('=')
        .replace('+', "%20")
}

pub async fn place_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> PageResult {
    let (p, commune_code) = view(&state, &id).await?;
    let stored = state.db.place(p.id).await?.ok_or(PageError::NotFound)?;
    let target = place_ref(&state, &stored).await?;
    let can_edit = viewer.authorize(Action::EditPlace(&target)).is_ok();
    let refer = match viewer.authorize(Action::SendReferral) {
        Ok(()) => Some(
            !state
                .db
                .structures_by_siret(&p.place.pivot)
                .await?
                .is_empty(),
        ),
        Err(_) => None,
    };
    let commune = match commune_code {
        Some(code) => state.db.commune(&code).await?.map(|c| (c.code, c.nom)),
        None => None,
    };
    let url = format!("{}/lieux/{}", state.config.public_url, p.id);
    let place = &p.place;
    let address = format!("{}, {} {}", place.adresse, place.code_postal, place.commune);
    let (route, geo) = match place.latitude.zip(place.longitude) {
        Some((lat, lon)) => (
            format!("https://www.openstreetmap.org/directions?to={lat}%2C{lon}"),
            Some(format!(
                "geo:{lat},{lon}?q={lat},{lon}({})",
                uri_text(&place.nom)
            )),
        ),
        None => (
            format!(
                "https://www.openstreetmap.org/directions?to={}",
                uri_text(&address)
            ),
            None,
        ),
    };
    let mut message = format!("{}\n{address}", place.nom);
    if let Some((shown, _)) = &p.phone {
        message.push_str(&format!("\nTél. {shown}"));
    }
    message.push_str(&format!("\n{url}"));
    Ok(render(&PlacePage {
        chrome: Chrome::new("/lieux", &viewer),
        crumbs: crumbs(&[("Lieux", "/lieux")], &place.nom),
        share_sms: format!("sms:?&body={}", uri_text(&message)),
        share_mail: format!(
            "mailto:?subject={}&body={}",
            uri_text(&place.nom),
            uri_text(&message)
        ),
        notice: notice(done.info.as_deref()),
        tiles: state.config.tile_url.clone().unwrap_or_default(),
        commune,
        can_edit,
        refer,
        route,
        geo,
        url,
        p,
    }))
}

#[derive(Template)]
#[template(path = "fiche.html")]
struct SheetPage {
    p: PlaceView,
    printed_on: String,
}

pub async fn place_sheet(State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let (p, _) = view(&state, &id).await?;
    Ok(render(&SheetPage {
        p,
        printed_on: crate::fr::date(crate::fr::paris_now().date()),
    }))
}
