//! Réseau's scheduled work, run hourly by one server at a time (`serve`)
//! and by `passerelle network run`: reminders the day before, free seats
//! given to the waiting lists, opportunities past their last day expired,
//! and on Mondays the weekly digest. Idempotent: each step changes a row
//! only if no one did it before (another server, a previous run), and
//! sends only then.

use chrono::{DateTime, Duration, Utc};
use passerelle_accounts::notification::{Notification, OpportunityMention};
use passerelle_network::digest::{Interests, concerns, due, since};
use passerelle_network::events::{paris_day, reminder_due};
use passerelle_network::vocab::OpportunityKind;
use sqlx::Row;

use super::{AREA_COLUMNS, AREA_JOINS, fill_seats, instant, maybe_instant, subscriber};
use crate::referrals::iso;
use crate::write::Acting;
use crate::{Database, StoreError};

/// Whether this run sends the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestRun {
    /// When due (Monday from 8 h, Paris), once a week.
    Scheduled,
    /// Now, to whoever has had none this week (the command line).
    Forced,
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetworkJobReport {
    pub reminders: u32,
    pub seated: u32,
    pub expired: u32,
    pub digests: u32,
}

impl Database {
    pub async fn run_network_jobs(
        &self,
        now: DateTime<Utc>,
        digest: DigestRun,
    ) -> Result<NetworkJobReport, StoreError> {
        Ok(NetworkJobReport {
            reminders: self.send_reminders(now).await?,
            seated: self.fill_waiting_lists(now).await?,
            expired: self.expire_opportunities(now).await?,
            digests: self.send_digests(now, digest).await?,
        })
    }

