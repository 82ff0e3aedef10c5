//! Referents inside administrations (a directory for professionals, not
//! public) and "situation complexe" requests to an organisation's referent
//! group, answered in a thread and closed as useful or not.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use passerelle_accounts::policy::{Action, Location, ReferentRef, ReferralRef};
use passerelle_referrals::referents::{
    ComplexRequest, MANDATES, ORGANISATIONS, OUTCOMES, Referent, validate_referent,
    validate_request,
};
use passerelle_store::referents::{Message, ReferentRow, RequestError, RequestRow};

use crate::AppState;
use crate::auth::{Viewer, page_denial};
use crate::pages::{Chrome, Crumb, crumbs, render, storage_failure};
use crate::referrals::{field, working_structures};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/referents", directory),
        Route::post("/referents", add),
        Route::post("/referents/{id}/suppression", remove),
        Route::get("/referents/demandes", requests),
        Route::post("/referents/demandes", open_request),
        Route::get("/referents/demandes/{id}", request_page),
        Route::post("/referents/demandes/{id}/reponse", reply),
    ]
}

type PageResult = Result<Response, Response>;

fn location_of(territory: &str) -> Location {
    let (level, c) = territory.split_once(':').unwrap_or(("", ""));
    let code = Some(c.to_string());
    match level {
        "reg" => Location {
            region: code,
            ..Location::default()
        },
        "dep" => Location {
            departement: code,
            ..Location::default()
        },
        "epci" => Location {
            epci: code,
            ..Location::default()
        },
        // A commune's département is its code's start (3 digits overseas).
        _ => {
            let dep = if c.starts_with("97") {
                c.get(..3)
            } else {
                c.get(..2)
            };
            Location {
                departement: dep.map(str::to_string),
                commune: code,
                ..Location::default()
            }
        }
    }
}

fn referent_ref(r: &ReferentRow) -> ReferentRef {
    ReferentRef {
        structure: r.structure_id,
        location: location_of(&r.territory),
    }
}

/// A coordinator of some territory, or an admin: may add entries for
/// organisations without a structure in Passerelle.
fn coordinates(viewer: &Viewer) -> bool {
    viewer.is_admin()
        || viewer
            .memberships
            .iter()
            .any(|m| m.role == passerelle_accounts::Role::Coordinateur)
}

pub struct EntryView {
    pub row: ReferentRow,
    pub manage: bool,
}

#[derive(Template)]
#[template(path = "referents.html")]
struct DirectoryPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    errors: Vec<String>,
    entries: Vec<EntryView>,
    can_add: bool,
    organisations: &'static [&'static str],
    own_structures: Vec<(i64, String)>,
}

async fn directory_page(state: &AppState, viewer: &Viewer, errors: Vec<String>) -> PageResult {
    viewer
        .authorize(Action::ViewReferents)
        .map_err(|d| page_denial(d, "/referents"))?;
    let rows = state.db.referents().await.map_err(storage_failure)?;
    let entries = rows
        .into_iter()
        .map(|row| EntryView {
            manage: viewer
                .authorize(Action::ManageReferent(&referent_ref(&row)))
                .is_ok(),
            row,
        })
        .collect();
    let own_structures = working_structures(viewer);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        render(&DirectoryPage {
            chrome: Chrome::new("/orientations", viewer),
            crumbs: crumbs(&[("Orientations", "/orientations")], "Référents"),
            errors,
            entries,
            can_add: coordinates(viewer) || !own_structures.is_empty(),
            organisations: &ORGANISATIONS,
            own_structures,
        }),
    )
        .into_response())
}

async fn directory(State(state): State<AppState>, viewer: Viewer) -> Response {
    directory_page(&state, &viewer, Vec::new())
        .await
        .unwrap_or_else(|r| r)
}

