//! Opportunities: funding calls, job and training offers (public to
//! read; professionals publish), and each person's weekly digest.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use passerelle_accounts::policy::Action;
use passerelle_network::opportunities::{Opportunity, OpportunityDraft};
use passerelle_network::vocab::{Certification, Contract, OpportunityKind, Theme, chosen};
use passerelle_store::network::{OpportunityQuery, OpportunityRefusal, OpportunityView};
use serde::Deserialize;

use super::forms::{self, Errors, Fields};
use super::views::{self, Choice, OpportunityCard, choices};
use super::{
    SECTION, TerritoryGroup, acting, allow, find_commune, now, page, parse_territory,
    territory_groups, territory_value, today, trail, trail2,
};
use crate::AppState;
use crate::auth::Viewer;
use crate::error::{PageError, PageResult};
use crate::pages::{Chrome, Crumb, render};
use crate::routes::Route;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/reseau/opportunites", list),
        Route::post("/reseau/opportunites", publish),
        Route::get("/reseau/opportunites/nouvelle", new_form),
        Route::get("/reseau/opportunites/{id}", detail),
        Route::post("/reseau/opportunites/{id}/retrait", withdraw),
        Route::get("/reseau/veille", digest_page),
        Route::post("/reseau/veille", follow),
        Route::post("/reseau/veille/arret", stop),
    ]
}

#[derive(Deserialize, Default)]
struct Filters {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    territoire: String,
    #[serde(default)]
    theme: String,
}

#[derive(Template)]
#[template(path = "reseau/opportunites.html")]
struct ListPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    groups: Vec<(&'static str, Vec<OpportunityCard>)>,
    kinds: Vec<Choice>,
    territories: Vec<TerritoryGroup>,
    themes: Vec<Choice>,
    can_publish: bool,
}

async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(f): Query<Filters>,
) -> PageResult {
    allow(&viewer, Action::ViewOpportunities, "/reseau/opportunites")?;
    let found = state
        .db
        .opportunities(&OpportunityQuery {
            open_on: Some(today()),
            kind: OpportunityKind::parse(&f.kind),
            territory: parse_territory(&f.territoire),
            theme: Theme::parse(&f.theme),
            since: None,
        })
        .await?;
    let groups = OpportunityKind::ALL
        .iter()
        .map(|k| {
            let cards = found
                .iter()
                .filter(|o| o.kind == *k)
                .map(OpportunityCard::of)
                .collect();
            (views::kind_plural(*k), cards)
        })
        .filter(|(_, cards): &(_, Vec<OpportunityCard>)| !cards.is_empty())
        .collect();
    Ok(render(&ListPage {
        chrome: Chrome::new(SECTION, &viewer),
        crumbs: trail("Opportunités"),
        groups,
        kinds: choices(
            OpportunityKind::ALL,
            OpportunityKind::code,
            OpportunityKind::label,
            &[f.kind],
        ),
        territories: territory_groups(&state, &f.territoire).await?,
        themes: choices(Theme::ALL, Theme::code, Theme::label, &[f.theme]),
        can_publish: viewer.authorize(Action::TakePartInNetwork).is_ok(),
    }))
}

#[derive(Default)]
struct OpportunityForm {
    kind: String,
    title: String,
    organisation: String,
    description: String,
    themes: Vec<String>,
    territory: String,
    commune: String,
    online: bool,
    deadline: String,
    link: String,
    amount: String,
    contract: String,
    starts: String,
    ends: String,
    certification: String,
}

impl From<&Fields> for OpportunityForm {
    fn from(f: &Fields) -> Self {
        Self {
            kind: f.one("type"),
            title: f.one("titre"),
            organisation: f.one("organisme"),
            description: f.one("description"),
            themes: f.all("themes"),
            territory: f.one("territoire"),
            commune: f.one("commune"),
            online: f.checked("en_ligne"),
            deadline: f.one("date_limite"),
            link: f.one("lien"),
            amount: f.one("montant"),
            contract: f.one("contrat"),
            starts: f.one("debut"),
            ends: f.one("fin"),
            certification: f.one("certification"),
        }
    }
}

#[derive(Template)]
#[template(path = "reseau/opportunite_nouvelle.html")]
struct NewPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    form: OpportunityForm,
    errors: Errors,
    kinds: Vec<Choice>,
    themes: Vec<Choice>,
    territories: Vec<TerritoryGroup>,
    contracts: Vec<Choice>,
    certifications: Vec<Choice>,
}

