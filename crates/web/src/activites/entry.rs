//! The mediator's entry form: record, edit, repeat the last record, and
//! withdraw (after a confirmation). Every write is checked whole, then
//! stored with its audit line in one transaction; anything wrong shows the
//! form again with what was typed and each error next to its field.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use passerelle_accounts::policy::{Action, Denial};
use passerelle_activities::model::{Activity, Where};
use passerelle_store::activities::{OwnActivity, Written};
use serde::Deserialize;

use super::forms::{self, ActivityForm};
use super::views::{EntryPage, Notice, Recent, WithdrawPage};
use super::{audit_event, author};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::forms::FieldErrors;
use crate::fr;
use crate::pages::{Chrome, FormFields, crumbs, render};

const HOME: &str = "/activites";

#[derive(Deserialize, Default)]
pub struct EntryQuery {
    info: Option<Notice>,
    /// `derniere`: the form filled as the mediator's last record.
    repeter: Option<String>,
}

/// The mediator recording: allowed to record, and a person.
fn mediator(viewer: &Viewer) -> Result<i64, PageError> {
    viewer
        .authorize(Action::RecordActivity)
        .map_err(|d| PageError::denied(d, HOME))?;
    viewer
        .person_id()
        .ok_or_else(|| PageError::denied(Denial::Forbidden, HOME))
}

/// The form to show, and for which record.
struct Shown {
    editing: Option<i64>,
    form: ActivityForm,
    errors: FieldErrors,
    notice: Option<Notice>,
}

pub async fn entry_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<EntryQuery>,
) -> PageResult {
    let person = mediator(&viewer)?;
    let today = fr::paris_now().date();
    let last = state.db.activities_of(person, 1).await?.pop();
    let form = match (&last, q.repeter.as_deref()) {
        (Some(last), Some("derniere")) => ActivityForm {
            date: today.to_string(),
            ..ActivityForm::of(&last.activity, commune_label(&state, &last.activity).await?)
        },
        (Some(last), _) => ActivityForm {
            // "Ailleurs" remembered with its commune.
            commune: match last.activity.place {
                Where::Autre(_) => commune_label(&state, &last.activity).await?,
                _ => String::new(),
            },
            ..ActivityForm::blank(today, Some(&last.activity))
        },
        (None, _) => ActivityForm::blank(today, None),
    };
    let shown = Shown {
        editing: None,
        form,
        errors: FieldErrors::default(),
        notice: q.info,
    };
    show(&state, &viewer, person, shown).await
}

/// The form page: the places the mediator's structures run, their latest
/// records, and the form as given.
async fn show(state: &AppState, viewer: &Viewer, person: i64, shown: Shown) -> PageResult {
    let recent = state.db.activities_of(person, 10).await?;
    let mut page = EntryPage::new(
        Chrome::new(HOME, viewer),
        crumbs(&[], "Activités"),
        fr::paris_now().date().to_string(),
        shown.form,
        shown.errors,
    );
    page.places = places_of(state, viewer).await?;
    // A place sent that the list does not offer stays chosen, so that what
    // was sent is what is shown (next to its error).
    if page.f.place.starts_with("lieu:") && !page.places.iter().any(|(v, _)| *v == page.f.place) {
        page.places.push((
            page.f.place.clone(),
            "Lieu introuvable dans l’annuaire".into(),
        ));
    }
    if let Some(id) = shown.editing {
        page.action = format!("/activites/{id}/modifier");
        page.editing = true;
    }
    page.can_repeat = !page.editing && !recent.is_empty();
    page.notice = shown.notice;
    page.recent = recent.iter().map(listed).collect();
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)).into_response())
}

fn listed(r: &OwnActivity) -> Recent {
    Recent {
        id: r.id,
        date: fr::date(r.activity.date),
        kind: r.activity.kind.label(),
        themes: r.activity.themes.join(", "),
    }
}

/// The places the viewer's structures run (by SIRET), to pick from:
/// (form value, "name (commune)").
async fn places_of(state: &AppState, viewer: &Viewer) -> Result<Vec<(String, String)>, PageError> {
    let mut sirets = Vec::new();
    for m in &viewer.memberships {
        if let Some(siret) = state
            .db
            .structure(m.structure_id)
            .await?
            .and_then(|s| s.siret)
        {
            sirets.push(siret);
        }
    }
    let index = state.place_index().await?;
    Ok(index
        .entries
        .iter()
        .filter(|e| sirets.contains(&e.place.pivot))
        .map(|e| {
            (
                format!("lieu:{}", e.id),
                format!("{} ({})", e.place.nom, e.place.commune),
            )
        })
        .collect())
}

