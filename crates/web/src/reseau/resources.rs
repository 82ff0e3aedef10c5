//! The ressourcerie: search and filters (public resources signed out too),
//! sharing a link or a file, the resource's page, its file served with
//! its real type, "utile" marks, moderation.

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use passerelle_accounts::policy::Action;
use passerelle_network::resources::{FileKind, MAX_FILE_BYTES, Resource, ResourceDraft, Upload};
use passerelle_network::vocab::{Licence, Public, ResourceFormat, Theme, Visibility};
use passerelle_store::network::{Moderation, ResourceQuery, ResourceView};
use serde::Deserialize;

use super::forms::{Errors, Fields};
use super::views::{self, Choice, ResourceCard, choices};
use super::{SECTION, acting, allow, now, page, trail, trail2};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::pages::{Chrome, Crumb, render};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/reseau/ressources", list),
        // A file and the form around it.
        Route::post("/reseau/ressources", share).body_limit(MAX_FILE_BYTES + 256 * 1024),
        Route::get("/reseau/ressources/nouvelle", new_form),
        Route::get("/reseau/ressources/{id}", detail),
        Route::get("/reseau/ressources/{id}/fichier", file),
        Route::post("/reseau/ressources/{id}/utile", mark),
        Route::post("/reseau/ressources/{id}/moderation", moderate),
        Route::post("/reseau/ressources/{id}/suppression", delete),
    ]
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default)]
    q: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    public: String,
    #[serde(default)]
    format: String,
}

#[derive(Template)]
#[template(path = "reseau/ressources.html")]
struct ListPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    q: String,
    resources: Vec<ResourceCard>,
    themes: Vec<Choice>,
    publics: Vec<Choice>,
    formats: Vec<Choice>,
    can_share: bool,
    signed_out: bool,
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(f): Query<Filters>,
) -> PageResult {
    let professional = viewer.authorize(Action::ViewNetwork).is_ok();
    let found = state
        .db
        .resources(&ResourceQuery {
            text: Some(f.q.clone()).filter(|q| !q.trim().is_empty()),
            theme: Theme::parse(&f.theme),
            public: Public::parse(&f.public),
            format: ResourceFormat::parse(&f.format),
            members: professional,
            hidden: viewer.authorize(Action::ModerateNetwork).is_ok(),
            viewer: viewer.person_id(),
        })
        .await?;
    Ok(render(&ListPage {
        chrome: Chrome::new(SECTION, &viewer),
        crumbs: trail("Ressourcerie"),
        resources: found.iter().map(ResourceCard::of).collect(),
        themes: choices(Theme::ALL, Theme::code, Theme::label, &[f.theme]),
        publics: choices(Public::ALL, Public::code, Public::label, &[f.public]),
        formats: choices(
            ResourceFormat::ALL,
            ResourceFormat::code,
            ResourceFormat::label,
            &[f.format],
        ),
        can_share: viewer.authorize(Action::TakePartInNetwork).is_ok(),
        signed_out: viewer.person_id().is_none(),
        q: f.q,
    }))
}

/// The form as typed (the file is not sent back: it is chosen again).
#[derive(Default)]
struct ResourceForm {
    title: String,
    description: String,
    themes: Vec<String>,
    publics: Vec<String>,
    format: String,
    licence: String,
    visibility: String,
    link: String,
}

#[derive(Template)]
#[template(path = "reseau/ressource_nouvelle.html")]
struct NewPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    form: ResourceForm,
    errors: Errors,
    themes: Vec<Choice>,
    publics: Vec<Choice>,
    formats: Vec<Choice>,
    licences: Vec<Choice>,
    visibilities: Vec<Choice>,
    max_size: String,
}

