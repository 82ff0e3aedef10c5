//! The directory of the network: professionals who chose to appear, by
//! territory, theme and network, on a list and a map; one's own entry;
//! writing to someone through Passerelle (their address is never shown).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use passerelle_accounts::policy::Action;
use passerelle_network::directory::{ContactLimit, Profile, ProfileDraft, message};
use passerelle_network::vocab::Theme;
use passerelle_store::network::{ContactRefusal, DirectoryEntry, DirectoryQuery, ProfileRefusal};
use serde::Deserialize;

use super::forms::{Errors, Fields};
use super::views::{self, Choice, choices};
use super::{
    SECTION, TerritoryGroup, acting, allow, find_commune, now, page, parse_territory,
    territory_groups, trail, trail2,
};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::pages::{Chrome, Crumb, render};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/reseau/annuaire", list),
        Route::get("/reseau/annuaire.geojson", map),
        Route::get("/reseau/annuaire/{id}", entry),
        Route::post("/reseau/annuaire/{id}/message", write),
        Route::get("/reseau/profil", profile_form),
        Route::post("/reseau/profil", save_profile),
        Route::post("/reseau/profil/retrait", withdraw_profile),
    ]
}

/// The places the viewer's structures run, to hold an event at.
pub(super) async fn own_places(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Vec<(i64, String)>, PageError> {
    let ids: Vec<i64> = viewer.memberships.iter().map(|m| m.structure_id).collect();
    Ok(state.db.places_of_structures(&ids).await?)
}

#[derive(Deserialize, Default, Clone)]
struct Filters {
    #[serde(default)]
    territoire: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    reseau: String,
}

impl Filters {
    fn query(&self) -> DirectoryQuery {
        DirectoryQuery {
            territory: parse_territory(&self.territoire),
            theme: Theme::parse(&self.theme),
            network: self.reseau.parse().ok(),
        }
    }
}

/// An entry as lists show it.
struct EntryRow {
    id: i64,
    name: String,
    job: String,
    structure: String,
    place: String,
    themes: String,
    networks: String,
}

fn row(e: &DirectoryEntry) -> EntryRow {
    EntryRow {
        id: e.person_id,
        name: e.name.clone(),
        job: e.job_title.clone(),
        structure: e.structure.clone().unwrap_or_default(),
        place: views::area(&e.area, ""),
        themes: views::themes(&e.themes),
        networks: e
            .networks
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[derive(Template)]
#[template(path = "reseau/annuaire.html")]
struct ListPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    rows: Vec<EntryRow>,
    territories: Vec<TerritoryGroup>,
    themes: Vec<Choice>,
    networks: Vec<Choice>,
    geojson: String,
    tiles: String,
    listed: bool,
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(f): Query<Filters>,
) -> PageResult {
    allow(&viewer, Action::ViewNetwork, "/reseau/annuaire")?;
    let entries = state.db.directory(&f.query()).await?;
    let networks = state.db.networks(None).await?;
    let query = serde_urlencoded::to_string([
        ("territoire", &f.territoire),
        ("theme", &f.theme),
        ("reseau", &f.reseau),
    ])
    .unwrap_or_default();
    Ok(render(&ListPage {
        chrome: Chrome::new(SECTION, &viewer),
        crumbs: trail("Annuaire"),
        rows: entries.iter().map(row).collect(),
        territories: territory_groups(&state, &f.territoire).await?,
        themes: choices(
            Theme::ALL,
            Theme::code,
            Theme::label,
            std::slice::from_ref(&f.theme),
        ),
        networks: networks
            .into_iter()
            .map(|n| Choice {
                selected: n.id.to_string() == f.reseau,
                value: n.id.to_string(),
                label: n.name,
            })
            .collect(),
        geojson: format!("/reseau/annuaire.geojson?{query}"),
        tiles: state.config.tile_url.clone().unwrap_or_default(),
        listed: state
            .db
            .network_profile(acting(&viewer)?.person_id)
            .await?
            .is_some(),
    }))
}

/// The entries on a map: one point per commune (its centre), never an
/// address, with how many people and a link to them.
async fn map(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(f): Query<Filters>,
) -> PageResult {
    allow(&viewer, Action::ViewNetwork, "/reseau/annuaire")?;
    let entries = state.db.directory(&f.query()).await?;
    let centres = state.db.commune_centres().await?;
    let mut by_commune: Vec<(String, String, usize)> = Vec::new();
    for e in &entries {
        let (Some(code), Some(name)) = (&e.area.location.commune, &e.area.commune) else {
            continue;
        };
        match by_commune.iter_mut().find(|(c, _, _)| c == code) {
            Some(found) => found.2 += 1,
            None => by_commune.push((code.clone(), name.clone(), 1)),
        }
    }
    let features: Vec<_> = by_commune
        .into_iter()
        .filter_map(|(code, name, n)| {
            let (lat, lon) = centres.get(&code)?;
            let who = if n == 1 { "1 professionnel".to_string() } else { format!("{n} professionnels") };
            Some(serde_json::json!({
                "type": "Feature",
                "id": code,
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "nom": format!("{name} : {who}"),
                    "url": format!("/reseau/annuaire?territoire={}", super::territory_value(passerelle_accounts::ScopeLevel::Commune, &code)),
                }
            }))
        })
        .collect();
    let body = serde_json::json!({"type": "FeatureCollection", "features": features});
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        body.to_string(),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "reseau/fiche.html")]
struct EntryPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    e: EntryRow,
    presentation: Option<String>,
    updated: String,
    yourself: bool,
    message: String,
    error: String,
    notice: bool,
}

