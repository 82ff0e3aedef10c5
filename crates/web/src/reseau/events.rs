//! Events: the list (by territory, theme, network), publishing, the
//! event's page (registering, withdrawing, the waiting list), the
//! organiser's tools (seats, cancellation, attendance, attendee list in
//! CSV and XLSX) and the iCalendar feeds.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use passerelle_accounts::policy::{Action, Actor, EventRef};
use passerelle_network::calendar::{FeedEvent, feed};
use passerelle_network::events::{Event, EventDraft, Refused, VenueKind, attendance_open};
use passerelle_network::vocab::{Audience, EventKind, RegistrationStatus, Theme};
use passerelle_store::accounts::MembershipView;
use passerelle_store::network::{EventQuery, EventView, Registration, VenueView};
use serde::Deserialize;

use super::forms::{self, Errors, Fields};
use super::views::{self, Choice, EventCard, choices};
use super::{
    SECTION, TerritoryGroup, acting, allow, now, page, parse_territory, territory_groups, trail,
    trail2,
};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::export::{Table, csv, xlsx};
use crate::pages::{Chrome, Crumb, render};
use crate::routes::Route;

/// The most attendees an export lists.
pub const ATTENDEES_LIMIT: usize = 10_000;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/reseau/evenements", list),
        Route::post("/reseau/evenements", publish),
        Route::get("/reseau/evenements/nouveau", new_form),
        Route::get("/reseau/evenements/{id}", detail),
        Route::post("/reseau/evenements/{id}/inscription", register),
        Route::post("/reseau/evenements/{id}/desinscription", withdraw),
        Route::post("/reseau/evenements/{id}/annulation", cancel),
        Route::post("/reseau/evenements/{id}/capacite", capacity),
        Route::get("/reseau/evenements/{id}/presences", attendance_form),
        Route::post("/reseau/evenements/{id}/presences", attendance),
        Route::get("/reseau/evenements/{id}/participants.csv", attendees_csv),
        Route::get("/reseau/evenements/{id}/participants.xlsx", attendees_xlsx),
        Route::get("/reseau/agenda", calendar_page),
        Route::post("/reseau/agenda", renew_calendar),
        Route::get("/reseau/agenda/{token}/inscriptions", my_feed),
        Route::get("/reseau/agenda/{token}/reseaux/{id}", network_feed),
    ]
}

/// The events of `list` the viewer may see.
pub(super) async fn visible(
    state: &AppState,
    viewer: &Viewer,
    list: Vec<EventView>,
) -> Result<Vec<EventView>, PageError> {
    visible_to(state, &viewer.actor, list).await
}

async fn visible_to(
    state: &AppState,
    actor: &Actor,
    list: Vec<EventView>,
) -> Result<Vec<EventView>, PageError> {
    let mut out = Vec::new();
    for e in list {
        let r = policy_ref(state, &e).await?;
        if passerelle_accounts::policy::authorize(actor, Action::ViewEvent(&r)).is_ok() {
            out.push(e);
        }
    }
    Ok(out)
}

async fn policy_ref(state: &AppState, e: &EventView) -> Result<EventRef, PageError> {
    let network = match &e.network {
        Some((id, _)) => state.db.network_ref(*id).await?,
        None => None,
    };
    Ok(e.policy(network))
}

/// The event and what the policy needs of it; 404 when there is none.
async fn load(state: &AppState, id: i64) -> Result<(EventView, EventRef), PageError> {
    let e = state
        .db
        .network_event(id)
        .await?
        .ok_or(PageError::NotFound)?;
    let r = policy_ref(state, &e).await?;
    Ok((e, r))
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    territoire: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    passes: Option<String>,
}

#[derive(Template)]
#[template(path = "reseau/evenements.html")]
struct ListPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    events: Vec<EventCard>,
    past: bool,
    territories: Vec<TerritoryGroup>,
    themes: Vec<Choice>,
    can_publish: bool,
    professional: bool,
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(f): Query<Filters>,
) -> PageResult {
    let past = f.passes.is_some();
    let query = EventQuery {
        upcoming_at: (!past).then(now),
        over_at: past.then(now),
        territory: parse_territory(&f.territoire),
        theme: Theme::parse(&f.theme),
        ..EventQuery::default()
    };
    let events = visible(&state, &viewer, state.db.network_events(&query).await?).await?;
    Ok(render(&ListPage {
        chrome: Chrome::new(SECTION, &viewer),
        crumbs: trail("Événements"),
        events: events.iter().map(EventCard::of).collect(),
        past,
        territories: territory_groups(&state, &f.territoire).await?,
        themes: choices(
            Theme::ALL,
            Theme::code,
            Theme::label,
            std::slice::from_ref(&f.theme),
        ),
        can_publish: can_publish(&state, &viewer).await?,
        professional: viewer.authorize(Action::ViewNetwork).is_ok(),
    }))
}