fn new_page(viewer: &Viewer, form: ResourceForm, errors: Errors) -> Response {
    let invalid = !errors.is_empty();
    page(
        &NewPage {
            chrome: Chrome::new(SECTION, viewer),
            crumbs: trail2(
                ("Ressourcerie", "/reseau/ressources"),
                "Partager une ressource",
            ),
            themes: choices(Theme::ALL, Theme::code, Theme::label, &form.themes),
            publics: choices(Public::ALL, Public::code, Public::label, &form.publics),
            formats: choices(
                ResourceFormat::ALL,
                ResourceFormat::code,
                ResourceFormat::label,
                std::slice::from_ref(&form.format),
            ),
            licences: choices(
                Licence::ALL,
                Licence::code,
                Licence::label,
                std::slice::from_ref(&form.licence),
            ),
            visibilities: choices(
                Visibility::ALL,
                Visibility::code,
                Visibility::label,
                std::slice::from_ref(&form.visibility),
            ),
            max_size: crate::routes::say_bytes(MAX_FILE_BYTES),
            form,
            errors,
        },
        invalid,
    )
}

async fn new_form(viewer: Viewer) -> PageResult {
    allow(
        &viewer,
        Action::TakePartInNetwork,
        "/reseau/ressources/nouvelle",
    )?;
    let form = ResourceForm {
        licence: Licence::CcBySa.code().into(),
        visibility: Visibility::Public.code().into(),
        ..ResourceForm::default()
    };
    Ok(new_page(&viewer, form, Errors::default()))
}

/// Reads the multipart form: its text fields, and the file if one was
/// chosen.
async fn read_form(mut multipart: Multipart) -> Result<(Fields, Option<Upload>), PageError> {
    let mut fields = Vec::new();
    let mut upload = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| PageError::BadForm)?
    {
        let name = field.name().unwrap_or_default().to_string();
        if name == "fichier" {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let bytes = field.bytes().await.map_err(|_| PageError::BadForm)?;
            if !file_name.is_empty() || !bytes.is_empty() {
                upload = Some(Upload {
                    name: file_name,
                    bytes: bytes.to_vec(),
                });
            }
        } else {
            fields.push((name, field.text().await.map_err(|_| PageError::BadForm)?));
        }
    }
    Ok((Fields(fields), upload))
}

async fn share(
    State(state): State<AppState>,
    viewer: Viewer,
    multipart: Result<Multipart, MultipartRejection>,
) -> PageResult {
    allow(
        &viewer,
        Action::TakePartInNetwork,
        "/reseau/ressources/nouvelle",
    )?;
    let (f, upload) = read_form(multipart.map_err(|_| PageError::BadForm)?).await?;
    let form = ResourceForm {
        title: f.one("titre"),
        description: f.one("description"),
        themes: f.all("themes"),
        publics: f.all("publics"),
        format: f.one("format"),
        licence: f.one("licence"),
        visibility: f.one("visibilite"),
        link: f.one("lien"),
    };
    let draft = ResourceDraft {
        title: form.title.clone(),
        description: form.description.clone(),
        themes: form.themes.clone(),
        publics: form.publics.clone(),
        format: form.format.clone(),
        licence: form.licence.clone(),
        visibility: form.visibility.clone(),
        link: form.link.clone(),
        file: upload,
    };
    let resource = match Resource::try_from(draft) {
        Ok(r) => r,
        Err(problems) => return Ok(new_page(&viewer, form, Errors::from_problems(&problems))),
    };
    let structure = viewer.memberships.first().map(|m| m.structure_id);
    let id = state
        .db
        .share_resource(&acting(&viewer)?, structure, &resource, now())
        .await?;
    Ok(Redirect::to(&format!("/reseau/ressources/{id}?partagee=1")).into_response())
}

/// The resource, if the viewer may see it.
async fn visible(state: &AppState, viewer: &Viewer, id: i64) -> Result<ResourceView, PageError> {
    let r = state
        .db
        .resource(id, viewer.person_id())
        .await?
        .ok_or(PageError::NotFound)?;
    allow(
        viewer,
        Action::ViewResource(&r.policy()),
        &format!("/reseau/ressources/{id}"),
    )?;
    Ok(r)
}

#[derive(Deserialize, Default)]
struct Notices {
    partagee: Option<String>,
}

