//! The directory (opt-in entries), the contact relay and networks.

use chrono::{DateTime, Utc};
use passerelle_accounts::ScopeLevel;
use passerelle_accounts::notification::Notification;
use passerelle_accounts::policy::NetworkRef;
use passerelle_network::directory::{ContactLimit, Profile, Sent, contact_limit, windows};
use passerelle_network::networks::{Network, is_member, on_joining};
use passerelle_network::vocab::{Joining, NetworkRole, Theme, join_themes, split_themes};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{
    AREA_COLUMNS, AREA_JOINS, Area, Member, Param, area, bind_all, bind_location, coded, column,
    commune_location, corrupt, instant,
};
use crate::referrals::iso;
use crate::{Database, StoreError};

/// An entry of the directory, as others see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub person_id: i64,
    pub name: String,
    pub job_title: String,
    pub structure_id: Option<i64>,
    pub structure: Option<String>,
    pub area: Area,
    pub themes: Vec<Theme>,
    pub presentation: Option<String>,
    /// Networks they belong to: id and name.
    pub networks: Vec<(i64, String)>,
    pub updated_at: DateTime<Utc>,
}

/// What the directory is filtered by.
#[derive(Debug, Clone, Default)]
pub struct DirectoryQuery {
    pub territory: Option<(ScopeLevel, String)>,
    pub theme: Option<Theme>,
    pub network: Option<i64>,
}

/// Why an entry is not saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileRefusal {
    /// No commune has this code in the reference.
    UnknownCommune(String),
    /// The structure is not one the person works in.
    NotTheirStructure,
}

/// Why a message is not relayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactRefusal {
    /// Not (or no longer) in the directory.
    NotListed,
    /// To oneself.
    Yourself,
    Limit(ContactLimit),
}

/// A network with what its page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkView {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub joining: Joining,
    pub members: i64,
    pub animators: Vec<(i64, String)>,
    /// The viewer's standing, if any.
    pub mine: Option<NetworkRole>,
}

/// Someone in a network, for its animators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkMember {
    pub person_id: i64,
    pub name: String,
    pub role: NetworkRole,
    pub since: DateTime<Utc>,
}

/// Why one cannot join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinRefusal {
    UnknownNetwork,
    AlreadyIn,
}

const LISTED: &str =
    "EXISTS (SELECT 1 FROM memberships m WHERE m.person_id = x.person_id AND m.ended_at IS NULL)";

fn entry(r: &AnyRow) -> Result<DirectoryEntry, StoreError> {
    Ok(DirectoryEntry {
        person_id: r.try_get("person_id")?,
        name: r.try_get("display_name")?,
        job_title: r.try_get("job_title")?,
        structure_id: r.try_get("structure_id")?,
        structure: r.try_get("structure_nom")?,
        area: area(r)?,
        themes: coded(r, "themes", |t| split_themes(t).ok())?,
        presentation: r.try_get("presentation")?,
        networks: Vec::new(),
        updated_at: instant(r, "updated_at")?,
    })
}

impl Database {
    /// A person's own entry, listed or not.
    pub async fn network_profile(&self, person: i64) -> Result<Option<DirectoryEntry>, StoreError> {
        self.entries("x.person_id = $1", vec![Param::Int(person)])
            .await
            .map(|mut v| v.pop())
    }

