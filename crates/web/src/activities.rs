//! Activités over HTTP: the mediator's quick entry form and own figures,
//! the coordinators' dashboard, and `POST /api/v1/activities`.

use askama::Template;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use passerelle_accounts::Role;
use passerelle_accounts::policy::{Action, Actor, FiguresScope, activity_figures};
use passerelle_activities::aggregate::{Level, shown};
use passerelle_activities::model::{Activity, Kind, Where};
use passerelle_activities::validate::validate;
use passerelle_activities::vocab;
use passerelle_store::activities::{
    Author, DIMENSIONS, RecordStats, Reference, StatsQuery, Territory, UnknownReference, Written,
};
use serde::Serialize;

use crate::AppState;
use crate::auth::{Viewer, api_denial, page_denial};
use crate::error::ApiError;
use crate::export::Table;
use crate::fr::paris_now;
use crate::pages::{Chrome, Crumb, crumbs, render, storage_failure};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/activites", entry_page),
        Route::post("/activites", record),
        Route::post("/activites/{id}/suppression", withdraw),
        Route::get("/activites/{id}/modifier", edit_page),
        Route::post("/activites/{id}/modifier", save_edit),
        Route::get("/activites/tableau-de-bord", dashboard),
        Route::get("/activites/tableau-de-bord.csv", dashboard_csv),
        Route::get("/activites/tableau-de-bord.xlsx", dashboard_xlsx),
        // About 3,000 records a request; larger files go through
        // `passerelle activities import`.
        Route::post("/api/v1/activities", api_record).body_limit(2 * 1024 * 1024),
    ]
}

type PageResult = Result<Response, Response>;

/// The structure a mediator records for: their first structure where they
/// are membre or gestionnaire.
fn recording_structure(viewer: &Viewer) -> Option<i64> {
    viewer
        .memberships
        .iter()
        .find(|m| matches!(m.role, Role::Membre | Role::Gestionnaire))
        .map(|m| m.structure_id)
}

/// What the form shows: a new record's defaults or the record edited.
#[derive(Default)]
pub struct Prefill {
    pub kind: String,
    pub date: String,
    pub duration: u32,
    pub place: String,
    pub commune: String,
    pub themes: Vec<String>,
    pub organisation: String,
    pub helps: Vec<String>,
    pub age: String,
    pub status: String,
    pub autonomy: String,
    pub orientation: String,
    pub code: String,
    pub participants: String,
    pub title: String,
    pub level: String,
    /// A workshop's people per age bracket and per status: every value of
    /// the list with its count (empty when none).
    pub workshop_ages: Vec<(&'static str, String)>,
    pub workshop_statuses: Vec<(&'static str, String)>,
}

/// Every value of a list with the count a record gives it.
fn counts_of(
    list: &'static [&'static str],
    counts: &[(String, u32)],
) -> Vec<(&'static str, String)> {
    list.iter()
        .map(|v| {
            let n = counts
                .iter()
                .find(|(k, _)| k == v)
                .map_or(String::new(), |(_, n)| n.to_string());
            (*v, n)
        })
        .collect()
}

impl Prefill {
    fn of(a: &Activity) -> Self {
        let first = |v: &[(String, u32)]| v.first().map(|(k, _)| k.clone()).unwrap_or_default();
        let (place, commune) = match &a.place {
            Where::Lieu(id) => (
                format!("lieu:{id}"),
                a.residence_commune.clone().unwrap_or_default(),
            ),
            Where::Domicile => (
                "domicile".into(),
                a.residence_commune.clone().unwrap_or_default(),
            ),
            Where::Distance => (
                "distance".into(),
                a.residence_commune.clone().unwrap_or_default(),
            ),
            Where::Autre(c) => ("autre".into(), c.clone()),
        };
        Self {
            kind: format!("{:?}", a.kind).to_lowercase(),
            date: a.date.to_string(),
            duration: a.duration_minutes,
            place,
            commune,
            themes: a.themes.clone(),
            organisation: a.organisation.clone().unwrap_or_default(),
            helps: a.kinds_of_help.clone(),
            age: first(&a.ages),
            status: first(&a.statuses),
            autonomy: a.autonomy.clone().unwrap_or_default(),
            orientation: a.orientation.clone().unwrap_or_default(),
            code: a.follow_up_code.clone().unwrap_or_default(),
            participants: if a.kind == Kind::Atelier {
                a.participants.to_string()
            } else {
                String::new()
            },
            title: a.workshop_title.clone().unwrap_or_default(),
            level: a.level.clone().unwrap_or_default(),
            workshop_ages: counts_of(
                &vocab::AGE_BRACKETS,
                if a.kind == Kind::Atelier {
                    &a.ages
                } else {
                    &[]
                },
            ),
            workshop_statuses: counts_of(
                &vocab::STATUSES,
                if a.kind == Kind::Atelier {
                    &a.statuses
                } else {
                    &[]
                },
            ),
        }
    }
}

impl Prefill {
    /// What was typed in the form, as typed, to show it again.
    fn from_fields(fields: &[(String, String)]) -> Self {
        let get = |k: &str| {
            fields
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default()
        };
        let all = |k: &str| {
            fields
                .iter()
                .filter(|(key, _)| key == k)
                .map(|(_, v)| v.trim().to_string())
                .collect::<Vec<_>>()
        };
        let typed = |prefix: &str, list: &'static [&'static str]| {
            list.iter()
                .enumerate()
                .map(|(i, v)| (*v, get(&format!("{prefix}_{i}"))))
                .collect()
        };
        let kind = get("type");
        Self {
            kind: if kind.is_empty() {
                "individuel".into()
            } else {
                kind
            },
            date: get("date"),
            duration: get("duree").parse().unwrap_or(30),
            place: get("lieu"),
            commune: get("commune"),
            themes: all("themes"),
            organisation: get("organisation"),
            helps: all("aides"),
            age: get("age"),
            status: get("statut"),
            autonomy: get("autonomie"),
            orientation: get("orientation"),
            code: get("code_suivi"),
            participants: get("participants"),
            title: get("titre_atelier"),
            level: get("niveau"),
            workshop_ages: typed("nb_age", &vocab::AGE_BRACKETS),
            workshop_statuses: typed("nb_statut", &vocab::STATUSES),
        }
    }
}