#[derive(Deserialize, Default)]
struct Sent {
    envoye: Option<String>,
}

async fn entry_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    message: String,
    error: String,
    notice: bool,
) -> PageResult {
    allow(
        viewer,
        Action::ViewNetwork,
        &format!("/reseau/annuaire/{id}"),
    )?;
    let e = state
        .db
        .directory_entry(id)
        .await?
        .ok_or(PageError::NotFound)?;
    let invalid = !error.is_empty();
    let p = EntryPage {
        chrome: Chrome::new(SECTION, viewer),
        crumbs: trail2(("Annuaire", "/reseau/annuaire"), &e.name),
        presentation: e.presentation.clone(),
        updated: crate::fr::day_of(e.updated_at),
        yourself: viewer.person_id() == Some(id),
        e: row(&e),
        message,
        error,
        notice,
    };
    Ok(page(&p, invalid))
}

async fn entry(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(s): Query<Sent>,
) -> PageResult {
    entry_page(
        &state,
        &viewer,
        id,
        String::new(),
        String::new(),
        s.envoye.is_some(),
    )
    .await
}

#[derive(Deserialize)]
struct MessageForm {
    #[serde(default)]
    message: String,
}

async fn write(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<MessageForm>,
) -> PageResult {
    allow(
        &viewer,
        Action::TakePartInNetwork,
        &format!("/reseau/annuaire/{id}"),
    )?;
    let text = match message(&f.message) {
        Ok(t) => t,
        Err(problems) => {
            let error = Errors::from_problems(&problems).get("message").to_string();
            return entry_page(&state, &viewer, id, f.message, error, false).await;
        }
    };
    let refused = match state
        .db
        .relay_contact(&acting(&viewer)?, id, &text, now())
        .await?
    {
        Ok(()) => {
            return Ok(Redirect::to(&format!("/reseau/annuaire/{id}?envoye=1")).into_response());
        }
        Err(r) => r,
    };
    let error = match refused {
        ContactRefusal::NotListed => return Err(PageError::NotFound),
        ContactRefusal::Yourself => "Vous ne pouvez pas vous écrire à vous-même.",
        ContactRefusal::Limit(ContactLimit::Recipient) => {
            "Vous avez déjà écrit deux fois à cette personne aujourd’hui : attendez sa réponse."
        }
        ContactRefusal::Limit(ContactLimit::Hour) => {
            "Vous avez envoyé beaucoup de messages cette heure-ci : réessayez plus tard."
        }
        ContactRefusal::Limit(ContactLimit::Day) => {
            "Vous avez atteint le nombre de messages permis aujourd’hui : réessayez demain."
        }
    };
    let mut response = entry_page(&state, &viewer, id, f.message, error.to_string(), false).await?;
    *response.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
    Ok(response)
}

#[derive(Default)]
struct ProfileForm {
    job: String,
    structure: String,
    commune: String,
    themes: Vec<String>,
    presentation: String,
}

