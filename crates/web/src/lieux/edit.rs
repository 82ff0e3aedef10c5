//! The place editor (`/lieux/{id}/modifier`): its structure's members
//! change what the directory says of their place. The form is typed
//! (`forms::EditForm`); an invalid submission is shown again with every
//! value kept and each problem next to its field; the commune is found by
//! its name in the reference (a choice is offered when several share it).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use passerelle_accounts::policy::Action;
use passerelle_places::Place;
use passerelle_store::places::{
    ImportOrigin, PlaceChange, PlaceChangeKind, PlaceError, StoredPlace,
};
use passerelle_territory::Commune;
use passerelle_territory::search::search_key;

use super::forms::{CHOICES, EditForm, FieldErrors, standard_errors};
use super::place_for;
use super::search::DAYS;
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::pages::{Chrome, Crumb, FormFields, crumbs, render};

/// A text field of the form, with its label, hint and problem.
pub struct TextField {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub kind: &'static str,
    pub value: String,
    pub error: Option<String>,
}

/// A day of the hours grid.
pub struct DayRow {
    pub day: &'static str,
    pub times: [String; 4],
    pub error: Option<String>,
}

pub struct Choice {
    pub name: &'static str,
    pub legend: &'static str,
    pub options: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "lieu_modifier.html")]
struct EditPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    id: i64,
    title: String,
    fields: Vec<TextField>,
    commune: TextField,
    postcode: TextField,
    /// Communes of the name typed, when there are several.
    commune_choices: Vec<(String, String)>,
    days: Vec<DayRow>,
    closed_on_holidays: bool,
    grid_origin: String,
    /// The place's hours do not fit the grid: said above it.
    grid_note: bool,
    choices: Vec<Choice>,
    /// Problems, in the order of the form, for the summary at the top,
    /// with the field they are about.
    summary: Vec<(Option<String>, String)>,
    history: Vec<String>,
}

const TEXT: [(&str, &str, &str, &str); 8] = [
    ("nom", "Nom du lieu", "", "text"),
    ("adresse", "Adresse", "Numéro et rue", "text"),
    (
        "complement_adresse",
        "Complément d’adresse",
        "Bâtiment, étage… (facultatif)",
        "text",
    ),
    (
        "telephone",
        "Téléphone",
        "Par exemple 02 98 98 89 89 (facultatif)",
        "tel",
    ),
    (
        "courriels",
        "Adresse électronique",
        "Plusieurs : séparez-les par une virgule (facultatif)",
        "text",
    ),
    (
        "site_web",
        "Site web",
        "Par exemple https://mediatheque.quimper.bzh (facultatif)",
        "text",
    ),
    (
        "prise_rdv",
        "Page de prise de rendez-vous",
        "Adresse de la page (facultatif)",
        "text",
    ),
    (
        "presentation_resume",
        "Présentation courte",
        "280 caractères au plus (facultatif)",
        "text",
    ),
];

fn value<'a>(f: &'a EditForm, name: &str) -> &'a str {
    match name {
        "nom" => &f.nom,
        "adresse" => &f.adresse,
        "complement_adresse" => &f.complement_adresse,
        "telephone" => &f.telephone,
        "courriels" => &f.courriels,
        "site_web" => &f.site_web,
        "prise_rdv" => &f.prise_rdv,
        "presentation_resume" => &f.presentation_resume,
        "code_postal" => &f.code_postal,
        "commune" => &f.commune,
        _ => "",
    }
}

/// What the form shows, with its problems.
struct Shown {
    form: EditForm,
    errors: FieldErrors,
    commune_choices: Vec<(String, String)>,
    grid_note: bool,
}

/// The problems in the order of the form, each linked to its field (a
/// day's problem to its first time).
fn error_summary(errors: &FieldErrors) -> Vec<(Option<String>, String)> {
    let order: Vec<String> = TEXT[..3]
        .iter()
        .map(|t| t.0.to_string())
        .chain(["code_postal".into(), "commune".into()])
        .chain(TEXT[3..].iter().map(|t| t.0.to_string()))
        .chain(DAYS.iter().map(|d| format!("horaires-{d}")))
        .collect();
    let mut summary: Vec<(usize, Option<String>, String)> = errors
        .iter()
        .map(|(name, message)| {
            let rank = order.iter().position(|n| n == name);
            let anchor = match name.strip_prefix("horaires-") {
                Some(day) => Some(format!("{day}-1-debut")),
                None => rank.map(|_| name.clone()),
            };
            (rank.unwrap_or(usize::MAX), anchor, message.clone())
        })
        .collect();
    summary.sort();
    summary.into_iter().map(|(_, a, m)| (a, m)).collect()
}