/// Networks the viewer may publish for (all for coordinators), and
/// whether they may publish at all.
async fn publishable(
    state: &AppState,
    viewer: &Viewer,
) -> Result<(bool, Vec<(i64, String)>), PageError> {
    let mut networks = Vec::new();
    for n in state.db.networks(viewer.person_id()).await? {
        if let Some(r) = state.db.network_ref(n.id).await?
            && viewer.authorize(Action::PublishEvent(Some(&r))).is_ok()
        {
            networks.push((n.id, n.name));
        }
    }
    let any = viewer.authorize(Action::PublishEvent(None)).is_ok() || !networks.is_empty();
    Ok((any, networks))
}

async fn can_publish(state: &AppState, viewer: &Viewer) -> Result<bool, PageError> {
    Ok(viewer.person_id().is_some() && publishable(state, viewer).await?.0)
}

/// The event form as typed.
#[derive(Default)]
struct EventForm {
    kind: String,
    title: String,
    description: String,
    themes: Vec<String>,
    day: String,
    starts: String,
    ends: String,
    venue: String,
    place: String,
    address: String,
    commune: String,
    link: String,
    audience: String,
    network: String,
    capacity: String,
    deadline: String,
}

impl From<&Fields> for EventForm {
    fn from(f: &Fields) -> Self {
        Self {
            kind: f.one("type"),
            title: f.one("titre"),
            description: f.one("description"),
            themes: f.all("themes"),
            day: f.one("date"),
            starts: f.one("debut"),
            ends: f.one("fin"),
            venue: f.one("ou"),
            place: f.one("lieu"),
            address: f.one("adresse"),
            commune: f.one("commune"),
            link: f.one("lien"),
            audience: f.one("public"),
            network: f.one("reseau"),
            capacity: f.one("capacite"),
            deadline: f.one("date_limite"),
        }
    }
}

#[derive(Template)]
#[template(path = "reseau/evenement_nouveau.html")]
struct NewPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    form: EventForm,
    errors: Errors,
    kinds: Vec<Choice>,
    themes: Vec<Choice>,
    venues: Vec<Choice>,
    audiences: Vec<Choice>,
    places: Vec<Choice>,
    networks: Vec<Choice>,
}

async fn new_page(
    state: &AppState,
    viewer: &Viewer,
    form: EventForm,
    errors: Errors,
) -> PageResult {
    let (any, networks) = publishable(state, viewer).await?;
    if !any {
        allow(
            viewer,
            Action::PublishEvent(None),
            "/reseau/evenements/nouveau",
        )?;
    }
    let places = super::directory::own_places(state, viewer).await?;
    let invalid = !errors.is_empty();
    let pick = |list: Vec<(i64, String)>, chosen: &str| -> Vec<Choice> {
        list.into_iter()
            .map(|(id, label)| Choice {
                selected: id.to_string() == chosen,
                value: id.to_string(),
                label,
            })
            .collect()
    };
    let venues = VenueKind::ALL
        .into_iter()
        .filter(|k| *k != VenueKind::Place || !places.is_empty())
        .map(|k| Choice {
            value: k.code().into(),
            label: k.label().into(),
            selected: form.venue == k.code() || (form.venue.is_empty() && k == VenueKind::Address),
        })
        .collect();
    let page_ = NewPage {
        chrome: Chrome::new(SECTION, viewer),
        crumbs: trail2(("Événements", "/reseau/evenements"), "Publier un événement"),
        kinds: choices(
            EventKind::ALL,
            EventKind::code,
            EventKind::label,
            std::slice::from_ref(&form.kind),
        ),
        themes: choices(Theme::ALL, Theme::code, Theme::label, &form.themes),
        venues,
        audiences: choices(
            Audience::ALL,
            Audience::code,
            Audience::label,
            std::slice::from_ref(&form.audience),
        ),
        places: pick(places, &form.place),
        networks: pick(networks, &form.network),
        form,
        errors,
    };
    Ok(page(&page_, invalid))
}

