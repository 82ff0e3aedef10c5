//! Opportunities (funding calls, job and training offers), the weekly
//! digest's subscriptions, and training needs with their counts.

use chrono::{DateTime, NaiveDate, Utc};
use passerelle_accounts::ScopeLevel;
use passerelle_accounts::policy::{FiguresScope, Location};
use passerelle_network::needs::TrainingNeed;
use passerelle_network::opportunities::{Details, Opportunity, Reach};
use passerelle_network::vocab::{
    Certification, Contract, NeedLevel, OpportunityKind, Theme, join_themes, split_themes,
};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{
    AREA_COLUMNS, AREA_JOINS, Area, Member, Param, area, bind_all, bind_location, coded,
    commune_location, corrupt, day, instant, location, maybe_day, maybe_instant, scope_clause,
    territory_location,
};
use crate::referrals::iso;
use crate::{Database, StoreError};

/// Where an opportunity applies, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReachKind {
    Everywhere,
    Territory,
    Commune,
    Online,
}

impl ReachKind {
    fn code(self) -> &'static str {
        match self {
            Self::Everywhere => "partout",
            Self::Territory => "territoire",
            Self::Commune => "commune",
            Self::Online => "en-ligne",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        [
            Self::Everywhere,
            Self::Territory,
            Self::Commune,
            Self::Online,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpportunityView {
    pub id: i64,
    pub kind: OpportunityKind,
    pub title: String,
    pub organisation: String,
    pub description: Option<String>,
    pub themes: Vec<Theme>,
    pub deadline: NaiveDate,
    pub link: Option<String>,
    pub reach: ReachKind,
    pub area: Area,
    pub details: Details,
    pub author_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub withdrawn: bool,
}

#[derive(Debug, Clone, Default)]
pub struct OpportunityQuery {
    /// Open on this day (Paris): not expired, not withdrawn.
    pub open_on: Option<NaiveDate>,
    pub kind: Option<OpportunityKind>,
    pub territory: Option<(ScopeLevel, String)>,
    pub theme: Option<Theme>,
    /// Published since.
    pub since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpportunityRefusal {
    UnknownTerritory,
    UnknownCommune(String),
}

/// What a person follows in the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSubscription {
    pub area: Area,
    pub themes: Vec<Theme>,
    pub last_sent_at: Option<DateTime<Utc>>,
}

/// A person's training need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedView {
    pub id: i64,
    pub theme: Theme,
    pub level: NeedLevel,
    pub area: Area,
    pub created_at: DateTime<Utc>,
}

/// Needs counted by département and theme, within a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedCount {
    /// The département's name; `None` for needs of a wider territory.
    pub departement: Option<String>,
    pub theme: Theme,
    pub level: NeedLevel,
    pub count: u64,
}

const OPPORTUNITY_SELECT: &str = "SELECT x.id, x.kind, x.title, x.organisation, x.description, x.themes, x.deadline, \
     x.link, x.reach, x.amount, x.contract, x.starts_on, x.ends_on, x.certification, x.author_id, x.created_at, \
     x.withdrawn_at, ";

fn opportunity_from(r: &AnyRow) -> Result<OpportunityView, StoreError> {
    let kind = coded(r, "kind", OpportunityKind::parse)?;
    let details = match kind {
        OpportunityKind::Funding => Details::Funding {
            amount: r.try_get("amount")?,
        },
        OpportunityKind::Job => Details::Job {
            contract: coded(r, "contract", Contract::parse)?,
        },
        OpportunityKind::Training => Details::Training {
            starts_on: day(r, "starts_on")?,
            ends_on: maybe_day(r, "ends_on")?.unwrap_or(day(r, "starts_on")?),
            certification: coded(r, "certification", Certification::parse)?,
        },
    };
    Ok(OpportunityView {
        id: r.try_get("id")?,
        kind,
        title: r.try_get("title")?,
        organisation: r.try_get("organisation")?,
        description: r.try_get("description")?,
        themes: coded(r, "themes", |t| split_themes(t).ok())?,
        deadline: day(r, "deadline")?,
        link: r.try_get("link")?,
        reach: coded(r, "reach", ReachKind::parse)?,
        area: area(r)?,
        details,
        author_id: r.try_get("author_id")?,
        created_at: instant(r, "created_at")?,
        withdrawn: maybe_instant(r, "withdrawn_at")?.is_some(),
    })
}

impl Database {
    pub async fn opportunity(&self, id: i64) -> Result<Option<OpportunityView>, StoreError> {
        let sql = format!(
            "{OPPORTUNITY_SELECT}{AREA_COLUMNS} FROM network_opportunities x {AREA_JOINS} WHERE x.id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(opportunity_from).transpose()
    }

    /// Opportunities matching `q`, the nearest deadline first. A
    /// territory filter keeps those that concern it: inside it, or
    /// covering it (a région's call concerns its départements), or
    /// everywhere.
    pub async fn opportunities(
        &self,
        q: &OpportunityQuery,
    ) -> Result<Vec<OpportunityView>, StoreError> {
        let mut clauses = vec!["x.withdrawn_at IS NULL".to_string()];
        let mut params = Vec::new();
        if let Some(today) = q.open_on {
            params.push(Param::Text(today.to_string()));
            clauses.push(format!(
                "x.expired_at IS NULL AND x.deadline >= ${}",
                params.len()
            ));
        }
        if let Some(kind) = q.kind {
            params.push(Param::Text(kind.code().into()));
            clauses.push(format!("x.kind = ${}", params.len()));
        }
        if let Some(theme) = q.theme {
            params.push(Param::Text(format!("%|{}|%", theme.code())));
            clauses.push(format!("('|' || x.themes || '|') LIKE ${}", params.len()));
        }
        if let Some(since) = q.since {
            params.push(Param::Text(iso(since)));
            clauses.push(format!("x.created_at >= ${}", params.len()));
        }
        let wanted = match &q.territory {
            Some((level, code)) => {
                let mut conn = self.pool().acquire().await?;
                territory_location(&mut conn, *level, code).await?
            }
            None => None,
        };
        let sql = format!(
            "{OPPORTUNITY_SELECT}{AREA_COLUMNS} FROM network_opportunities x {AREA_JOINS} WHERE {} \
             ORDER BY x.deadline, x.id LIMIT 500",
            clauses.join(" AND ")
        );
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), params)
            .fetch_all(self.pool())
            .await?;
        let all: Vec<OpportunityView> = rows
            .iter()
            .map(opportunity_from)
            .collect::<Result<_, _>>()?;
        Ok(match (&q.territory, wanted) {
            (None, _) => all,
            (Some(_), None) => Vec::new(),
            (Some(_), Some(wanted)) => all
                .into_iter()
                .filter(|o| passerelle_network::area::overlaps(&o.area.location, &wanted))
                .collect(),
        })
    }