async fn page(state: &AppState, viewer: &Viewer, stored: &StoredPlace, shown: Shown) -> PageResult {
    let history = state.db.place_changes(stored.id).await?;
    let Shown {
        form,
        errors,
        commune_choices,
        grid_note,
    } = shown;
    let field =
        |(name, label, hint, kind): (&'static str, &'static str, &'static str, &'static str)| {
            TextField {
                name,
                label,
                hint,
                kind,
                value: value(&form, name).to_string(),
                error: errors.get(name).cloned(),
            }
        };
    let summary = error_summary(&errors);
    let page = EditPage {
        chrome: Chrome::new("/lieux", viewer),
        crumbs: crumbs(
            &[
                ("Lieux", "/lieux"),
                (&stored.place.nom, &format!("/lieux/{}", stored.id)),
            ],
            "Modifier",
        ),
        id: stored.id,
        title: stored.place.nom.clone(),
        fields: TEXT.into_iter().map(field).collect(),
        commune: field(("commune", "Commune", "Son nom, par exemple Quimper", "text")),
        postcode: field(("code_postal", "Code postal", "Cinq chiffres", "text")),
        commune_choices,
        days: DAYS
            .iter()
            .enumerate()
            .map(|(d, day)| DayRow {
                day,
                times: form.hours[d].clone(),
                error: errors.get(&format!("horaires-{day}")).cloned(),
            })
            .collect(),
        closed_on_holidays: form.closed_on_holidays,
        grid_origin: form.grid_origin.clone(),
        grid_note,
        choices: CHOICES
            .iter()
            .enumerate()
            .map(|(i, (name, legend, values))| Choice {
                name,
                legend,
                options: values
                    .iter()
                    .map(|v| (v.to_string(), form.choices[i].iter().any(|c| c == v)))
                    .collect(),
            })
            .collect(),
        history: history.iter().map(change_line).collect(),
        summary,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)).into_response())
}

pub async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let path = format!("/lieux/{id}/modifier");
    let stored = place_for(&state, &viewer, &id, &path, |p| Action::EditPlace(p)).await?;
    let (form, fits) = EditForm::of(&stored.place, crate::fr::paris_now().date());
    let shown = Shown {
        form,
        errors: FieldErrors::new(),
        commune_choices: Vec::new(),
        grid_note: !fits,
    };
    page(&state, &viewer, &stored, shown).await
}

pub async fn save_edit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormFields,
) -> PageResult {
    let path = format!("/lieux/{id}/modifier");
    let stored = place_for(&state, &viewer, &id, &path, |p| Action::EditPlace(p)).await?;
    let axum::Form(pairs) = form.map_err(|_| PageError::BadForm)?;
    let form = EditForm::try_from(pairs).map_err(|_| PageError::BadForm)?;
    let (mut place, mut errors) = form.apply(&stored.place, crate::fr::paris_now().date());
    let commune_choices = match find_commune(&state, &form).await? {
        Ok(commune) => {
            set_commune(&mut place, &commune, &mut errors);
            Vec::new()
        }
        Err((message, choices)) => {
            errors.insert("commune".into(), message);
            choices
        }
    };
    standard_errors(&place, &mut errors);
    if !errors.is_empty() {
        let (_, fits) = EditForm::of(&stored.place, crate::fr::paris_now().date());
        let grid_note = !fits;
        let shown = Shown {
            form,
            errors,
            commune_choices,
            grid_note,
        };
        return page(&state, &viewer, &stored, shown).await;
    }
    let changed = state
        .db
        .update_place(stored.id, &place, &super::acting(&viewer))
        .await
        .map_err(refusal)?;
    state.places_changed().await;
    let info = if changed.is_empty() {
        "verifie"
    } else {
        "modifie"
    };
    Ok(Redirect::to(&format!("/lieux/{}?info={info}", stored.id)).into_response())
}

fn refusal(e: PlaceError) -> PageError {
    match e {
        PlaceError::UnknownCommune(code) => PageError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("La commune {code} n’est pas dans le référentiel : rien n’a été enregistré."),
            "/lieux",
        ),
        PlaceError::UnknownPlace(_) | PlaceError::NotPending => PageError::NotFound,
        PlaceError::Store(e) => PageError::Storage(e),
    }
}

