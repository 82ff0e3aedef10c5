//! Referents inside administrations (a directory for professionals, not
//! public) and "situation complexe" requests to an organisation's referent
//! group, answered in a thread and closed as useful or not.
//!
//! An entry points, if at all, to a structure of the organisation it names
//! (its kind, set by the admin who created it, says so); a coordinator of
//! its territory or an admin creates it validated or validates a member's
//! proposal; only validated entries receive requests (the store refuses
//! the others). The two structures of a request may erase what it holds
//! about the person.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use passerelle_accounts::policy::{
    Action, Location, ReferentRef, ReferralRef, TerritorialScope, territorial_scope,
};
use passerelle_accounts::{ScopeLevel, StructureKind};
use passerelle_referrals::referents::{
    ComplexRequest, MANDATES, ORGANISATIONS, Outcome, Referent, may_represent, representing_kinds,
    validate_referent, validate_request,
};
use passerelle_store::referents::{Message, ReferentRow, RequestError, RequestRow};

use crate::AppState;
use crate::auth::{Viewer, page_denial};
use crate::pages::{Chrome, Crumb, crumbs, render, storage_failure};
use crate::referrals::{erase_for_viewer, field, working_structures};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/referents", directory),
        Route::post("/referents", add),
        Route::post("/referents/{id}/validation", validate),
        Route::post("/referents/{id}/suppression", remove),
        Route::get("/referents/demandes", requests),
        Route::post("/referents/demandes", open_request),
        Route::get("/referents/demandes/{id}", request_page),
        Route::post("/referents/demandes/{id}/reponse", reply),
        Route::post("/referents/demandes/{id}/effacement", erase),
    ]
}

type PageResult = Result<Response, Response>;

/// Where an entry's territory lies, from the reference (nowhere when the
/// reference does not hold it: then only admins may vouch for it).
async fn location_of(state: &AppState, territory: &str) -> Result<Location, Response> {
    Ok(state
        .db
        .territory_location(territory)
        .await
        .map_err(storage_failure)?
        .unwrap_or_default())
}

fn referent_ref(row: &ReferentRow, location: Location) -> ReferentRef {
    ReferentRef {
        structure: row.structure_id,
        represents: row
            .structure_kind
            .is_some_and(|k| may_represent(&row.organisation, k)),
        location,
    }
}

/// An admin or a coordinator of some territory: may vouch for entries
/// (of their territory) and point them to any structure of an
/// organisation.
fn vouches(viewer: &Viewer) -> bool {
    passerelle_accounts::policy::vouches_for_referents(&viewer.actor)
}

pub struct EntryView {
    pub row: ReferentRow,
    /// Its territory by name ("Finistère (département)").
    pub territory: String,
    /// "Ajoutée par … le …".
    pub created: String,
    /// "Validée par … le …", or None: awaiting validation.
    pub validated: Option<String>,
    pub manage: bool,
    pub can_validate: bool,
}

/// What was typed in the form, kept when it is refused.
#[derive(Default)]
pub struct EntryForm {
    pub organisation: String,
    pub territory: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub scope: String,
    pub structure: String,
}

#[derive(Template)]
#[template(path = "referents.html")]
struct DirectoryPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    notice: Option<&'static str>,
    /// (field, message), shown next to the field.
    errors: Vec<(&'static str, String)>,
    form: EntryForm,
    entries: Vec<EntryView>,
    can_add: bool,
    vouches: bool,
    organisations: &'static [&'static str],
    structures: Vec<(i64, String)>,
    /// (key, name) of the territories the viewer may choose.
    territories: Vec<(String, String)>,
}

impl DirectoryPage {
    /// The message for a field, empty when it is fine.
    fn error(&self, field: &str) -> &str {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, m)| m.as_str())
    }
}

fn by_on(who: &Option<String>, at: &Option<chrono::DateTime<Utc>>) -> String {
    let who = who.as_deref().unwrap_or("une personne inconnue");
    match at {
        Some(at) => format!("{who}, le {}", crate::fr::date_time(*at)),
        None => who.to_string(),
    }
}