async fn new_form(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    allow(&viewer, Action::ViewNetwork, "/reseau/evenements/nouveau")?;
    let form = EventForm {
        audience: Audience::Professionals.code().into(),
        starts: "14:00".into(),
        ends: "17:00".into(),
        ..EventForm::default()
    };
    new_page(&state, &viewer, form, Errors::default()).await
}

/// Reads the form into a draft; what cannot be read goes to `errors`.
async fn draft(
    state: &AppState,
    form: &EventForm,
    errors: &mut Errors,
) -> Result<EventDraft, PageError> {
    let commune = if form.venue == VenueKind::Address.code() {
        super::find_commune(state, &form.commune, errors).await?
    } else {
        None
    };
    Ok(EventDraft {
        kind: form.kind.clone(),
        title: form.title.clone(),
        description: form.description.clone(),
        themes: form.themes.clone(),
        day: forms::date(errors, "date", &form.day),
        starts: forms::time(errors, "debut", &form.starts),
        ends: forms::time(errors, "fin", &form.ends),
        venue: form.venue.clone(),
        place: forms::id(errors, "lieu", &form.place),
        address: form.address.clone(),
        commune,
        link: form.link.clone(),
        audience: form.audience.clone(),
        network_id: forms::id(errors, "reseau", &form.network),
        capacity: forms::number(errors, "capacite", &form.capacity),
        deadline: forms::date(errors, "date_limite", &form.deadline),
    })
}

async fn publish(
    State(state): State<AppState>,
    viewer: Viewer,
    fields: axum::Form<Vec<(String, String)>>,
) -> PageResult {
    allow(&viewer, Action::ViewNetwork, "/reseau/evenements/nouveau")?;
    let form = EventForm::from(&Fields(fields.0));
    let mut errors = Errors::default();
    let d = draft(&state, &form, &mut errors).await?;
    let network = match d.network_id {
        Some(id) => Some(state.db.network_ref(id).await?.ok_or(PageError::NotFound)?),
        None => None,
    };
    allow(
        &viewer,
        Action::PublishEvent(network.as_ref()),
        "/reseau/evenements/nouveau",
    )?;
    let event = match Event::check(d, now()) {
        Ok(e) if errors.is_empty() => e,
        Ok(_) => return new_page(&state, &viewer, form, errors).await,
        Err(problems) => {
            errors.extend(Errors::from_problems(&problems));
            return new_page(&state, &viewer, form, errors).await;
        }
    };
    let id = match state
        .db
        .publish_event(&acting(&viewer)?, &event, now())
        .await?
    {
        Ok(id) => id,
        Err(refusal) => {
            use passerelle_store::network::EventRefusal as R;
            match refusal {
                R::UnknownPlace => errors.add(
                    "lieu",
                    "Ce lieu n’est plus dans l’annuaire : choisissez-en un autre.",
                ),
                R::UnknownCommune(_) => errors.add(
                    "commune",
                    "Cette commune n’est pas dans le référentiel chargé.",
                ),
                R::UnknownNetwork => errors.add("reseau", "Ce réseau n’existe plus."),
            }
            return new_page(&state, &viewer, form, errors).await;
        }
    };
    Ok(Redirect::to(&format!("/reseau/evenements/{id}?publie=1")).into_response())
}

#[derive(Deserialize, Default)]
struct Notices {
    publie: Option<String>,
    inscrit: Option<String>,
    retire: Option<String>,
    presences: Option<String>,
    erreur: Option<String>,
}