    async fn send_reminders(&self, now: DateTime<Utc>) -> Result<u32, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.event_id, r.seated_at, r.asked_at, e.starts_at, p.email FROM network_registrations r \
             JOIN network_events e ON e.id = r.event_id JOIN people p ON p.id = r.person_id \
             WHERE r.status = 'inscrit' AND r.reminded_at IS NULL AND e.cancelled_at IS NULL \
             AND e.starts_at > $1 AND e.starts_at <= $2 ORDER BY r.event_id, r.id",
        )
        .bind(iso(now))
        .bind(iso(now + Duration::days(2)))
        .fetch_all(self.pool())
        .await?;
        let mut sent = 0;
        for r in &rows {
            let starts = instant(r, "starts_at")?;
            let seated = maybe_instant(r, "seated_at")?.unwrap_or(instant(r, "asked_at")?);
            if !reminder_due(starts, seated, now) {
                continue;
            }
            let id: i64 = r.try_get("id")?;
            let event: i64 = r.try_get("event_id")?;
            sent += self.write(&Acting::system(), async |w| {
                let mine = sqlx::query("UPDATE network_registrations SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL")
                    .bind(iso(now))
                    .bind(id)
                    .execute(w.conn())
                    .await?
                    .rows_affected()
                    == 1;
                if mine {
                    let e = super::events::event_in(w.conn(), event).await?;
                    if let Some(e) = e {
                        let to: String = r.try_get("email")?;
                        w.notify(&to, &Notification::EventReminder { event: e.mention() })
                        .await?;
                        w.audit("network.reminder_sent", None, Some(format!("event:{event}")), Some(format!("registration:{id}")))
                        .await?;
                        return Ok(1);
                    }
                }
                Ok(0)
            })
            .await?;
        }
        Ok(sent)
    }

    async fn fill_waiting_lists(&self, now: DateTime<Utc>) -> Result<u32, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT r.event_id FROM network_registrations r JOIN network_events e ON e.id = r.event_id \
             WHERE r.status = 'attente' AND e.cancelled_at IS NULL AND e.starts_at > $1 ORDER BY r.event_id",
        )
        .bind(iso(now))
        .fetch_all(self.pool())
        .await?;
        let mut seated = 0;
        for r in &rows {
            let event: i64 = r.try_get("event_id")?;
            seated += self
                .write(&Acting::system(), async |w| fill_seats(w, event, now).await)
                .await?;
        }
        Ok(seated)
    }

    async fn expire_opportunities(&self, now: DateTime<Utc>) -> Result<u32, StoreError> {
        self.write(&Acting::system(), async |w| {
            let n = sqlx::query("UPDATE network_opportunities SET expired_at = $1 WHERE expired_at IS NULL AND deadline < $2")
                .bind(iso(now))
                .bind(paris_day(now).to_string())
                .execute(w.conn())
                .await?
                .rows_affected();
            if n > 0 {
                w.audit("network.opportunities_expired", None, Some("opportunities".into()), Some(n.to_string()))
                .await?;
            }
            Ok(n as u32)
        })
        .await
    }

    async fn send_digests(&self, now: DateTime<Utc>, run: DigestRun) -> Result<u32, StoreError> {
        let forced = run == DigestRun::Forced;
        let rows = sqlx::query(
            "SELECT x.person_id, p.email, x.themes, x.last_sent_at, x.commune_code, x.epci_siren, x.departement_code, \
             x.region_code FROM network_digests x JOIN people p ON p.id = x.person_id ORDER BY x.person_id",
        )
        .fetch_all(self.pool())
        .await?;
        let subscribers: Vec<_> = rows.iter().map(subscriber).collect::<Result<_, _>>()?;
        let mut sent = 0;
        for s in subscribers
            .into_iter()
            .filter(|s| due(now, s.last_sent_at, forced))
        {
            let from = since(now, s.last_sent_at);
            let sql = format!(
                "SELECT x.id, x.kind, x.title, x.organisation, x.deadline, x.reach, x.themes, {AREA_COLUMNS} \
                 FROM network_opportunities x {AREA_JOINS} WHERE x.withdrawn_at IS NULL AND x.expired_at IS NULL \
                 AND x.deadline >= $1 AND x.created_at >= $2 AND x.created_at <= $3 ORDER BY x.deadline, x.id"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(paris_day(now).to_string())
                .bind(iso(from))
                .bind(iso(now))
                .fetch_all(self.pool())
                .await?;
            let interests = Interests {
                location: s.location.clone(),
                themes: s.themes.clone(),
            };
            let mut items = Vec::new();
            for r in &rows {
                let area = super::area(r)?;
                let themes = super::coded(r, "themes", |t| {
                    passerelle_network::vocab::split_themes(t).ok()
                })?;
                if !concerns(&interests, &area.location, &themes) {
                    continue;
                }
                let reach: String = r.try_get("reach")?;
                items.push(OpportunityMention {
                    id: r.try_get("id")?,
                    kind: super::coded(r, "kind", OpportunityKind::parse)?
                        .code()
                        .to_string(),
                    title: r.try_get("title")?,
                    organisation: r.try_get("organisation")?,
                    deadline: super::day(r, "deadline")?,
                    reach: area.name().map(str::to_string),
                    online: reach == "en-ligne",
                });
            }
            sent += self
                .write(&Acting::system(), async |w| {
                    let mine = sqlx::query(
                        "UPDATE network_digests SET last_sent_at = $1 WHERE person_id = $2 \
                 AND (last_sent_at IS NULL OR last_sent_at = $3)",
                    )
                    .bind(iso(now))
                    .bind(s.person_id)
                    .bind(s.last_sent_at.map(iso).unwrap_or_default())
                    .execute(w.conn())
                    .await?
                    .rows_affected()
                        == 1;
                    if mine && !items.is_empty() {
                        let count = items.len();
                        w.notify(&s.email, &Notification::OpportunitiesDigest { items })
                            .await?;
                        w.audit(
                            "network.digest_sent",
                            None,
                            Some(format!("person:{}", s.person_id)),
                            Some(count.to_string()),
                        )
                        .await?;
                        return Ok(1);
                    }
                    Ok(0)
                })
                .await?;
        }
        Ok(sent)
    }
}