/// What is wrong with a submitted form: sentences for the summary at the
/// top, and those shown next to the place and commune fields too.
#[derive(Default)]
struct Problems {
    list: Vec<String>,
    place: Option<String>,
    commune: Option<String>,
}

impl Problems {
    fn listed(list: Vec<String>) -> Self {
        Self {
            list,
            ..Self::default()
        }
    }

    fn is_empty(&self) -> bool {
        self.list.is_empty() && self.place.is_none() && self.commune.is_none()
    }

    /// What the form says of references to nothing: next to the field.
    fn unknown(unknown: &[UnknownReference]) -> Self {
        let mut out = Self::default();
        for u in unknown {
            let (field, message) = match &u.reference {
                Reference::Place(_) => (
                    Some(&mut out.place),
                    "Ce lieu n’est pas (ou plus) dans l’annuaire : choisissez-en un dans la liste."
                        .to_string(),
                ),
                Reference::Commune(code) | Reference::ResidenceCommune(code) => (
                    Some(&mut out.commune),
                    format!("Aucune commune n’a le code INSEE « {code} » : vérifiez-le."),
                ),
                Reference::Structure(_) | Reference::Mediator(_) | Reference::Token(_) => (
                    None,
                    "Votre compte ou votre structure n’existe plus : reconnectez-vous.".to_string(),
                ),
            };
            if let Some(slot) = field {
                *slot = Some(message.clone());
            }
            if !out.list.contains(&message) {
                out.list.push(message);
            }
        }
        out
    }
}

/// The entry form to show: the record edited (if any), what to fill the
/// fields with (what was typed, when shown again), what is wrong.
#[derive(Default)]
struct Shown {
    editing: Option<i64>,
    typed: Option<Prefill>,
    problems: Problems,
}

#[derive(Template)]
#[template(path = "activites.html")]
struct EntryPage {
    /// Where the form posts: a new record, or the edit of one.
    action: String,
    editing: bool,
    f: Prefill,
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    notice: Option<String>,
    errors: Vec<String>,
    /// Shown next to the place and commune fields.
    place_error: Option<String>,
    commune_error: Option<String>,
    today: String,
    places: Vec<(i64, String)>,
    themes: Vec<&'static str>,
    organisations: &'static [&'static str],
    helps: &'static [&'static str],
    ages: &'static [&'static str],
    statuses: &'static [&'static str],
    autonomy: &'static [&'static str],
    orientations: &'static [&'static str],
    levels: &'static [&'static str],
    durations: &'static [u32],
    recent: Vec<(i64, String, String, String)>,
}

