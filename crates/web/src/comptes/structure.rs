//! A structure's page: what it is, the places it runs, its members (roles
//! changed, memberships ended, accounts reactivated), the requests of
//! people who signed in with ProConnect, pending invitations, the
//! invitation form, and API tokens — each action as the policy allows.

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use passerelle_accounts::policy::{Action, Denial, StructureRef, TerritorialScope};
use passerelle_accounts::{Role, ScopeLevel, normalize_email};
use passerelle_store::StoreError;
use passerelle_store::accounts::{ApiTokenView, MembershipView, NewInvitation, Structure};
use passerelle_store::oidc::Decision;
use serde::Deserialize;

use super::form_status;
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::forms::FieldErrors;
use crate::pages::{Chrome, Crumb, crumbs, render};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/structures/{id}", structure_page),
        Route::post("/structures/{id}/invitations", invite),
        Route::post("/structures/{id}/membres/{membership}/role", change_role),
        Route::post("/structures/{id}/membres/{membership}/fin", end_membership),
        Route::post(
            "/structures/{id}/membres/{membership}/reactivation",
            reactivate_member,
        ),
        Route::post(
            "/structures/{id}/demandes/{request}/acceptation",
            accept_request,
        ),
        Route::post("/structures/{id}/demandes/{request}/refus", decline_request),
        Route::post("/structures/{id}/jetons", create_token),
        Route::post("/structures/{id}/jetons/{token}/revocation", revoke_token),
    ]
}

#[derive(Template)]
#[template(path = "structure.html")]
struct StructurePage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    error: Option<String>,
    notice: Option<String>,
    s: Structure,
    members: Vec<MembershipView>,
    manage: bool,
    grantable: Vec<Role>,
    tokens_visible: bool,
    tokens: Vec<ApiTokenView>,
    /// Invitations not yet accepted, for those who manage members.
    invitations: Vec<passerelle_store::home::PendingInvitation>,
    /// People who signed in with ProConnect and ask to work here, for
    /// those who manage members.
    requests: Vec<passerelle_store::oidc::MembershipRequest>,
    /// The places of the directory the structure runs.
    places: Vec<passerelle_store::home::RunPlace>,
    /// (`level:code`, name) of the territories a coordinator may be
    /// invited for: every one of the loaded reference, for administrators.
    territories: Vec<(String, String)>,
    /// The invitation and token forms as typed, kept when they come back.
    invite: InviteForm,
    token_name: String,
    /// Their problems, each next to its field.
    errors: FieldErrors,
}

/// What the structure page shows besides the structure: a notice after an
/// action, or a form as typed with its problems.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    invite: InviteForm,
    token_name: String,
    errors: FieldErrors,
}

/// Back to the structure's page after an action, with its notice.
fn back_to(s: &Structure, info: &str) -> Response {
    Redirect::to(&format!("/structures/{}?info={info}", s.id)).into_response()
}

