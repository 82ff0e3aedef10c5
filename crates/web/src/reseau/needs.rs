//! Training needs: a professional says what they would like to be
//! trained in; coordinators see them counted (`figures`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use passerelle_accounts::policy::Action;
use passerelle_network::needs::{MAX_PER_PERSON, NeedDraft, TrainingNeed};
use passerelle_network::vocab::{NeedLevel, Theme};
use serde::Deserialize;

use super::forms::Errors;
use super::views::{self, Choice, choices};
use super::{
    SECTION, TerritoryGroup, acting, allow, now, page, parse_territory, territory_groups, trail,
};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::PageResult;
use crate::pages::{Chrome, Crumb};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/reseau/besoins", needs_page),
        Route::post("/reseau/besoins", add),
        Route::post("/reseau/besoins/{id}/suppression", remove),
    ]
}

struct NeedRow {
    id: i64,
    theme: &'static str,
    level: &'static str,
    place: String,
    since: String,
}

#[derive(Default, Deserialize)]
struct NeedForm {
    #[serde(default)]
    theme: String,
    #[serde(default)]
    niveau: String,
    #[serde(default)]
    territoire: String,
}

#[derive(Template)]
#[template(path = "reseau/besoins.html")]
struct NeedsPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    needs: Vec<NeedRow>,
    errors: Errors,
    themes: Vec<Choice>,
    levels: Vec<Choice>,
    territories: Vec<TerritoryGroup>,
    full: bool,
    notice: bool,
}

#[derive(Deserialize, Default)]
struct Notices {
    ok: Option<String>,
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    form: NeedForm,
    errors: Errors,
    notice: bool,
) -> PageResult {
    allow(viewer, Action::TakePartInNetwork, "/reseau/besoins")?;
    let mine = state
        .db
        .training_needs_of(acting(viewer)?.person_id)
        .await?;
    let invalid = !errors.is_empty();
    let p = NeedsPage {
        chrome: Chrome::new(SECTION, viewer),
        crumbs: trail("Mes besoins de formation"),
        full: mine.len() >= MAX_PER_PERSON,
        needs: mine
            .iter()
            .map(|n| NeedRow {
                id: n.id,
                theme: n.theme.label(),
                level: n.level.label(),
                place: views::area(&n.area, ""),
                since: crate::fr::day_of(n.created_at),
            })
            .collect(),
        themes: choices(
            Theme::ALL,
            Theme::code,
            Theme::label,
            std::slice::from_ref(&form.theme),
        ),
        levels: choices(
            NeedLevel::ALL,
            NeedLevel::code,
            NeedLevel::label,
            std::slice::from_ref(&form.niveau),
        ),
        territories: territory_groups(state, &form.territoire).await?,
        errors,
        notice,
    };
    Ok(page(&p, invalid))
}

async fn needs_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(n): Query<Notices>,
) -> PageResult {
    show(
        &state,
        &viewer,
        NeedForm::default(),
        Errors::default(),
        n.ok.is_some(),
    )
    .await
}

async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<NeedForm>,
) -> PageResult {
    allow(&viewer, Action::TakePartInNetwork, "/reseau/besoins")?;
    let draft = NeedDraft {
        theme: form.theme.clone(),
        level: form.niveau.clone(),
        territory: parse_territory(&form.territoire),
    };
    let need = match TrainingNeed::try_from(draft) {
        Ok(n) => n,
        Err(problems) => {
            return show(
                &state,
                &viewer,
                form,
                Errors::from_problems(&problems),
                false,
            )
            .await;
        }
    };
    if !state
        .db
        .add_training_need(&acting(&viewer)?, &need, now())
        .await?
    {
        let mut errors = Errors::default();
        errors.add(
            "territoire",
            format!("Ce territoire n’est pas dans le référentiel, ou vous avez déjà {MAX_PER_PERSON} besoins : retirez-en un."),
        );
        return show(&state, &viewer, form, errors, false).await;
    }
    Ok(Redirect::to("/reseau/besoins?ok=1").into_response())
}

async fn remove(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    allow(&viewer, Action::TakePartInNetwork, "/reseau/besoins")?;
    state.db.remove_training_need(&acting(&viewer)?, id).await?;
    Ok(Redirect::to("/reseau/besoins").into_response())
}