    /// The entries of the directory: people who chose to appear and still
    /// work in a structure, by name.
    pub async fn directory(&self, q: &DirectoryQuery) -> Result<Vec<DirectoryEntry>, StoreError> {
        let mut clauses = vec![LISTED.to_string()];
        let mut params = Vec::new();
        if let Some((level, code)) = &q.territory {
            params.push(Param::Text(code.clone()));
            clauses.push(format!("x.{} = ${}", column(*level), params.len()));
        }
        if let Some(theme) = q.theme {
            params.push(Param::Text(format!("%|{}|%", theme.code())));
            clauses.push(format!("('|' || x.themes || '|') LIKE ${}", params.len()));
        }
        if let Some(network) = q.network {
            params.push(Param::Int(network));
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM network_members nm WHERE nm.person_id = x.person_id \
                 AND nm.role IN ('membre', 'animateur') AND nm.network_id = ${})",
                params.len()
            ));
        }
        self.entries(&clauses.join(" AND "), params).await
    }

    /// A listed entry.
    pub async fn directory_entry(&self, person: i64) -> Result<Option<DirectoryEntry>, StoreError> {
        self.entries(
            &format!("x.person_id = $1 AND {LISTED}"),
            vec![Param::Int(person)],
        )
        .await
        .map(|mut v| v.pop())
    }

    async fn entries(
        &self,
        filter: &str,
        params: Vec<Param>,
    ) -> Result<Vec<DirectoryEntry>, StoreError> {
        let sql = format!(
            "SELECT x.person_id, p.display_name, x.job_title, x.structure_id, s.nom AS structure_nom, \
             x.themes, x.presentation, x.updated_at, {AREA_COLUMNS} \
             FROM network_profiles x JOIN people p ON p.id = x.person_id \
             LEFT JOIN structures s ON s.id = x.structure_id {AREA_JOINS} \
             WHERE {filter} ORDER BY p.display_name, x.person_id LIMIT 500"
        );
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), params)
            .fetch_all(self.pool())
            .await?;
        let mut entries: Vec<DirectoryEntry> = rows.iter().map(entry).collect::<Result<_, _>>()?;
        let memberships = sqlx::query(
            "SELECT nm.person_id, n.id, n.name FROM network_members nm JOIN networks n ON n.id = nm.network_id \
             JOIN network_profiles x ON x.person_id = nm.person_id \
             WHERE nm.role IN ('membre', 'animateur') ORDER BY n.name",
        )
        .fetch_all(self.pool())
        .await?;
        for r in &memberships {
            let person: i64 = r.try_get("person_id")?;
            if let Some(e) = entries.iter_mut().find(|e| e.person_id == person) {
                e.networks.push((r.try_get("id")?, r.try_get("name")?));
            }
        }
        Ok(entries)
    }

    /// Saves (creates or replaces) a person's entry: they appear in the
    /// directory from now on.
    pub async fn save_network_profile(
        &self,
        acting: &Member,
        profile: &Profile,
        now: DateTime<Utc>,
    ) -> Result<Result<(), ProfileRefusal>, StoreError> {
        self.write(&acting.acting, async |w| {
            let Some(location) = commune_location(w.conn(), &profile.commune).await? else {
                return Ok(Err(ProfileRefusal::UnknownCommune(profile.commune.clone())));
            };
            if let Some(structure) = profile.structure_id {
                let works_there = sqlx::query(
                    "SELECT 1 AS yes FROM memberships WHERE person_id = $1 AND structure_id = $2 AND ended_at IS NULL",
                )
                .bind(acting.person_id)
                .bind(structure)
                .fetch_optional(w.conn())
                .await?;
                if works_there.is_none() {
                    return Ok(Err(ProfileRefusal::NotTheirStructure));
                }
            }
            let at = iso(now);
            let query = sqlx::query(
                "INSERT INTO network_profiles (person_id, job_title, structure_id, themes, presentation, created_at, updated_at, \
                 commune_code, epci_siren, departement_code, region_code) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10) \
                 ON CONFLICT (person_id) DO UPDATE SET job_title = $2, structure_id = $3, themes = $4, presentation = $5, \
                 updated_at = $6, commune_code = $7, epci_siren = $8, departement_code = $9, region_code = $10",
            )
            .bind(acting.person_id)
            .bind(profile.job_title.clone())
            .bind(profile.structure_id)
            .bind(join_themes(&profile.themes))
            .bind(profile.presentation.clone())
            .bind(at);
            bind_location(query, &location).execute(w.conn()).await?;
            w.audit("network.profile_saved", None, Some(format!("person:{}", acting.person_id)), None)
            .await?;
            Ok(Ok(()))
        })
        .await
    }

    /// Withdraws a person's entry (deleted, not hidden); false if they had
    /// none.
    pub async fn withdraw_network_profile(&self, acting: &Member) -> Result<bool, StoreError> {
        let subject = format!("person:{}", acting.person_id);
        self.withdraw_own(
            acting,
            "network_profiles",
            None,
            "network.profile_withdrawn",
            subject,
        )
        .await
    }

    /// Relays a message to a listed person by e-mail (their address is
    /// never shown), within the sender's limits, counted in the trail.
    pub async fn relay_contact(
        &self,
        acting: &Member,
        to: i64,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<(), ContactRefusal>, StoreError> {
        if to == acting.person_id {
            return Ok(Err(ContactRefusal::Yourself));
        }
        self.write(&acting.acting, async |w| {
            let recipient = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT p.email FROM network_profiles x JOIN people p ON p.id = x.person_id WHERE x.person_id = $1 AND {LISTED}"
            )))
            .bind(to)
            .fetch_optional(w.conn())
            .await?;
            let Some(recipient) = recipient else {
                return Ok(Err(ContactRefusal::NotListed));
            };
            let (hour, day) = windows(now);
            let count = sqlx::query(
                "SELECT COUNT(*) AS n, \
                 CAST(COALESCE(SUM(CASE WHEN at >= $3 THEN 1 ELSE 0 END), 0) AS BIGINT) AS hour, \
                 CAST(COALESCE(SUM(CASE WHEN subject = $4 THEN 1 ELSE 0 END), 0) AS BIGINT) AS same \
                 FROM audit_events WHERE action = 'network.contact' AND actor_person_id = $1 AND at >= $2",
            )
            .bind(acting.person_id)
            .bind(iso(day))
            .bind(iso(hour))
            .bind(format!("person:{to}"))
            .fetch_one(w.conn())
            .await?;
            let n = |col: &str| -> Result<u32, StoreError> {
                Ok(u32::try_from(count.try_get::<i64, _>(col)?).unwrap_or(u32::MAX))
            };
            let sent = Sent {
                last_hour: n("hour")?,
                last_day: n("n")?,
                to_recipient_last_day: n("same")?,
            };
            if let Err(limit) = contact_limit(sent) {
                return Ok(Err(ContactRefusal::Limit(limit)));
            }
            let sender = sqlx::query(
                "SELECT p.display_name, p.email, s.nom AS structure_nom FROM people p \
                 LEFT JOIN network_profiles x ON x.person_id = p.id LEFT JOIN structures s ON s.id = x.structure_id \
                 WHERE p.id = $1",
            )
            .bind(acting.person_id)
            .fetch_one(w.conn())
            .await?;
            let notice = Notification::DirectoryContact {
                from_name: sender.try_get("display_name")?,
                from_structure: sender.try_get("structure_nom")?,
                from_email: sender.try_get("email")?,
                message: message.to_string(),
            };
            let to_address: String = recipient.try_get("email")?;
            w.notify(&to_address, &notice).await?;
            w.audit("network.contact", None, Some(format!("person:{to}")), None)
            .await?;
            Ok(Ok(()))
        })
        .await
    }

    // ----- networks ------------------------------------------------------

    /// Every network, by name, with the viewer's standing.
    pub async fn networks(&self, viewer: Option<i64>) -> Result<Vec<NetworkView>, StoreError> {
        self.network_views(None, viewer).await
    }

    pub async fn network(
        &self,
        id: i64,
        viewer: Option<i64>,
    ) -> Result<Option<NetworkView>, StoreError> {
        Ok(self.network_views(Some(id), viewer).await?.pop())
    }

    async fn network_views(
        &self,
        id: Option<i64>,
        viewer: Option<i64>,
    ) -> Result<Vec<NetworkView>, StoreError> {
        let rows = sqlx::query(
            "SELECT n.id, n.name, n.description, n.joining, \
             (SELECT COUNT(*) FROM network_members m WHERE m.network_id = n.id AND m.role IN ('membre', 'animateur')) AS members, \
             (SELECT m.role FROM network_members m WHERE m.network_id = n.id AND m.person_id = $1) AS mine \
             FROM networks n WHERE ($2 = 0 OR n.id = $2) ORDER BY n.name, n.id",
        )
        .bind(viewer.unwrap_or(0))
        .bind(id.unwrap_or(0))
        .fetch_all(self.pool())
        .await?;
        let animators = sqlx::query(
            "SELECT m.network_id, p.id, p.display_name FROM network_members m JOIN people p ON p.id = m.person_id \
             WHERE m.role = 'animateur' ORDER BY p.display_name",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                let mine: Option<String> = r.try_get("mine")?;
                Ok(NetworkView {
                    id,
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                    joining: coded(r, "joining", Joining::parse)?,
                    members: r.try_get("members")?,
                    animators: animators
                        .iter()
                        .filter(|a| a.try_get::<i64, _>("network_id").is_ok_and(|n| n == id))
                        .map(|a| Ok((a.try_get("id")?, a.try_get("display_name")?)))
                        .collect::<Result<_, sqlx::Error>>()?,
                    mine: mine
                        .map(|m| NetworkRole::parse(&m).ok_or_else(|| corrupt("role", &m)))
                        .transpose()?,
                })
            })
            .collect()
    }

    /// A network as the policy sees it.
    pub async fn network_ref(&self, id: i64) -> Result<Option<NetworkRef>, StoreError> {
        let exists = sqlx::query("SELECT id FROM networks WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        if exists.is_none() {
            return Ok(None);
        }
        let rows = sqlx::query("SELECT person_id, role FROM network_members WHERE network_id = $1")
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        let mut r = NetworkRef::default();
        for row in &rows {
            let person: i64 = row.try_get("person_id")?;
            let role = coded(row, "role", NetworkRole::parse)?;
            if role == NetworkRole::Animator {
                r.animators.push(person);
            }
            if is_member(role) {
                r.members.push(person);
            }
        }
        Ok(Some(r))
    }

    /// Everyone in a network, requests included: for its animators.
    pub async fn network_members(&self, id: i64) -> Result<Vec<NetworkMember>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.person_id, p.display_name, m.role, m.since FROM network_members m \
             JOIN people p ON p.id = m.person_id WHERE m.network_id = $1 ORDER BY m.role, p.display_name",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(NetworkMember {
                    person_id: r.try_get("person_id")?,
                    name: r.try_get("display_name")?,
                    role: coded(r, "role", NetworkRole::parse)?,
                    since: instant(r, "since")?,
                })
            })
            .collect()
    }

    /// Creates a network; its creator animates it.
    pub async fn create_network(
        &self,
        acting: &Member,
        n: &Network,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.write(&acting.acting, async |w| {
            let at = iso(now);
            let row = sqlx::query(
                "INSERT INTO networks (name, description, joining, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(n.name.clone())
            .bind(n.description.clone())
            .bind(n.joining.code())
            .bind(acting.person_id)
            .bind(at.clone())
            .fetch_one(w.conn())
            .await?;
            let id: i64 = row.try_get("id")?;
            set_member(w.conn(), id, acting.person_id, NetworkRole::Animator, &at).await?;
            w.audit("network.created", None, Some(format!("network:{id}")), Some(n.name.clone()))
            .await?;
            Ok(id)
        })
        .await
    }

    /// Joins a network: at once if it is open, as a request its animators
    /// are told of otherwise.
    pub async fn join_network(
        &self,
        acting: &Member,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Result<NetworkRole, JoinRefusal>, StoreError> {
        self.write(&acting.acting, async |w| {
            let Some(n) = sqlx::query("SELECT name, joining FROM networks WHERE id = $1")
                .bind(id)
                .fetch_optional(w.conn())
                .await?
            else {
                return Ok(Err(JoinRefusal::UnknownNetwork));
            };
            let already = sqlx::query(
                "SELECT role FROM network_members WHERE network_id = $1 AND person_id = $2",
            )
            .bind(id)
            .bind(acting.person_id)
            .fetch_optional(w.conn())
            .await?;
            if already.is_some() {
                return Ok(Err(JoinRefusal::AlreadyIn));
            }
            let role = on_joining(coded(&n, "joining", Joining::parse)?);
            set_member(w.conn(), id, acting.person_id, role, &iso(now)).await?;
            if role == NetworkRole::Requested {
                let person: String = sqlx::query("SELECT display_name FROM people WHERE id = $1")
                    .bind(acting.person_id)
                    .fetch_one(w.conn())
                    .await?
                    .try_get("display_name")?;
                let notice = Notification::NetworkJoinRequested {
                    network_id: id,
                    network: n.try_get("name")?,
                    person,
                };
                for to in animator_addresses(w.conn(), id).await? {
                    w.notify(&to, &notice).await?;
                }
            }
            w.audit(
                "network.joined",
                None,
                Some(format!("network:{id}")),
                Some(role.code().into()),
            )
            .await?;
            Ok(Ok(role))
        })
        .await
    }

    /// Leaves a network (or withdraws a request).
    pub async fn leave_network(&self, acting: &Member, id: i64) -> Result<bool, StoreError> {
        let key = Some(("network_id", id));
        self.withdraw_own(
            acting,
            "network_members",
            key,
            "network.left",
            format!("network:{id}"),
        )
        .await
    }

    /// An animator's decision on someone of the network: `Some(role)`
    /// gives that role (accepting a request tells the person), `None`
    /// removes them. False when they are not in it.
    pub async fn set_network_member(
        &self,
        acting: &Member,
        id: i64,
        person: i64,
        role: Option<NetworkRole>,
    ) -> Result<bool, StoreError> {
        self.write(&acting.acting, async |w| {
            let Some(current) = sqlx::query(
                "SELECT m.role, n.name, p.email FROM network_members m JOIN networks n ON n.id = m.network_id \
                 JOIN people p ON p.id = m.person_id WHERE m.network_id = $1 AND m.person_id = $2",
            )
            .bind(id)
            .bind(person)
            .fetch_optional(w.conn())
            .await?
            else {
                return Ok(false);
            };
            let was = coded(&current, "role", NetworkRole::parse)?;
            match role {
                Some(role) => {
                    sqlx::query(
                        "UPDATE network_members SET role = $1 WHERE network_id = $2 AND person_id = $3",
                    )
                    .bind(role.code())
                    .bind(id)
                    .bind(person)
                    .execute(w.conn())
                    .await?;
                    if was == NetworkRole::Requested && is_member(role) {
                        let to: String = current.try_get("email")?;
                        let notice = Notification::NetworkJoinAccepted {
                            network_id: id,
                            network: current.try_get("name")?,
                        };
                        w.notify(&to, &notice).await?;
                    }
                }
                None => {
                    sqlx::query("DELETE FROM network_members WHERE network_id = $1 AND person_id = $2")
                        .bind(id)
                        .bind(person)
                        .execute(w.conn())
                        .await?;
                }
            }
            w.audit("network.member_set", None, Some(format!("network:{id}")), Some(format!(
                    "person:{person} {}",
                    role.map_or("retiré", |r| r.code())
                )))
            .await?;
            Ok(true)
        })
        .await
    }
}

async fn set_member(
    conn: &mut sqlx::AnyConnection,
    network: i64,
    person: i64,
    role: NetworkRole,
    at: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO network_members (network_id, person_id, role, since) VALUES ($1, $2, $3, $4)",
    )
    .bind(network)
    .bind(person)
    .bind(role.code())
    .bind(at.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn animator_addresses(
    conn: &mut sqlx::AnyConnection,
    network: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT p.email FROM network_members m JOIN people p ON p.id = m.person_id \
         WHERE m.network_id = $1 AND m.role = 'animateur' ORDER BY p.email",
    )
    .bind(network)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(|r| r.try_get("email")).collect()
}

impl Database {
    /// The places run by these structures, by name: where their people
    /// may hold an event.
    pub async fn places_of_structures(
        &self,
        structures: &[i64],
    ) -> Result<Vec<(i64, String)>, StoreError> {
        if structures.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=structures.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, nom FROM places WHERE structure_id IN ({}) ORDER BY nom, id",
            marks.join(", ")
        );
        let params = structures.iter().map(|s| Param::Int(*s)).collect();
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), params)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("nom")?)))
            .collect()
    }
}
