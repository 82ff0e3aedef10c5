//! Referrals: the lists of a structure, the new referral, a referral's
//! page with the steps the lifecycle allows, the steps themselves, the
//! accompaniment linked from Activités, the right of access (JSON) and
//! the right to erasure.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use chrono::Utc;
use passerelle_accounts::policy::{Action, Denial, ReferralRef};
use passerelle_referrals::lifecycle::{Side, Step};
use passerelle_referrals::model::{
    CONTACT_CHANNELS, ConsentWay, REFUSAL_REASONS, URGENCIES, Urgency, label_of,
};
use passerelle_store::referrals::{Actor, Parties, PersonalFields, Referral, StepError};
use serde::Deserialize;

use super::forms::{Asked, EraseForm, FieldErrors, LinkForm, ReferralForm, StepForm};
use super::views::{Confirm, EventView, LineView, NextSteps};
use super::{done, erase_for_viewer, person, reading_structure, working_ids};
use crate::AppState;
use crate::auth::{Viewer, from_another_site};
use crate::error::{PageError, PageResult};
use crate::notice::Notice;
use crate::pages::{Chrome, Crumb, crumbs, render};

#[derive(Template)]
#[template(path = "orientations/liste.html")]
struct ListPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    received: Vec<LineView>,
    sent: Vec<LineView>,
    can_send: bool,
    can_see_stats: bool,
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    if viewer.person_id().is_none() {
        return Err(PageError::denied(Denial::SignInRequired, "/orientations"));
    }
    let mine = working_ids(&viewer);
    let received = state.db.referral_lines(&mine, false).await?;
    let sent = state.db.referral_lines(&mine, true).await?;
    Ok(render(&ListPage {
        chrome: Chrome::new("/orientations", &viewer),
        crumbs: crumbs(&[], "Orientations"),
        received: received.into_iter().map(LineView::from).collect(),
        sent: sent.into_iter().map(LineView::from).collect(),
        can_send: viewer.authorize(Action::SendReferral).is_ok(),
        can_see_stats: viewer.authorize(Action::ViewReferralStats).is_ok(),
    }))
}

/// A place that can receive a referral (its pivot SIRET is a
/// structure's): its id, "name (commune)", and that structure.
type Receivable = (i64, String, i64);

/// Places that can receive a referral, by name.
async fn receivable_places(state: &AppState) -> Result<Vec<Receivable>, PageError> {
    let sirets = state.db.structure_sirets().await?;
    let index = state.place_index().await?;
    let mut places: Vec<Receivable> = index
        .entries
        .iter()
        .filter_map(|e| {
            sirets
                .get(&e.place.pivot)
                .map(|s| (e.id, format!("{} ({})", e.place.nom, e.place.commune), *s))
        })
        .collect();
    places.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(places)
}

/// Structures with members: a referral can go to one directly.
async fn receivable_structures(state: &AppState) -> Result<Vec<(i64, String)>, PageError> {
    Ok(state
        .db
        .search_structures("", 2000)
        .await?
        .into_iter()
        .filter(|s| s.members > 0)
        .map(|s| {
            let label = match &s.commune_nom {
                Some(c) => format!("{} ({c})", s.nom),
                None => s.nom.clone(),
            };
            (s.id, label)
        })
        .collect())
}

#[derive(Template)]
#[template(path = "orientations/nouvelle.html")]
struct NewPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    errors: FieldErrors,
    f: ReferralForm,
    key: String,
    places: Vec<Receivable>,
    /// Structures with people to receive it, when no place fits.
    structures: Vec<(i64, String)>,
    services: &'static [&'static str],
    organisations: &'static [&'static str],
    channels: &'static [(&'static str, &'static str)],
    consent_ways: [(&'static str, &'static str); 4],
    urgencies: &'static [(&'static str, &'static str)],
}

impl NewPage {
    fn error(&self, field: &str) -> &str {
        self.errors.get(field)
    }
}