#[derive(Template)]
#[template(path = "reseau/evenement.html")]
struct DetailPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    e: EventCard,
    description: Option<String>,
    themes: String,
    organiser: String,
    closes: String,
    link: Option<String>,
    mine: Option<Registration>,
    /// Registered or waiting (not withdrawn).
    holding: bool,
    may_register: bool,
    sign_in: bool,
    open: bool,
    manage: bool,
    attendance_open: bool,
    capacity: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(n): Query<Notices>,
) -> PageResult {
    let (e, r) = load(&state, id).await?;
    let path = format!("/reseau/evenements/{id}");
    allow(&viewer, Action::ViewEvent(&r), &path)?;
    let mine = match viewer.person_id() {
        Some(p) => state.db.registration(id, p).await?,
        None => None,
    };
    let registered = mine
        .as_ref()
        .is_some_and(|m| m.status == RegistrationStatus::Registered);
    let holding = mine
        .as_ref()
        .is_some_and(|m| m.status != RegistrationStatus::Cancelled);
    let now = now();
    let open = passerelle_network::events::register(e.seats(), now).is_ok();
    let notice = notice_of(&n, &mine);
    Ok(render(&DetailPage {
        chrome: Chrome::new(SECTION, &viewer),
        crumbs: trail2(("Événements", "/reseau/evenements"), &e.title),
        description: e.description.clone(),
        themes: views::themes(&e.themes),
        organiser: e
            .organiser
            .clone()
            .unwrap_or_else(|| "compte supprimé".into()),
        closes: crate::fr::date_time(e.closes_at),
        link: match &e.venue {
            VenueView::Online { link } if registered => link.clone(),
            _ => None,
        },
        holding,
        may_register: viewer.authorize(Action::RegisterForEvent(&r)).is_ok(),
        sign_in: viewer.person_id().is_none(),
        open,
        manage: viewer.authorize(Action::ManageEvent(&r)).is_ok(),
        attendance_open: attendance_open(e.starts_at, now),
        capacity: e.capacity.map(|c| c.to_string()).unwrap_or_default(),
        error: n.erreur.as_deref().map(refusal_text).map(str::to_string),
        mine,
        notice,
        e: EventCard::of(&e),
    }))
}

fn notice_of(n: &Notices, mine: &Option<Registration>) -> Option<String> {
    if n.publie.is_some() {
        Some("Événement publié.".into())
    } else if n.retire.is_some() {
        Some("Vous êtes désinscrit·e. Si une liste d’attente existait, la personne suivante a reçu votre place.".into())
    } else if n.presences.is_some() {
        Some("Présences enregistrées.".into())
    } else if n.inscrit.is_some() {
        mine.as_ref().map(|m| match (m.status, m.position) {
            (RegistrationStatus::Waiting, Some(p)) => format!(
                "L’événement est complet : vous êtes sur la liste d’attente, en position {p}. Vous serez prévenu·e par courriel si une place se libère."
            ),
            _ => "Vous êtes inscrit·e. Un rappel vous sera envoyé la veille.".to_string(),
        })
    } else {
        None
    }
}

fn refusal_code(r: Refused) -> &'static str {
    match r {
        Refused::EventCancelled => "annule",
        Refused::Closed => "clos",
        Refused::Started => "commence",
        Refused::AlreadyIn => "deja",
        Refused::NotIn => "absent",
    }
}

fn refusal_text(code: &str) -> &'static str {
    match code {
        "annule" => "Cet événement est annulé.",
        "clos" => "Les inscriptions sont closes.",
        "commence" => {
            "L’événement a commencé : il n’est plus possible de s’inscrire ou de se désinscrire."
        }
        "deja" => "Vous êtes déjà inscrit·e (ou sur la liste d’attente).",
        "absent" => "Vous n’étiez pas inscrit·e.",
        "capacite" => "Le nombre de places ne peut pas être inférieur au nombre d’inscrits.",
        _ => "L’action n’a pas pu être faite.",
    }
}

async fn register(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    let (_, r) = load(&state, id).await?;
    let path = format!("/reseau/evenements/{id}");
    allow(&viewer, Action::RegisterForEvent(&r), &path)?;
    let to = match state
        .db
        .register_for_event(&acting(&viewer)?, id, now())
        .await?
    {
        Ok(_) => format!("{path}?inscrit=1"),
        Err(refused) => format!("{path}?erreur={}", refusal_code(refused)),
    };
    Ok(Redirect::to(&to).into_response())
}

async fn withdraw(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    let (_, r) = load(&state, id).await?;
    let path = format!("/reseau/evenements/{id}");
    allow(&viewer, Action::RegisterForEvent(&r), &path)?;
    let to = match state
        .db
        .withdraw_from_event(&acting(&viewer)?, id, now())
        .await?
    {
        Ok(_) => format!("{path}?retire=1"),
        Err(refused) => format!("{path}?erreur={}", refusal_code(refused)),
    };
    Ok(Redirect::to(&to).into_response())
}

/// Loads an event its viewer manages.
async fn managed(state: &AppState, viewer: &Viewer, id: i64) -> Result<EventView, PageError> {
    let (e, r) = load(state, id).await?;
    allow(
        viewer,
        Action::ManageEvent(&r),
        &format!("/reseau/evenements/{id}"),
    )?;
    Ok(e)
}

async fn cancel(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    managed(&state, &viewer, id).await?;
    state.db.cancel_event(&acting(&viewer)?, id, now()).await?;
    Ok(Redirect::to(&format!("/reseau/evenements/{id}")).into_response())
}

