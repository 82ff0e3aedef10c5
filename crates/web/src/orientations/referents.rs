//! Referents inside administrations: a directory for professionals, not
//! public. An entry points, if at all, to a structure of the organisation
//! it names (its kind, set by the admin who created it, says so); a
//! coordinator of its territory or an admin creates it validated or
//! validates a member's proposal; only validated entries receive
//! "situation complexe" requests (the store refuses the others).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use passerelle_accounts::policy::{
    Action, Location, ReferentRef, TerritorialScope, territorial_scope,
};
use passerelle_accounts::{ScopeLevel, StructureKind};
use passerelle_referrals::referents::{
    ORGANISATIONS, may_represent, representing_kinds, validate_referent,
};
use passerelle_store::referents::ReferentRow;

use super::forms::{EntryForm, FieldErrors};
use super::{done, person, working_structures};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::notice::Notice;
use crate::pages::{Chrome, Crumb, crumbs, render};

/// Where an entry's territory lies, from the reference (nowhere when the
/// reference does not hold it: then only admins may vouch for it).
async fn location_of(state: &AppState, territory: &str) -> Result<Location, PageError> {
    Ok(state
        .db
        .territory_location(territory)
        .await?
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

#[derive(Template)]
#[template(path = "orientations/referents.html")]
struct DirectoryPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    notice: Notice,
    /// Shown next to each field.
    errors: FieldErrors,
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
        self.errors.get(field)
    }
}

fn by_on(who: &Option<String>, at: &Option<chrono::DateTime<chrono::Utc>>) -> String {
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
) -> Result<Vec<(i64, String)>, PageError> {
    let mut kinds: Vec<StructureKind> = Vec::new();
    for o in ORGANISATIONS {
        kinds.extend(representing_kinds(o));
    }
    let of_kinds = state.db.structures_of_kinds(&kinds).await?;
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
) -> Result<Vec<(String, String)>, PageError> {
    let scope = if vouches(viewer) {
        territorial_scope(&viewer.actor)
    } else {
        TerritorialScope::Everywhere
    };
    let mut out: Vec<(String, String)> = state
        .db
        .territories_within(&scope)
        .await?
        .into_iter()
        .map(|t| {
            let key = territory_key(t.level, &t.code);
            (key, format!("{} ({})", t.name, level_name(t.level)))
        })
        .collect();
    for (id, _) in working_structures(viewer) {
        let Some(s) = state.db.structure(id).await? else {
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
async fn territory_name(state: &AppState, key: &str) -> Result<String, PageError> {
    let Some((level, code)) = key.split_once(':') else {
        return Ok(key.to_string());
    };
    let db = &state.db;
    let name = match level {
        "reg" => db.region(code).await?.map(|r| (r.nom, ScopeLevel::Region)),
        "dep" => db
            .departement(code)
            .await?
            .map(|d| (d.nom, ScopeLevel::Departement)),
        "epci" => db
            .epci(code)
            .await?
            .and_then(|e| e.nom)
            .map(|n| (n, ScopeLevel::Epci)),
        "com" => db
            .commune(code)
            .await?
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
    errors: FieldErrors,
    notice: Notice,
) -> PageResult {
    viewer
        .authorize(Action::ViewReferents)
        .map_err(|d| PageError::denied(d, "/referents"))?;
    let rows = state.db.referents().await?;
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

pub async fn directory(
    State(state): State<AppState>,
    viewer: Viewer,
    notice: Notice,
) -> PageResult {
    directory_page(
        &state,
        &viewer,
        EntryForm::default(),
        FieldErrors::default(),
        notice,
    )
    .await
}

pub async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<axum::Form<EntryForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    viewer
        .authorize(Action::ViewReferents)
        .map_err(|d| PageError::denied(d, "/referents"))?;
    let axum::Form(typed) = form.map_err(|_| PageError::BadForm)?;
    let entry = typed.referent();
    let mut errors = FieldErrors::default();
    // The structure, and its kind: whether it may stand for the organisation.
    let (structure, kind) = match typed.structure() {
        Ok(Some(id)) => match state.db.structure(id).await? {
            Some(s) => (Some(id), Some(s.kind)),
            None => {
                errors.add("structure", "choisissez une structure de la liste");
                (None, None)
            }
        },
        Ok(None) => (None, None),
        Err(()) => return Err(PageError::BadForm),
    };
    for p in validate_referent(&entry, kind) {
        // "An address or a telephone" is said next to the address.
        let field = if p.field == "contact" {
            "courriel"
        } else {
            p.field
        };
        errors.add(field, p.message);
    }
    let location = state.db.territory_location(&entry.territory).await?;
    if location.is_none() && !errors.has("territoire") {
        errors.add("territoire", "ce territoire n’est pas dans le référentiel");
    }
    let rref = ReferentRef {
        structure,
        represents: kind.is_some_and(|k| may_represent(&entry.organisation, k)),
        location: location.unwrap_or_default(),
    };
    let validated = viewer.authorize(Action::ValidateReferent(&rref)).is_ok();
    if errors.is_empty() && !validated && viewer.authorize(Action::ProposeReferent(&rref)).is_err()
    {
        errors.add(
            "territoire",
            "vous ne pouvez ajouter un référent que pour votre structure ou le territoire que vous coordonnez",
        );
    }
    if !errors.is_empty() {
        return directory_page(&state, &viewer, typed, errors, Notice::default()).await;
    }
    let by = person(&viewer, "/referents")?;
    state
        .db
        .save_referent(None, &entry, structure, by, validated)
        .await?;
    let notice = if validated {
        "referent-ajoute"
    } else {
        "referent-propose"
    };
    Ok(done("/referents", notice))
}

/// An entry and what the policy sees of it.
async fn load_entry(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<(ReferentRow, ReferentRef), PageError> {
    viewer
        .authorize(Action::ViewReferents)
        .map_err(|d| PageError::denied(d, "/referents"))?;
    let id: i64 = id.parse().map_err(|_| PageError::NotFound)?;
    let row = state.db.referent(id).await?.ok_or(PageError::NotFound)?;
    let location = location_of(state, &row.territory).await?;
    let rref = referent_ref(&row, location);
    Ok((row, rref))
}

/// Vouching for a proposed entry: from now on it receives requests.
pub async fn validate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let (row, rref) = load_entry(&state, &viewer, &id).await?;
    viewer
        .authorize(Action::ValidateReferent(&rref))
        .map_err(|d| PageError::denied(d, "/referents"))?;
    let by = person(&viewer, "/referents")?;
    state.db.validate_referent(row.id, by).await?;
    Ok(done("/referents", "referent-valide"))
}

pub async fn remove(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let (row, rref) = load_entry(&state, &viewer, &id).await?;
    viewer
        .authorize(Action::ManageReferent(&rref))
        .map_err(|d| PageError::denied(d, "/referents"))?;
    let by = person(&viewer, "/referents")?;
    state.db.delete_referent(row.id, by).await?;
    Ok(done("/referents", "referent-retire"))
}
