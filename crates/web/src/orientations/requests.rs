//! "Situation complexe" requests to an organisation's referent group,
//! answered in a thread and closed as useful or not. The two structures
//! of a request may erase what it holds about the person, once they
//! confirmed it on the page.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::Utc;
use passerelle_accounts::policy::{Action, Denial, ReferralRef};
use passerelle_referrals::referents::{MANDATES, Outcome, validate_request};
use passerelle_store::referents::{Message, ReferentRow, RequestError, RequestRow};
use serde::Deserialize;

use super::forms::{EraseForm, FieldErrors, ReplyForm, RequestForm};
use super::views::Confirm;
use super::{done, erase_for_viewer, person, reading_structure, working_ids};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::notice::Notice;
use crate::pages::{Chrome, Crumb, crumbs, render};

const LIST: &str = "/referents/demandes";

#[derive(Template)]
#[template(path = "orientations/demandes.html")]
struct RequestsPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    errors: FieldErrors,
    f: RequestForm,
    sent: Vec<RequestRow>,
    received: Vec<RequestRow>,
    can_send: bool,
    /// Organisations' structures with referents: where requests go.
    groups: Vec<(i64, String)>,
    mandates: &'static [(&'static str, &'static str)],
    key: String,
    today: String,
}

impl RequestsPage {
    fn error(&self, field: &str) -> &str {
        self.errors.get(field)
    }

    /// The date field's attributes: not after today.
    fn date_bounds(&self) -> String {
        format!("max=\"{}\" required", self.today)
    }
}

/// The structures of validated entries, which receive requests.
async fn groups(state: &AppState) -> Result<Vec<(i64, String)>, PageError> {
    let mut groups: Vec<(i64, String)> = state
        .db
        .referents()
        .await?
        .into_iter()
        .filter(ReferentRow::is_validated)
        .filter_map(|r| {
            let s = r.structure_id?;
            Some((
                s,
                format!("{} — {} ({})", r.organisation, r.structure?, r.territory),
            ))
        })
        .collect();
    groups.sort();
    groups.dedup_by_key(|(id, _)| *id);
    Ok(groups)
}

async fn requests_page(
    state: &AppState,
    viewer: &Viewer,
    f: RequestForm,
    errors: FieldErrors,
) -> PageResult {
    viewer
        .authorize(Action::ViewReferents)
        .map_err(|d| PageError::denied(d, LIST))?;
    let mine = working_ids(viewer);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = RequestsPage {
        chrome: Chrome::new("/orientations", viewer),
        crumbs: crumbs(
            &[
                ("Orientations", "/orientations"),
                ("Référents", "/referents"),
            ],
            "Situations complexes",
        ),
        errors,
        key: f
            .key()
            .unwrap_or_else(passerelle_accounts::secret::new_secret),
        f,
        sent: state.db.request_lines(&mine, true).await?,
        received: state.db.request_lines(&mine, false).await?,
        can_send: viewer.authorize(Action::SendReferral).is_ok(),
        groups: groups(state).await?,
        mandates: &MANDATES,
        today: crate::fr::paris_now().date().to_string(),
    };
    Ok((status, render(&page)).into_response())
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let blank = RequestForm {
        mandat: MANDATES[0].0.into(),
        ..RequestForm::default()
    };
    requests_page(&state, &viewer, blank, FieldErrors::default()).await
}

pub async fn open(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<axum::Form<RequestForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    viewer
        .authorize(Action::SendReferral)
        .map_err(|d| PageError::denied(d, LIST))?;
    let axum::Form(f) = form.map_err(|_| PageError::BadForm)?;
    let request = f.request();
    let mut errors =
        super::forms::field_errors(validate_request(&request, crate::fr::paris_now().date()));
    let rows = state.db.referents().await?;
    let group = f.group().filter(|g| {
        rows.iter()
            .any(|r| r.structure_id == Some(*g) && r.is_validated())
    });
    if group.is_none() {
        errors.add("groupe", "choisissez l’organisme et ses référents");
    }
    let (Some(group), true) = (group, errors.is_empty()) else {
        return requests_page(&state, &viewer, f, errors).await;
    };
    let person = person(&viewer, LIST)?;
    let requester = working_ids(&viewer)
        .first()
        .copied()
        .ok_or_else(|| PageError::denied(Denial::Forbidden, LIST))?;
    let created = state
        .db
        .create_request(
            &request,
            requester,
            person,
            group,
            f.key().as_deref(),
            Utc::now(),
        )
        .await;
    match created {
        Ok((id, _)) => Ok(done(&format!("{LIST}/{id}"), "demande-envoyee")),
        // Its entry was withdrawn or is no longer validated meanwhile.
        Err(RequestError::NotAReferentGroup) => {
            let mut errors = FieldErrors::default();
            errors.add(
                "groupe",
                "cet organisme n’a plus de référents validés ; choisissez-en un autre",
            );
            requests_page(&state, &viewer, f, errors).await
        }
        Err(RequestError::Store(e)) => Err(e.into()),
        Err(_) => Err(PageError::NotFound),
    }
}

#[derive(Template)]
#[template(path = "orientations/demande.html")]
struct RequestPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    notice: Notice,
    q: RequestRow,
    mandate: &'static str,
    outcome: &'static str,
    person: Option<(String, String)>,
    metadata_only: bool,
    thread: Vec<Message>,
    can_reply: bool,
    can_close: bool,
    /// The right to erasure, for the two structures while it holds data.
    can_erase: bool,
    /// Erasing asked for: its confirmation shown.
    confirm_erase: bool,
    outcomes: &'static [Outcome],
}