#[derive(Deserialize)]
struct CapacityForm {
    #[serde(default)]
    capacite: String,
}

async fn capacity(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CapacityForm>,
) -> PageResult {
    managed(&state, &viewer, id).await?;
    let path = format!("/reseau/evenements/{id}");
    let mut errors = Errors::default();
    let wanted = forms::number(&mut errors, "capacite", &f.capacite);
    let capacity = match wanted {
        None if errors.is_empty() => None,
        Some(n) if (1..=passerelle_network::events::CAPACITY_MAX).contains(&n) => Some(n as u32),
        _ => return Ok(Redirect::to(&format!("{path}?erreur=capacite")).into_response()),
    };
    let to = match state
        .db
        .set_event_capacity(&acting(&viewer)?, id, capacity, now())
        .await?
    {
        Ok(_) => path,
        Err(_) => format!("{path}?erreur=capacite"),
    };
    Ok(Redirect::to(&to).into_response())
}

struct AttendeeRow {
    id: i64,
    name: String,
    structure: String,
    status: &'static str,
    asked: String,
    present: bool,
    seated: bool,
}

#[derive(Template)]
#[template(path = "reseau/presences.html")]
struct AttendancePage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    e: EventCard,
    rows: Vec<AttendeeRow>,
    open: bool,
}

async fn attendee_rows(state: &AppState, id: i64) -> Result<Vec<AttendeeRow>, PageError> {
    Ok(state
        .db
        .attendees(id)
        .await?
        .into_iter()
        .map(|a| AttendeeRow {
            id: a.registration_id,
            name: a.name.unwrap_or_else(|| "Compte supprimé".into()),
            structure: a.structure.unwrap_or_default(),
            status: match (a.status, a.attended) {
                (RegistrationStatus::Registered, Some(true)) => "Présent·e",
                (RegistrationStatus::Registered, Some(false)) => "Absent·e",
                (s, _) => s.label(),
            },
            asked: crate::fr::date_time(a.asked_at),
            present: a.attended == Some(true),
            seated: a.status == RegistrationStatus::Registered,
        })
        .collect())
}

async fn attendance_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    let e = managed(&state, &viewer, id).await?;
    Ok(render(&AttendancePage {
        chrome: Chrome::new(SECTION, &viewer),
        crumbs: trail2(("Événements", "/reseau/evenements"), "Présences"),
        rows: attendee_rows(&state, id).await?,
        open: attendance_open(e.starts_at, now()),
        e: EventCard::of(&e),
    }))
}

async fn attendance(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    fields: axum::Form<Vec<(String, String)>>,
) -> PageResult {
    let e = managed(&state, &viewer, id).await?;
    if !attendance_open(e.starts_at, now()) {
        return Err(PageError::refused(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "Les présences se prennent à partir du jour de l’événement.",
            &format!("/reseau/evenements/{id}"),
        ));
    }
    let present: Vec<i64> = Fields(fields.0)
        .all("present")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    state
        .db
        .take_attendance(&acting(&viewer)?, id, &present)
        .await?;
    Ok(Redirect::to(&format!("/reseau/evenements/{id}?presences=1")).into_response())
}

async fn attendee_table(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
) -> Result<(EventView, Table), PageError> {
    let e = managed(state, viewer, id).await?;
    let rows = attendee_rows(state, id).await?;
    let table = Table {
        title: "Participants".into(),
        headers: vec!["Nom", "Structure", "Situation", "Demande le"],
        rows: rows
            .into_iter()
            .take(ATTENDEES_LIMIT)
            .map(|r| vec![r.name, r.structure, r.status.to_string(), r.asked])
            .collect(),
    };
    Ok((e, table))
}

async fn attendees_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    let (_, table) = attendee_table(&state, &viewer, id).await?;
    Ok(csv(&format!("participants-{id}.csv"), &[table]))
}

async fn attendees_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    let (e, table) = attendee_table(&state, &viewer, id).await?;
    let about = [
        ("Événement", e.title.clone()),
        ("Date", views::when(&e)),
        ("Lieu", views::venue(&e)),
        ("Inscrits", views::seats(&e)),
    ];
    Ok(xlsx(
        &format!("participants-{id}.xlsx"),
        "Liste des participants",
        &about,
        &[table],
    ))
}

// ----- calendar feeds ------------------------------------------------------

#[derive(Template)]
#[template(path = "reseau/agenda.html")]
struct CalendarPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    since: Option<String>,
    links: Vec<(String, String)>,
}

