//! Orientations over HTTP: a professional refers a person to a place of
//! the directory; the receiving structure opens it, fixes an appointment,
//! closes it; the sender follows every step. The person's fields are shown
//! only to the two structures, each reading audited.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use passerelle_accounts::StructureKind;
use passerelle_accounts::policy::{Action, ReferralRef, TerritorialScope, territorial_scope};
use passerelle_referrals::deadlines::appointment_within_horizon;
use passerelle_referrals::lifecycle::{Side, Status, Step};
use passerelle_referrals::model::{
    CONSENT_WAYS, CONTACT_CHANNELS, Consent, NewReferral, Person, REFUSAL_REASONS, URGENCIES,
    Urgency, label_of, validate,
};
use passerelle_store::referrals::{
    Actor, Event, EventDetail, Line, Parties, PersonalFields, Referral, StepError,
};

use crate::AppState;
use crate::auth::{Viewer, from_another_site, page_denial};
use crate::pages::{Chrome, Crumb, crumbs, render, storage_failure};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/orientations", list),
        Route::post("/orientations", create),
        Route::get("/orientations/nouvelle", new_form),
        Route::get("/orientations/statistiques", stats),
        Route::get("/orientations/statistiques.csv", stats_csv),
        Route::get("/orientations/statistiques.xlsx", stats_xlsx),
        Route::get("/orientations/{id}", detail),
        Route::post("/orientations/{id}/etape", step),
        Route::get("/orientations/{id}/donnees", export),
        Route::post("/orientations/{id}/effacement", erase),
        Route::post("/orientations/{id}/activite", link_activity),
    ]
}

type PageResult = Result<Response, Response>;

/// The structures the viewer works in (membre or gestionnaire).
pub(crate) fn working_structures(viewer: &Viewer) -> Vec<(i64, String)> {
    viewer
        .memberships
        .iter()
        .filter(|m| passerelle_accounts::policy::works_in(&viewer.actor, m.structure_id))
        .map(|m| (m.structure_id, m.structure_nom.clone()))
        .collect()
}

pub struct LineView {
    pub id: i64,
    pub other: String,
    pub place: String,
    pub service: String,
    pub urgent: bool,
    pub status: &'static str,
    pub date: String,
}

fn line_view(l: Line) -> LineView {
    LineView {
        id: l.id,
        other: l.other_structure,
        place: l.place.unwrap_or_default(),
        service: l.service,
        urgent: l.urgency == Urgency::Urgente,
        status: l.status.label(),
        date: crate::fr::day_of(l.created_at),
    }
}

#[derive(Template)]
#[template(path = "orientations.html")]
struct ListPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    received: Vec<LineView>,
    sent: Vec<LineView>,
    can_send: bool,
    can_see_stats: bool,
}

async fn list(State(state): State<AppState>, viewer: Viewer) -> Response {
    let result: PageResult = async {
        if viewer.person_id().is_none() {
            return Err(page_denial(
                passerelle_accounts::policy::Denial::SignInRequired,
                "/orientations",
            ));
        }
        let mine: Vec<i64> = working_structures(&viewer)
            .iter()
            .map(|(id, _)| *id)
            .collect();
        let received = state
            .db
            .referral_lines(&mine, false)
            .await
            .map_err(storage_failure)?;
        let sent = state
            .db
            .referral_lines(&mine, true)
            .await
            .map_err(storage_failure)?;
        Ok(render(&ListPage {
            chrome: Chrome::new("/orientations", &viewer),
            crumbs: crumbs(&[], "Orientations"),
            received: received.into_iter().map(line_view).collect(),
            sent: sent.into_iter().map(line_view).collect(),
            can_send: viewer.authorize(Action::SendReferral).is_ok(),
            can_see_stats: viewer.authorize(Action::ViewReferralStats).is_ok(),
        }))
    }
    .await;
    result.unwrap_or_else(|r| r)
}

