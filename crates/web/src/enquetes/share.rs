//! A survey once built: put online ("Mettre en ligne"), then shared by its
//! public link and a QR code to print or project (an SVG drawn by the
//! `qrcode` crate), invitations for a survey answered on invitation, and
//! closing after a confirmation that says what it changes.

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use passerelle_store::surveys::{Access, Status, Survey};
use qrcode::QrCode;
use qrcode::render::svg;
use serde::Deserialize;

use super::build::ConfirmPage;
use super::create::{access_label, period, status};
use super::forms::{Errors, InvitationsForm};
use super::{acting, managed, public_link, words};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::export::download;
use crate::fr;
use crate::pages::{Chrome, Crumb, crumbs, render};

fn share_path(slug: &str) -> String {
    format!("/enquetes/{slug}/partage")
}

/// Puts a draft online, then shows how to share it.
pub(super) async fn publish(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    let back = format!("/enquetes/{slug}/questionnaire");
    let survey = managed(&state, &viewer, &slug, &back).await?;
    match state
        .db
        .publish_survey(&survey, &acting(&viewer, &survey))
        .await?
    {
        Ok(()) => Ok(Redirect::to(&format!("{}?fait=en-ligne", share_path(&slug))).into_response()),
        Err(refusal) => Err(PageError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            words::refusal_text(&refusal, &slug),
            &back,
        )),
    }
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
pub(super) enum Done {
    EnLigne,
    Close,
    #[serde(other)]
    Autre,
}

#[derive(Deserialize, Default)]
pub(super) struct DoneQuery {
    fait: Option<Done>,
}

#[derive(Template)]
#[template(path = "enquete_partage.html")]
pub struct SharePage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub slug: String,
    pub title: String,
    pub link: String,
    pub notice: Option<&'static str>,
    pub draft: bool,
    pub open: bool,
    pub status: &'static str,
    pub badge: &'static str,
    pub access: &'static str,
    pub period: String,
    pub responses: String,
    pub invitations: bool,
    pub count: String,
    pub errors: Errors,
}

impl SharePage {
    pub fn error(&self, field: &str) -> &str {
        self.errors.get(field)
    }
}

async fn share_page(
    state: &AppState,
    viewer: &Viewer,
    survey: &Survey,
) -> Result<SharePage, PageError> {
    let responses = state.db.survey_response_count(survey).await?;
    let (label, badge) = status(survey.status, survey.opens_on, survey.open_today());
    Ok(SharePage {
        chrome: Chrome::new("/enquetes", viewer),
        crumbs: crumbs(&[("Enquêtes", "/enquetes")], &survey.title),
        slug: survey.slug.clone(),
        title: survey.title.clone(),
        link: public_link(state, &survey.slug),
        notice: None,
        draft: survey.status == Status::Draft,
        open: survey.open_today(),
        status: label,
        badge,
        access: access_label(survey.access),
        period: period(survey.opens_on, survey.closes_on),
        responses: fr::integer(responses),
        invitations: survey.access == Access::Invitation,
        count: "10".into(),
        errors: Errors::default(),
    })
}

pub(super) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(query): Query<DoneQuery>,
) -> PageResult {
    let survey = managed(&state, &viewer, &slug, &share_path(&slug)).await?;
    let mut page = share_page(&state, &viewer, &survey).await?;
    page.notice = match query.fait {
        Some(Done::EnLigne) => Some("Enquête mise en ligne : partagez son lien ou son QR code."),
        Some(Done::Close) => Some("Enquête close : elle n’accepte plus de réponse."),
        _ => None,
    };
    Ok(render(&page))
}

/// The public link as a QR code (SVG), to print or project.
pub(super) async fn qr(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    managed(&state, &viewer, &slug, &share_path(&slug)).await?;
    let code = QrCode::new(public_link(&state, &slug).as_bytes()).map_err(|e| {
        tracing::error!("QR code of {slug}: {e}");
        PageError::NotFound
    })?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    Ok(download(
        "image/svg+xml",
        &format!("qr-{slug}.svg"),
        image.into_bytes(),
    ))
}

#[derive(Template)]
#[template(path = "enquete_invitations.html")]
pub struct InvitationsPage {
    pub chrome: Chrome,
    pub crumbs: Vec<Crumb>,
    pub title: String,
    pub back: String,
    pub links: Vec<String>,
}

/// Creates invitations and shows their links, once.
pub(super) async fn invite(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    posted: Result<Form<InvitationsForm>, FormRejection>,
) -> PageResult {
    let back = share_path(&slug);
    let survey = managed(&state, &viewer, &slug, &back).await?;
    let Form(form) = posted.map_err(|_| PageError::BadForm)?;
    let count = match form.count() {
        Ok(n) => n,
        Err(message) => {
            let mut page = share_page(&state, &viewer, &survey).await?;
            page.errors.add("nombre", message);
            page.count = form.nombre;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
        }
    };
    let tokens = state
        .db
        .create_survey_invitations(&survey, count, &acting(&viewer, &survey))
        .await?;
    let link = public_link(&state, &slug);
    Ok(render(&InvitationsPage {
        chrome: Chrome::new("/enquetes", &viewer),
        crumbs: crumbs(&[(&survey.title, &back)], "Invitations"),
        title: survey.title.clone(),
        back,
        links: tokens
            .iter()
            .map(|t| format!("{link}?invitation={t}"))
            .collect(),
    }))
}

/// "Clore l’enquête ?": what closing changes, before it is done.
pub(super) async fn close_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    let back = share_path(&slug);
    let survey = managed(&state, &viewer, &slug, &back).await?;
    let responses = state.db.survey_response_count(&survey).await?;
    Ok(render(&ConfirmPage {
        chrome: Chrome::new("/enquetes", &viewer),
        crumbs: crumbs(&[("Enquêtes", "/enquetes"), (&survey.title, &back)], "Clore"),
        heading: format!("Clore l’enquête « {} » ?", survey.title),
        paragraphs: vec![
            "Dès aujourd’hui, son formulaire dira qu’elle n’accepte plus de réponse ; les brouillons en cours ne pourront plus être envoyés.".into(),
            format!(
                "Les réponses reçues ({}) restent dans les résultats et les exports.",
                fr::integer(responses)
            ),
        ],
        action: format!("/enquetes/{slug}/cloture"),
        button: "Clore l’enquête",
        back,
    }))
}

pub(super) async fn close(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> PageResult {
    let back = share_path(&slug);
    let survey = managed(&state, &viewer, &slug, &back).await?;
    state
        .db
        .close_survey(&survey, &acting(&viewer, &survey))
        .await?;
    Ok(Redirect::to(&format!("{back}?fait=close")).into_response())
}