async fn new_page(
    state: &AppState,
    viewer: &Viewer,
    f: ReferralForm,
    errors: FieldErrors,
) -> PageResult {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = NewPage {
        chrome: Chrome::new("/orientations", viewer),
        crumbs: crumbs(&[("Orientations", "/orientations")], "Nouvelle orientation"),
        errors,
        key: f
            .key()
            .unwrap_or_else(passerelle_accounts::secret::new_secret),
        f,
        places: receivable_places(state).await?,
        structures: receivable_structures(state).await?,
        services: passerelle_places::vocab::SERVICES,
        organisations: &passerelle_activities::vocab::ORGANISATIONS,
        channels: &CONTACT_CHANNELS,
        consent_ways: ConsentWay::ALL.map(|w| (w.code(), w.label())),
        urgencies: &URGENCIES,
    };
    Ok((status, render(&page)).into_response())
}

/// `?lieu=<id>`: the place chosen from its page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    lieu: String,
}

pub async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    query: Result<Query<NewQuery>, QueryRejection>,
) -> PageResult {
    viewer
        .authorize(Action::SendReferral)
        .map_err(|d| PageError::denied(d, "/orientations/nouvelle"))?;
    let place = query.map(|Query(q)| q.lieu).unwrap_or_default();
    new_page(
        &state,
        &viewer,
        ReferralForm::blank(place),
        FieldErrors::default(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<axum::Form<ReferralForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let path = "/orientations/nouvelle";
    viewer
        .authorize(Action::SendReferral)
        .map_err(|d| PageError::denied(d, path))?;
    let axum::Form(f) = form.map_err(|_| PageError::BadForm)?;
    let person_id = person(&viewer, path)?;
    let sender = working_ids(&viewer)
        .first()
        .copied()
        .ok_or_else(|| PageError::denied(Denial::Forbidden, path))?;
    let place = match f.lieu.trim().parse::<i64>() {
        Ok(p) => receivable_places(&state)
            .await?
            .into_iter()
            .find(|(id, _, _)| *id == p)
            .map(|(id, _, s)| (id, s)),
        Err(_) => None,
    };
    // Or a structure directly, when no place of the directory fits.
    let structure = match (place, f.structure.trim().parse::<i64>().ok()) {
        (None, Some(s)) => receivable_structures(&state)
            .await?
            .into_iter()
            .any(|(id, _)| id == s)
            .then_some(s),
        _ => None,
    };
    let (referral, receiver) = match f.referral(place, structure, person_id, Utc::now()) {
        Ok(checked) => checked,
        Err(errors) => return new_page(&state, &viewer, f, errors).await,
    };
    let parties = Parties {
        sender_structure: sender,
        sender_person: person_id,
        receiver_structure: receiver,
    };
    let (id, _) = state
        .db
        .create_referral(&referral, parties, f.key().as_deref(), Utc::now())
        .await?;
    Ok(done(&format!("/orientations/{id}"), "orientation-envoyee"))
}

#[derive(Template)]
#[template(path = "orientations/orientation.html")]
struct DetailPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    notice: Notice,
    r: Referral,
    status: &'static str,
    urgent: bool,
    consent_how: &'static str,
    channel: &'static str,
    person: Option<PersonalFields>,
    /// Neither end: metadata only (an administrator outside both).
    metadata_only: bool,
    /// Reached from another site: the person's fields are one click away.
    confirm_reading: bool,
    events: Vec<EventView>,
    receiver_can_act: bool,
    sender_can_act: bool,
    closed: bool,
    reasons: &'static [&'static str],
    places: Vec<Receivable>,
    today: String,
    /// The receiving mediator's recent records, to link the one answering.
    activities: Vec<(i64, String)>,
    /// The steps the viewer may take now, and only those.
    steps: NextSteps,
    /// A destructive action asked for, shown with its confirmation.
    confirm: Option<Confirm>,
    /// A step's form sent back: its problems, and what was typed.
    errors: FieldErrors,
    typed: StepForm,
}

impl DetailPage {
    fn error(&self, field: &str) -> &str {
        self.errors.get(field)
    }

    fn appointment_label(&self) -> &'static str {
        if self.r.appointment_date.is_some() {
            "Nouvelle date du rendez-vous"
        } else {
            "Date du rendez-vous"
        }
    }

    /// The date field's attributes: not before today.
    fn appointment_bounds(&self) -> String {
        format!("min=\"{}\" required", self.today)
    }
}