#[derive(Template)]
#[template(path = "reseau/ressource.html")]
struct DetailPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    r: ResourceView,
    card: ResourceCard,
    themes: String,
    publics: String,
    shared: String,
    file_label: String,
    can_mark: bool,
    can_edit: bool,
    can_moderate: bool,
    notice: Option<&'static str>,
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(n): Query<Notices>,
) -> PageResult {
    let r = visible(&state, &viewer, id).await?;
    let by = [r.author.clone(), r.structure.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    Ok(render(&DetailPage {
        chrome: Chrome::new(SECTION, &viewer),
        crumbs: trail2(("Ressourcerie", "/reseau/ressources"), &r.title),
        card: ResourceCard::of(&r),
        themes: views::themes(&r.themes),
        publics: r
            .publics
            .iter()
            .map(|p| p.label())
            .collect::<Vec<_>>()
            .join(", "),
        shared: format!(
            "Partagée le {}{}",
            crate::fr::day_of(r.created_at),
            if by.is_empty() {
                String::new()
            } else {
                format!(" par {by}")
            }
        ),
        file_label: r
            .file
            .as_ref()
            .map(|f| {
                format!(
                    "Télécharger {} ({}, {})",
                    f.name,
                    f.kind.label(),
                    views::size(f.size)
                )
            })
            .unwrap_or_default(),
        can_mark: viewer.authorize(Action::TakePartInNetwork).is_ok(),
        can_edit: viewer.authorize(Action::EditResource(&r.policy())).is_ok(),
        can_moderate: viewer.authorize(Action::ModerateNetwork).is_ok(),
        notice: n.partagee.map(|_| "Ressource partagée : merci !"),
        r,
    }))
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): an ASCII
/// name for old clients, the real one percent-encoded (RFC 8187).
fn disposition(name: &str, kind: FileKind) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    let how = if kind.inline() {
        "inline"
    } else {
        "attachment"
    };
    format!("{how}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

async fn file(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    visible(&state, &viewer, id).await?;
    let (kind, name, bytes) = state
        .db
        .resource_file(id)
        .await?
        .ok_or(PageError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, kind.mime().to_string()),
            (header::CONTENT_DISPOSITION, disposition(&name, kind)),
            // Whatever the file holds, it runs nothing of ours.
            (
                header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
                    .to_string(),
            ),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
struct MarkForm {
    #[serde(default)]
    utile: String,
}

async fn mark(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<MarkForm>,
) -> PageResult {
    visible(&state, &viewer, id).await?;
    allow(
        &viewer,
        Action::TakePartInNetwork,
        &format!("/reseau/ressources/{id}"),
    )?;
    state
        .db
        .mark_resource(&acting(&viewer)?, id, f.utile == "1", now())
        .await?;
    Ok(Redirect::to(&format!("/reseau/ressources/{id}")).into_response())
}

#[derive(Deserialize)]
struct ModerationForm {
    decision: String,
}

async fn moderate(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ModerationForm>,
) -> PageResult {
    allow(
        &viewer,
        Action::ModerateNetwork,
        &format!("/reseau/ressources/{id}"),
    )?;
    let decision = match f.decision.as_str() {
        "masquer" => Moderation::Hide,
        "afficher" => Moderation::Show,
        "mettre-en-avant" => Moderation::Feature,
        "retirer-de-la-une" => Moderation::Unfeature,
        _ => return Err(PageError::BadForm),
    };
    state
        .db
        .moderate_resource(&acting(&viewer)?, id, decision, now())
        .await?;
    Ok(Redirect::to(&format!("/reseau/ressources/{id}")).into_response())
}

async fn delete(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> PageResult {
    let r = visible(&state, &viewer, id).await?;
    allow(
        &viewer,
        Action::EditResource(&r.policy()),
        &format!("/reseau/ressources/{id}"),
    )?;
    state.db.delete_resource(&acting(&viewer)?, id).await?;
    Ok(Redirect::to("/reseau/ressources").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_given_twice() {
        assert_eq!(
            disposition("Fiche été.pdf", FileKind::Pdf),
            "inline; filename=\"Fiche _t_.pdf\"; filename*=UTF-8''Fiche%20%C3%A9t%C3%A9%2Epdf"
        );
        assert!(disposition("a.odt", FileKind::Odt).starts_with("attachment;"));
    }
}