async fn new_page(
    state: &AppState,
    viewer: &Viewer,
    form: OpportunityForm,
    errors: Errors,
) -> PageResult {
    let invalid = !errors.is_empty();
    let p = NewPage {
        chrome: Chrome::new(SECTION, viewer),
        crumbs: trail2(
            ("Opportunités", "/reseau/opportunites"),
            "Publier une opportunité",
        ),
        kinds: choices(
            OpportunityKind::ALL,
            OpportunityKind::code,
            OpportunityKind::label,
            std::slice::from_ref(&form.kind),
        ),
        themes: choices(Theme::ALL, Theme::code, Theme::label, &form.themes),
        territories: territory_groups(state, &form.territory).await?,
        contracts: choices(
            Contract::ALL,
            Contract::code,
            Contract::label,
            std::slice::from_ref(&form.contract),
        ),
        certifications: choices(
            Certification::ALL,
            Certification::code,
            Certification::label,
            std::slice::from_ref(&form.certification),
        ),
        form,
        errors,
    };
    Ok(page(&p, invalid))
}

async fn new_form(State(state): State<AppState>, viewer: Viewer) -> PageResult {
    allow(
        &viewer,
        Action::TakePartInNetwork,
        "/reseau/opportunites/nouvelle",
    )?;
    let form = OpportunityForm {
        kind: OpportunityKind::Funding.code().into(),
        ..OpportunityForm::default()
    };
    new_page(&state, &viewer, form, Errors::default()).await
}

async fn publish(
    State(state): State<AppState>,
    viewer: Viewer,
    fields: axum::Form<Vec<(String, String)>>,
) -> PageResult {
    allow(
        &viewer,
        Action::TakePartInNetwork,
        "/reseau/opportunites/nouvelle",
    )?;
    let form = OpportunityForm::from(&Fields(fields.0));
    let mut errors = Errors::default();
    let commune = find_commune(&state, &form.commune, &mut errors).await?;
    let draft = OpportunityDraft {
        kind: form.kind.clone(),
        title: form.title.clone(),
        organisation: form.organisation.clone(),
        description: form.description.clone(),
        themes: form.themes.clone(),
        territory: parse_territory(&form.territory),
        commune,
        online: form.online,
        deadline: forms::date(&mut errors, "date_limite", &form.deadline),
        link: form.link.clone(),
        amount: forms::number(&mut errors, "montant", &form.amount),
        contract: form.contract.clone(),
        starts_on: forms::date(&mut errors, "debut", &form.starts),
        ends_on: forms::date(&mut errors, "fin", &form.ends),
        certification: form.certification.clone(),
    };
    let opportunity = match Opportunity::check(draft, today()) {
        Ok(o) if errors.is_empty() => o,
        Ok(_) => return new_page(&state, &viewer, form, errors).await,
        Err(problems) => {
            errors.extend(Errors::from_problems(&problems));
            return new_page(&state, &viewer, form, errors).await;
        }
    };
    match state
        .db
        .publish_opportunity(&acting(&viewer)?, &opportunity, now())
        .await?
    {
        Ok(id) => Ok(Redirect::to(&format!("/reseau/opportunites/{id}?publiee=1")).into_response()),
        Err(OpportunityRefusal::UnknownTerritory) => {
            errors.add(
                "territoire",
                "Ce territoire n’est pas dans le référentiel chargé.",
            );
            new_page(&state, &viewer, form, errors).await
        }
        Err(OpportunityRefusal::UnknownCommune(_)) => {
            errors.add(
                "commune",
                "Cette commune n’est pas dans le référentiel chargé.",
            );
            new_page(&state, &viewer, form, errors).await
        }
    }
}

#[derive(Deserialize, Default)]
struct Notices {
    publiee: Option<String>,
}

#[derive(Template)]
#[template(path = "reseau/opportunite.html")]
struct DetailPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    o: OpportunityView,
    card: OpportunityCard,
    themes: String,
    open: bool,
    can_withdraw: bool,
    notice: bool,
}