/// `?confirmer=refus|annulation|effacement`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DetailQuery {
    confirmer: String,
}

/// The referral, and what the policy sees of it; 404 when the viewer may
/// not learn it exists.
async fn load(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    path: &str,
) -> Result<(Referral, ReferralRef), PageError> {
    let id: i64 = id.parse().map_err(|_| PageError::NotFound)?;
    let r = state.db.referral(id).await?.ok_or(PageError::NotFound)?;
    let rref = ReferralRef {
        sender: r.sender_structure_id,
        receiver: r.receiver_structure_id,
    };
    viewer
        .authorize(Action::ViewReferral(&rref))
        .map_err(|d| PageError::denied(d, path))?;
    Ok((r, rref))
}

/// The same, for what touches the person's fields: the two structures only.
async fn load_person(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    path: &str,
) -> Result<(Referral, ReferralRef), PageError> {
    let (r, rref) = load(state, viewer, id, path).await?;
    viewer
        .authorize(Action::ReferralPerson(&rref))
        .map_err(|d| PageError::denied(d, path))?;
    Ok((r, rref))
}

/// What a referral's page shows besides the referral.
struct Shown {
    notice: Notice,
    confirm: Option<Confirm>,
    errors: FieldErrors,
    typed: StepForm,
    /// Reached from another site (see `auth::from_another_site`).
    from_elsewhere: bool,
}

pub async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    notice: Notice,
    query: Result<Query<DetailQuery>, QueryRejection>,
) -> PageResult {
    let path = format!("/orientations/{id}");
    let (r, rref) = load(&state, &viewer, &id, &path).await?;
    let confirmer = query.map(|Query(q)| q.confirmer).unwrap_or_default();
    let shown = Shown {
        notice,
        confirm: Confirm::parse(&confirmer),
        errors: FieldErrors::default(),
        typed: StepForm::default(),
        from_elsewhere: from_another_site(&headers),
    };
    show(&state, &viewer, r, &rref, shown, StatusCode::OK).await
}

/// The receiving mediator's recent records, "date — kind — themes".
async fn recent_activities(state: &AppState, person: i64) -> Result<Vec<(i64, String)>, PageError> {
    Ok(state
        .db
        .activities_of(person, 20)
        .await?
        .into_iter()
        .map(|own| {
            let a = own.activity;
            let label = format!(
                "{} — {} — {}",
                crate::fr::date(a.date),
                a.kind.label(),
                a.themes.join(", ")
            );
            (own.id, label)
        })
        .collect())
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    r: Referral,
    rref: &ReferralRef,
    shown: Shown,
    status: StatusCode,
) -> PageResult {
    let receiver_can_act = viewer.authorize(Action::ActAsReceiver(rref)).is_ok();
    let sender_can_act = viewer.authorize(Action::ActAsSender(rref)).is_ok();
    let may_read = viewer.authorize(Action::ReferralPerson(rref)).is_ok();
    // Reached from another site: the person's fields wait for a click.
    let confirm_reading = may_read && shown.from_elsewhere;
    let person = if may_read && !confirm_reading {
        read_person(state, viewer, r.id, rref).await?
    } else {
        None
    };
    let events = state.db.referral_events(r.id, may_read).await?;
    let places = if may_read && !r.status.is_closed() {
        receivable_places(state).await?
    } else {
        Vec::new()
    };
    let activities = match (receiver_can_act, viewer.person_id()) {
        (true, Some(p)) if r.activity_id.is_none() => recent_activities(state, p).await?,
        _ => Vec::new(),
    };
    let steps = NextSteps::of(r.status, receiver_can_act, sender_can_act);
    let can_move = !places.is_empty() && (receiver_can_act || sender_can_act);
    refuse_unplaced_error(&shown.errors, &steps, can_move, r.id)?;
    let confirm = shown.confirm.filter(|c| match c {
        Confirm::Refuse => steps.refuse,
        Confirm::Cancel => steps.cancel,
        Confirm::Erase => person.is_some(),
    });
    let page = DetailPage {
        chrome: Chrome::new("/orientations", viewer),
        crumbs: crumbs(
            &[("Orientations", "/orientations")],
            &format!("Orientation n° {}", r.id),
        ),
        notice: shown.notice,
        status: r.status.label(),
        urgent: r.urgency == Urgency::Urgente,
        consent_how: r.consent_how.label(),
        channel: person
            .as_ref()
            .and_then(|p| label_of(&CONTACT_CHANNELS, &p.person.channel))
            .unwrap_or(""),
        person,
        metadata_only: !may_read,
        confirm_reading,
        events: events.into_iter().map(EventView::from).collect(),
        receiver_can_act,
        sender_can_act,
        closed: r.status.is_closed(),
        reasons: &REFUSAL_REASONS,
        places,
        today: crate::fr::paris_now().date().to_string(),
        activities,
        steps,
        confirm,
        errors: shown.errors,
        typed: shown.typed,
        r,
    };
    Ok((status, render(&page)).into_response())
}

