//! Networks: the list, creating one (coordinators), a network's page,
//! joining (at once, or on request), leaving, and what its animators do:
//! accept requests, name animators, remove someone.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use passerelle_accounts::policy::Action;
use passerelle_network::networks::{Network, NetworkDraft, is_member};
use passerelle_network::vocab::{Joining, NetworkRole};
use passerelle_store::network::{EventQuery, NetworkMember, NetworkView};
use serde::Deserialize;

use super::forms::Errors;
use super::views::{Choice, EventCard, choices};
use super::{SECTION, acting, allow, now, page, trail, trail2};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::pages::{Chrome, Crumb, render};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/reseau/reseaux", list),
        Route::post("/reseau/reseaux", create),
        Route::get("/reseau/reseaux/{id}", detail),
        Route::post("/reseau/reseaux/{id}/adhesion", join),
        Route::post("/reseau/reseaux/{id}/depart", leave),
        Route::post("/reseau/reseaux/{id}/membres/{person}", set_member),
    ]
}

fn standing(n: &NetworkView) -> &'static str {
    match n.mine {
        Some(NetworkRole::Animator) => "Vous l’animez",
        Some(NetworkRole::Member) => "Vous en êtes membre",
        Some(NetworkRole::Requested) => "Demande en attente",
        None => "",
    }
}

struct NetworkRow {
    id: i64,
    name: String,
    description: String,
    joining: &'static str,
    members: String,
    animators: String,
    standing: &'static str,
    open: bool,
}

fn network_row(n: &NetworkView) -> NetworkRow {
    NetworkRow {
        id: n.id,
        name: n.name.clone(),
        description: n.description.clone().unwrap_or_default(),
        joining: n.joining.label(),
        members: match n.members {
            1 => "1 membre".into(),
            m => format!("{} membres", crate::fr::integer(m)),
        },
        animators: n
            .animators
            .iter()
            .map(|(_, a)| a.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        standing: standing(n),
        open: n.joining == Joining::Open,
    }
}

#[derive(Default, Deserialize)]
struct NetworkForm {
    #[serde(default)]
    nom: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    adhesion: String,
}

#[derive(Template)]
#[template(path = "reseau/reseaux.html")]
struct ListPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    networks: Vec<NetworkRow>,
    can_create: bool,
    form: NetworkForm,
    errors: Errors,
    joinings: Vec<Choice>,
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    form: NetworkForm,
    errors: Errors,
) -> PageResult {
    allow(viewer, Action::ViewNetwork, "/reseau/reseaux")?;
    let networks = state.db.networks(viewer.person_id()).await?;
    let invalid = !errors.is_empty();
    let p = ListPage {
        chrome: Chrome::new(SECTION, viewer),
        crumbs: trail("Réseaux"),
        networks: networks.iter().map(network_row).collect(),
        can_create: viewer.authorize(Action::CreateNetwork).is_ok(),
        joinings: choices(
            Joining::ALL,
            Joining::code,
            Joining::label,
            std::slice::from_ref(&form.adhesion),
        ),
        form,
        errors,
    };
    Ok(page(&p, invalid))
}

async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let form = NetworkForm {
        adhesion: Joining::Open.code().into(),
        ..NetworkForm::default()
    };
    list_page(&state, &viewer, form, Errors::default()).await
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<NetworkForm>,
) -> PageResult {
    allow(&viewer, Action::CreateNetwork, "/reseau/reseaux")?;
    let draft = NetworkDraft {
        name: form.nom.clone(),
        description: form.description.clone(),
        joining: form.adhesion.clone(),
    };
    let network = match Network::try_from(draft) {
        Ok(n) => n,
        Err(problems) => {
            return list_page(&state, &viewer, form, Errors::from_problems(&problems)).await;
        }
    };
    let id = state
        .db
        .create_network(&acting(&viewer)?, &network, now())
        .await?;
    Ok(Redirect::to(&format!("/reseau/reseaux/{id}")).into_response())
}

struct MemberRow {
    id: i64,
    name: String,
    role: &'static str,
    since: String,
    requested: bool,
    animator: bool,
}

fn member_row(m: &NetworkMember) -> MemberRow {
    MemberRow {
        id: m.person_id,
        name: m.name.clone(),
        role: m.role.label(),
        since: crate::fr::day_of(m.since),
        requested: m.role == NetworkRole::Requested,
        animator: m.role == NetworkRole::Animator,
    }
}

#[derive(Template)]
#[template(path = "reseau/reseau.html")]
struct DetailPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    n: NetworkRow,
    member: bool,
    requested: bool,
    animate: bool,
    publish: bool,
    members: Vec<MemberRow>,
    events: Vec<EventCard>,
}

async fn detail(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    allow(
        &viewer,
        Action::ViewNetwork,
        &format!("/reseau/reseaux/{id}"),
    )?;
    let n = state
        .db
        .network(id, viewer.person_id())
        .await?
        .ok_or(PageError::NotFound)?;
    let r = state.db.network_ref(id).await?.ok_or(PageError::NotFound)?;
    let animate = viewer.authorize(Action::AnimateNetwork(&r)).is_ok();
    let members = if animate {
        state.db.network_members(id).await?
    } else {
        Vec::new()
    };
    let events = state
        .db
        .network_events(&EventQuery {
            upcoming_at: Some(now()),
            network: Some(id),
            ..EventQuery::default()
        })
        .await?;
    let events = super::events::visible(&state, &viewer, events).await?;
    Ok(render(&DetailPage {
        chrome: Chrome::new(SECTION, &viewer),
        crumbs: trail2(("Réseaux", "/reseau/reseaux"), &n.name),
        member: n.mine.is_some_and(is_member),
        requested: n.mine == Some(NetworkRole::Requested),
        animate,
        publish: viewer.authorize(Action::PublishEvent(Some(&r))).is_ok(),
        members: members.iter().map(member_row).collect(),
        events: events.iter().map(EventCard::of).collect(),
        n: network_row(&n),
    }))
}

async fn join(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    allow(
        &viewer,
        Action::TakePartInNetwork,
        &format!("/reseau/reseaux/{id}"),
    )?;
    state
        .db
        .join_network(&acting(&viewer)?, id, now())
        .await?
        .map_err(|_| PageError::NotFound)?;
    Ok(Redirect::to(&format!("/reseau/reseaux/{id}")).into_response())
}

async fn leave(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    allow(
        &viewer,
        Action::TakePartInNetwork,
        &format!("/reseau/reseaux/{id}"),
    )?;
    state.db.leave_network(&acting(&viewer)?, id).await?;
    Ok(Redirect::to(&format!("/reseau/reseaux/{id}")).into_response())
}

#[derive(Deserialize)]
struct RoleForm {
    role: String,
}

async fn set_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, person)): Path<(i64, i64)>,
    axum::Form(f): axum::Form<RoleForm>,
) -> PageResult {
    let r = state.db.network_ref(id).await?.ok_or(PageError::NotFound)?;
    allow(
        &viewer,
        Action::AnimateNetwork(&r),
        &format!("/reseau/reseaux/{id}"),
    )?;
    let role = match f.role.as_str() {
        "retirer" => None,
        code => Some(NetworkRole::parse(code).ok_or(PageError::BadForm)?),
    };
    if !state
        .db
        .set_network_member(&acting(&viewer)?, id, person, role)
        .await?
    {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to(&format!("/reseau/reseaux/{id}")).into_response())
}