    /// Publishes an opportunity.
    pub async fn publish_opportunity(
        &self,
        acting: &Member,
        o: &Opportunity,
        now: DateTime<Utc>,
    ) -> Result<Result<i64, OpportunityRefusal>, StoreError> {
        self.write(&acting.acting, async |w| {
            let (reach, location) = match &o.reach {
                Reach::Everywhere => (ReachKind::Everywhere, Location::default()),
                Reach::Online => (ReachKind::Online, Location::default()),
                Reach::Territory(level, code) => match territory_location(w.conn(), *level, code).await?
                {
                    Some(l) => (ReachKind::Territory, l),
                    None => return Ok(Err(OpportunityRefusal::UnknownTerritory)),
                },
                Reach::Commune(code) => match commune_location(w.conn(), code).await? {
                    Some(l) => (ReachKind::Commune, l),
                    None => return Ok(Err(OpportunityRefusal::UnknownCommune(code.clone()))),
                },
            };
            let (amount, contract, starts_on, ends_on, certification) = match &o.details {
                Details::Funding { amount } => (*amount, None, None, None, None),
                Details::Job { contract } => (None, Some(contract.code()), None, None, None),
                Details::Training {
                    starts_on,
                    ends_on,
                    certification,
                } => (
                    None,
                    None,
                    Some(starts_on.to_string()),
                    Some(ends_on.to_string()),
                    Some(certification.code()),
                ),
            };
            let query = sqlx::query(
                "INSERT INTO network_opportunities (kind, title, organisation, description, themes, deadline, link, reach, \
                 amount, contract, starts_on, ends_on, certification, author_id, created_at, \
                 commune_code, epci_siren, departement_code, region_code) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id",
            )
            .bind(o.details.kind().code())
            .bind(o.title.clone())
            .bind(o.organisation.clone())
            .bind(o.description.clone())
            .bind(join_themes(&o.themes))
            .bind(o.deadline.to_string())
            .bind(o.link.clone())
            .bind(reach.code())
            .bind(amount)
            .bind(contract)
            .bind(starts_on)
            .bind(ends_on)
            .bind(certification)
            .bind(acting.person_id)
            .bind(iso(now));
            let row = bind_location(query, &location).fetch_one(w.conn()).await?;
            let id: i64 = row.try_get("id")?;
            w.audit("network.opportunity_published", None, Some(format!("opportunity:{id}")), Some(o.title.clone()))
            .await?;
            Ok(Ok(id))
        })
        .await
    }