fn some(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    form: crate::pages::FormFields,
) -> Response {
    let result: PageResult = async {
        viewer
            .authorize(Action::ViewReferents)
            .map_err(|d| page_denial(d, "/referents"))?;
        let Ok(axum::Form(fields)) = form else {
            return Err(crate::pages::forbidden_form("Formulaire incomplet."));
        };
        let get = |k: &str| field(&fields, k);
        let entry = Referent {
            organisation: get("organisme").into(),
            territory: get("territoire").into(),
            name: get("nom").into(),
            email: some(get("courriel")),
            phone: some(get("telephone")),
            scope: get("perimetre").into(),
        };
        let structure = get("structure").parse::<i64>().ok();
        let mut errors: Vec<String> = validate_referent(&entry)
            .into_iter()
            .map(|p| format!("{} : {}", p.field, p.message))
            .collect();
        let allowed = viewer.authorize(Action::ManageReferent(&ReferentRef {
            structure,
            location: location_of(&entry.territory),
        }));
        if errors.is_empty() && allowed.is_err() {
            errors.push(
                "territoire : vous ne pouvez ajouter un référent que pour votre structure ou le territoire que vous coordonnez"
                    .into(),
            );
        }
        if !errors.is_empty() {
            return directory_page(&state, &viewer, errors).await;
        }
        let by = viewer.person_id().ok_or_else(crate::pages::forbidden)?;
        state
            .db
            .save_referent(None, &entry, structure, by)
            .await
            .map_err(storage_failure)?;
        Ok(Redirect::to("/referents").into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

async fn remove(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    let result: PageResult = async {
        viewer
            .authorize(Action::ViewReferents)
            .map_err(|d| page_denial(d, "/referents"))?;
        let id: i64 = id.parse().map_err(|_| crate::pages::missing())?;
        let row = state
            .db
            .referent(id)
            .await
            .map_err(storage_failure)?
            .ok_or_else(crate::pages::missing)?;
        viewer
            .authorize(Action::ManageReferent(&referent_ref(&row)))
            .map_err(|d| page_denial(d, "/referents"))?;
        let by = viewer.person_id().ok_or_else(crate::pages::forbidden)?;
        state
            .db
            .delete_referent(id, by)
            .await
            .map_err(storage_failure)?;
        Ok(Redirect::to("/referents").into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

#[derive(Template)]
#[template(path = "referents_demandes.html")]
struct RequestsPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    errors: Vec<String>,
    sent: Vec<RequestRow>,
    received: Vec<RequestRow>,
    can_send: bool,
    /// Organisations' structures with referents: where requests go.
    groups: Vec<(i64, String)>,
    mandates: &'static [(&'static str, &'static str)],
    key: String,
    today: String,
}

async fn requests_page(state: &AppState, viewer: &Viewer, errors: Vec<String>) -> PageResult {
    viewer
        .authorize(Action::ViewReferents)
        .map_err(|d| page_denial(d, "/referents/demandes"))?;
    let mine: Vec<i64> = working_structures(viewer)
        .iter()
        .map(|(id, _)| *id)
        .collect();
    let mut groups: Vec<(i64, String)> = state
        .db
        .referents()
        .await
        .map_err(storage_failure)?
        .into_iter()
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
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        render(&RequestsPage {
            chrome: Chrome::new("/orientations", viewer),
            crumbs: crumbs(
                &[
                    ("Orientations", "/orientations"),
                    ("Référents", "/referents"),
                ],
                "Situations complexes",
            ),
            errors,
            sent: state
                .db
                .request_lines(&mine, true)
                .await
                .map_err(storage_failure)?,
            received: state
                .db
                .request_lines(&mine, false)
                .await
                .map_err(storage_failure)?,
            can_send: viewer.authorize(Action::SendReferral).is_ok(),
            groups,
            mandates: &MANDATES,
            key: passerelle_accounts::secret::new_secret(),
            today: Utc::now().date_naive().to_string(),
        }),
    )
        .into_response())
}

async fn requests(State(state): State<AppState>, viewer: Viewer) -> Response {
    requests_page(&state, &viewer, Vec::new())
        .await
        .unwrap_or_else(|r| r)
}

async fn open_request(
    State(state): State<AppState>,
    viewer: Viewer,
    form: crate::pages::FormFields,
) -> Response {
    let result: PageResult = async {
        viewer
            .authorize(Action::SendReferral)
            .map_err(|d| page_denial(d, "/referents/demandes"))?;
        let Ok(axum::Form(fields)) = form else {
            return Err(crate::pages::forbidden_form("Formulaire incomplet."));
        };
        let get = |k: &str| field(&fields, k);
        let request = ComplexRequest {
            subject: get("objet").into(),
            description: get("description").into(),
            person_details: get("personne").into(),
            mandate_type: get("mandat").into(),
            mandate_date: NaiveDate::parse_from_str(get("mandat_date"), "%Y-%m-%d").ok(),
        };
        let mut errors: Vec<String> = validate_request(&request, Utc::now().date_naive())
            .into_iter()
            .map(|p| format!("{} : {}", p.field, p.message))
            .collect();
        let rows = state.db.referents().await.map_err(storage_failure)?;
        let group = get("groupe")
            .parse::<i64>()
            .ok()
            .filter(|g| rows.iter().any(|r| r.structure_id == Some(*g)));
        if group.is_none() {
            errors.push("groupe : choisissez l’organisme et ses référents".into());
        }
        let (Some(group), true) = (group, errors.is_empty()) else {
            return requests_page(&state, &viewer, errors).await;
        };
        let person = viewer.person_id().ok_or_else(crate::pages::forbidden)?;
        let requester = working_structures(&viewer)
            .first()
            .map(|(id, _)| *id)
            .ok_or_else(crate::pages::forbidden)?;
        let key = some(get("cle")).filter(|k| k.len() <= 128);
        let (id, _) = state
            .db
            .create_request(
                &request,
                requester,
                person,
                group,
                key.as_deref(),
                &state.config.public_url,
                Utc::now(),
            )
            .await
            .map_err(storage_failure)?;
        Ok(Redirect::to(&format!("/referents/demandes/{id}")).into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

#[derive(Template)]
#[template(path = "referents_demande.html")]
struct RequestPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    q: RequestRow,
    mandate: &'static str,
    outcome: &'static str,
    person: Option<(String, String)>,
    metadata_only: bool,
    thread: Vec<Message>,
    can_reply: bool,
    can_close: bool,
    outcomes: &'static [(&'static str, &'static str)],
}

async fn load(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<(RequestRow, ReferralRef), Response> {
    let id: i64 = id.parse().map_err(|_| crate::pages::missing())?;
    let q = state
        .db
        .request(id)
        .await
        .map_err(storage_failure)?
        .ok_or_else(crate::pages::missing)?;
    let r = ReferralRef {
        sender: q.requester_structure_id,
        receiver: q.organisation_structure_id,
    };
    viewer
        .authorize(Action::ViewReferral(&r))
        .map_err(|d| page_denial(d, &format!("/referents/demandes/{id}")))?;
    Ok((q, r))
}

async fn request_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    let result: PageResult = async {
        let (q, r) = load(&state, &viewer, &id).await?;
        let may_read = viewer.authorize(Action::ReferralPerson(&r)).is_ok();
        let mine: Vec<i64> = working_structures(&viewer)
            .iter()
            .map(|(id, _)| *id)
            .collect();
        let reading = [r.receiver, r.sender]
            .into_iter()
            .find(|s| mine.contains(s));
        let person = match (may_read, viewer.person_id(), reading) {
            (true, Some(p), Some(s)) => state
                .db
                .request_person(q.id, p, s)
                .await
                .map_err(storage_failure)?,
            _ => None,
        };
        let thread = state
            .db
            .request_messages(q.id, may_read)
            .await
            .map_err(storage_failure)?;
        let open = q.status == "ouverte";
        Ok(render(&RequestPage {
            chrome: Chrome::new("/orientations", &viewer),
            crumbs: crumbs(
                &[
                    ("Orientations", "/orientations"),
                    ("Situations complexes", "/referents/demandes"),
                ],
                &format!("Demande n° {}", q.id),
            ),
            mandate: MANDATES
                .iter()
                .find(|(c, _)| *c == q.mandate_type)
                .map_or("", |(_, l)| *l),
            outcome: q
                .outcome
                .as_deref()
                .and_then(|o| OUTCOMES.iter().find(|(c, _)| *c == o))
                .map_or("", |(_, l)| *l),
            person,
            metadata_only: !may_read,
            thread,
            can_reply: open && may_read,
            can_close: open && viewer.authorize(Action::ActAsSender(&r)).is_ok(),
            outcomes: &OUTCOMES,
            q,
        }))
    }
    .await;
    result.unwrap_or_else(|r| r)
}

async fn reply(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: crate::pages::FormFields,
) -> Response {
    let result: PageResult = async {
        let (q, r) = load(&state, &viewer, &id).await?;
        let Ok(axum::Form(fields)) = form else {
            return Err(crate::pages::forbidden_form("Formulaire incomplet."));
        };
        let get = |k: &str| field(&fields, k);
        let path = format!("/referents/demandes/{}", q.id);
        let version: i64 = get("version")
            .parse()
            .map_err(|_| crate::pages::forbidden_form("Formulaire incomplet."))?;
        let outcome = some(get("issue")).filter(|o| OUTCOMES.iter().any(|(c, _)| c == o));
        // Closing is the requester's; writing in the thread, either side's.
        let from_requester = viewer.authorize(Action::ActAsSender(&r)).is_ok();
        if outcome.is_some() && !from_requester {
            return Err(crate::pages::forbidden());
        }
        if !from_requester {
            viewer
                .authorize(Action::ActAsReceiver(&r))
                .map_err(|d| page_denial(d, &path))?;
        }
        let body = get("message");
        if outcome.is_none() && body.is_empty() {
            return Err(crate::referrals::conflict_page(&path, "message : écrivez votre réponse", StatusCode::UNPROCESSABLE_ENTITY));
        }
        let author = viewer.person_id().ok_or_else(crate::pages::forbidden)?;
        match state
            .db
            .request_reply(
                q.id,
                version,
                author,
                from_requester,
                Some(body),
                outcome.as_deref(),
                &state.config.public_url,
                Utc::now(),
            )
            .await
        {
            Ok(()) => Ok(Redirect::to(&path).into_response()),
            Err(RequestError::Conflict) => Err(crate::referrals::conflict_page(
                &path,
                "Un autre message est arrivé pendant que vous écriviez. Rien n’a été perdu : relisez le fil, puis renvoyez votre réponse.",
                StatusCode::CONFLICT,
            )),
            Err(RequestError::Closed) => Err(crate::referrals::conflict_page(&path, "Cette demande est close.", StatusCode::UNPROCESSABLE_ENTITY)),
            Err(RequestError::NotFound) => Err(crate::pages::missing()),
            Err(RequestError::Store(e)) => Err(storage_failure(e)),
        }
    }
    .await;
    result.unwrap_or_else(|r| r)
}