/// Places that can receive a referral: those whose pivot SIRET is a
/// structure's, with that structure.
async fn receivable_places(state: &AppState) -> Result<Vec<(i64, String, i64)>, Response> {
    let sirets = state.db.structure_sirets().await.map_err(storage_failure)?;
    let index = state.place_index().await.map_err(storage_failure)?;
    let mut places: Vec<(i64, String, i64)> = index
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
async fn receivable_structures(state: &AppState) -> Result<Vec<(i64, String)>, Response> {
    Ok(state
        .db
        .search_structures("", 2000)
        .await
        .map_err(storage_failure)?
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

#[derive(Default)]
struct Entered {
    place: String,
    structure: String,
    service: String,
    organisation: String,
    situation: String,
    urgency: String,
    availability: String,
    first_name: String,
    channel: String,
    contact: String,
    caf: String,
    france_travail: String,
    consent: bool,
    consent_how: String,
}

#[derive(Template)]
#[template(path = "orientation_nouvelle.html")]
struct NewPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    errors: Vec<String>,
    f: Entered,
    key: String,
    places: Vec<(i64, String, i64)>,
    /// Structures with people to receive it, when no place fits.
    structures: Vec<(i64, String)>,
    services: &'static [&'static str],
    organisations: &'static [&'static str],
    channels: &'static [(&'static str, &'static str)],
    consent_ways: &'static [(&'static str, &'static str)],
    urgencies: &'static [(&'static str, &'static str)],
}

async fn new_page(
    state: &AppState,
    viewer: &Viewer,
    f: Entered,
    errors: Vec<String>,
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
        f,
        key: passerelle_accounts::secret::new_secret(),
        places: receivable_places(state).await?,
        structures: receivable_structures(state).await?,
        services: passerelle_places::vocab::SERVICES,
        organisations: &passerelle_activities::vocab::ORGANISATIONS,
        channels: &CONTACT_CHANNELS,
        consent_ways: &CONSENT_WAYS,
        urgencies: &URGENCIES,
    };
    Ok((status, render(&page)).into_response())
}

async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Response {
    let result: PageResult = async {
        viewer
            .authorize(Action::SendReferral)
            .map_err(|d| page_denial(d, "/orientations/nouvelle"))?;
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
        let place = pairs
            .iter()
            .find(|(k, _)| k == "lieu")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        new_page(
            &state,
            &viewer,
            Entered {
                place,
                urgency: "normale".into(),
                channel: "telephone".into(),
                consent_how: "oral".into(),
                ..Entered::default()
            },
            Vec::new(),
        )
        .await
    }
    .await;
    result.unwrap_or_else(|r| r)
}

pub(crate) fn field<'a>(fields: &'a [(String, String)], k: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| key == k)
        .map_or("", |(_, v)| v.trim())
}