/// The commune named in the form: the one of that name (and postcode,
/// when several share the name), or the one chosen among them; else what
/// to say and the communes to choose from.
async fn find_commune(
    state: &AppState,
    form: &EditForm,
) -> Result<Result<Commune, (String, Vec<(String, String)>)>, passerelle_store::StoreError> {
    let typed = form.commune.trim();
    if typed.is_empty() {
        return Ok(Err(("Indiquez la commune du lieu.".into(), Vec::new())));
    }
    let wanted = search_key(typed);
    let mut same: Vec<Commune> = state
        .db
        .search_communes(typed, 50)
        .await?
        .into_iter()
        .filter(|c| search_key(&c.nom) == wanted)
        .collect();
    if let Some(chosen) = same.iter().position(|c| c.code == form.code_insee) {
        return Ok(Ok(same.swap_remove(chosen)));
    }
    if same.len() > 1 {
        let postcode = form.code_postal.replace(' ', "");
        same.retain(|c| c.postcodes.contains(&postcode));
    }
    Ok(match same.len() {
        1 => Ok(same.remove(0)),
        0 => Err((
            format!(
                "Aucune commune ne s’appelle « {typed} » dans le référentiel : vérifiez l’orthographe, ou choisissez-la dans la liste proposée en tapant."
            ),
            Vec::new(),
        )),
        _ => {
            let choices = same
                .iter()
                .map(|c| {
                    (
                        c.code.clone(),
                        format!(
                            "{} ({}, {})",
                            c.nom,
                            c.postcodes.join(", "),
                            c.departement.nom
                        ),
                    )
                })
                .collect();
            Err((
                format!("Plusieurs communes s’appellent « {typed} » : choisissez la bonne."),
                choices,
            ))
        }
    })
}

/// The place in the commune found: its official name, its code, and its
/// postcode when it has only one and none was typed.
fn set_commune(place: &mut Place, commune: &Commune, errors: &mut FieldErrors) {
    place.commune = commune.nom.clone();
    place.code_insee = Some(commune.code.clone());
    if let [only] = commune.postcodes.as_slice()
        && (place.code_postal.is_empty() || errors.contains_key("code_postal"))
    {
        place.code_postal = only.clone();
        errors.remove("code_postal");
    } else if !commune.postcodes.is_empty() && !commune.postcodes.contains(&place.code_postal) {
        errors.insert(
            "code_postal".into(),
            format!(
                "Les codes postaux de {} sont : {}.",
                commune.nom,
                commune.postcodes.join(", ")
            ),
        );
    }
}

/// "3 décembre 2026 à 14 h 30 — Claire Martin : modifié : nom, horaires".
fn change_line(change: &PlaceChange) -> String {
    let origin = |o: &ImportOrigin| match o {
        ImportOrigin::Bundled(name) => format!("données embarquées « {name} »"),
        ImportOrigin::File(name) => format!("fichier « {name} »"),
        ImportOrigin::Api => "import par l’API".into(),
    };
    let what = match &change.kind {
        PlaceChangeKind::Created(o) => format!("créé par import ({})", origin(o)),
        PlaceChangeKind::Updated(o) => format!("mis à jour par import ({})", origin(o)),
        PlaceChangeKind::Merged {
            origin: o,
            source,
            id,
            score,
        } => format!(
            "description de la source « {source} » (identifiant {id}) fusionnée, ressemblance {} ({})",
            crate::fr::percent(*score, 0),
            origin(o)
        ),
        PlaceChangeKind::Edited { fields } if fields.is_empty() => {
            "vérifié, sans changement".into()
        }
        PlaceChangeKind::Edited { fields } => {
            let mut labels: Vec<&str> = fields.iter().map(|f| field_label(f)).collect();
            labels.dedup();
            format!("modifié : {}", labels.join(", "))
        }
        PlaceChangeKind::DuplicateMerged { duplicate } => {
            format!("doublon confirmé : le lieu n° {duplicate} y a été fusionné")
        }
        PlaceChangeKind::Legacy { origin, summary } => format!("{origin} : {summary}"),
    };
    match &change.by {
        Some(who) => format!("{} — {who} : {what}", crate::fr::date_time(change.at)),
        None => format!("{} : {what}", crate::fr::date_time(change.at)),
    }
}

/// A column of the standard as people call it.
fn field_label(field: &str) -> &str {
    match field {
        "code_insee" | "commune" => "commune",
        "code_postal" => "code postal",
        "complement_adresse" => "complément d’adresse",
        "telephone" => "téléphone",
        "courriels" => "adresse électronique",
        "site_web" => "site web",
        "prise_rdv" => "prise de rendez-vous",
        "presentation_resume" => "présentation",
        "publics_specifiquement_adresses" => "publics",
        "frais_a_charge" => "frais",
        "modalites_acces" => "modalités d’accès",
        "modalites_accompagnement" => "accompagnement",
        other => other,
    }
}