/// The person's fields, read (and the reading audited) for the viewer's
/// structure that may read them.
async fn read_person(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    rref: &ReferralRef,
) -> Result<Option<PersonalFields>, PageError> {
    Ok(
        match (viewer.person_id(), reading_structure(viewer, rref)) {
            (Some(p), Some(s)) => state.db.referral_person(id, p, s, "consultation").await?,
            _ => None,
        },
    )
}

/// A step's problem is said next to its field, when the page offers that
/// field (`can_move`: the place picker); else on a page of its own.
fn refuse_unplaced_error(
    errors: &FieldErrors,
    steps: &NextSteps,
    can_move: bool,
    id: i64,
) -> Result<(), PageError> {
    let offered = |field: &str| match field {
        "date" | "heure" => steps.appointment,
        "motif" => steps.refuse,
        "lieu" => can_move,
        _ => false,
    };
    match errors.iter().find(|(f, _)| !offered(f)) {
        Some((_, message)) => Err(PageError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            capitalised(message),
            &format!("/orientations/{id}"),
        )),
        None => Ok(()),
    }
}

/// The side a step is taken from, and whether the viewer may take it.
fn side_of(
    viewer: &Viewer,
    rref: &ReferralRef,
    step: &Step,
    path: &str,
) -> Result<Side, PageError> {
    let side = match step {
        Step::Cancel => Side::Sender,
        Step::Reorient { .. } if viewer.authorize(Action::ActAsReceiver(rref)).is_err() => {
            Side::Sender
        }
        _ => Side::Receiver,
    };
    match side {
        Side::Sender => viewer.authorize(Action::ActAsSender(rref)),
        _ => viewer.authorize(Action::ActAsReceiver(rref)),
    }
    .map_err(|d| PageError::denied(d, path))?;
    Ok(side)
}

pub async fn step(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<StepForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let path = format!("/orientations/{id}");
    let (r, rref) = load(&state, &viewer, &id, &path).await?;
    let axum::Form(f) = form.map_err(|_| PageError::BadForm)?;
    let version = f.version.ok_or(PageError::BadForm)?;
    let step = match f.asked(crate::fr::paris_now().date()) {
        Ok(Asked::Step(step)) => step,
        Ok(Asked::Reorient(place)) => match receivable_places(&state)
            .await?
            .into_iter()
            .find(|(p, _, _)| *p == place)
        {
            Some((place_id, _, structure_id)) => Step::Reorient {
                place_id,
                structure_id,
            },
            None => {
                return again(
                    &state,
                    &viewer,
                    r,
                    &rref,
                    f,
                    ("lieu", "choisissez un lieu de la liste"),
                    &headers,
                )
                .await;
            }
        },
        Ok(Asked::Confirm(what)) => {
            return Ok(
                Redirect::to(&format!("{path}?confirmer={what}#confirmation")).into_response(),
            );
        }
        Err(problem) => return again(&state, &viewer, r, &rref, f, problem, &headers).await,
    };
    let actor = Actor {
        person_id: viewer.person_id(),
        side: side_of(&viewer, &rref, &step, &path)?,
    };
    match state
        .db
        .referral_step(r.id, version, &step, actor, Utc::now())
        .await
    {
        Ok(_) => Ok(done(&path, "suivi-enregistre")),
        Err(StepError::Conflict) => Err(PageError::refused(
            StatusCode::CONFLICT,
            "Quelqu’un a modifié cette orientation pendant que vous la lisiez. Rien n’a été perdu : revenez à l’orientation pour voir son état actuel, puis refaites votre action si elle a encore lieu d’être.",
            &path,
        )),
        Err(StepError::Refused(why)) => Err(PageError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            capitalised(&why.to_string()),
            &path,
        )),
        Err(StepError::NotFound) => Err(PageError::NotFound),
        Err(StepError::Store(e)) => Err(e.into()),
    }
}