async fn entry_form(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<String>,
    shown: Shown,
) -> PageResult {
    viewer
        .authorize(Action::RecordActivity)
        .map_err(|d| page_denial(d, "/activites"))?;
    let person = viewer.person_id().ok_or_else(crate::pages::forbidden)?;
    let recent_records = state
        .db
        .activities_of(person, 10)
        .await
        .map_err(storage_failure)?;
    let (last_duration, last_where) =
        recent_records
            .first()
            .map_or((30, String::new()), |(_, a)| {
                let w = match &a.place {
                    Where::Lieu(id) => format!("lieu:{id}"),
                    Where::Domicile => "domicile".into(),
                    Where::Distance => "distance".into(),
                    Where::Autre(_) => "autre".into(),
                };
                (a.duration_minutes, w)
            });
    // The places the mediator's structures run (by SIRET), to pick from.
    let mut sirets = Vec::new();
    for m in &viewer.memberships {
        if let Some(s) = state
            .db
            .structure(m.structure_id)
            .await
            .map_err(storage_failure)?
            .and_then(|s| s.siret)
        {
            sirets.push(s);
        }
    }
    let index = state.place_index().await.map_err(storage_failure)?;
    let mut places: Vec<(i64, String)> = index
        .entries
        .iter()
        .filter(|e| sirets.contains(&e.place.pivot))
        .map(|e| (e.id, format!("{} ({})", e.place.nom, e.place.commune)))
        .collect();
    let recent = recent_records
        .into_iter()
        .map(|(id, a)| {
            (
                id,
                a.date.format("%d/%m/%Y").to_string(),
                a.kind.label().to_string(),
                a.themes.join(", "),
            )
        })
        .collect();
    let Shown {
        editing,
        typed,
        problems,
    } = shown;
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let action = match editing {
        Some(id) => format!("/activites/{id}/modifier"),
        None => "/activites".to_string(),
    };
    let f = typed.unwrap_or_else(|| Prefill {
        kind: "individuel".into(),
        date: paris_now().date().to_string(),
        duration: last_duration,
        place: last_where.clone(),
        workshop_ages: counts_of(&vocab::AGE_BRACKETS, &[]),
        workshop_statuses: counts_of(&vocab::STATUSES, &[]),
        ..Prefill::default()
    });
    // A place typed that the list does not offer stays chosen, so that
    // what was sent is what is shown (next to its error).
    if let Some(id) = f.place.strip_prefix("lieu:")
        && !places.iter().any(|(p, _)| p.to_string() == id)
    {
        let id: i64 = id.parse().unwrap_or(0);
        places.push((id, format!("Lieu n° {id} (introuvable)")));
    }
    let page = EntryPage {
        action,
        editing: editing.is_some(),
        f,
        chrome: Chrome::new("/activites", viewer),
        crumbs: crumbs(&[], "Activités"),
        notice,
        errors: problems.list,
        place_error: problems.place,
        commune_error: problems.commune,
        today: paris_now().date().to_string(),

        places,
        themes: vocab::THEMES.iter().map(|(t, _)| *t).collect(),
        organisations: &vocab::ORGANISATIONS,
        helps: &vocab::KINDS_OF_HELP,
        ages: &vocab::AGE_BRACKETS,
        statuses: &vocab::STATUSES,
        autonomy: &vocab::AUTONOMY,
        orientations: &vocab::ORIENTATIONS,
        levels: &vocab::LEVELS,
        durations: &vocab::DURATION_PRESETS,
        recent,
    };
    Ok((status, render(&page)).into_response())
}

async fn entry_page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Response {
    let notice = raw
        .as_deref()
        .filter(|q| q.contains("info=ok"))
        .map(|_| "Activité enregistrée.".to_string());
    entry_form(&state, &viewer, notice, Shown::default())
        .await
        .unwrap_or_else(|r| r)
}

/// Builds a record from the form's fields; the French reasons if it cannot.
fn from_form(fields: &[(String, String)]) -> Result<Activity, Vec<String>> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let all = |k: &str| {
        fields
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
    };
    let mut errors = Vec::new();
    let kind = match get("type").as_deref() {
        Some("atelier") => Kind::Atelier,
        Some("demarche") => Kind::Demarche,
        _ => Kind::Individuel,
    };
    let date = get("date")
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| {
            errors.push("date : une date au format AAAA-MM-JJ".into());
            NaiveDate::MIN
        });
    let number = |k: &str, default: u32, errors: &mut Vec<String>| match get(k) {
        None => default,
        Some(v) => v.parse().unwrap_or_else(|_| {
            errors.push(format!("{k} : « {v} » n’est pas un nombre"));
            default
        }),
    };
    let duration_minutes = number("duree", 0, &mut errors);
    let participants = if kind == Kind::Atelier {
        number("participants", 0, &mut errors)
    } else {
        1
    };
    let commune = get("commune");
    let place = match get("lieu").as_deref() {
        Some("domicile") => Where::Domicile,
        Some("distance") => Where::Distance,
        Some(l) if l.starts_with("lieu:") => Where::Lieu(l[5..].parse().unwrap_or(0)),
        _ => Where::Autre(commune.clone().unwrap_or_default()),
    };
    let one = |k: &str| get(k).map(|v| vec![(v, participants)]).unwrap_or_default();
    // A workshop's people per bracket: `nb_age_<i>` for the i-th bracket.
    let mut per = |prefix: &str, list: &[&str]| -> Vec<(String, u32)> {
        list.iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let n = number(&format!("{prefix}_{i}"), 0, &mut errors);
                (n > 0).then(|| (v.to_string(), n))
            })
            .collect()
    };
    let workshop_ages = per("nb_age", &vocab::AGE_BRACKETS);
    let workshop_statuses = per("nb_statut", &vocab::STATUSES);
    let activity = Activity {
        kind,
        date,
        duration_minutes,
        place,
        workshop_title: get("titre_atelier"),
        level: get("niveau"),
        participants,
        ages: if kind == Kind::Atelier {
            workshop_ages
        } else {
            one("age")
        },
        statuses: if kind == Kind::Atelier {
            workshop_statuses
        } else {
            one("statut")
        },
        residence_commune: commune.filter(|_| get("lieu").as_deref() != Some("autre")),
        follow_up_code: get("code_suivi"),
        themes: all("themes"),
        organisation: get("organisation"),
        kinds_of_help: all("aides"),
        autonomy: get("autonomie"),
        equipment: get("materiel"),
        orientation: get("orientation"),
        returning: 0,
    };
    if errors.is_empty() {
        Ok(activity)
    } else {
        Err(errors)
    }
}