/// The structure behind `/structures/{id}…` if the viewer may see it.
async fn visible_structure(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<Structure, PageError> {
    let path = format!("/structures/{id}");
    viewer
        .authorize(Action::ViewOwnAccount)
        .map_err(|d| PageError::denied(d, &path))?;
    let id = id.parse::<i64>().map_err(|_| PageError::NotFound)?;
    let s = state.db.structure(id).await?.ok_or(PageError::NotFound)?;
    viewer
        .authorize(Action::ViewStructure(&s.policy_ref()))
        .map_err(|d| PageError::denied(d, &path))?;
    Ok(s)
}

/// What an action on a structure's page manages.
#[derive(Clone, Copy)]
enum Manages {
    Members,
    ApiTokens,
}

/// The structure, if the viewer may manage what the action touches.
async fn structure_for(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    manages: Manages,
) -> Result<Structure, PageError> {
    let s = visible_structure(state, viewer, id).await?;
    let target = s.policy_ref();
    let action = match manages {
        Manages::Members => Action::ManageMembers(&target),
        Manages::ApiTokens => Action::ManageApiTokens(&target),
    };
    viewer
        .authorize(action)
        .map_err(|d| PageError::denied(d, &format!("/structures/{}", s.id)))?;
    Ok(s)
}

/// The territories a coordinator may be invited for, by name, when the
/// viewer may invite one here.
async fn coordinator_territories(
    state: &AppState,
    viewer: &Viewer,
    target: &StructureRef,
) -> Result<Vec<(String, String)>, StoreError> {
    if viewer
        .authorize(Action::GrantRole(target, Role::Coordinateur))
        .is_err()
    {
        return Ok(Vec::new());
    }
    let all = state
        .db
        .territories_within(&TerritorialScope::Everywhere)
        .await?;
    Ok(all
        .into_iter()
        .map(|t| {
            let name = match &t.within {
                Some(within) => format!("{} ({}, {within})", t.name, t.level.label()),
                None => format!("{} ({})", t.name, t.level.label()),
            };
            (format!("{}:{}", t.level.code(), t.code), name)
        })
        .collect())
}

async fn structure_page_with(
    state: &AppState,
    viewer: &Viewer,
    s: Structure,
    shown: Shown,
) -> PageResult {
    let target = s.policy_ref();
    let manage = viewer.authorize(Action::ManageMembers(&target)).is_ok();
    let tokens_visible = viewer.authorize(Action::ManageApiTokens(&target)).is_ok();
    let (invitations, requests) = if manage {
        let invitations = state.db.pending_invitations(s.id).await?;
        (invitations, state.db.membership_requests(s.id).await?)
    } else {
        (Vec::new(), Vec::new())
    };
    let tokens = if tokens_visible {
        state.db.api_tokens_of(s.id).await?
    } else {
        Vec::new()
    };
    let crumb_trail: &[(&str, &str)] = if viewer.is_admin() {
        &[("Structures", "/admin/structures")]
    } else {
        &[("Mon compte", "/compte")]
    };
    let page = StructurePage {
        chrome: Chrome::new("", viewer),
        crumbs: crumbs(crumb_trail, &s.nom),
        error: None,
        notice: shown.notice,
        members: state.db.members_of(s.id).await?,
        manage,
        grantable: Role::ALL
            .into_iter()
            .filter(|r| viewer.authorize(Action::GrantRole(&target, *r)).is_ok())
            .collect(),
        tokens_visible,
        tokens,
        invitations,
        requests,
        places: state.db.places_run_by(s.id, s.siret.as_deref()).await?,
        territories: coordinator_territories(state, viewer, &target).await?,
        invite: shown.invite,
        token_name: shown.token_name,
        errors: shown.errors,
        s,
    };
    Ok((form_status(&page.errors), render(&page)).into_response())
}

#[derive(Deserialize, Default)]
struct StructureQuery {
    #[serde(default)]
    info: String,
}

async fn structure_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<StructureQuery>,
) -> PageResult {
    let s = visible_structure(&state, &viewer, &id).await?;
    let notice = match q.info.as_str() {
        "invitation" => Some(
            "Invitation envoyée. Elle apparaît dans les invitations en attente jusqu’à ce qu’elle soit acceptée.",
        ),
        "role" => Some("Rôle modifié."),
        "fin" => Some(
            "La personne ne fait plus partie de la structure ; ce qu’elle a enregistré reste attribué.",
        ),
        "revocation" => Some("Jeton révoqué."),
        "reactivation" => Some("Compte réactivé : la personne peut de nouveau se connecter."),
        other => crate::notice::Notice::of(other).message(),
    };
    let shown = Shown {
        notice: notice.map(str::to_string),
        ..Shown::default()
    };
    structure_page_with(&state, &viewer, s, shown).await
}

/// The invitation form as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct InviteForm {
    email: String,
    role: String,
    /// A coordinator's territory, as the picker sends it
    /// (`departement:29`: level, then code).
    territoire: String,
}

/// An invitation to send: whom, with which role, for which territories.
struct CheckedInvitation {
    email: String,
    role: Role,
    scopes: Vec<(ScopeLevel, String)>,
}