fn some(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form: crate::pages::FormFields,
) -> Response {
    let result: PageResult = async {
        viewer
            .authorize(Action::SendReferral)
            .map_err(|d| page_denial(d, "/orientations/nouvelle"))?;
        let Ok(axum::Form(fields)) = form else {
            return Err(crate::pages::forbidden_form("Formulaire incomplet."));
        };
        let get = |k: &str| field(&fields, k);
        let person_id = viewer.person_id().ok_or_else(crate::pages::forbidden)?;
        let sender = working_structures(&viewer)
            .first()
            .map(|(id, _)| *id)
            .ok_or_else(crate::pages::forbidden)?;
        let entered = Entered {
            place: get("lieu").into(),
            structure: get("structure").into(),
            service: get("service").into(),
            organisation: get("organisme").into(),
            situation: get("situation").into(),
            urgency: get("urgence").into(),
            availability: get("disponibilites").into(),
            first_name: get("prenom").into(),
            channel: get("canal").into(),
            contact: get("contact").into(),
            caf: get("numero_caf").into(),
            france_travail: get("numero_france_travail").into(),
            consent: get("consentement") == "oui",
            consent_how: get("consentement_mode").into(),
        };
        let places = receivable_places(&state).await?;
        let place = entered.place.parse::<i64>().ok();
        let at_place = place.and_then(|p| {
            places
                .iter()
                .find(|(id, _, _)| *id == p)
                .map(|(_, _, s)| *s)
        });
        // Or a structure directly, when no place of the directory fits.
        let structure = match (at_place, entered.structure.parse::<i64>().ok()) {
            (None, Some(s)) => receivable_structures(&state)
                .await?
                .into_iter()
                .any(|(id, _)| id == s)
                .then_some(s),
            _ => None,
        };
        let receiver = at_place.or(structure);
        let referral = NewReferral {
            place_id: at_place.and(place),
            structure_id: structure,
            service: entered.service.clone(),
            organisation: some(&entered.organisation),
            situation: entered.situation.clone(),
            urgency: entered.urgency.clone(),
            availability: entered.availability.clone(),
            person: Person {
                first_name: entered.first_name.clone(),
                channel: entered.channel.clone(),
                contact: entered.contact.clone(),
                caf_number: some(&entered.caf),
                france_travail_number: some(&entered.france_travail),
            },
            consent: entered.consent.then(|| Consent {
                informed_by: person_id,
                at: Utc::now(),
                how: entered.consent_how.clone(),
            }),
        };
        let problems: Vec<String> = validate(
            &referral,
            passerelle_places::vocab::SERVICES,
            &passerelle_activities::vocab::ORGANISATIONS,
        )
        .into_iter()
        .map(|p| format!("{} : {}", p.field, p.message))
        .collect();
        let Some(receiver) = receiver.filter(|_| problems.is_empty()) else {
            return new_page(&state, &viewer, entered, problems).await;
        };
        let key = some(get("cle")).filter(|k| k.len() <= 128);
        let (id, _) = state
            .db
            .create_referral(
                &referral,
                Parties {
                    sender_structure: sender,
                    sender_person: person_id,
                    receiver_structure: receiver,
                },
                key.as_deref(),
                Utc::now(),
            )
            .await
            .map_err(storage_failure)?;
        Ok(Redirect::to(&format!("/orientations/{id}?info=envoyee")).into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

pub struct EventView {
    pub date: String,
    pub who: String,
    pub what: &'static str,
    pub detail: String,
    pub message: String,
}

fn event_view(e: Event) -> EventView {
    EventView {
        date: crate::fr::date_time(e.at),
        who: e
            .actor
            .unwrap_or_else(|| "Passerelle (délai dépassé)".into()),
        what: e.status_to.label(),
        detail: match e.detail {
            Some(EventDetail::Appointment(day)) => {
                format!("Rendez-vous le {}", crate::fr::date(day))
            }
            Some(EventDetail::Refusal(reason)) => format!("Motif : {reason}"),
            Some(EventDetail::Reoriented { .. }) => "Réorientée vers un autre lieu".into(),
            None => String::new(),
        },
        message: e.message.unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "orientation.html")]
struct DetailPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    notice: Option<String>,
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
    places: Vec<(i64, String, i64)>,
    today: String,
    /// The receiving mediator's recent records, to link the one answering.
    activities: Vec<(i64, String)>,
    /// The steps the viewer may take now, and only those.
    steps: NextSteps,
    /// A destructive action asked for, shown with its confirmation.
    confirm: Option<Confirm>,
}

/// What the viewer can do next on a referral, by the lifecycle's rules.
#[derive(Default)]
struct NextSteps {
    open: bool,
    appointment: bool,
    accompanied: bool,
    no_show: bool,
    refuse: bool,
    cancel: bool,
}

impl NextSteps {
    fn of(status: Status, receiver: bool, sender: bool) -> Self {
        let may = |step: Step, side: Side, allowed: bool| {
            allowed && passerelle_referrals::lifecycle::next(status, &step, side).is_ok()
        };
        Self {
            open: may(Step::Open, Side::Receiver, receiver),
            // After receipt: acknowledging comes first.
            appointment: status != Status::Envoyee
                && may(Step::Appointment(NaiveDate::MIN), Side::Receiver, receiver),
            accompanied: may(Step::Accompanied, Side::Receiver, receiver),
            no_show: may(Step::NoShow, Side::Receiver, receiver),
            refuse: may(
                Step::Refuse {
                    reason: String::new(),
                    message: String::new(),
                },
                Side::Receiver,
                receiver,
            ),
            cancel: may(Step::Cancel, Side::Sender, sender),
        }
    }
}

/// A destructive action waiting for its confirmation on the page
/// (`?confirmer=…`): the button that acts appears only then.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Confirm {
    Refuse,
    Cancel,
    Erase,
}

#[derive(serde::Deserialize, Default)]
struct DetailQuery {
    #[serde(default)]
    info: String,
    #[serde(default)]
    confirmer: String,
}

impl DetailQuery {
    fn confirm(&self) -> Option<Confirm> {
        match self.confirmer.as_str() {
            "refus" => Some(Confirm::Refuse),
            "annulation" => Some(Confirm::Cancel),
            "effacement" => Some(Confirm::Erase),
            _ => None,
        }
    }
}

/// The referral, and what the policy sees of it; 404 when the viewer may
/// not learn it exists.
async fn load(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    path: &str,
) -> Result<(Referral, ReferralRef), Response> {
    let id: i64 = id.parse().map_err(|_| crate::pages::missing())?;
    let r = state
        .db
        .referral(id)
        .await
        .map_err(storage_failure)?
        .ok_or_else(crate::pages::missing)?;
    let rref = ReferralRef {
        sender: r.sender_structure_id,
        receiver: r.receiver_structure_id,
    };
    viewer
        .authorize(Action::ViewReferral(&rref))
        .map_err(|d| page_denial(d, path))?;
    Ok((r, rref))
}

/// The same, for what touches the person's fields: the two structures only.
async fn load_person(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    path: &str,
) -> Result<(Referral, ReferralRef), Response> {
    let (r, rref) = load(state, viewer, id, path).await?;
    viewer
        .authorize(Action::ReferralPerson(&rref))
        .map_err(|d| page_denial(d, path))?;
    Ok((r, rref))
}

/// The structure on whose behalf the viewer reads: the receiving one when
/// they work there, else the sending one.
fn reading_structure(viewer: &Viewer, r: &ReferralRef) -> Option<i64> {
    let mine: Vec<i64> = working_structures(viewer)
        .iter()
        .map(|(id, _)| *id)
        .collect();
    [r.receiver, r.sender]
        .into_iter()
        .find(|s| mine.contains(s))
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<DetailQuery>,
) -> Response {
    let result: PageResult = async {
        let path = format!("/orientations/{id}");
        let (r, rref) = load(&state, &viewer, &id, &path).await?;
        let receiver_can_act = viewer.authorize(Action::ActAsReceiver(&rref)).is_ok();
        let may_read = viewer.authorize(Action::ReferralPerson(&rref)).is_ok();
        // Reached from another site: the person's fields wait for a click
        // on this page (see `auth::from_another_site`).
        let confirm_reading = may_read && from_another_site(&headers);
        let person = match (
            may_read && !confirm_reading,
            viewer.person_id(),
            reading_structure(&viewer, &rref),
        ) {
            (true, Some(p), Some(s)) => state
                .db
                .referral_person(r.id, p, s, "consultation")
                .await
                .map_err(storage_failure)?,
            _ => None,
        };
        let events = state
            .db
            .referral_events(r.id, may_read)
            .await
            .map_err(storage_failure)?;
        let notice = match query.info.as_str() {
            "envoyee" => Some(
                "Orientation envoyée. La structure destinataire a été prévenue par courriel."
                    .to_string(),
            ),
            "etape" => Some("Suivi enregistré.".to_string()),
            "effacee" => Some("Les données de la personne ont été effacées.".to_string()),
            _ => None,
        };
        let status = r.status;
        let places = if may_read && !status.is_closed() {
            receivable_places(&state).await?
        } else {
            Vec::new()
        };
        let activities = match (receiver_can_act, viewer.person_id()) {
            (true, Some(p)) if r.activity_id.is_none() => state
                .db
                .activities_of(p, 20)
                .await
                .map_err(storage_failure)?
                .into_iter()
                .map(|own| {
                    let (id, a) = (own.id, own.activity);
                    (
                        id,
                        format!(
                            "{} — {} — {}",
                            a.date.format("%d/%m/%Y"),
                            a.kind.label(),
                            a.themes.join(", ")
                        ),
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        let sender_can_act = viewer.authorize(Action::ActAsSender(&rref)).is_ok();
        let steps = NextSteps::of(status, receiver_can_act, sender_can_act);
        let confirm = query.confirm().filter(|c| match c {
            Confirm::Refuse => steps.refuse,
            Confirm::Cancel => steps.cancel,
            Confirm::Erase => person.is_some(),
        });
        let page = DetailPage {
            steps,
            confirm,
            activities,
            chrome: Chrome::new("/orientations", &viewer),
            crumbs: crumbs(
                &[("Orientations", "/orientations")],
                &format!("Orientation n° {}", r.id),
            ),
            notice,
            status: status.label(),
            urgent: r.urgency == Urgency::Urgente,
            consent_how: label_of(&CONSENT_WAYS, &r.consent_how).unwrap_or(""),
            channel: person
                .as_ref()
                .and_then(|p| label_of(&CONTACT_CHANNELS, &p.person.channel))
                .unwrap_or(""),
            person,
            metadata_only: !may_read,
            confirm_reading,
            events: events.into_iter().map(event_view).collect(),
            receiver_can_act,
            sender_can_act,
            closed: status.is_closed(),
            reasons: &REFUSAL_REASONS,
            places,
            today: Utc::now().date_naive().to_string(),
            r,
        };
        Ok(render(&page))
    }
    .await;
    result.unwrap_or_else(|r| r)
}

/// An action not taken, and why, with the way back to the page it came from.
pub(crate) fn conflict_page(path: &str, why: &str, status: StatusCode) -> Response {
    crate::pages::message_back(
        status,
        "Action non enregistrée",
        &[why],
        (path, "Revenir à la page précédente"),
    )
}

async fn step(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: crate::pages::FormFields,
) -> Response {
    let result: PageResult = async {
        let path = format!("/orientations/{id}");
        let (r, rref) = load(&state, &viewer, &id, &path).await?;
        let Ok(axum::Form(fields)) = form else {
            return Err(crate::pages::forbidden_form("Formulaire incomplet."));
        };
        let get = |k: &str| field(&fields, k);
        let version: i64 = get("version").parse().map_err(|_| crate::pages::forbidden_form("Formulaire incomplet."))?;
        let unprocessable = |why: &str| conflict_page(&path, why, StatusCode::UNPROCESSABLE_ENTITY);
        let step = match get("etape") {
            "rendez_vous" => {
                let date = NaiveDate::parse_from_str(get("date"), "%Y-%m-%d")
                    .map_err(|_| unprocessable("date : une date de rendez-vous au format AAAA-MM-JJ"))?;
                if date < Utc::now().date_naive() - chrono::Duration::days(1) {
                    return Err(unprocessable("date : le rendez-vous ne peut pas être passé"));
                }
                if !appointment_within_horizon(date, Utc::now().date_naive()) {
                    return Err(unprocessable("date : le rendez-vous doit avoir lieu dans l’année qui vient"));
                }
                Step::Appointment(date)
            }
            "accompagnee" => Step::Accompanied,
            "non_venue" => Step::NoShow,
            "refus" => {
                let reason = get("motif");
                if !REFUSAL_REASONS.contains(&reason) {
                    return Err(unprocessable("motif : choisissez un motif de la liste"));
                }
                Step::Refuse {
                    reason: reason.into(),
                    message: get("message").chars().take(2000).collect(),
                }
            }
            "ouverture" => Step::Open,
            "annulation" => Step::Cancel,
            "reorientation" => {
                let places = receivable_places(&state).await?;
                let place: i64 = get("lieu").parse().unwrap_or(0);
                let (_, _, structure_id) = places
                    .into_iter()
                    .find(|(p, _, _)| *p == place)
                    .ok_or_else(|| unprocessable("lieu : choisissez un lieu de la liste"))?;
                Step::Reorient {
                    place_id: place,
                    structure_id,
                }
            }
            _ => return Err(unprocessable("étape inconnue")),
        };
        let side = match step {
            Step::Cancel => Side::Sender,
            Step::Reorient { .. } if viewer.authorize(Action::ActAsReceiver(&rref)).is_err() => Side::Sender,
            _ => Side::Receiver,
        };
        let allowed = match side {
            Side::Sender => viewer.authorize(Action::ActAsSender(&rref)),
            _ => viewer.authorize(Action::ActAsReceiver(&rref)),
        };
        allowed.map_err(|d| page_denial(d, &path))?;
        let actor = Actor {
            person_id: viewer.person_id(),
            side,
        };
        match state
            .db
            .referral_step(r.id, version, &step, actor, Utc::now())
            .await
        {
            Ok(_) => Ok(Redirect::to(&format!("{path}?info=etape")).into_response()),
            Err(StepError::Conflict) => Err(conflict_page(
                &path,
                "Quelqu’un a modifié cette orientation pendant que vous la lisiez. Rien n’a été perdu : revenez à l’orientation pour voir son état actuel, puis refaites votre action si elle a encore lieu d’être.",
                StatusCode::CONFLICT,
            )),
            Err(StepError::Refused(why)) => Err(unprocessable(&why.to_string())),
            Err(StepError::NotFound) => Err(crate::pages::missing()),
            Err(StepError::Store(e)) => Err(storage_failure(e)),
        }
    }
    .await;
    result.unwrap_or_else(|r| r)
}

/// Links the accompaniment (a record of Activités of the receiving
/// structure) that answered the referral.
async fn link_activity(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: crate::pages::FormFields,
) -> Response {
    let result: PageResult = async {
        let path = format!("/orientations/{id}");
        let (r, rref) = load(&state, &viewer, &id, &path).await?;
        viewer
            .authorize(Action::ActAsReceiver(&rref))
            .map_err(|d| page_denial(d, &path))?;
        let Ok(axum::Form(fields)) = form else {
            return Err(crate::pages::forbidden_form("Formulaire incomplet."));
        };
        let activity: i64 = field(&fields, "activite").parse().unwrap_or(0);
        let person = viewer.person_id().ok_or_else(crate::pages::forbidden)?;
        let linked = state
            .db
            .link_referral_activity(r.id, activity, person, r.receiver_structure_id)
            .await
            .map_err(storage_failure)?;
        if !linked {
            return Err(conflict_page(
                &path,
                "activite : choisissez une activité enregistrée par votre structure",
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        Ok(Redirect::to(&format!("{path}?info=etape")).into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

/// The right of access: everything held about the person in this
/// referral, as JSON. Audited.
async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result: PageResult = async {
        let path = format!("/orientations/{id}");
        if from_another_site(&headers) {
            return Ok(Redirect::to(&path).into_response());
        }
        let (r, rref) = load_person(&state, &viewer, &id, &path).await?;
        let (Some(p), Some(s)) = (viewer.person_id(), reading_structure(&viewer, &rref)) else {
            return Err(crate::pages::forbidden());
        };
        let person = state
            .db
            .referral_person(r.id, p, s, "export (droit d’accès)")
            .await
            .map_err(storage_failure)?;
        let events = state
            .db
            .referral_events(r.id, true)
            .await
            .map_err(storage_failure)?;
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
    .await;
    result.unwrap_or_else(|r| r)
}

/// The right to erasure, by a structure holding the data.
async fn erase(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    let result: PageResult = async {
        let path = format!("/orientations/{id}");
        let (r, rref) = load(&state, &viewer, &id, &path).await?;
        erase_for_viewer(&state, &viewer, &rref, &path, |who, structure| {
            state
                .db
                .erase_referral_person(r.id, who, structure, Utc::now())
        })
        .await
    }
    .await;
    result.unwrap_or_else(|r| r)
}

/// The right to erasure of a referral or a "situation complexe" request:
/// the policy's `ErasePersonalData`, then `erase` (by this person, on
/// behalf of their structure), then the erased text flushed out of the
/// database's log; back to `path`, which says it is done.
pub(crate) async fn erase_for_viewer<Erase, Done>(
    state: &AppState,
    viewer: &Viewer,
    r: &ReferralRef,
    path: &str,
    erase: Erase,
) -> PageResult
where
    Erase: FnOnce(Option<i64>, Option<i64>) -> Done,
    Done: std::future::Future<Output = Result<bool, passerelle_store::StoreError>>,
{
    viewer
        .authorize(Action::ErasePersonalData(r))
        .map_err(|d| page_denial(d, path))?;
    erase(viewer.person_id(), reading_structure(viewer, r))
        .await
        .map_err(storage_failure)?;
    state.db.flush_erasures().await.map_err(storage_failure)?;
    Ok(Redirect::to(&format!("{path}?info=effacee")).into_response())
}

#[derive(Template)]
#[template(path = "orientations_statistiques.html")]
struct StatsPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    year: i32,
    departement: String,
    /// Its name in the reference ("Finistère"), empty for all.
    departement_name: String,
    /// (code, name) of the départements the viewer may choose.
    departements: Vec<(String, String)>,
    /// Whether "all départements" may be chosen.
    everywhere: bool,
    total: i64,
    /// Receiving kinds (columns), then one row per sending kind.
    columns: Vec<&'static str>,
    rows: Vec<(&'static str, Vec<i64>)>,
    statuses: Vec<(&'static str, i64, String)>,
    median_first: String,
    median_closure: String,
    export_query: String,
}

fn kind_label(code: &str) -> &'static str {
    StructureKind::parse(code).map_or("autre", StructureKind::label)
}

async fn stats(State(state): State<AppState>, viewer: Viewer, RawQuery(raw): RawQuery) -> Response {
    match build_stats(&state, &viewer, raw).await {
        Ok(page) => render(&page),
        Err(r) => r,
    }
}

impl StatsPage {
    fn tables(&self) -> Vec<crate::export::Table> {
        let mut flows = crate::export::Table {
            title: "Qui oriente vers qui".into(),
            headers: vec!["de", "vers", "orientations"],
            rows: Vec::new(),
        };
        for (from, counts) in &self.rows {
            for (to, n) in self.columns.iter().zip(counts) {
                flows
                    .rows
                    .push(vec![from.to_string(), to.to_string(), n.to_string()]);
            }
        }
        let statuses = crate::export::Table {
            title: "État des orientations".into(),
            headers: vec!["état", "orientations", "pourcentage"],
            rows: self
                .statuses
                .iter()
                .map(|(l, n, share)| vec![l.to_string(), n.to_string(), share.clone()])
                .collect(),
        };
        vec![flows, statuses]
    }

    fn about(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Année", self.year.to_string()),
            (
                "Département",
                if self.departement.is_empty() {
                    "tous".into()
                } else {
                    self.departement_name.clone()
                },
            ),
            ("Orientations", self.total.to_string()),
            (
                "Délai médian jusqu’à la première action",
                self.median_first.clone(),
            ),
            (
                "Délai médian jusqu’à la clôture",
                self.median_closure.clone(),
            ),
        ]
    }
}

/// What the statistics page is asked: `?annee=2026&departement=29`.
#[derive(serde::Deserialize, Default)]
struct StatsQuery {
    #[serde(default)]
    annee: String,
    #[serde(default)]
    departement: String,
}

async fn stats_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Response {
    match build_stats(&state, &viewer, raw).await {
        Ok(page) => crate::export::csv("passerelle-orientations.csv", &page.tables()),
        Err(r) => r,
    }
}

async fn stats_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Response {
    match build_stats(&state, &viewer, raw).await {
        Ok(page) => crate::export::xlsx(
            "passerelle-orientations.xlsx",
            "Orientations",
            &page.about(),
            &page.tables(),
        ),
        Err(r) => r,
    }
}

async fn build_stats(
    state: &AppState,
    viewer: &Viewer,
    raw: Option<String>,
) -> Result<StatsPage, Response> {
    let result: Result<StatsPage, Response> = async {
        viewer
            .authorize(Action::ViewReferralStats)
            .map_err(|d| page_denial(d, "/orientations/statistiques"))?;
        let asked: StatsQuery =
            serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
        let year: i32 = asked
            .annee
            .trim()
            .parse()
            .ok()
            .filter(|y| (2015..=2100).contains(y))
            .unwrap_or_else(|| chrono::Datelike::year(&Utc::now()));
        // The départements of the loaded reference the viewer answers for
        // (a région's coordinator: each of its départements); "all of
        // them" only for whoever sees everywhere.
        let scope = territorial_scope(&viewer.actor);
        let departements: Vec<(String, String)> = state
            .db
            .territories_within(&scope)
            .await
            .map_err(storage_failure)?
            .into_iter()
            .filter(|t| t.level == passerelle_accounts::ScopeLevel::Departement)
            .map(|t| (t.code, t.name))
            .collect();
        let everywhere = scope == TerritorialScope::Everywhere;
        let departement = match asked.departement.trim() {
            "" if everywhere => String::new(),
            "" => departements
                .first()
                .map(|(code, _)| code.clone())
                .ok_or_else(crate::pages::forbidden)?,
            d if departements.iter().any(|(code, _)| code == d) => d.to_string(),
            _ => return Err(crate::pages::forbidden()),
        };
        let departement_name = departements
            .iter()
            .find(|(code, _)| *code == departement)
            .map(|(_, name)| name.clone())
            .unwrap_or_default();
        let s = state
            .db
            .referral_stats(
                Some(departement.as_str()).filter(|d| !d.is_empty()),
                &format!("{year}-01-01"),
                &format!("{}-01-01", year + 1),
            )
            .await
            .map_err(storage_failure)?;
        let mut senders: Vec<&String> = s.flows.keys().map(|(a, _)| a).collect();
        senders.dedup();
        let mut receivers: Vec<&String> = s.flows.keys().map(|(_, b)| b).collect();
        receivers.sort();
        receivers.dedup();
        let rows = senders
            .iter()
            .map(|a| {
                (
                    kind_label(a),
                    receivers
                        .iter()
                        .map(|b| {
                            s.flows
                                .get(&((*a).clone(), (*b).clone()))
                                .copied()
                                .unwrap_or(0)
                        })
                        .collect(),
                )
            })
            .collect();
        let statuses = Status::ALL
            .iter()
            .map(|st| {
                let n = s.statuses.get(st.code()).copied().unwrap_or(0);
                let share = if s.total == 0 {
                    String::new()
                } else {
                    format!("{:.1}", n as f64 * 100.0 / s.total as f64)
                };
                (st.label(), n, share)
            })
            .collect();
        let days = |d: Option<f64>| d.map_or_else(|| "—".to_string(), |d| format!("{d:.1} j"));
        let export_query = serde_urlencoded::to_string([
            ("annee", year.to_string()),
            ("departement", departement.clone()),
        ])
        .unwrap_or_default();
        Ok(StatsPage {
            everywhere,
            departement_name,
            export_query,
            chrome: Chrome::new("/orientations", viewer),
            crumbs: crumbs(&[("Orientations", "/orientations")], "Statistiques"),
            year,
            departement,
            departements,
            total: s.total,
            columns: receivers.iter().map(|k| kind_label(k)).collect(),
            rows,
            statuses,
            median_first: days(s.median_days_to_first_action),
            median_closure: days(s.median_days_to_closure),
        })
    }
    .await;
    result
}
