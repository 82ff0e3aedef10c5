//! The administration: structures (found by name, added with their commune
//! picked by name), the audit trail (page and CSV, the export itself
//! audited) and the outbox with each message's delivery state.

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use passerelle_accounts::policy::Action;
use passerelle_accounts::{StructureKind, is_valid_siret};
use passerelle_store::accounts::{AuditRecord, NewStructure, StructureRefusal, StructureSummary};
use passerelle_store::outbox::Delivery;
use serde::Deserialize;

use super::form_status;
use super::sign_in::audit_only;
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::forms::FieldErrors;
use crate::pages::{Chrome, render};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/admin/structures", structures_page),
        Route::post("/admin/structures", create_structure),
        Route::get("/admin/journal", audit_page),
        Route::get("/admin/journal.csv", audit_csv),
        Route::get("/admin/courriels", outbox_page),
    ]
}

// ----- structures -------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin_structures.html")]
struct StructuresPage {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    /// The structure form as typed, kept when it comes back with errors.
    form: NewStructureForm,
    errors: FieldErrors,
    q: String,
    structures: Vec<StructureSummary>,
    kinds: &'static [StructureKind],
}

#[derive(Deserialize, Default)]
struct StructuresQuery {
    #[serde(default)]
    q: String,
}

async fn structures_page_with(
    state: &AppState,
    viewer: &Viewer,
    q: String,
    form: NewStructureForm,
    errors: FieldErrors,
) -> PageResult {
    viewer
        .authorize(Action::ListStructures)
        .map_err(|d| PageError::denied(d, "/admin/structures"))?;
    let q: String = q.trim().chars().take(100).collect();
    let structures = state.db.search_structures(&q, 200).await?;
    let page = StructuresPage {
        chrome: Chrome::new("", viewer),
        error: None,
        notice: None,
        q,
        structures,
        kinds: StructureKind::ALL,
        form,
        errors,
    };
    Ok((form_status(&page.errors), render(&page)).into_response())
}

async fn structures_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<StructuresQuery>,
) -> PageResult {
    let (form, errors) = (NewStructureForm::default(), FieldErrors::default());
    structures_page_with(&state, &viewer, q.q, form, errors).await
}

/// The structure form as typed.
#[derive(Deserialize, Default)]
#[serde(default)]
struct NewStructureForm {
    nom: String,
    kind: String,
    siret: String,
    /// The commune's name as typed or chosen ("Quimper (Finistère)").
    commune: String,
}

/// The structure form read: what to create, or the problems by field.
struct CheckedStructure {
    nom: String,
    kind: StructureKind,
    siret: Option<String>,
    commune: Option<String>,
}

impl NewStructureForm {
    async fn checked(
        &self,
        state: &AppState,
    ) -> Result<Result<CheckedStructure, FieldErrors>, PageError> {
        let nom = self.nom.trim();
        let siret: String = self.siret.chars().filter(|c| !c.is_whitespace()).collect();
        let kind = StructureKind::parse(&self.kind);
        let mut errors = FieldErrors::default();
        if nom.is_empty() || nom.chars().count() > 200 {
            errors.add(
                "nom",
                "Indiquez le nom de la structure (200 caractères au plus).",
            );
        }
        if kind.is_none() {
            errors.add("kind", "Choisissez un type de structure dans la liste.");
        }
        if !siret.is_empty() && !is_valid_siret(&siret) {
            errors.add("siret", format!(
                "« {siret} » n’est pas un SIRET valide : 14 chiffres, dont le dernier est une clé de contrôle."
            ));
        }
        let commune = crate::communes::resolve(state, &self.commune)
            .await?
            .unwrap_or_else(|problem| {
                errors.add("commune", problem);
                None
            });
        Ok(match kind {
            Some(kind) if errors.is_empty() => Ok(CheckedStructure {
                nom: nom.to_string(),
                kind,
                siret: (!siret.is_empty()).then_some(siret),
                commune,
            }),
            _ => Err(errors),
        })
    }
}

/// Why a structure was not created, in French.
pub fn structure_refusal(refusal: &StructureRefusal) -> String {
    match refusal {
        StructureRefusal::UnknownCommune(code) => {
            format!("La commune de code INSEE « {code} » n’est pas dans le référentiel.")
        }
        StructureRefusal::SiretTaken { siret, nom } => {
            format!("Le SIRET {siret} est déjà celui de la structure « {nom} ».")
        }
    }
}

async fn create_structure(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<Form<NewStructureForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(|_| PageError::BadForm)?;
    viewer
        .authorize(Action::CreateStructure)
        .map_err(|d| PageError::denied(d, "/admin/structures"))?;
    let checked = match form.checked(&state).await? {
        Ok(checked) => checked,
        Err(errors) => {
            return structures_page_with(&state, &viewer, String::new(), form, errors).await;
        }
    };
    let new = NewStructure {
        nom: &checked.nom,
        kind: checked.kind,
        siret: checked.siret.as_deref(),
        commune_code: checked.commune.as_deref(),
    };
    match state
        .db
        .create_structure_by(&viewer.acting(None), &new)
        .await?
    {
        Ok(id) => {
            Ok(Redirect::to(&format!("/structures/{id}?info=structure-creee")).into_response())
        }
        Err(refusal) => {
            let field = match &refusal {
                StructureRefusal::UnknownCommune(_) => "commune",
                StructureRefusal::SiretTaken { .. } => "siret",
            };
            let errors = FieldErrors::one(field, structure_refusal(&refusal));
            structures_page_with(&state, &viewer, String::new(), form, errors).await
        }
    }
}