async fn record(
    State(state): State<AppState>,
    viewer: Viewer,
    form: crate::pages::FormFields,
) -> Response {
    submit(&state, &viewer, None, form)
        .await
        .unwrap_or_else(|r| r)
}

/// A record sent by the form, new (`editing` is `None`) or edited: parsed,
/// checked (its fields, and that its place and commune exist), then
/// written with its audit line in one transaction. Anything wrong shows
/// the form again with what was typed, each error next to its field.
async fn submit(
    state: &AppState,
    viewer: &Viewer,
    editing: Option<i64>,
    form: crate::pages::FormFields,
) -> PageResult {
    viewer
        .authorize(Action::RecordActivity)
        .map_err(|d| page_denial(d, "/activites"))?;
    let person = viewer.person_id().ok_or_else(crate::pages::forbidden)?;
    if let Some(id) = editing
        && state
            .db
            .activity_of(id, person)
            .await
            .map_err(storage_failure)?
            .is_none()
    {
        return Err(crate::pages::missing());
    }
    let Ok(axum::Form(fields)) = form else {
        return Err(crate::pages::forbidden_form("Formulaire incomplet."));
    };
    let again = |problems: Problems| Shown {
        editing,
        typed: Some(Prefill::from_fields(&fields)),
        problems,
    };
    let activity = match from_form(&fields) {
        Ok(a) => a,
        Err(errors) => {
            return entry_form(state, viewer, None, again(Problems::listed(errors))).await;
        }
    };
    let problems: Vec<String> = validate(1, &activity, paris_now().date())
        .into_iter()
        .map(|v| format!("{} : {}", v.field, v.message))
        .collect();
    if !problems.is_empty() {
        return entry_form(state, viewer, None, again(Problems::listed(problems))).await;
    }
    let written = match editing {
        Some(id) => {
            let event = audit_event(viewer, "activity.updated", format!("activité {id}"), None);
            match state
                .db
                .update_activity(id, person, &activity, Some(&event))
                .await
                .map_err(storage_failure)?
            {
                Written::Done(true) => Ok(()),
                Written::Done(false) => return Err(crate::pages::missing()),
                Written::Unknown(u) => Err(u),
            }
        }
        None => {
            let author = Author {
                mediator_id: Some(person),
                structure_id: recording_structure(viewer),
                token_id: None,
            };
            state
                .db
                .record_activities(&[(activity, None)], author, |stored| {
                    stored.first().map(|(id, _)| {
                        audit_event(viewer, "activity.created", format!("activité {id}"), None)
                    })
                })
                .await
                .map_err(storage_failure)?
                .done()
                .map(|_| ())
        }
    };
    match written {
        Ok(()) => Ok(Redirect::to("/activites?info=ok").into_response()),
        Err(unknown) => entry_form(state, viewer, None, again(Problems::unknown(&unknown))).await,
    }
}

async fn withdraw(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    let result: PageResult = async {
        viewer
            .authorize(Action::RecordActivity)
            .map_err(|d| page_denial(d, "/activites"))?;
        let (Ok(id), Some(person)) = (id.parse::<i64>(), viewer.person_id()) else {
            return Err(crate::pages::missing());
        };
        if !state
            .db
            .delete_activity(id, person)
            .await
            .map_err(storage_failure)?
        {
            return Err(crate::pages::missing());
        }
        let event = audit_event(
            &viewer,
            "activity.withdrawn",
            format!("activité {id}"),
            None,
        );
        state.db.audit(&event).await.map_err(storage_failure)?;
        Ok(Redirect::to("/activites").into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

/// The audit line of a change to activity records.
fn audit_event(
    viewer: &Viewer,
    action: &str,
    subject: String,
    detail: Option<String>,
) -> passerelle_store::accounts::AuditEvent {
    passerelle_store::accounts::AuditEvent {
        action: action.into(),
        actor_person_id: viewer.person_id(),
        actor_token_id: viewer.token_id(),
        structure_id: recording_structure(viewer),
        subject: Some(subject),
        detail,
        ip: viewer.ip.clone(),
    }
}

async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    let result: PageResult = async {
        viewer
            .authorize(Action::RecordActivity)
            .map_err(|d| page_denial(d, "/activites"))?;
        let (Ok(id), Some(person)) = (id.parse::<i64>(), viewer.person_id()) else {
            return Err(crate::pages::missing());
        };
        let Some(a) = state
            .db
            .activity_of(id, person)
            .await
            .map_err(storage_failure)?
        else {
            return Err(crate::pages::missing());
        };
        let shown = Shown {
            editing: Some(id),
            typed: Some(Prefill::of(&a)),
            problems: Problems::default(),
        };
        entry_form(&state, &viewer, None, shown).await
    }
    .await;
    result.unwrap_or_else(|r| r)
}

async fn save_edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: crate::pages::FormFields,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return crate::pages::missing();
    };
    submit(&state, &viewer, Some(id), form)
        .await
        .unwrap_or_else(|r| r)
}