/// "impossible : …" as a sentence.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>() + "."
    })
}

/// The referral's page again, the step's form with its problem next to
/// the field and what was typed kept (422).
async fn again(
    state: &AppState,
    viewer: &Viewer,
    r: Referral,
    rref: &ReferralRef,
    typed: StepForm,
    (field, message): (&'static str, &'static str),
    headers: &HeaderMap,
) -> PageResult {
    let mut errors = FieldErrors::default();
    errors.add(field, message);
    // A refusal sent back shows its confirmation again, with the error.
    let confirm = (typed.etape == "refus").then_some(Confirm::Refuse);
    let shown = Shown {
        notice: Notice::default(),
        confirm,
        errors,
        typed,
        from_elsewhere: from_another_site(headers),
    };
    show(
        state,
        viewer,
        r,
        rref,
        shown,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// Links the accompaniment (a record of Activités of the receiving
/// structure) that answered the referral.
pub async fn link_activity(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: Result<axum::Form<LinkForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let path = format!("/orientations/{id}");
    let (r, rref) = load(&state, &viewer, &id, &path).await?;
    viewer
        .authorize(Action::ActAsReceiver(&rref))
        .map_err(|d| PageError::denied(d, &path))?;
    let axum::Form(f) = form.map_err(|_| PageError::BadForm)?;
    let person = person(&viewer, &path)?;
    let linked = state
        .db
        .link_referral_activity(
            r.id,
            f.activite.unwrap_or(0),
            person,
            r.receiver_structure_id,
        )
        .await?;
    if !linked {
        return Err(PageError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choisissez une activité enregistrée par votre structure.",
            &path,
        ));
    }
    Ok(done(&path, "suivi-enregistre"))
}

/// The right of access: everything held about the person in this
/// referral, as JSON. Audited.
pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> PageResult {
    let path = format!("/orientations/{id}");
    if from_another_site(&headers) {
        return Ok(Redirect::to(&path).into_response());
    }
    let (r, rref) = load_person(&state, &viewer, &id, &path).await?;
    let (Some(p), Some(s)) = (viewer.person_id(), reading_structure(&viewer, &rref)) else {
        return Err(PageError::denied(Denial::Forbidden, &path));
    };
    let person = state
        .db
        .referral_person(r.id, p, s, "export (droit d’accès)")
        .await?;
    let events = state.db.referral_events(r.id, true).await?;
    let body = serde_json::json!({
        "orientation": r,
        "personne": person,
        "suivi": events,
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"orientation-{}.json\"", r.id),
            ),
        ],
        serde_json::to_vec_pretty(&body).unwrap_or_default(),
    )
        .into_response())
}

/// The right to erasure, by a structure holding the data, once confirmed.
pub async fn erase(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: Result<axum::Form<EraseForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let path = format!("/orientations/{id}");
    let (r, rref) = load(&state, &viewer, &id, &path).await?;
    let confirmed = form.is_ok_and(|axum::Form(f)| f.confirmed());
    erase_for_viewer(
        &state,
        &viewer,
        &rref,
        (&path, "donnees-effacees"),
        confirmed,
        |who, structure| {
            state
                .db
                .erase_referral_person(r.id, who, structure, Utc::now())
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refusal_of_the_lifecycle_reads_as_a_sentence() {
        assert_eq!(
            super::capitalised("impossible : l’orientation est refusée"),
            "Impossible : l’orientation est refusée."
        );
    }
}