/// The structures an entry may point to, for this viewer: those they work
/// in, and for those who vouch, every structure of an organisation's kind.
async fn structure_choices(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Vec<(i64, String)>, Response> {
    let mut kinds: Vec<StructureKind> = Vec::new();
    for o in ORGANISATIONS {
        kinds.extend(representing_kinds(o));
    }
    let of_kinds = state
        .db
        .structures_of_kinds(&kinds)
        .await
        .map_err(storage_failure)?;
    let mut out: Vec<(i64, String)> = working_structures(viewer);
    if vouches(viewer) {
        out.extend(
            of_kinds
                .into_iter()
                .map(|(id, nom, kind)| (id, format!("{nom} ({})", kind.label()))),
        );
    }
    out.sort_by_key(|(id, _)| *id);
    out.dedup_by_key(|(id, _)| *id);
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// The stored key of a territory (`dep:29`), as entries keep it.
fn territory_key(level: ScopeLevel, code: &str) -> String {
    let prefix = match level {
        ScopeLevel::Region => "reg",
        ScopeLevel::Departement => "dep",
        ScopeLevel::Epci => "epci",
        ScopeLevel::Commune => "com",
    };
    format!("{prefix}:{code}")
}

fn level_name(level: ScopeLevel) -> &'static str {
    match level {
        ScopeLevel::Region => "région",
        ScopeLevel::Departement => "département",
        ScopeLevel::Epci => "intercommunalité",
        ScopeLevel::Commune => "commune",
    }
}

/// The territories an entry may be for, by name: for those who vouch,
/// the territories they coordinate (and everything inside); for the
/// others, every territory of the loaded reference, and the communes of
/// their structures.
async fn territory_choices(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Vec<(String, String)>, Response> {
    let scope = if vouches(viewer) {
        territorial_scope(&viewer.actor)
    } else {
        TerritorialScope::Everywhere
    };
    let mut out: Vec<(String, String)> = state
        .db
        .territories_within(&scope)
        .await
        .map_err(storage_failure)?
        .into_iter()
        .map(|t| {
            let key = territory_key(t.level, &t.code);
            (key, format!("{} ({})", t.name, level_name(t.level)))
        })
        .collect();
    for (id, _) in working_structures(viewer) {
        let Some(s) = state.db.structure(id).await.map_err(storage_failure)? else {
            continue;
        };
        if let (Some(code), Some(nom)) = (s.commune_code, s.commune_nom) {
            let key = territory_key(ScopeLevel::Commune, &code);
            if !out.iter().any(|(k, _)| *k == key) {
                out.push((key, format!("{nom} (commune)")));
            }
        }
    }
    Ok(out)
}

/// A stored territory key by name, or the key itself when the loaded
/// reference does not hold it.
async fn territory_name(state: &AppState, key: &str) -> Result<String, Response> {
    let Some((level, code)) = key.split_once(':') else {
        return Ok(key.to_string());
    };
    let db = &state.db;
    let name = match level {
        "reg" => db
            .region(code)
            .await
            .map_err(storage_failure)?
            .map(|r| (r.nom, ScopeLevel::Region)),
        "dep" => db
            .departement(code)
            .await
            .map_err(storage_failure)?
            .map(|d| (d.nom, ScopeLevel::Departement)),
        "epci" => db
            .epci(code)
            .await
            .map_err(storage_failure)?
            .and_then(|e| e.nom)
            .map(|n| (n, ScopeLevel::Epci)),
        "com" => db
            .commune(code)
            .await
            .map_err(storage_failure)?
            .map(|c| (c.nom, ScopeLevel::Commune)),
        _ => None,
    };
    Ok(name.map_or_else(
        || key.to_string(),
        |(n, l)| format!("{n} ({})", level_name(l)),
    ))
}

async fn directory_page(
    state: &AppState,
    viewer: &Viewer,
    form: EntryForm,
    errors: Vec<(&'static str, String)>,
    notice: Option<&'static str>,
) -> PageResult {
    viewer
        .authorize(Action::ViewReferents)
        .map_err(|d| page_denial(d, "/referents"))?;
    let rows = state.db.referents().await.map_err(storage_failure)?;
    let mut places: HashMap<String, (Location, String)> = HashMap::new();
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        if !places.contains_key(&row.territory) {
            let location = location_of(state, &row.territory).await?;
            let name = territory_name(state, &row.territory).await?;
            places.insert(row.territory.clone(), (location, name));
        }
        let (location, territory) = places[&row.territory].clone();
        let rref = referent_ref(&row, location);
        entries.push(EntryView {
            territory,
            created: by_on(&row.created_by, &row.created_at),
            validated: row
                .is_validated()
                .then(|| by_on(&row.validated_by, &row.validated_at)),
            manage: viewer.authorize(Action::ManageReferent(&rref)).is_ok(),
            can_validate: !row.is_validated()
                && viewer.authorize(Action::ValidateReferent(&rref)).is_ok(),
            row,
        });
    }
    let structures = structure_choices(state, viewer).await?;
    let territories = territory_choices(state, viewer).await?;
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
            notice,
            errors,
            form,
            entries,
            can_add: vouches(viewer) || !working_structures(viewer).is_empty(),
            vouches: vouches(viewer),
            organisations: &ORGANISATIONS,
            structures,
            territories,
        }),
    )
        .into_response())
}

