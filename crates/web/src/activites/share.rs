//! Public links to a view of the figures (issue 18 §3): a coordinator (or
//! an administrator) publishes the question on the statistics page as it
//! stands (territory, period, filters, dimensions, checked against her
//! scope when created); anyone with the link reads it without signing in,
//! with the date of the data and the small-cell rule on every cell, until
//! she revokes it. An embeddable version (`…/integrer`) has no header nor
//! footer and may be framed by any site: its response carries its own
//! `Content-Security-Policy` with `frame-ancestors *` (every other page
//! keeps `'none'`, see `security_headers`).

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use passerelle_accounts::policy::{Denial, FiguresScope, activity_figures, recording_structure};
use passerelle_store::write::Acting;
use serde::Deserialize;

use super::explore::{Shown, StatsParams, ask, resolve, shown, total_sentence};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::fr;
use crate::pages::{Chrome, Crumb, crumbs, render};

const LIST: &str = "/activites/partages";

/// Who may publish a view: a person who sees territories' figures.
pub(super) fn may_share(viewer: &Viewer, scope: &FiguresScope) -> bool {
    viewer.person_id().is_some()
        && matches!(
            scope,
            FiguresScope::Everything | FiguresScope::Territories(_)
        )
}

fn acting(viewer: &Viewer) -> Acting {
    Acting {
        person: viewer.person_id(),
        token: viewer.token_id(),
        structure: recording_structure(&viewer.actor),
        address: viewer.ip.clone(),
    }
}

#[derive(Deserialize)]
pub struct ShareForm {
    #[serde(default)]
    titre: String,
    #[serde(flatten)]
    params: StatsParams,
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ShareForm>,
) -> PageResult {
    let scope = activity_figures(&viewer.actor).map_err(|d| PageError::denied(d, LIST))?;
    if !may_share(&viewer, &scope) {
        return Err(PageError::denied(Denial::Forbidden, LIST));
    }
    let back = format!("/activites/statistiques?{}", form.params.query_string());
    let (q, _) = resolve(&state, &viewer, &form.params).await.map_err(|_| {
        PageError::refused(
            StatusCode::BAD_REQUEST,
            "Cette vue ne peut pas être partagée : vérifiez ses champs.",
            &back,
        )
    })?;
    let title = match form.titre.trim() {
        "" => "Activités de médiation numérique".to_string(),
        t => t.chars().take(200).collect(),
    };
    let token = passerelle_accounts::secret::new_secret();
    state
        .db
        .create_activity_share(&acting(&viewer), &token, &title, &q)
        .await?;
    Ok(Redirect::to(LIST).into_response())
}

/// A link as its creator's list shows it.
pub struct Listed {
    pub id: i64,
    pub title: String,
    pub url: String,
    pub embed: String,
    pub created: String,
    pub revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "activites_partages.html")]
pub struct ListPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    links: Vec<Listed>,
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    let scope = activity_figures(&viewer.actor).map_err(|d| PageError::denied(d, LIST))?;
    let person = viewer
        .person_id()
        .filter(|_| may_share(&viewer, &scope))
        .ok_or_else(|| PageError::denied(Denial::Forbidden, LIST))?;
    let base = &state.config.public_url;
    let links = state
        .db
        .activity_shares_of(person)
        .await?
        .into_iter()
        .map(|s| {
            let url = format!("{base}/partage/activites/{}", s.token);
            Listed {
                id: s.id,
                title: s.title,
                embed: format!(
                    "<iframe src=\"{url}/integrer\" title=\"Activités de médiation numérique\" width=\"100%\" height=\"600\"></iframe>"
                ),
                url,
                created: fr::date_time(s.created_at),
                revoked: s.revoked_at.map(fr::date_time),
            }
        })
        .collect();
    Ok(render(&ListPage {
        chrome: Chrome::new("/activites", &viewer),
        crumbs: crumbs(
            &[
                ("Activités", "/activites"),
                ("Statistiques détaillées", "/activites/statistiques"),
            ],
            "Liens de partage",
        ),
        links,
    }))
}

pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let id = id.parse::<i64>().map_err(|_| PageError::NotFound)?;
    if viewer.person_id().is_none() {
        return Err(PageError::denied(Denial::SignInRequired, LIST));
    }
    if !state.db.revoke_activity_share(&acting(&viewer), id).await? {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to(LIST).into_response())
}

#[derive(Template)]
#[template(path = "activites_partage.html")]
pub struct SharedPage {
    chrome: Chrome,
    title: String,
    territory: String,
    total: String,
    as_of: String,
    filters: Vec<String>,
    shown: Option<Shown>,
}

/// The same figures alone, to be framed.
#[derive(Template)]
#[template(path = "activites_partage_integre.html")]
pub struct EmbeddedPage {
    page: SharedPage,
}

/// The figures of a link, read by anyone holding it.
async fn shared(state: &AppState, viewer: &Viewer, token: &str) -> Result<SharedPage, PageError> {
    let share = state
        .db
        .activity_share(token)
        .await?
        .ok_or(PageError::NotFound)?;
    if share.revoked_at.is_some() {
        return Err(PageError::refused(
            StatusCode::GONE,
            "Ce lien de partage a été retiré par la personne qui l’avait créé.",
            "/",
        ));
    }
    let q = share.question;
    // Public: the question's own level, whoever created it.
    let live = ask(state, &q, q.level())
        .await
        .map_err(|_| PageError::NotFound)?;
    let territory = live
        .names
        .get(&q.territory.key())
        .cloned()
        .unwrap_or_else(|| "Tout le territoire".into());
    let filters = q
        .filters
        .iter()
        .map(|(d, values)| format!("{} : {}", d.title(), values.join(", ")))
        .collect();
    Ok(SharedPage {
        chrome: Chrome::new("", viewer),
        title: share.title,
        territory,
        total: total_sentence(&q, &live),
        as_of: fr::date_time(live.as_of),
        filters,
        shown: shown(&q, None, &live, &BTreeMap::new()),
    })
}

pub async fn public(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> PageResult {
    Ok(render(&shared(&state, &viewer, &token).await?))
}

/// The same, to be framed by another site.
pub async fn embedded(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> PageResult {
    let page = shared(&state, &viewer, &token).await?;
    let mut response = render(&EmbeddedPage { page });
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; \
             font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
             form-action 'self'; frame-ancestors *",
        ),
    );
    Ok(response)
}