pub struct DashboardTable {
    pub title: &'static str,
    pub rows: Vec<Row>,
}

/// One line of a dashboard table, as shown: a cell under the small-cell
/// rule hides its share and records too, which would give it away.
pub struct Row {
    pub value: String,
    pub people: String,
    /// `12.5`, or empty when hidden.
    pub share: String,
    /// Empty for aggregate sources, which have no records.
    pub records: String,
    /// Share for the bar, 0–100.
    pub bar: i64,
}

impl Row {
    fn new(value: String, people: i64, sum: i64, records: Option<i64>, level: Level) -> Self {
        let shown_people = shown(people.max(0) as u64, level);
        let hidden = shown_people.starts_with('<');
        let share = if sum == 0 {
            0.0
        } else {
            (people as f64 * 1000.0 / sum as f64).round() / 10.0
        };
        Self {
            value,
            people: shown_people,
            share: if hidden {
                String::new()
            } else {
                share.to_string()
            },
            records: match records {
                Some(_) if hidden => String::new(),
                Some(n) => n.to_string(),
                None => String::new(),
            },
            bar: if hidden { 0 } else { share.round() as i64 },
        }
    }
}

#[derive(Template)]
#[template(path = "activites_tableau.html")]
struct DashboardPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    scope_label: String,
    territory: String,
    territories: Vec<(String, String)>,
    year: i32,
    /// Months `YYYY-MM`, inclusive, and how the heading says them.
    from: String,
    to: String,
    period_label: String,
    /// A period other than the year was asked for.
    custom_period: bool,
    /// Structures with records in the territory, and the one chosen.
    structures: Vec<(i64, String)>,
    structure: Option<i64>,
    /// Places with records in the territory, and the one chosen; national
    /// programmes, and the one chosen.
    places: Vec<(i64, String)>,
    place: Option<i64>,
    programmes: &'static [&'static str],
    programme: Option<&'static str>,
    total_people: String,
    total_records: i64,
    tables: Vec<DashboardTable>,
    sources: Vec<DashboardTable>,
    source_date: Option<String>,
    own: bool,
    /// Month, people shown, share of the busiest month (0–100).
    months: Vec<(String, String, i64)>,
    export_query: String,
    /// Coordinators: the network's events this year (`reseau::figures`).
    network: Option<String>,
}

impl DashboardPage {
    fn is_chosen(&self, id: &i64) -> bool {
        self.structure == Some(*id)
    }

    fn is_chosen_place(&self, id: &i64) -> bool {
        self.place == Some(*id)
    }

    fn is_chosen_programme(&self, name: &str) -> bool {
        self.programme == Some(name)
    }
}

const TITLES: [(&str, &str); 10] = [
    ("theme", "Thèmes des accompagnements"),
    ("type", "Type d’accompagnement"),
    ("duree", "Durée"),
    ("age", "Âge des personnes"),
    ("statut", "Statut des personnes"),
    ("organisation", "Démarches : organisme concerné"),
    ("aide", "Démarches : aide apportée"),
    ("autonomie", "Autonomie à l’issue"),
    ("orientation", "Orientation vers"),
    ("suivi", "Type d’accompagnement et suivi des personnes"),
];

fn territory_level(t: &Territory) -> Level {
    match t {
        Territory::Commune(_) => Level::Commune,
        Territory::Epci(_) => Level::Epci,
        Territory::Departement(_) => Level::Departement,
        _ => Level::Region,
    }
}

async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Response {
    match build_dashboard(&state, &viewer, raw).await {
        Ok(mut page) => {
            page.network = crate::reseau::dashboard_line(&state, &viewer).await;
            render(&page)
        }
        Err(r) => r,
    }
}

/// Every table of a dashboard, in the order shown, as shown: small cells
/// hidden.
fn export_tables(page: &DashboardPage) -> Vec<Table> {
    const HEADERS: [&str; 4] = ["valeur", "personnes", "pourcentage", "fiches"];
    let mut out = vec![Table {
        title: "Personnes par mois".to_string(),
        headers: HEADERS.to_vec(),
        rows: page
            .months
            .iter()
            .map(|(month, people, _)| {
                vec![month.clone(), people.clone(), String::new(), String::new()]
            })
            .collect(),
    }];
    let rows = |t: &DashboardTable| {
        t.rows
            .iter()
            .map(|r| {
                vec![
                    r.value.clone(),
                    r.people.clone(),
                    r.share.clone(),
                    r.records.clone(),
                ]
            })
            .collect()
    };
    out.extend(page.tables.iter().map(|t| Table {
        title: t.title.to_string(),
        headers: HEADERS.to_vec(),
        rows: rows(t),
    }));
    out.extend(page.sources.iter().map(|t| Table {
        title: format!("Conseillers numériques (CRA) : {}", t.title),
        headers: HEADERS.to_vec(),
        rows: rows(t),
    }));
    out
}

/// Every table of the dashboard as CSV: `tableau,valeur,personnes,pourcentage,fiches`.
async fn dashboard_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Response {
    match build_dashboard(&state, &viewer, raw).await {
        Ok(page) => crate::export::csv("passerelle-activites.csv", &export_tables(&page)),
        Err(r) => r,
    }
}