async fn directory(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(raw): RawQuery,
) -> Response {
    let notice = match raw.as_deref() {
        Some("info=ajoute") => Some("Référent ajouté et validé."),
        Some("info=propose") => Some(
            "Référent proposé. Il recevra des demandes quand un coordinateur de son territoire ou un administrateur l’aura validé.",
        ),
        Some("info=valide") => Some("Référent validé : il peut désormais recevoir des demandes."),
        _ => None,
    };
    directory_page(&state, &viewer, EntryForm::default(), Vec::new(), notice)
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
        let get = |k: &str| field(&fields, k).to_string();
        let typed = EntryForm {
            organisation: get("organisme"),
            territory: get("territoire"),
            name: get("nom"),
            email: get("courriel"),
            phone: get("telephone"),
            scope: get("perimetre"),
            structure: get("structure"),
        };
        let entry = Referent {
            organisation: typed.organisation.clone(),
            territory: typed.territory.clone(),
            name: typed.name.clone(),
            email: some(&typed.email),
            phone: some(&typed.phone),
            scope: typed.scope.clone(),
        };
        let mut errors: Vec<(&'static str, String)> = Vec::new();
        // The structure, and its kind: whether it may stand for the organisation.
        let (structure, kind) = match typed.structure.parse::<i64>() {
            Ok(id) => match state.db.structure(id).await.map_err(storage_failure)? {
                Some(s) => (Some(id), Some(s.kind)),
                None => {
                    errors.push(("structure", "choisissez une structure de la liste".into()));
                    (None, None)
                }
            },
            Err(_) => (None, None),
        };
        for p in validate_referent(&entry, kind) {
            // "An address or a telephone" is said next to the address.
            let field = if p.field == "contact" { "courriel" } else { p.field };
            errors.push((field, p.message));
        }
        let location = state
            .db
            .territory_location(&entry.territory)
            .await
            .map_err(storage_failure)?;
        if location.is_none() && !errors.iter().any(|(f, _)| *f == "territoire") {
            errors.push(("territoire", "ce territoire n’est pas dans le référentiel".into()));
        }
        let rref = ReferentRef {
            structure,
            represents: kind.is_some_and(|k| may_represent(&entry.organisation, k)),
            location: location.unwrap_or_default(),
        };
        let validated = viewer.authorize(Action::ValidateReferent(&rref)).is_ok();
        if errors.is_empty() && !validated && viewer.authorize(Action::ProposeReferent(&rref)).is_err() {
            errors.push((
                "territoire",
                "vous ne pouvez ajouter un référent que pour votre structure ou le territoire que vous coordonnez".into(),
            ));
        }
        if !errors.is_empty() {
            return directory_page(&state, &viewer, typed, errors, None).await;
        }
        let by = viewer.person_id().ok_or_else(crate::pages::forbidden)?;
        state
            .db
            .save_referent(None, &entry, structure, by, validated)
            .await
            .map_err(storage_failure)?;
        let info = if validated { "ajoute" } else { "propose" };
        Ok(Redirect::to(&format!("/referents?info={info}")).into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

/// An entry and what the policy sees of it.
async fn load_entry(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<(ReferentRow, ReferentRef), Response> {
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
    let location = location_of(state, &row.territory).await?;
    let rref = referent_ref(&row, location);
    Ok((row, rref))
}

/// Vouching for a proposed entry: from now on it receives requests.
async fn validate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    let result: PageResult = async {
        let (row, rref) = load_entry(&state, &viewer, &id).await?;
        viewer
            .authorize(Action::ValidateReferent(&rref))
            .map_err(|d| page_denial(d, "/referents"))?;
        let by = viewer.person_id().ok_or_else(crate::pages::forbidden)?;
        state
            .db
            .validate_referent(row.id, by)
            .await
            .map_err(storage_failure)?;
        Ok(Redirect::to("/referents?info=valide").into_response())
    }
    .await;
    result.unwrap_or_else(|r| r)
}

async fn remove(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    let result: PageResult = async {
        let (row, rref) = load_entry(&state, &viewer, &id).await?;
        viewer
            .authorize(Action::ManageReferent(&rref))
            .map_err(|d| page_denial(d, "/referents"))?;
        let by = viewer.person_id().ok_or_else(crate::pages::forbidden)?;
        state
            .db
            .delete_referent(row.id, by)
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
        // Only a validated entry's structure receives requests.
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
        let group = get("groupe").parse::<i64>().ok().filter(|g| {
            rows.iter()
                .any(|r| r.structure_id == Some(*g) && r.is_validated())
        });
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
        let created = state
            .db
            .create_request(
                &request,
                requester,
                person,
                group,
                key.as_deref(),
                Utc::now(),
            )
            .await;
        match created {
            Ok((id, _)) => Ok(Redirect::to(&format!("/referents/demandes/{id}")).into_response()),
            // Its entry was withdrawn or is no longer validated meanwhile.
            Err(RequestError::NotAReferentGroup) => {
                let why =
                    "groupe : cet organisme n’a plus de référents validés ; choisissez-en un autre";
                requests_page(&state, &viewer, vec![why.into()]).await
            }
            Err(RequestError::Store(e)) => Err(storage_failure(e)),
            Err(_) => Err(crate::pages::missing()),
        }
    }
    .await;
    result.unwrap_or_else(|r| r)
}

#[derive(Template)]
#[template(path = "referents_demande.html")]
struct RequestPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    notice: Option<&'static str>,
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
    outcomes: &'static [Outcome],
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
    RawQuery(raw): RawQuery,
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
        let open = q.status.is_open() && q.erased_at.is_none();
        let can_erase = q.erased_at.is_none() && viewer.authorize(Action::ErasePersonalData(&r)).is_ok();
        Ok(render(&RequestPage {
            notice: (raw.as_deref() == Some("info=effacee"))
                .then_some("Les informations sur la personne ont été effacées, l’objet et les messages compris."),
            can_erase,
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
        let outcome = Outcome::parse(get("issue"));
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
                outcome,
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
            Err(RequestError::Erased) => Err(crate::referrals::conflict_page(&path, "Les informations de cette demande ont été effacées : on ne peut plus y écrire.", StatusCode::UNPROCESSABLE_ENTITY)),
            Err(RequestError::NotFound | RequestError::NotAReferentGroup) => Err(crate::pages::missing()),
            Err(RequestError::Store(e)) => Err(storage_failure(e)),
        }
    }
    .await;
    result.unwrap_or_else(|r| r)
}

/// The right to erasure, by one of the two structures holding the data:
/// the subject, the situation, the person's details and the messages go;
/// who asked whom, when, and the outcome stay. Audited.
async fn erase(State(state): State<AppState>, viewer: Viewer, Path(id): Path<String>) -> Response {
    let result: PageResult = async {
        let (q, r) = load(&state, &viewer, &id).await?;
        let path = format!("/referents/demandes/{}", q.id);
        erase_for_viewer(&state, &viewer, &r, &path, |who, structure| {
            state
                .db
                .erase_request_person(q.id, who, structure, Utc::now())
        })
        .await
    }
    .await;
    result.unwrap_or_else(|r| r)
}