// ----- audit trail ------------------------------------------------------------

#[derive(Template)]
#[template(path = "journal.html")]
struct AuditPage {
    chrome: Chrome,
    events: Vec<AuditRecord>,
    action: String,
    /// Every action with its French name, for the filter.
    actions: &'static [(&'static str, &'static str)],
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    #[serde(default)]
    action: String,
}

impl AuditQuery {
    /// The action filtered on, if it is one the trail records.
    fn filter(&self) -> Option<&'static str> {
        super::events::known(&self.action)
    }
}

async fn audit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    viewer
        .authorize(Action::ViewAuditTrail)
        .map_err(|d| PageError::denied(d, "/admin/journal"))?;
    let filter = q.filter();
    let events = state.db.audit_events(filter, 500).await?;
    Ok(render(&AuditPage {
        chrome: Chrome::new("", &viewer),
        events,
        action: filter.unwrap_or("").into(),
        actions: super::events::EVENTS,
    }))
}

async fn audit_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    viewer
        .authorize(Action::ViewAuditTrail)
        .map_err(|d| PageError::denied(d, "/admin/journal"))?;
    let filter = q.filter();
    let events = state.db.audit_events(filter, i64::MAX).await?;
    let detail = Some(format!("{} événements", events.len()));
    audit_only(
        &state,
        &viewer,
        "audit.exported",
        filter.map(str::to_string),
        detail,
    )
    .await?;
    let body = audit_trail_csv(events).map_err(|_| PageError::Said {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        title: "Erreur interne",
        text: "Export impossible.".into(),
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"passerelle-journal-audit.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// The trail as CSV. It holds what people typed (an e-mail at a failed
/// sign-in): the shared writer keeps it from running as a formula.
fn audit_trail_csv(events: Vec<AuditRecord>) -> Result<Vec<u8>, passerelle_csv::Error> {
    let mut out = passerelle_csv::Writer::in_memory();
    out.write_record([
        "id",
        "date_utc",
        "evenement",
        "par",
        "jeton",
        "structure",
        "objet",
        "detail",
        "ip",
    ])?;
    for e in events {
        let text = |v: Option<String>| v.unwrap_or_default();
        out.write_record([
            e.id.to_string(),
            passerelle_store::time::iso(e.at),
            e.action,
            text(e.actor),
            e.actor_token_id.map(|t| t.to_string()).unwrap_or_default(),
            text(e.structure),
            text(e.subject),
            text(e.detail),
            text(e.ip),
        ])?;
    }
    Ok(out.into_bytes())
}

// ----- outbox -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "courriels.html")]
struct OutboxPage {
    chrome: Chrome,
    messages: Vec<OutboxView>,
    smtp: bool,
}

/// A message as the outbox page shows it: written in French, dated in
/// Paris time, with its delivery state.
struct OutboxView {
    to: String,
    subject: String,
    body: String,
    queued: String,
    /// "Envoyé", "En attente" or "Échec", and its DSFR badge class.
    badge: (&'static str, &'static str),
    state: String,
}

fn delivery_badge(delivery: &Delivery) -> (&'static str, &'static str) {
    match delivery {
        Delivery::Sent(_) => ("Envoyé", "fr-badge--success"),
        Delivery::Failed { .. } => ("Échec", "fr-badge--error"),
        Delivery::Queued { .. } => ("En attente", "fr-badge--info"),
        Delivery::InDigest(_) => ("Résumé du jour", "fr-badge--new"),
    }
}

/// A message's delivery state in French: queued (with the last failure
/// and the next attempt), sent, or failed with the reason.
fn delivery_state(delivery: &Delivery) -> String {
    match delivery {
        Delivery::Sent(at) => format!("envoyé le {}", crate::fr::date_time(*at)),
        Delivery::Failed { at, reason } => format!(
            "échec définitif le {} : {reason}",
            crate::fr::date_time(*at)
        ),
        Delivery::Queued {
            attempts,
            last_error: Some(e),
            retry_at,
        } => format!(
            "en attente : {} essai{} sans succès ({e}){}",
            attempts,
            if *attempts > 1 { "s" } else { "" },
            retry_at.map_or(String::new(), |t| format!(
                ", nouvel essai le {}",
                crate::fr::date_time(t)
            ))
        ),
        Delivery::Queued { .. } => "en attente".into(),
        Delivery::InDigest(None) => "attend le résumé du jour".into(),
        Delivery::InDigest(Some(_)) => "envoyé dans le résumé du jour".into(),
    }
}

async fn outbox_page(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    viewer
        .authorize(Action::ViewOutbox)
        .map_err(|d| PageError::denied(d, "/admin/courriels"))?;
    let messages = state.db.outbox(false, 200).await?;
    Ok(render(&OutboxPage {
        chrome: Chrome::new("", &viewer),
        messages: messages
            .into_iter()
            .map(|m| {
                let mail = crate::mail::render(&m.content, &state.config.public_url);
                let delivery = m.delivery();
                OutboxView {
                    to: m.to_address,
                    subject: mail.subject,
                    body: mail.body,
                    queued: crate::fr::date_time(m.created_at),
                    badge: delivery_badge(&delivery),
                    state: delivery_state(&delivery),
                }
            })
            .collect(),
        smtp: state.config.smtp_configured,
    }))
}