    /// Withdraws an opportunity (its author or a moderator).
    pub async fn withdraw_opportunity(
        &self,
        acting: &Member,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(&acting.acting, async |w| {
            let done = sqlx::query("UPDATE network_opportunities SET withdrawn_at = $1 WHERE id = $2 AND withdrawn_at IS NULL")
                .bind(iso(now))
                .bind(id)
                .execute(w.conn())
                .await?
                .rows_affected()
                == 1;
            if done {
                w.audit("network.opportunity_withdrawn", None, Some(format!("opportunity:{id}")), None)
                .await?;
            }
            Ok(done)
        })
        .await
    }

    // ----- the digest ------------------------------------------------------

    pub async fn digest_subscription(
        &self,
        person: i64,
    ) -> Result<Option<DigestSubscription>, StoreError> {
        let sql = format!(
            "SELECT x.themes, x.last_sent_at, {AREA_COLUMNS} FROM network_digests x {AREA_JOINS} WHERE x.person_id = $1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(person)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(DigestSubscription {
                area: area(&r)?,
                themes: coded(&r, "themes", |t| split_themes(t).ok())?,
                last_sent_at: maybe_instant(&r, "last_sent_at")?,
            })
        })
        .transpose()
    }

    /// Follows the digest for a territory (everywhere when `None`) and
    /// themes (all when empty); false when the territory is unknown.
    pub async fn subscribe_digest(
        &self,
        acting: &Member,
        territory: Option<(ScopeLevel, String)>,
        themes: &[Theme],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(&acting.acting, async |w| {
            let location = match &territory {
                Some((level, code)) => match territory_location(w.conn(), *level, code).await? {
                    Some(l) => l,
                    None => return Ok(false),
                },
                None => Location::default(),
            };
            let query = sqlx::query(
                "INSERT INTO network_digests (person_id, themes, created_at, commune_code, epci_siren, departement_code, region_code) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (person_id) DO UPDATE SET themes = $2, \
                 commune_code = $4, epci_siren = $5, departement_code = $6, region_code = $7",
            )
            .bind(acting.person_id)
            .bind(join_themes(themes))
            .bind(iso(now));
            bind_location(query, &location).execute(w.conn()).await?;
            w.audit("network.digest_followed", None, Some(format!("person:{}", acting.person_id)), None)
            .await?;
            Ok(true)
        })
        .await
    }

    pub async fn unsubscribe_digest(&self, acting: &Member) -> Result<bool, StoreError> {
        let subject = format!("person:{}", acting.person_id);
        self.withdraw_own(
            acting,
            "network_digests",
            None,
            "network.digest_stopped",
            subject,
        )
        .await
    }

    // ----- training needs --------------------------------------------------

    pub async fn training_needs_of(&self, person: i64) -> Result<Vec<NeedView>, StoreError> {
        let sql = format!(
            "SELECT x.id, x.theme, x.level, x.created_at, {AREA_COLUMNS} FROM network_training_needs x {AREA_JOINS} \
             WHERE x.person_id = $1 ORDER BY x.created_at, x.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(person)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(NeedView {
                    id: r.try_get("id")?,
                    theme: coded(r, "theme", Theme::parse)?,
                    level: coded(r, "level", NeedLevel::parse)?,
                    area: area(r)?,
                    created_at: instant(r, "created_at")?,
                })
            })
            .collect()
    }

    /// Records a need; false when the territory is unknown or the person
    /// has as many as allowed.
    pub async fn add_training_need(
        &self,
        acting: &Member,
        need: &TrainingNeed,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.write(&acting.acting, async |w| {
            let (level, code) = &need.territory;
            let Some(location) = territory_location(w.conn(), *level, code).await? else {
                return Ok(false);
            };
            let count: i64 =
                sqlx::query("SELECT COUNT(*) AS n FROM network_training_needs WHERE person_id = $1")
                    .bind(acting.person_id)
                    .fetch_one(w.conn())
                    .await?
                    .try_get("n")?;
            if count >= passerelle_network::needs::MAX_PER_PERSON as i64 {
                return Ok(false);
            }
            let query = sqlx::query(
                "INSERT INTO network_training_needs (person_id, theme, level, created_at, commune_code, epci_siren, \
                 departement_code, region_code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(acting.person_id)
            .bind(need.theme.code())
            .bind(need.level.code())
            .bind(iso(now));
            bind_location(query, &location).execute(w.conn()).await?;
            w.audit("network.need_added", None, Some(format!("person:{}", acting.person_id)), None)
            .await?;
            Ok(true)
        })
        .await
    }

    pub async fn remove_training_need(&self, acting: &Member, id: i64) -> Result<bool, StoreError> {
        let subject = format!("person:{}", acting.person_id);
        let key = Some(("id", id));
        self.withdraw_own(
            acting,
            "network_training_needs",
            key,
            "network.need_removed",
            subject,
        )
        .await
    }

    /// Needs counted by département, theme and level, within a scope.
    pub async fn training_need_counts(
        &self,
        scope: &FiguresScope,
    ) -> Result<Vec<NeedCount>, StoreError> {
        let (clause, codes) = scope_clause(scope, 1);
        let sql = format!(
            "SELECT d.nom AS departement_nom, x.theme, x.level, COUNT(*) AS n FROM network_training_needs x \
             LEFT JOIN departements d ON d.code = x.departement_code WHERE {clause} \
             GROUP BY d.nom, x.theme, x.level ORDER BY d.nom, x.theme, x.level"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for c in codes {
            query = query.bind(c);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let n: i64 = r.try_get("n")?;
                Ok(NeedCount {
                    departement: r.try_get("departement_nom")?,
                    theme: coded(r, "theme", Theme::parse)?,
                    level: coded(r, "level", NeedLevel::parse)?,
                    count: u64::try_from(n).map_err(|_| corrupt("count", &n.to_string()))?,
                })
            })
            .collect()
    }
}

/// A subscription as the digest job reads it.
pub(crate) struct Subscriber {
    pub person_id: i64,
    pub email: String,
    pub location: Location,
    pub themes: Vec<Theme>,
    pub last_sent_at: Option<DateTime<Utc>>,
}

pub(crate) fn subscriber(r: &AnyRow) -> Result<Subscriber, StoreError> {
    Ok(Subscriber {
        person_id: r.try_get("person_id")?,
        email: r.try_get("email")?,
        location: location(r)?,
        themes: coded(r, "themes", |t| split_themes(t).ok())?,
        last_sent_at: maybe_instant(r, "last_sent_at")?,
    })
}