impl InviteForm {
    /// The invitation, or each problem on its field. A role the viewer may
    /// not grant is a denial, not a problem with the form.
    async fn checked(
        &self,
        state: &AppState,
        viewer: &Viewer,
        target: &StructureRef,
    ) -> Result<Result<CheckedInvitation, FieldErrors>, PageError> {
        let mut errors = FieldErrors::default();
        let email = normalize_email(&self.email);
        if email.is_none() {
            errors.add(
                "email",
                format!(
                    "« {} » n’est pas une adresse électronique valide : elle s’écrit nom@domaine.fr.",
                    self.email.trim()
                ),
            );
        }
        let role = Role::parse(&self.role);
        match role {
            None => errors.add("role", "Choisissez un rôle dans la liste."),
            Some(role) => viewer
                .authorize(Action::GrantRole(target, role))
                .map_err(|d| PageError::denied(d, &format!("/structures/{}", target.id)))?,
        }
        let scopes = match role {
            Some(Role::Coordinateur) => match self.territory(state).await? {
                Some(scope) => vec![scope],
                None => {
                    errors.add(
                        "territoire",
                        "Un coordinateur a besoin d’un territoire : choisissez-le dans la liste.",
                    );
                    Vec::new()
                }
            },
            _ => Vec::new(),
        };
        Ok(match (email, role) {
            (Some(email), Some(role)) if errors.is_empty() => Ok(CheckedInvitation {
                email,
                role,
                scopes,
            }),
            _ => Err(errors),
        })
    }

    /// The territory chosen, if the loaded reference holds it.
    async fn territory(
        &self,
        state: &AppState,
    ) -> Result<Option<(ScopeLevel, String)>, StoreError> {
        use passerelle_territory::codes::{
            is_commune_code, is_departement_code, is_region_code, is_siren,
        };
        let (level, code) = self.territoire.split_once(':').unwrap_or_default();
        let code = code.trim();
        let Some(level) = ScopeLevel::parse(level) else {
            return Ok(None);
        };
        let exists = match level {
            ScopeLevel::Region => is_region_code(code) && state.db.region(code).await?.is_some(),
            ScopeLevel::Departement => {
                is_departement_code(code) && state.db.departement(code).await?.is_some()
            }
            ScopeLevel::Epci => is_siren(code) && state.db.epci(code).await?.is_some(),
            ScopeLevel::Commune => is_commune_code(code) && state.db.commune(code).await?.is_some(),
        };
        Ok(exists.then(|| (level, code.to_string())))
    }
}

async fn invite(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: Result<Form<InviteForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(|_| PageError::BadForm)?;
    let s = structure_for(&state, &viewer, &id, Manages::Members).await?;
    let invitation = match form.checked(&state, &viewer, &s.policy_ref()).await? {
        Ok(invitation) => invitation,
        Err(errors) => {
            let shown = Shown {
                invite: form,
                errors,
                ..Shown::default()
            };
            return structure_page_with(&state, &viewer, s, shown).await;
        }
    };
    let inviter = viewer
        .person
        .as_ref()
        .map_or("Un administrateur", |p| p.display_name.as_str());
    let new = NewInvitation {
        email: &invitation.email,
        structure: &s,
        role: invitation.role,
        scopes: &invitation.scopes,
        inviter: Some(inviter),
    };
    state
        .db
        .create_invitation(&viewer.acting(Some(s.id)), &new)
        .await?;
    Ok(back_to(&s, "invitation"))
}

/// The membership `{membership}` of structure `{id}`, if the viewer manages
/// the structure and may grant the member's current role.
async fn managed_membership(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    membership: &str,
) -> Result<(Structure, MembershipView), PageError> {
    let s = structure_for(state, viewer, id, Manages::Members).await?;
    let m = match membership.parse::<i64>() {
        Ok(mid) => state.db.membership(mid).await?,
        Err(_) => None,
    };
    let m = m
        .filter(|m| m.structure_id == s.id && m.ended_at.is_none())
        .ok_or(PageError::NotFound)?;
    viewer
        .authorize(Action::GrantRole(&s.policy_ref(), m.role))
        .map_err(|d| PageError::denied(d, &format!("/structures/{}", s.id)))?;
    Ok((s, m))
}

#[derive(Deserialize)]
struct RoleForm {
    role: String,
}