/// Every table of the dashboard as an XLSX workbook.
async fn dashboard_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Response {
    let page = match build_dashboard(&state, &viewer, raw).await {
        Ok(page) => page,
        Err(r) => return r,
    };
    let about = [
        ("Territoire", page.scope_label.clone()),
        ("Période", page.period_label.clone()),
        ("Personnes accompagnées", page.total_people.clone()),
        ("Fiches", page.total_records.to_string()),
        (
            "Lecture",
            "Un atelier de 8 personnes compte 8 accompagnements ; une fiche à plusieurs thèmes compte pour chacun. « < 5 » : moins de 5 personnes dans un territoire plus petit qu’un EPCI, non publié.".to_string(),
        ),
    ];
    crate::export::xlsx(
        "passerelle-activites.xlsx",
        "Activités",
        &about,
        &export_tables(&page),
    )
}

/// `2023` for a whole year, `mars 2023 – juin 2023` otherwise.
fn period_label(from: &str, to: &str) -> String {
    use crate::fr::MONTHS;
    let say = |m: &str| {
        let (y, n) = m.split_once('-').unwrap_or((m, "01"));
        let n: usize = n.parse().unwrap_or(1);
        format!("{} {y}", MONTHS[n.clamp(1, 12) - 1])
    };
    match (from.split_once('-'), to.split_once('-')) {
        (Some((y1, "01")), Some((y2, "12"))) if y1 == y2 => y1.to_string(),
        _ if from == to => say(from),
        _ => format!("{} – {}", say(from), say(to)),
    }
}