/// How the form names a record's commune: "Quimper (Finistère)".
async fn commune_label(state: &AppState, a: &Activity) -> Result<String, PageError> {
    let code = match &a.place {
        Where::Autre(code) => Some(code),
        _ => a.residence_commune.as_ref(),
    };
    let Some(code) = code else {
        return Ok(String::new());
    };
    Ok(match state.db.commune(code).await? {
        Some(c) => format!("{} ({})", c.nom, c.departement.nom),
        None => code.clone(),
    })
}

pub async fn record(State(state): State<AppState>, viewer: Viewer, form: FormFields) -> PageResult {
    submit(&state, &viewer, None, form).await
}

pub async fn save_edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormFields,
) -> PageResult {
    let id = id.parse::<i64>().map_err(|_| PageError::NotFound)?;
    submit(&state, &viewer, Some(id), form).await
}

/// A record sent by the form, new (`editing` is `None`) or edited: parsed,
/// checked (its fields, then that its place and commune exist), then
/// written with its audit line in one transaction.
async fn submit(
    state: &AppState,
    viewer: &Viewer,
    editing: Option<i64>,
    form: FormFields,
) -> PageResult {
    let person = mediator(viewer)?;
    if let Some(id) = editing
        && state.db.activity_of(id, person).await?.is_none()
    {
        return Err(PageError::NotFound);
    }
    let axum::Form(fields) = form.map_err(|_| PageError::BadForm)?;
    let form = ActivityForm::from_fields(&fields);
    let again = |errors: FieldErrors| Shown {
        editing,
        form: form.clone(),
        errors,
        notice: None,
    };
    let commune = match crate::communes::resolve(state, &form.commune).await? {
        Ok(code) => code,
        Err(problem) => {
            let mut errors = FieldErrors::default();
            forms::say(&mut errors, "commune", problem);
            return show(state, viewer, person, again(errors)).await;
        }
    };
    let activity = match form.to_activity(commune, fr::paris_now().date()) {
        Ok(a) => a,
        Err(errors) => return show(state, viewer, person, again(errors)).await,
    };
    let (written, notice) = match editing {
        Some(id) => {
            let event = audit_event(viewer, "activity.updated", format!("activité {id}"), None);
            let written = state
                .db
                .update_activity(id, person, &activity, &event)
                .await?;
            (written, Notice::Modifiee)
        }
        None => {
            let written = state
                .db
                .record_activities(&[(activity, None)], author(viewer), |stored| {
                    stored.first().map(|(id, _)| {
                        audit_event(viewer, "activity.created", format!("activité {id}"), None)
                    })
                })
                .await?;
            let written = match written {
                Written::Done(_) => Written::Done(()),
                Written::Unknown(u) => Written::Unknown(u),
                Written::Missing => Written::Missing,
            };
            (written, Notice::Enregistree)
        }
    };
    match written {
        Written::Done(()) => Ok(done(notice)),
        Written::Missing => Err(PageError::NotFound),
        Written::Unknown(unknown) => {
            show(
                state,
                viewer,
                person,
                again(forms::unknown_references(&unknown)),
            )
            .await
        }
    }
}

/// Back to the form, with the alert saying what was done.
fn done(notice: Notice) -> Response {
    Redirect::to(&format!("{HOME}?info={}", notice.query())).into_response()
}

pub async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let person = mediator(&viewer)?;
    let id = id.parse::<i64>().map_err(|_| PageError::NotFound)?;
    let a = state
        .db
        .activity_of(id, person)
        .await?
        .ok_or(PageError::NotFound)?;
    let shown = Shown {
        editing: Some(id),
        form: ActivityForm::of(&a, commune_label(&state, &a).await?),
        errors: FieldErrors::default(),
        notice: None,
    };
    show(&state, &viewer, person, shown).await
}

/// "Retirer": first a page asking to confirm, which posts the withdrawal.
pub async fn withdraw_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let person = mediator(&viewer)?;
    let id = id.parse::<i64>().map_err(|_| PageError::NotFound)?;
    let activity = state
        .db
        .activity_of(id, person)
        .await?
        .ok_or(PageError::NotFound)?;
    Ok(render(&WithdrawPage {
        chrome: Chrome::new(HOME, &viewer),
        crumbs: crumbs(&[("Activités", HOME)], "Retirer une activité"),
        recent: listed(&OwnActivity { id, activity }),
    }))
}

pub async fn withdraw(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let person = mediator(&viewer)?;
    let id = id.parse::<i64>().map_err(|_| PageError::NotFound)?;
    let event = audit_event(
        &viewer,
        "activity.withdrawn",
        format!("activité {id}"),
        None,
    );
    match state.db.delete_activity(id, person, &event).await? {
        Written::Done(()) => Ok(done(Notice::Retiree)),
        Written::Missing | Written::Unknown(_) => Err(PageError::NotFound),
    }
}