#[derive(Template)]
#[template(path = "reseau/profil.html")]
struct ProfilePage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    form: ProfileForm,
    errors: Errors,
    structures: Vec<Choice>,
    themes: Vec<Choice>,
    listed: bool,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
struct ProfileNotices {
    ok: Option<String>,
    retrait: Option<String>,
}

fn profile_page(
    viewer: &Viewer,
    form: ProfileForm,
    errors: Errors,
    listed: bool,
    notice: Option<&'static str>,
) -> PageResult {
    let invalid = !errors.is_empty();
    let p = ProfilePage {
        chrome: Chrome::new(SECTION, viewer),
        crumbs: trail("Ma fiche dans l’annuaire"),
        structures: viewer
            .memberships
            .iter()
            .map(|m| Choice {
                selected: m.structure_id.to_string() == form.structure,
                value: m.structure_id.to_string(),
                label: m.structure_nom.clone(),
            })
            .collect(),
        themes: choices(Theme::ALL, Theme::code, Theme::label, &form.themes),
        form,
        errors,
        listed,
        notice,
    };
    Ok(page(&p, invalid))
}

async fn profile_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(n): Query<ProfileNotices>,
) -> PageResult {
    allow(&viewer, Action::TakePartInNetwork, "/reseau/profil")?;
    let mine = state.db.network_profile(acting(&viewer)?.person_id).await?;
    let form = match &mine {
        Some(e) => ProfileForm {
            job: e.job_title.clone(),
            structure: e.structure_id.map(|s| s.to_string()).unwrap_or_default(),
            commune: e.area.commune.clone().unwrap_or_default(),
            themes: e.themes.iter().map(|t| t.code().to_string()).collect(),
            presentation: e.presentation.clone().unwrap_or_default(),
        },
        None => ProfileForm {
            structure: viewer
                .memberships
                .first()
                .map(|m| m.structure_id.to_string())
                .unwrap_or_default(),
            ..ProfileForm::default()
        },
    };
    let notice = if n.ok.is_some() {
        Some("Votre fiche est enregistrée : elle apparaît dans l’annuaire.")
    } else if n.retrait.is_some() {
        Some("Votre fiche est supprimée : vous n’apparaissez plus dans l’annuaire.")
    } else {
        None
    };
    profile_page(&viewer, form, Errors::default(), mine.is_some(), notice)
}

async fn save_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    fields: axum::Form<Vec<(String, String)>>,
) -> PageResult {
    allow(&viewer, Action::TakePartInNetwork, "/reseau/profil")?;
    let who = acting(&viewer)?;
    let f = Fields(fields.0);
    let form = ProfileForm {
        job: f.one("poste"),
        structure: f.one("structure"),
        commune: f.one("commune"),
        themes: f.all("themes"),
        presentation: f.one("presentation"),
    };
    let mut errors = Errors::default();
    let commune = find_commune(&state, &form.commune, &mut errors).await?;
    let draft = ProfileDraft {
        job_title: form.job.clone(),
        structure_id: super::forms::id(&mut errors, "structure", &form.structure),
        commune,
        themes: form.themes.clone(),
        presentation: form.presentation.clone(),
    };
    let listed = state.db.network_profile(who.person_id).await?.is_some();
    let profile = match Profile::try_from(draft) {
        Ok(p) if errors.is_empty() => p,
        Ok(_) => return profile_page(&viewer, form, errors, listed, None),
        Err(problems) => {
            errors.extend(Errors::from_problems(&problems));
            return profile_page(&viewer, form, errors, listed, None);
        }
    };
    match state.db.save_network_profile(&who, &profile, now()).await? {
        Ok(()) => Ok(Redirect::to("/reseau/profil?ok=1").into_response()),
        Err(refusal) => {
            match refusal {
                ProfileRefusal::UnknownCommune(_) => errors.add(
                    "commune",
                    "Cette commune n’est pas dans le référentiel chargé.",
                ),
                ProfileRefusal::NotTheirStructure => {
                    errors.add("structure", "Choisissez une de vos structures.")
                }
            }
            profile_page(&viewer, form, errors, listed, None)
        }
    }
}

async fn withdraw_profile(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    allow(&viewer, Action::TakePartInNetwork, "/reseau/profil")?;
    state.db.withdraw_network_profile(&acting(&viewer)?).await?;
    Ok(Redirect::to("/reseau/profil?retrait=1").into_response())
}