/// The request, and what the policy sees of it (the requester sends, the
/// organisation receives); 404 when the viewer may not learn it exists.
async fn load(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<(RequestRow, ReferralRef), PageError> {
    let id: i64 = id.parse().map_err(|_| PageError::NotFound)?;
    let q = state.db.request(id).await?.ok_or(PageError::NotFound)?;
    let r = ReferralRef {
        sender: q.requester_structure_id,
        receiver: q.organisation_structure_id,
    };
    viewer
        .authorize(Action::ViewReferral(&r))
        .map_err(|d| PageError::denied(d, &format!("{LIST}/{id}")))?;
    Ok((q, r))
}

/// `?confirmer=effacement`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    confirmer: String,
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    notice: Notice,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> PageResult {
    let (q, r) = load(&state, &viewer, &id).await?;
    let may_read = viewer.authorize(Action::ReferralPerson(&r)).is_ok();
    let person = match (may_read, viewer.person_id(), reading_structure(&viewer, &r)) {
        (true, Some(p), Some(s)) => state.db.request_person(q.id, p, s).await?,
        _ => None,
    };
    let thread = state.db.request_messages(q.id, may_read).await?;
    let open = q.status.is_open() && q.erased_at.is_none();
    let can_erase =
        q.erased_at.is_none() && viewer.authorize(Action::ErasePersonalData(&r)).is_ok();
    let asked = query.map(|Query(q)| q.confirmer).unwrap_or_default();
    Ok(render(&RequestPage {
        notice,
        can_erase,
        confirm_erase: can_erase && Confirm::parse(&asked) == Some(Confirm::Erase),
        chrome: Chrome::new("/orientations", &viewer),
        crumbs: crumbs(
            &[
                ("Orientations", "/orientations"),
                ("Situations complexes", LIST),
            ],
            &format!("Demande n° {}", q.id),
        ),
        mandate: MANDATES
            .iter()
            .find(|(c, _)| *c == q.mandate_type)
            .map_or("", |(_, l)| *l),
        outcome: q.outcome.map_or("", Outcome::label),
        person,
        metadata_only: !may_read,
        thread,
        can_reply: open && may_read,
        can_close: open && viewer.authorize(Action::ActAsSender(&r)).is_ok(),
        outcomes: &Outcome::ALL,
        q,
    }))
}

pub async fn reply(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: Result<axum::Form<ReplyForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let (q, r) = load(&state, &viewer, &id).await?;
    let path = format!("{LIST}/{}", q.id);
    let axum::Form(f) = form.map_err(|_| PageError::BadForm)?;
    let version = f.version.ok_or(PageError::BadForm)?;
    let outcome = f.outcome();
    // Closing is the requester's; writing in the thread, either side's.
    let from_requester = viewer.authorize(Action::ActAsSender(&r)).is_ok();
    if outcome.is_some() && !from_requester {
        return Err(PageError::denied(Denial::Forbidden, &path));
    }
    if !from_requester {
        viewer
            .authorize(Action::ActAsReceiver(&r))
            .map_err(|d| PageError::denied(d, &path))?;
    }
    let body = f.message.trim();
    if outcome.is_none() && body.is_empty() {
        return Err(refused(&path, "Écrivez votre réponse."));
    }
    let author = person(&viewer, &path)?;
    match state
        .db
        .request_reply(
            q.id,
            version,
            author,
            from_requester,
            Some(body),
            outcome,
            Utc::now(),
        )
        .await
    {
        Ok(()) => Ok(Redirect::to(&path).into_response()),
        Err(RequestError::Conflict) => Err(PageError::refused(
            StatusCode::CONFLICT,
            "Un autre message est arrivé pendant que vous écriviez. Rien n’a été perdu : relisez le fil, puis renvoyez votre réponse.",
            &path,
        )),
        Err(RequestError::Closed) => Err(refused(&path, "Cette demande est close.")),
        Err(RequestError::Erased) => Err(refused(
            &path,
            "Les informations de cette demande ont été effacées : on ne peut plus y écrire.",
        )),
        Err(RequestError::NotFound | RequestError::NotAReferentGroup) => Err(PageError::NotFound),
        Err(RequestError::Store(e)) => Err(e.into()),
    }
}

/// 422: not possible in this state, and why.
fn refused(path: &str, why: &str) -> PageError {
    PageError::refused(StatusCode::UNPROCESSABLE_ENTITY, why, path)
}

/// The right to erasure, by one of the two structures holding the data,
/// once confirmed: the subject, the situation, the person's details and
/// the messages go; who asked whom, when, and the outcome stay. Audited.
pub async fn erase(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: Result<axum::Form<EraseForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let (q, r) = load(&state, &viewer, &id).await?;
    let path = format!("{LIST}/{}", q.id);
    let confirmed = form.is_ok_and(|axum::Form(f)| f.confirmed());
    erase_for_viewer(
        &state,
        &viewer,
        &r,
        (&path, "demande-effacee"),
        confirmed,
        |who, structure| {
            state
                .db
                .erase_request_person(q.id, who, structure, Utc::now())
        },
    )
    .await
}