async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(n): Query<Notices>,
) -> PageResult {
    allow(&viewer, Action::ViewOpportunities, "/reseau/opportunites")?;
    let o = state.db.opportunity(id).await?.ok_or(PageError::NotFound)?;
    if o.withdrawn {
        return Err(PageError::NotFound);
    }
    Ok(render(&DetailPage {
        chrome: Chrome::new(SECTION, &viewer),
        crumbs: trail2(("Opportunités", "/reseau/opportunites"), &o.title),
        card: OpportunityCard::of(&o),
        themes: views::themes(&o.themes),
        open: passerelle_network::opportunities::is_open(o.deadline, today()),
        can_withdraw: viewer.person_id().is_some()
            && viewer
                .authorize(Action::EditOpportunity(o.author_id, &o.area.location))
                .is_ok(),
        notice: n.publiee.is_some(),
        o,
    }))
}

async fn withdraw(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> PageResult {
    let o = state.db.opportunity(id).await?.ok_or(PageError::NotFound)?;
    allow(
        &viewer,
        Action::EditOpportunity(o.author_id, &o.area.location),
        &format!("/reseau/opportunites/{id}"),
    )?;
    state
        .db
        .withdraw_opportunity(&acting(&viewer)?, id, now())
        .await?;
    Ok(Redirect::to("/reseau/opportunites").into_response())
}

// ----- the weekly digest ---------------------------------------------------

#[derive(Template)]
#[template(path = "reseau/veille.html")]
struct DigestPage {
    chrome: Chrome,
    crumbs: Vec<Crumb>,
    following: bool,
    territories: Vec<TerritoryGroup>,
    themes: Vec<Choice>,
    error: String,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
struct DigestNotices {
    ok: Option<String>,
    arret: Option<String>,
}

async fn digest_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(n): Query<DigestNotices>,
) -> PageResult {
    allow(&viewer, Action::TakePartInNetwork, "/reseau/veille")?;
    let mine = state
        .db
        .digest_subscription(acting(&viewer)?.person_id)
        .await?;
    let (territory, themes) = match &mine {
        Some(s) => (
            passerelle_network::area::finest(&s.area.location)
                .map(|(l, c)| territory_value(l, c))
                .unwrap_or_default(),
            s.themes.iter().map(|t| t.code().to_string()).collect(),
        ),
        None => (String::new(), Vec::new()),
    };
    digest_view(
        &state,
        &viewer,
        mine.is_some(),
        &territory,
        &themes,
        String::new(),
        n,
    )
    .await
}

async fn digest_view(
    state: &AppState,
    viewer: &Viewer,
    following: bool,
    territory: &str,
    themes: &[String],
    error: String,
    n: DigestNotices,
) -> PageResult {
    let invalid = !error.is_empty();
    let p = DigestPage {
        chrome: Chrome::new(SECTION, viewer),
        crumbs: trail("Veille hebdomadaire"),
        following,
        territories: territory_groups(state, territory).await?,
        themes: choices(Theme::ALL, Theme::code, Theme::label, themes),
        error,
        notice: if n.ok.is_some() {
            Some("Veille enregistrée : vous la recevrez chaque lundi, quand il y a du nouveau.")
        } else if n.arret.is_some() {
            Some("Vous ne recevrez plus la veille.")
        } else {
            None
        },
    };
    Ok(page(&p, invalid))
}

async fn follow(
    State(state): State<AppState>,
    viewer: Viewer,
    fields: axum::Form<Vec<(String, String)>>,
) -> PageResult {
    allow(&viewer, Action::TakePartInNetwork, "/reseau/veille")?;
    let f = Fields(fields.0);
    let territory = f.one("territoire");
    let codes = f.all("themes");
    let Ok(themes) = chosen(&codes, Theme::ALL, Theme::code) else {
        return Err(PageError::BadForm);
    };
    let known = state
        .db
        .subscribe_digest(
            &acting(&viewer)?,
            parse_territory(&territory),
            &themes,
            now(),
        )
        .await?;
    if !known {
        let error =
            "Ce territoire n’est pas dans le référentiel chargé : choisissez-le dans la liste."
                .to_string();
        return digest_view(
            &state,
            &viewer,
            false,
            &territory,
            &codes,
            error,
            DigestNotices::default(),
        )
        .await;
    }
    Ok(Redirect::to("/reseau/veille?ok=1").into_response())
}

async fn stop(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    allow(&viewer, Action::TakePartInNetwork, "/reseau/veille")?;
    state.db.unsubscribe_digest(&acting(&viewer)?).await?;
    Ok(Redirect::to("/reseau/veille?arret=1").into_response())
}