async fn change_role(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, membership)): Path<(String, String)>,
    form: Result<Form<RoleForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(|_| PageError::BadForm)?;
    let (s, m) = managed_membership(&state, &viewer, &id, &membership).await?;
    // The select offers only the roles the viewer may give.
    let role = Role::parse(&form.role).ok_or(PageError::BadForm)?;
    viewer
        .authorize(Action::GrantRole(&s.policy_ref(), role))
        .map_err(|d| PageError::denied(d, &format!("/structures/{}", s.id)))?;
    state
        .db
        .change_role(&viewer.acting(Some(s.id)), &m, role)
        .await?;
    Ok(back_to(&s, "role"))
}

async fn end_membership(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, membership)): Path<(String, String)>,
) -> PageResult {
    let (s, m) = managed_membership(&state, &viewer, &id, &membership).await?;
    state
        .db
        .end_membership(&viewer.acting(Some(s.id)), &m)
        .await?;
    Ok(back_to(&s, "fin"))
}

/// Accepts (the person becomes a membre) or declines a membership request
/// made by a first sign-in with ProConnect: who may give the membre role.
async fn decide_request(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    request: &str,
    decision: Decision,
) -> PageResult {
    let s = structure_for(state, viewer, id, Manages::Members).await?;
    viewer
        .authorize(Action::GrantRole(&s.policy_ref(), Role::Membre))
        .map_err(|d| PageError::denied(d, &format!("/structures/{}", s.id)))?;
    let request = request.parse::<i64>().map_err(|_| PageError::NotFound)?;
    let decided = state
        .db
        .decide_membership_request(&viewer.acting(Some(s.id)), s.id, request, decision)
        .await?;
    if !decided {
        return Err(PageError::NotFound);
    }
    let info = match decision {
        Decision::Accept => "demande-acceptee",
        Decision::Decline => "demande-refusee",
    };
    Ok(back_to(&s, info))
}

async fn accept_request(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, request)): Path<(String, String)>,
) -> PageResult {
    decide_request(&state, &viewer, &id, &request, Decision::Accept).await
}

async fn decline_request(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, request)): Path<(String, String)>,
) -> PageResult {
    decide_request(&state, &viewer, &id, &request, Decision::Decline).await
}

/// Reactivates the account of a member, deactivated after months without
/// signing in (`store::lifecycle`).
async fn reactivate_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, membership)): Path<(String, String)>,
) -> PageResult {
    let (s, m) = managed_membership(&state, &viewer, &id, &membership).await?;
    state
        .db
        .reactivate_person(&viewer.acting(Some(s.id)), m.person_id, s.id)
        .await?;
    Ok(back_to(&s, "reactivation"))
}

#[derive(Template)]
#[template(path = "jeton.html")]
struct TokenCreatedPage {
    chrome: Chrome,
    name: String,
    token: String,
    structure_id: i64,
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
}

async fn create_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: Result<Form<TokenForm>, FormRejection>,
) -> PageResult {
    let Form(form) = form.map_err(|_| PageError::BadForm)?;
    let s = structure_for(&state, &viewer, &id, Manages::ApiTokens).await?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        let shown = Shown {
            token_name: form.name.clone(),
            errors: FieldErrors::one("name", "Donnez un nom au jeton (100 caractères au plus)."),
            ..Shown::default()
        };
        return structure_page_with(&state, &viewer, s, shown).await;
    }
    // A token is created by a person, who answers for it.
    let person_id = viewer
        .person_id()
        .ok_or_else(|| PageError::denied(Denial::Forbidden, &format!("/structures/{}", s.id)))?;
    let (_, token) = state
        .db
        .create_api_token(&viewer.acting(Some(s.id)), s.id, name, person_id)
        .await?;
    let page = TokenCreatedPage {
        chrome: Chrome::new("", &viewer),
        name: name.to_string(),
        token,
        structure_id: s.id,
    };
    // The secret must not stay in any cache.
    Ok(([(header::CACHE_CONTROL, "no-store")], render(&page)).into_response())
}

async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, token)): Path<(String, String)>,
) -> PageResult {
    let s = structure_for(&state, &viewer, &id, Manages::ApiTokens).await?;
    let token_id = token.parse::<i64>().map_err(|_| PageError::NotFound)?;
    let revoked = state
        .db
        .revoke_api_token(&viewer.acting(Some(s.id)), s.id, token_id)
        .await?;
    if !revoked {
        return Err(PageError::NotFound);
    }
    Ok(back_to(&s, "revocation"))
}