async fn calendar_page(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    allow(&viewer, Action::TakePartInNetwork, "/reseau/agenda")?;
    let since = state
        .db
        .calendar_token_since(acting(&viewer)?.person_id)
        .await?;
    Ok(render(&CalendarPage {
        chrome: Chrome::new(SECTION, &viewer),
        crumbs: trail("Mon agenda"),
        since: since.map(crate::fr::date_time),
        links: Vec::new(),
    }))
}

/// A new link, shown once (only its hash is kept).
async fn renew_calendar(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    allow(&viewer, Action::TakePartInNetwork, "/reseau/agenda")?;
    let who = acting(&viewer)?;
    let secret = state.db.renew_calendar_token(&who, now()).await?;
    let base = format!("{}/reseau/agenda/{secret}", state.config.public_url);
    let mut links = vec![(
        "Mes inscriptions".to_string(),
        format!("{base}/inscriptions"),
    )];
    for n in state.db.networks(Some(who.person_id)).await? {
        if n.mine.is_some_and(passerelle_network::networks::is_member) {
            links.push((
                format!("Réseau « {} »", n.name),
                format!("{base}/reseaux/{}", n.id),
            ));
        }
    }
    Ok(render(&CalendarPage {
        chrome: Chrome::new(SECTION, &viewer),
        crumbs: trail("Mon agenda"),
        since: Some(crate::fr::date_time(now())),
        links,
    }))
}

/// The actor a calendar link stands for; 404 for an unknown link.
async fn feed_actor(state: &AppState, token: &str) -> Result<(i64, Actor), PageError> {
    if !passerelle_accounts::secret::looks_like_secret(token) {
        return Err(PageError::NotFound);
    }
    let person = state
        .db
        .calendar_person(token)
        .await?
        .ok_or(PageError::NotFound)?;
    let memberships = state.db.memberships_of(person).await?;
    let actor = Actor::Person {
        person_id: person,
        memberships: memberships.iter().map(MembershipView::policy).collect(),
    };
    Ok((person, actor))
}

fn ics(state: &AppState, name: &str, file: &str, events: &[EventView]) -> Response {
    let host = state
        .config
        .public_url
        .split_once("://")
        .map_or(state.config.public_url.as_str(), |(_, h)| h);
    let items: Vec<FeedEvent> = events
        .iter()
        .map(|e| FeedEvent {
            uid: format!("evenement-{}@{host}", e.id),
            title: e.title.clone(),
            description: e.description.clone(),
            starts_at: e.starts_at,
            ends_at: e.ends_at,
            location: Some(views::venue(e)),
            url: format!("{}/reseau/evenements/{}", state.config.public_url, e.id),
            cancelled: e.cancelled_at.is_some(),
            updated_at: e.updated_at,
            sequence: u32::try_from(e.sequence).unwrap_or(0),
            categories: vec![e.kind.label().to_string()],
        })
        .collect();
    (
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{file}\""),
            ),
            (header::CACHE_CONTROL, "private, max-age=300".to_string()),
        ],
        feed(name, &items, now()),
    )
        .into_response()
}

/// Events of the last three months and to come.
fn recent() -> Option<chrono::DateTime<chrono::Utc>> {
    Some(now() - Duration::days(90))
}

async fn my_feed(State(state): State<AppState>, Path(token): Path<String>) -> PageResult {
    let (person, actor) = feed_actor(&state, &token).await?;
    let events = state
        .db
        .network_events(&EventQuery {
            upcoming_at: recent(),
            attendee: Some(person),
            ..EventQuery::default()
        })
        .await?;
    let events = visible_to(&state, &actor, events).await?;
    Ok(ics(
        &state,
        "Mes inscriptions — Passerelle",
        "inscriptions.ics",
        &events,
    ))
}

async fn network_feed(
    State(state): State<AppState>,
    Path((token, id)): Path<(String, i64)>,
) -> PageResult {
    let (_, actor) = feed_actor(&state, &token).await?;
    let network = state
        .db
        .network(id, None)
        .await?
        .ok_or(PageError::NotFound)?;
    let events = state
        .db
        .network_events(&EventQuery {
            upcoming_at: recent(),
            network: Some(id),
            ..EventQuery::default()
        })
        .await?;
    let events = visible_to(&state, &actor, events).await?;
    Ok(ics(
        &state,
        &format!("{} — Passerelle", network.name),
        &format!("reseau-{id}.ics"),
        &events,
    ))
}