async fn build_dashboard(
    state: &AppState,
    viewer: &Viewer,
    raw: Option<String>,
) -> Result<DashboardPage, Response> {
    let result: Result<DashboardPage, Response> = async {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let year: i32 = get("annee")
            .and_then(|y| y.parse().ok())
            .filter(|y| (2015..=2100).contains(y))
            .unwrap_or_else(|| chrono::Datelike::year(&paris_now()));
        let month = |k: &str| {
            get(k).filter(|m| {
                NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").is_ok() && m.len() == 7
            })
        };
        let mut from = month("du").unwrap_or_else(|| format!("{year}-01"));
        let mut to = month("au").unwrap_or_else(|| format!("{year}-12"));
        if from > to {
            std::mem::swap(&mut from, &mut to);
        }
        // Who sees what is the policy's answer: admins any territory,
        // coordinators their scopes, mediators their own records, a
        // structure's API token its structure's. The store counts nothing
        // outside it.
        let scope = activity_figures(&viewer.actor)
            .map_err(|d| page_denial(d, "/activites/tableau-de-bord"))?;
        let own = scope.is_own();
        let territories: Vec<(String, String)> = match &scope {
            // The loaded reference's régions and their départements.
            FiguresScope::Everything => {
                let mut all = Vec::new();
                for r in state.db.regions().await.map_err(storage_failure)? {
                    all.push((Territory::Region(r.code.clone()).key(), r.nom));
                    if let Some(region) = state.db.region(&r.code).await.map_err(storage_failure)? {
                        for d in region.departements {
                            all.push((Territory::Departement(d.code).key(), d.nom));
                        }
                    }
                }
                all
            }
            FiguresScope::Territories(scopes) => scopes
                .iter()
                .map(|s| {
                    (
                        Territory::of_scope(s.level, &s.code).key(),
                        format!("{} {}", s.level.label(), s.code),
                    )
                })
                .collect(),
            FiguresScope::Structures(_) | FiguresScope::Person(_) => Vec::new(),
        };
        let requested = get("territoire").unwrap_or_default();
        let territory_key = if own {
            String::new()
        } else if requested.is_empty() {
            territories
                .first()
                .map(|(k, _)| k.clone())
                .unwrap_or_default()
        } else {
            requested
        };
        let territory = Territory::parse(&territory_key).ok_or_else(crate::pages::missing)?;
        if !own
            && !territory
                .scope()
                .is_some_and(|(level, code)| scope.covers_territory(level, code))
            && scope != FiguresScope::Everything
        {
            return Err(crate::pages::forbidden());
        }
        let level = if own {
            Level::Region
        } else {
            territory_level(&territory)
        };
        let structures = if own {
            Vec::new()
        } else {
            state
                .db
                .activity_structures(&territory)
                .await
                .map_err(storage_failure)?
        };
        let structure = match get("structure").filter(|s| !s.is_empty()) {
            None => None,
            Some(id) => Some(
                id.parse::<i64>()
                    .ok()
                    .filter(|id| structures.iter().any(|(s, _)| s == id))
                    .ok_or_else(crate::pages::missing)?,
            ),
        };
        let base = StatsQuery {
            dimension: "total",
            territory: territory.clone(),
            from: from.clone(),
            to: to.clone(),
            structure_id: structure,
            scope: scope.clone(),
        };
        // Narrowed to a place or a national programme: the records of those
        // places, counted as the roll-ups count them.
        let places = if own {
            Vec::new()
        } else {
            state
                .db
                .activity_places(&territory)
                .await
                .map_err(storage_failure)?
        };
        let place = match get("lieu").filter(|s| !s.is_empty()) {
            None => None,
            Some(id) => Some(
                id.parse::<i64>()
                    .ok()
                    .filter(|id| places.iter().any(|(p, _)| p == id))
                    .ok_or_else(crate::pages::missing)?,
            ),
        };
        let programme = match get("programme").filter(|s| !s.is_empty()) {
            None => None,
            Some(p) => Some(
                passerelle_places::vocab::NATIONAL_PROGRAMMES
                    .iter()
                    .find(|n| **n == p)
                    .copied()
                    .ok_or_else(crate::pages::missing)?,
            ),
        };
        let narrowed = if place.is_some() || programme.is_some() {
            let index = state.place_index().await.map_err(storage_failure)?;
            let ids: Vec<i64> = index
                .entries
                .iter()
                .filter(|e| place.is_none_or(|p| p == e.id))
                .filter(|e| {
                    programme.is_none_or(|p| {
                        e.place
                            .dispositif_programmes_nationaux
                            .iter()
                            .any(|x| x == p)
                    })
                })
                .map(|e| e.id)
                .collect();
            let records = state
                .db
                .activities_at_places(&ids, &base)
                .await
                .map_err(storage_failure)?;
            Some(RecordStats::of(&records))
        } else {
            None
        };
        // A place is smaller than an EPCI: small cells hidden.
        let level = if narrowed.is_some() {
            Level::Commune
        } else {
            level
        };
        let total = match &narrowed {
            Some(stats) => stats.rows("total"),
            None => state
                .db
                .activity_stats(&base)
                .await
                .map_err(storage_failure)?,
        };
        let (total_people, total_records) = total.first().map_or((0, 0), |r| (r.people, r.records));
        let mut tables = Vec::new();
        for (name, _) in DIMENSIONS {
            let rows = match &narrowed {
                Some(stats) => stats.rows(name),
                None => state
                    .db
                    .activity_stats(&StatsQuery {
                        dimension: name,
                        ..base.clone()
                    })
                    .await
                    .map_err(storage_failure)?,
            };
            let sum: i64 = rows.iter().map(|r| r.people).sum();
            let title = TITLES
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(name, |(_, t)| t);
            tables.push(DashboardTable {
                title,
                rows: rows
                    .into_iter()
                    .map(|r| Row::new(r.value, r.people, sum, Some(r.records), level))
                    .collect(),
            });
        }
        // The conseillers numériques' figures, a separate source.
        let departement = match &territory {
            Territory::Departement(d) => Some(d.as_str()),
            Territory::Region(_) => None,
            _ => Some("-"),
        };
        let mut sources = Vec::new();
        let mut source_date = None;
        if !own && departement != Some("-") {
            for (dimension, title) in [
                ("age", "Âge des personnes accompagnées"),
                ("statut", "Statut des personnes accompagnées"),
            ] {
                let (rows, as_of) = state
                    .db
                    .aggregate_stats(passerelle_activities::cra::SOURCE, dimension, departement)
                    .await
                    .map_err(storage_failure)?;
                source_date = source_date.or(as_of);
                let sum: i64 = rows.iter().map(|r| r.1).sum();
                // Published per département: no small-cell rule applies.
                sources.push(DashboardTable {
                    title,
                    rows: rows
                        .into_iter()
                        .map(|(v, n)| Row::new(v, n, sum, None, Level::Region))
                        .collect(),
                });
            }
        }
        let scope_label = if let FiguresScope::Person(_) = scope {
            "Mes activités".to_string()
        } else if own {
            "Activités de la structure".to_string()
        } else {
            territories
                .iter()
                .find(|(k, _)| *k == territory_key)
                .map_or(territory_key.clone(), |(_, l)| l.clone())
        };
        let monthly = match &narrowed {
            Some(stats) => stats.months(),
            None => state
                .db
                .activity_months(&base)
                .await
                .map_err(storage_failure)?,
        };
        let busiest = monthly.iter().map(|m| m.people).max().unwrap_or(0).max(1);
        let months = monthly
            .into_iter()
            .map(|m| {
                let people = shown(m.people as u64, level);
                // A hidden month gets no bar: its length would tell.
                let bar = if people.starts_with('<') {
                    0
                } else {
                    m.people * 100 / busiest
                };
                (m.value, people, bar)
            })
            .collect();
        let export_query = raw.clone().unwrap_or_default();
        Ok(DashboardPage {
            months,
            export_query,
            network: None,
            chrome: Chrome::new("/activites", viewer),
            crumbs: crumbs(&[("Activités", "/activites")], "Tableau de bord"),
            scope_label,
            territory: territory_key,
            territories,
            year,
            period_label: period_label(&from, &to),
            custom_period: from != format!("{year}-01") || to != format!("{year}-12"),
            from,
            to,
            structures,
            structure,
            places,
            place,
            programmes: passerelle_places::vocab::NATIONAL_PROGRAMMES,
            programme,
            total_people: shown(total_people as u64, level),
            total_records,
            tables,
            sources,
            source_date,
            own,
        })
    }
    .await;
    result
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RecordAnswer {
    /// Identifiers of the records, in the order sent.
    ids: Vec<i64>,
    created: usize,
    /// Already recorded under the same idempotency key.
    existing: usize,
    /// What is wrong, one sentence per problem (`item 2, field …`).
    errors: Vec<String>,
    /// The same problems, each naming the item and the field.
    problems: Vec<ItemProblem>,
}

/// A problem with one item of what was sent.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ItemProblem {
    /// Position of the item in the array sent, from 0 (0 for a single
    /// object).
    index: usize,
    /// The item's field at fault, as in the JSON body (`place`,
    /// `residence_commune`, `themes`…).
    field: &'static str,
    message: String,
}

impl RecordAnswer {
    fn refused(problems: Vec<ItemProblem>) -> Response {
        let errors = problems
            .iter()
            .map(|p| format!("item {}, field `{}`: {}", p.index + 1, p.field, p.message))
            .collect();
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(RecordAnswer {
                ids: vec![],
                created: 0,
                existing: 0,
                errors,
                problems,
            }),
        )
            .into_response()
    }
}

/// The JSON name of a field the validation names by its CSV column.
fn json_field(column: &'static str) -> &'static str {
    match column {
        "duree" => "duration_minutes",
        "lieu" => "place",
        "commune_residence" => "residence_commune",
        "titre_atelier" => "workshop_title",
        "niveau" => "level",
        "statuts" => "statuses",
        "aides" => "kinds_of_help",
        "autonomie" => "autonomy",
        "code_suivi" => "follow_up_code",
        other => other,
    }
}

/// A reference to nothing, as the API says it.
fn api_problem(u: &UnknownReference) -> ItemProblem {
    let (field, message) = match &u.reference {
        Reference::Place(id) => ("place", format!("no place {id} in the directory")),
        Reference::Commune(code) => ("place", format!("no commune {code:?} in the reference")),
        Reference::ResidenceCommune(code) => (
            "residence_commune",
            format!("no commune {code:?} in the reference"),
        ),
        Reference::Structure(id) => ("structure", format!("no structure {id}")),
        Reference::Mediator(id) => ("mediator", format!("no person {id}")),
        Reference::Token(id) => ("token", format!("no API token {id}")),
    };
    ItemProblem {
        index: u.index,
        field,
        message,
    }
}

/// Record one activity (a JSON object) or several (an array). With an
/// `Idempotency-Key` header, a retried request never creates a record twice
/// (each item of an array uses the key followed by `#index`); keys are the
/// sender's own (its structure and API token, or the person signed in):
/// another sender's identical key is another key. Every item is checked —
/// its fields, and that the place and communes it names exist — before
/// any is stored, in one transaction: a refused request stores nothing and
/// answers 422 naming each item (`index`, from 0) and field.
#[utoipa::path(post, path = "/api/v1/activities", tag = "activites",
    request_body(content = Object, description = "An activity record or an array of them"),
    responses((status = 200, body = RecordAnswer), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 422, body = RecordAnswer)))]
pub async fn api_record(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    viewer
        .authorize(Action::RecordActivity)
        .map_err(api_denial)?;
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    let (items, batch) = match value {
        serde_json::Value::Array(items) => (items, true),
        other => (vec![other], false),
    };
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let today = paris_now().date();
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match serde_json::from_value::<Activity>(item) {
            Ok(a) => {
                problems.extend(validate(i as u64 + 1, &a, today).into_iter().map(|v| {
                    ItemProblem {
                        index: i,
                        field: json_field(v.field),
                        message: v.message,
                    }
                }));
                let item_key = key
                    .as_ref()
                    .map(|k| if batch { format!("{k}#{i}") } else { k.clone() });
                records.push((a, item_key));
            }
            Err(e) => problems.push(ItemProblem {
                index: i,
                field: "-",
                message: e.to_string(),
            }),
        }
    }
    if !problems.is_empty() {
        return Ok(RecordAnswer::refused(problems));
    }
    let author = match viewer.actor {
        Actor::ApiToken {
            structure_id,
            token_id,
        } => Author {
            mediator_id: None,
            structure_id: Some(structure_id),
            token_id: Some(token_id),
        },
        _ => Author {
            mediator_id: viewer.person_id(),
            structure_id: recording_structure(&viewer),
            token_id: None,
        },
    };
    let written = state
        .db
        .record_activities(&records, author, |stored| {
            let created = stored.iter().filter(|(_, created)| *created).count();
            (created > 0).then(|| {
                audit_event(
                    &viewer,
                    "activity.created",
                    format!("{created} activités"),
                    Some("API".into()),
                )
            })
        })
        .await?;
    let stored = match written {
        Written::Done(stored) => stored,
        Written::Unknown(unknown) => {
            return Ok(RecordAnswer::refused(
                unknown.iter().map(api_problem).collect(),
            ));
        }
    };
    let created = stored.iter().filter(|(_, created)| *created).count();
    Ok(Json(RecordAnswer {
        ids: stored.iter().map(|(id, _)| *id).collect(),
        created,
        existing: stored.len() - created,
        errors: vec![],
        problems: vec![],
    })
    .into_response())
}
