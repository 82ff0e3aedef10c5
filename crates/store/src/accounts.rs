//! Comptes in the database: structures, people and their memberships,
//! password credentials, sessions, one-time tokens (invitations, password
//! resets), API tokens, the append-only audit trail and the e-mail outbox.
//! Secrets are stored hashed (`passerelle_accounts::secret`).

use chrono::{DateTime, Duration, Months, Utc};
use passerelle_accounts::notification::Notification;
use passerelle_accounts::policy::{Location, Membership, Scope, StructureRef};
use passerelle_accounts::secret::{REDACTED_LINK, hash_secret, new_secret};
use passerelle_accounts::throttle::{self, Attempts};
use passerelle_accounts::{Role, ScopeLevel, StructureKind};
use passerelle_territory::search::{prefix_upper_bound, search_key};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::time::{instant_at, iso_in, maybe_instant_at, now_iso};
use crate::{Database, StoreError};

/// Idle session lifetime: a session unused this long ends.
pub const SESSION_IDLE_SECONDS: i64 = 2 * 3600;
/// Absolute session lifetime, however active.
pub const SESSION_ABSOLUTE_SECONDS: i64 = 12 * 3600;
pub const INVITATION_SECONDS: i64 = 7 * 24 * 3600;
pub const PASSWORD_RESET_SECONDS: i64 = 3600;

/// A refusal the person can act on (shown as is, in French).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

/// Why a structure cannot be created; the web layer writes it in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StructureRefusal {
    /// No commune of this INSEE code is in the reference.
    UnknownCommune(String),
    /// Another structure has this SIRET.
    SiretTaken { siret: String, nom: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Structure {
    pub id: i64,
    pub nom: String,
    pub kind: StructureKind,
    pub siret: Option<String>,
    pub commune_code: Option<String>,
    pub commune_nom: Option<String>,
    pub created_at: DateTime<Utc>,
    pub location: Location,
}

impl Structure {
    pub fn policy_ref(&self) -> StructureRef {
        StructureRef {
            id: self.id,
            location: self.location.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StructureSummary {
    pub id: i64,
    pub nom: String,
    pub kind: StructureKind,
    pub commune_nom: Option<String>,
    pub members: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    /// Deactivated after months without signing in (`lifecycle`): cannot
    /// sign in until a gestionnaire reactivates the account.
    pub deactivated: bool,
}

/// A membership with what pages show about it.
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipView {
    pub id: i64,
    pub person_id: i64,
    pub email: String,
    pub display_name: String,
    pub structure_id: i64,
    pub structure_nom: String,
    pub role: Role,
    pub scopes: Vec<(ScopeLevel, String)>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The person's account is deactivated (`lifecycle`).
    pub deactivated: bool,
}

impl MembershipView {
    pub fn policy(&self) -> Membership {
        Membership {
            structure_id: self.structure_id,
            role: self.role,
            scopes: self
                .scopes
                .iter()
                .map(|(level, code)| Scope {
                    level: *level,
                    code: code.clone(),
                })
                .collect(),
        }
    }
}

/// A signed-in session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub person_id: i64,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// An invitation to send: to whom, into which structure, with which role
/// (and a coordinator's territories).
pub struct NewInvitation<'a> {
    pub email: &'a str,
    pub structure: &'a Structure,
    pub role: Role,
    pub scopes: &'a [(ScopeLevel, String)],
    /// Who invites, by name, for the e-mail; `None` sends no e-mail (the
    /// command line prints the link for the operator to hand over).
    pub inviter: Option<&'a str>,
}

/// An invitation accepted: the person (created if new), their membership
/// and, for a new person who chose their password, their first session.
#[derive(Debug)]
pub struct Accepted {
    pub person_id: i64,
    pub membership_id: i64,
    pub session: Option<String>,
}

/// A pending invitation, as its link shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invitation {
    pub email: String,
    pub structure_id: i64,
    pub structure_nom: String,
    pub role: Role,
    /// The person already has an account: accepting only adds the role.
    pub existing_person: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiTokenView {
    pub id: i64,
    pub name: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct AuditEvent {
    pub action: String,
    pub actor_person_id: Option<i64>,
    pub actor_token_id: Option<i64>,
    pub structure_id: Option<i64>,
    /// What the action was about: the e-mail tried, the membership changed…
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub action: String,
    pub actor: Option<String>,
    pub actor_token_id: Option<i64>,
    pub structure: Option<String>,
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

/// How long Comptes keeps what identifies people outside their accounts:
/// in the audit trail (then replaced by a pseudonym) and in the outbox
/// (then deleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// IP addresses, of every event.
    pub ip_months: u32,
    /// What was typed as an address at a sign-in, a reset request or an
    /// invitation, when it is no account's address.
    pub typed_address_days: i64,
    /// Messages of the outbox, delivered or not.
    pub outbox_months: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            ip_months: 6,
            typed_address_days: 30,
            outbox_months: 6,
        }
    }
}

/// Actions whose subject is an address someone typed, which may be no
/// account's (the same list allows the change in migration 0010).
pub const TYPED_ADDRESS_ACTIONS: [&str; 4] = [
    "sign_in.failure",
    "sign_in.throttled",
    "password.reset_requested",
    "invitation.created",
];

/// What a retention run changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RetentionReport {
    /// Audit lines whose IP address was replaced.
    pub addresses: u64,
    /// Audit lines whose typed address was replaced.
    pub typed: u64,
    /// Outbox messages deleted.
    pub messages: u64,
}

pub struct NewStructure<'a> {
    pub nom: &'a str,
    pub kind: StructureKind,
    pub siret: Option<&'a str>,
    pub commune_code: Option<&'a str>,
}

const STRUCTURE_SELECT: &str = "SELECT s.id, s.nom, s.kind, s.siret, s.commune_code, \
     c.nom AS commune_nom, s.created_at, c.epci_siren, c.departement_code, d.region_code \
     FROM structures s LEFT JOIN communes c ON c.code = s.commune_code \
     LEFT JOIN departements d ON d.code = c.departement_code";

/// A structure's kind as stored.
fn structure_kind(row: &AnyRow) -> Result<StructureKind, StoreError> {
    let code: String = row.try_get("kind")?;
    StructureKind::parse(&code)
        .ok_or_else(|| StoreError::Corrupt(format!("structure kind {code:?}")))
}

/// A role as stored.
fn role_at(row: &AnyRow, column: &str) -> Result<Role, StoreError> {
    let code: String = row.try_get(column)?;
    Role::parse(&code).ok_or_else(|| StoreError::Corrupt(format!("role {code:?}")))
}

fn structure_from_row(row: &AnyRow) -> Result<Structure, StoreError> {
    let commune_code: Option<String> = row.try_get("commune_code")?;
    Ok(Structure {
        id: row.try_get("id")?,
        nom: row.try_get("nom")?,
        kind: structure_kind(row)?,
        siret: row.try_get("siret")?,
        commune_nom: row.try_get("commune_nom")?,
        created_at: instant_at(row, "created_at")?,
        location: Location {
            commune: commune_code.clone(),
            epci: row.try_get("epci_siren")?,
            departement: row.try_get("departement_code")?,
            region: row.try_get("region_code")?,
        },
        commune_code,
    })
}

const MEMBERSHIP_SELECT: &str = "SELECT m.id, m.person_id, p.email, p.display_name, p.deactivated_at, \
     m.structure_id, s.nom AS structure_nom, \
     m.role, m.started_at, m.ended_at FROM memberships m \
     JOIN people p ON p.id = m.person_id JOIN structures s ON s.id = m.structure_id";

impl Database {
    // ----- structures -----------------------------------------------------

    /// Creates a structure on behalf of nobody in particular (the command
    /// line, tests); refuses an unknown commune or a SIRET already used.
    pub async fn create_structure(
        &self,
        new: &NewStructure<'_>,
    ) -> Result<Result<i64, StructureRefusal>, StoreError> {
        self.create_structure_by(&crate::write::Acting::system(), new)
            .await
    }

    /// Creates a structure as `acting` does, with its audit line
    /// (`structure.created`) in the same transaction; a refusal writes
    /// nothing.
    pub async fn create_structure_by(
        &self,
        acting: &crate::write::Acting,
        new: &NewStructure<'_>,
    ) -> Result<Result<i64, StructureRefusal>, StoreError> {
        self.write(acting, async |w| {
            if let Some(code) = new.commune_code {
                let known = sqlx::query("SELECT code FROM communes WHERE code = $1")
                    .bind(code.to_string())
                    .fetch_optional(w.conn())
                    .await?;
                if known.is_none() {
                    return Ok(Err(StructureRefusal::UnknownCommune(code.to_string())));
                }
            }
            if let Some(siret) = new.siret {
                let used = sqlx::query("SELECT nom FROM structures WHERE siret = $1")
                    .bind(siret.to_string())
                    .fetch_optional(w.conn())
                    .await?;
                if let Some(row) = used {
                    return Ok(Err(StructureRefusal::SiretTaken {
                        siret: siret.to_string(),
                        nom: row.try_get("nom")?,
                    }));
                }
            }
            let row = sqlx::query(
                "INSERT INTO structures (nom, search_key, kind, siret, commune_code, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(new.nom.trim().to_string())
            .bind(search_key(new.nom))
            .bind(new.kind.code().to_string())
            .bind(new.siret.map(str::to_string))
            .bind(new.commune_code.map(str::to_string))
            .bind(now_iso())
            .fetch_one(w.conn())
            .await?;
            let id: i64 = row.try_get("id")?;
            w.audit(
                "structure.created",
                Some(id),
                Some(new.nom.trim().to_string()),
                Some(new.kind.code().to_string()),
            )
            .await?;
            Ok(Ok(id))
        })
        .await
    }

    pub async fn structure(&self, id: i64) -> Result<Option<Structure>, StoreError> {
        let sql = format!("{STRUCTURE_SELECT} WHERE s.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(structure_from_row).transpose()
    }

    /// Structures whose name has a word starting with `query` (all when empty).
    pub async fn search_structures(
        &self,
        query: &str,
        limit: i64,
    ) -> Result<Vec<StructureSummary>, StoreError> {
        let key = search_key(query);
        let sql = "SELECT s.id, s.nom, s.kind, c.nom AS commune_nom, \
             (SELECT COUNT(*) FROM memberships m WHERE m.structure_id = s.id AND m.ended_at IS NULL) AS members \
             FROM structures s LEFT JOIN communes c ON c.code = s.commune_code \
             WHERE $1 = '' OR (s.search_key >= $1 AND s.search_key < $2) OR s.search_key LIKE $3 \
             ORDER BY s.search_key, s.id LIMIT $4";
        let rows = sqlx::query(sql)
            .bind(key.clone())
            .bind(prefix_upper_bound(&key))
            .bind(format!("% {key}%"))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(StructureSummary {
                    id: r.try_get("id")?,
                    nom: r.try_get("nom")?,
                    kind: structure_kind(r)?,
                    commune_nom: r.try_get("commune_nom")?,
                    members: r.try_get("members")?,
                })
            })
            .collect()
    }

    // ----- people and memberships ------------------------------------------

    pub async fn person_by_email(&self, email: &str) -> Result<Option<Person>, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, display_name, deactivated_at FROM people WHERE email = $1",
        )
        .bind(email.to_string())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| person_from_row(&r)).transpose()?)
    }

    pub async fn person(&self, id: i64) -> Result<Option<Person>, StoreError> {
        let row =
            sqlx::query("SELECT id, email, display_name, deactivated_at FROM people WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|r| person_from_row(&r)).transpose()?)
    }

    pub async fn password_hash(&self, person_id: i64) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT hash FROM password_credentials WHERE person_id = $1")
            .bind(person_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("hash")).transpose()?)
    }

    /// Replaces a person's password and ends all their sessions but `keep`,
    /// with its audit line (`password.changed`).
    pub async fn set_password(
        &self,
        acting: &crate::write::Acting,
        person: &Person,
        hash: &str,
        keep: Option<&str>,
    ) -> Result<(), StoreError> {
        self.write(acting, async |w| {
            let tx = w.conn();
            upsert_password(tx, person.id, hash).await?;
            sqlx::query("DELETE FROM sessions WHERE person_id = $1 AND token_hash <> $2")
                .bind(person.id)
                .bind(keep.map(hash_secret).unwrap_or_default())
                .execute(&mut *tx)
                .await?;
            end_reset_links(tx, person.id, &now_iso()).await?;
            w.audit("password.changed", None, Some(person.email.clone()), None)
                .await
        })
        .await
    }

    /// Active memberships of a person.
    pub async fn memberships_of(&self, person_id: i64) -> Result<Vec<MembershipView>, StoreError> {
        let sql = format!(
            "{MEMBERSHIP_SELECT} WHERE m.person_id = $1 AND m.ended_at IS NULL ORDER BY s.nom, m.id"
        );
        self.memberships(sql, person_id).await
    }

    /// Memberships of a structure, current first, then ended ones.
    pub async fn members_of(&self, structure_id: i64) -> Result<Vec<MembershipView>, StoreError> {
        let sql = format!(
            "{MEMBERSHIP_SELECT} WHERE m.structure_id = $1 \
             ORDER BY CASE WHEN m.ended_at IS NULL THEN 0 ELSE 1 END, p.display_name, m.id"
        );
        self.memberships(sql, structure_id).await
    }

    pub async fn membership(&self, id: i64) -> Result<Option<MembershipView>, StoreError> {
        let sql = format!("{MEMBERSHIP_SELECT} WHERE m.id = $1");
        Ok(self.memberships(sql, id).await?.pop())
    }

    async fn memberships(
        &self,
        sql: String,
        param: i64,
    ) -> Result<Vec<MembershipView>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(param)
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let scopes = sqlx::query("SELECT level, code FROM coordination_scopes WHERE membership_id = $1 ORDER BY level, code")
                .bind(id)
                .fetch_all(self.pool())
                .await?
                .iter()
                .filter_map(|s| {
                    let level: String = s.try_get("level").ok()?;
                    Some((ScopeLevel::parse(&level)?, s.try_get("code").ok()?))
                })
                .collect();
            out.push(MembershipView {
                id,
                person_id: r.try_get("person_id")?,
                email: r.try_get("email")?,
                display_name: r.try_get("display_name")?,
                structure_id: r.try_get("structure_id")?,
                structure_nom: r.try_get("structure_nom")?,
                role: role_at(r, "role")?,
                scopes,
                started_at: instant_at(r, "started_at")?,
                ended_at: maybe_instant_at(r, "ended_at")?,
                deactivated: maybe_instant_at(r, "deactivated_at")?.is_some(),
            });
        }
        Ok(out)
    }

    /// Changes the role of an active membership; an administrator who
    /// thereby works in a structure is told to its gestionnaires.
    /// Audited (`membership.role_changed`, old and new role) in the same
    /// transaction.
    pub async fn change_role(
        &self,
        acting: &crate::write::Acting,
        membership: &MembershipView,
        role: Role,
    ) -> Result<(), StoreError> {
        self.write(acting, async |w| {
            let tx = w.conn();
            let person_id = membership.person_id;
            let before = standing(tx, person_id).await?;
            let changed =
                sqlx::query("UPDATE memberships SET role = $1 WHERE id = $2 AND ended_at IS NULL")
                    .bind(role.code().to_string())
                    .bind(membership.id)
                    .execute(&mut *tx)
                    .await?;
            if changed.rows_affected() == 0 {
                return Ok(());
            }
            tell_admin_joins(tx, person_id, &before).await?;
            w.audit(
                "membership.role_changed",
                Some(membership.structure_id),
                Some(membership.email.clone()),
                Some(format!("{} -> {}", membership.role.code(), role.code())),
            )
            .await
        })
        .await
    }

    /// Ends a membership: the person keeps their account and their records
    /// stay attributed, but the access it gave stops now.
    /// Audited (`membership.ended`) in the same transaction.
    pub async fn end_membership(
        &self,
        acting: &crate::write::Acting,
        membership: &MembershipView,
    ) -> Result<(), StoreError> {
        self.write(acting, async |w| {
            let ended = sqlx::query(
                "UPDATE memberships SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL",
            )
            .bind(now_iso())
            .bind(membership.id)
            .execute(w.conn())
            .await?;
            if ended.rows_affected() == 0 {
                return Ok(());
            }
            w.audit(
                "membership.ended",
                Some(membership.structure_id),
                Some(membership.email.clone()),
                Some(membership.role.code().to_string()),
            )
            .await
        })
        .await
    }

    /// Creates a person with a password and a role in a structure, at once
    /// (the first administrator, created from the command line).
    pub async fn create_person_with_role(
        &self,
        email: &str,
        display_name: &str,
        password_hash: Option<&str>,
        structure_id: i64,
        role: Role,
        scopes: &[(ScopeLevel, String)],
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let person_id = find_or_create_person(&mut tx, email, display_name).await?;
        if let Some(hash) = password_hash {
            upsert_password(&mut tx, person_id, hash).await?;
        }
        add_membership(&mut tx, person_id, structure_id, role, scopes).await?;
        tx.commit().await?;
        Ok(person_id)
    }

    // ----- sessions ----------------------------------------------------------

    /// Opens a session, and records it as the person's last sign-in (which
    /// ends a pending inactivity reminder); returns the secret for the cookie.
    pub async fn create_session(&self, person_id: i64) -> Result<String, StoreError> {
        let Some(person) = self.person(person_id).await? else {
            return Err(StoreError::Database(sqlx::Error::RowNotFound));
        };
        self.sign_in(&crate::write::Acting::system(), &person, None)
            .await
    }

    /// Signs `person` in: a new session, recorded as their last sign-in,
    /// with its audit line (`sign_in.success`, `how` they signed in when
    /// not by password), in one transaction; returns the cookie's secret.
    pub async fn sign_in(
        &self,
        acting: &crate::write::Acting,
        person: &Person,
        how: Option<&str>,
    ) -> Result<String, StoreError> {
        self.write(acting, async |w| {
            open_session(w, person.id, &person.email, how).await
        })
        .await
    }

    /// The live session for a cookie secret, refreshed; expired ones are
    /// deleted and yield `None`.
    pub async fn session(&self, token: &str) -> Result<Option<Session>, StoreError> {
        let hash = hash_secret(token);
        let Some(row) = sqlx::query("SELECT person_id, csrf_token, expires_at, last_seen_at FROM sessions WHERE token_hash = $1")
            .bind(hash.clone())
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        let expires_at: String = row.try_get("expires_at")?;
        let last_seen_at: String = row.try_get("last_seen_at")?;
        let now = now_iso();
        if expires_at <= now || last_seen_at <= iso_in(-SESSION_IDLE_SECONDS) {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(hash)
                .execute(self.pool())
                .await?;
            return Ok(None);
        }
        // Refresh at most once a minute: most requests then only read.
        if last_seen_at <= iso_in(-60) {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(hash)
                .execute(self.pool())
                .await?;
        }
        Ok(Some(Session {
            person_id: row.try_get("person_id")?,
            csrf_token: row.try_get("csrf_token")?,
            expires_at: instant_at(&row, "expires_at")?,
        }))
    }

    pub async fn end_session(&self, token: &str) -> Result<(), StoreError> {
        self.sign_out(&crate::write::Acting::system(), token).await
    }

    /// Signing out: the session ends and the audit trail says who left,
    /// in one transaction.
    pub async fn sign_out(
        &self,
        acting: &crate::write::Acting,
        token: &str,
    ) -> Result<(), StoreError> {
        self.write(acting, async |w| {
            let ended = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(hash_secret(token))
                .execute(w.conn())
                .await?;
            if ended.rows_affected() > 0 && acting.person.is_some() {
                w.audit("sign_out", None, None, None).await?;
            }
            Ok(())
        })
        .await
    }

    /// Ends every session of a person ("se déconnecter partout").
    /// Audited (`sign_out.everywhere`, with how many) in the same
    /// transaction.
    pub async fn end_all_sessions(
        &self,
        acting: &crate::write::Acting,
        person: &Person,
    ) -> Result<u64, StoreError> {
        self.write(acting, async |w| {
            let done = sqlx::query("DELETE FROM sessions WHERE person_id = $1")
                .bind(person.id)
                .execute(w.conn())
                .await?;
            let ended = done.rows_affected();
            w.audit(
                "sign_out.everywhere",
                None,
                Some(person.email.clone()),
                Some(format!("{ended} sessions")),
            )
            .await?;
            Ok(ended)
        })
        .await
    }

    /// Deletes expired sessions, unanswered ProConnect sign-ins, devices
    /// unused for `DEVICE_DAYS` and
    /// one-time links expired for a month
    /// (kept that long so a late click is told "expired", not "unknown").
    /// Returns how many rows went.
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        // Links that expired stay out of the messages that carried them.
        let mut tx = self.begin_write().await?;
        redact_links(
            &mut tx,
            "token_hash IN (SELECT token_hash FROM one_time_tokens WHERE expires_at <= $2)",
            LinkParam::Text(&now_iso()),
        )
        .await?;
        tx.commit().await?;
        let sessions =
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
                .bind(now_iso())
                .bind(iso_in(-SESSION_IDLE_SECONDS))
                .execute(self.pool())
                .await?;
        let links = sqlx::query("DELETE FROM one_time_tokens WHERE expires_at <= $1")
            .bind(iso_in(-30 * 24 * 3600))
            .execute(self.pool())
            .await?;
        let devices = sqlx::query("DELETE FROM trusted_devices WHERE last_used_at <= $1")
            .bind(iso_in(-throttle::DEVICE_DAYS * 86_400))
            .execute(self.pool())
            .await?;
        // Sign-ins sent to ProConnect and never answered.
        let pending = sqlx::query("DELETE FROM oidc_pending WHERE expires_at <= $1")
            .bind(now_iso())
            .execute(self.pool())
            .await?;
        Ok(sessions.rows_affected()
            + links.rows_affected()
            + devices.rows_affected()
            + pending.rows_affected())
    }

    // ----- sign-in throttling ----------------------------------------------

    /// What `passerelle_accounts::throttle` needs about earlier attempts on
    /// `email` and from `ip`, counted from the audit trail (so it holds
    /// across restarts and server instances). `trusted_device` is left for
    /// the caller, who knows the browser.
    pub async fn sign_in_attempts(
        &self,
        email: &str,
        ip: Option<&str>,
    ) -> Result<Attempts, StoreError> {
        // By id, not time: times have whole seconds, and failures in the
        // second of a success must count when they follow it.
        let last_success: Option<i64> = sqlx::query(
            "SELECT MAX(id) AS last FROM audit_events WHERE action = 'sign_in.success' AND subject = $1",
        )
        .bind(email.to_string())
        .fetch_one(self.pool())
        .await?
        .try_get("last")?;
        let account = sqlx::query(
            "SELECT COUNT(*) AS n, MAX(at) AS last FROM audit_events \
             WHERE action = 'sign_in.failure' AND subject = $1 AND at > $2 AND id > $3",
        )
        .bind(email.to_string())
        .bind(iso_in(-throttle::ACCOUNT_WINDOW_SECONDS))
        .bind(last_success.unwrap_or(0))
        .fetch_one(self.pool())
        .await?;
        let mut attempts = Attempts {
            account_failures: account.try_get("n")?,
            last_account_failure: unix_of(account.try_get("last")?),
            ..Attempts::default()
        };
        if let Some(ip) = ip {
            let address = sqlx::query(
                "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM audit_events \
                 WHERE action = 'sign_in.failure' AND ip = $1 AND at > $2",
            )
            .bind(ip.to_string())
            .bind(iso_in(-throttle::ADDRESS_WINDOW_SECONDS))
            .fetch_one(self.pool())
            .await?;
            attempts.address_failures = address.try_get("n")?;
            attempts.oldest_address_failure = unix_of(address.try_get("oldest")?);
        }
        Ok(attempts)
    }

    /// Whether the browser's device cookie is trusted for this person:
    /// known, used within `DEVICE_DAYS`, and with fewer than
    /// `DEVICE_FAILURES` wrong passwords since its last success.
    pub async fn trusted_device(&self, token: &str, person_id: i64) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT failures FROM trusted_devices \
             WHERE token_hash = $1 AND person_id = $2 AND last_used_at > $3",
        )
        .bind(hash_secret(token))
        .bind(person_id)
        .bind(iso_in(-throttle::DEVICE_DAYS * 86_400))
        .fetch_optional(self.pool())
        .await?;
        Ok(match row {
            Some(r) => r.try_get::<i64, _>("failures")? < throttle::DEVICE_FAILURES,
            None => false,
        })
    }

    /// A wrong password typed on a trusted browser: counted, and the
    /// device is forgotten once it reaches `DEVICE_FAILURES`.
    pub async fn device_failure(&self, token: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE trusted_devices SET failures = failures + 1 WHERE token_hash = $1")
            .bind(hash_secret(token))
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM trusted_devices WHERE token_hash = $1 AND failures >= $2")
            .bind(hash_secret(token))
            .bind(throttle::DEVICE_FAILURES)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// After a successful sign-in: the browser's device is trusted for the
    /// person from now on. Keeps the cookie's secret when it was already
    /// this person's device; returns the secret to set otherwise.
    pub async fn trust_device(
        &self,
        current: Option<&str>,
        person_id: i64,
    ) -> Result<Option<String>, StoreError> {
        let now = now_iso();
        if let Some(token) = current {
            let done = sqlx::query(
                "UPDATE trusted_devices SET failures = 0, last_used_at = $1 \
                 WHERE token_hash = $2 AND person_id = $3",
            )
            .bind(now.clone())
            .bind(hash_secret(token))
            .bind(person_id)
            .execute(self.pool())
            .await?;
            if done.rows_affected() == 1 {
                return Ok(None);
            }
        }
        let token = new_secret();
        sqlx::query(
            "INSERT INTO trusted_devices (token_hash, person_id, created_at, last_used_at) \
             VALUES ($1, $2, $3, $3)",
        )
        .bind(hash_secret(&token))
        .bind(person_id)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(Some(token))
    }

    pub async fn session_count(&self, person_id: i64) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM sessions WHERE person_id = $1 AND expires_at > $2",
        )
        .bind(person_id)
        .bind(now_iso())
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("n")?)
    }

    // ----- invitations and password resets -----------------------------------

    /// Invites `email` into a structure with a role: the link, its e-mail
    /// (`Invitation`, when there is an inviter) and the audit line
    /// (`invitation.created`) in one transaction; returns the link secret.
    pub async fn create_invitation(
        &self,
        acting: &crate::write::Acting,
        invitation: &NewInvitation<'_>,
    ) -> Result<String, StoreError> {
        let token = new_secret();
        let scopes_text = invitation
            .scopes
            .iter()
            .map(|(l, c)| format!("{}:{c}", l.code()))
            .collect::<Vec<_>>()
            .join(";");
        self.write(acting, async |w| {
            sqlx::query(
                "INSERT INTO one_time_tokens (token_hash, purpose, email, structure_id, role, scopes, created_by, created_at, expires_at) \
                 VALUES ($1, 'invitation', $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(hash_secret(&token))
            .bind(invitation.email.to_string())
            .bind(invitation.structure.id)
            .bind(invitation.role.code().to_string())
            .bind(scopes_text.clone())
            .bind(acting.person)
            .bind(now_iso())
            .bind(iso_in(INVITATION_SECONDS))
            .execute(w.conn())
            .await?;
            if let Some(inviter) = invitation.inviter {
                let mail = Notification::Invitation {
                    inviter: inviter.to_string(),
                    structure: invitation.structure.nom.clone(),
                    role: invitation.role,
                    token: token.clone(),
                };
                w.notify(invitation.email, &mail).await?;
            }
            w.audit(
                "invitation.created",
                Some(invitation.structure.id),
                Some(invitation.email.to_string()),
                Some(
                    format!("{} {scopes_text}", invitation.role.code())
                        .trim()
                        .to_string(),
                ),
            )
            .await
        })
        .await?;
        Ok(token)
    }

    /// The pending, unexpired invitation behind a link.
    pub async fn invitation(&self, token: &str) -> Result<Option<Invitation>, StoreError> {
        let row = sqlx::query(
            "SELECT t.email, t.structure_id, s.nom AS structure_nom, t.role, p.id AS person_id FROM one_time_tokens t \
             JOIN structures s ON s.id = t.structure_id LEFT JOIN people p ON p.email = t.email \
             WHERE t.token_hash = $1 AND t.purpose = 'invitation' AND t.used_at IS NULL AND t.expires_at > $2",
        )
        .bind(hash_secret(token))
        .bind(now_iso())
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(Invitation {
            email: r.try_get("email")?,
            structure_id: r.try_get("structure_id")?,
            structure_nom: r.try_get("structure_nom")?,
            role: role_at(&r, "role")?,
            existing_person: r.try_get("person_id")?,
        }))
    }

    /// Accepts an invitation in one transaction: creates the person if new
    /// (with `password_hash`), adds the membership, uses up the link.
    /// `None` when the link is no longer valid.
    /// The link is cut out of the message that carried it; an
    /// administrator who thereby works in a structure is told to its
    /// gestionnaires (`AdminJoined`).
    pub async fn accept_invitation(
        &self,
        acting: &crate::write::Acting,
        token: &str,
        display_name: &str,
        password_hash: Option<&str>,
    ) -> Result<Option<Accepted>, StoreError> {
        self.write(acting, async |w| {
            let now = now_iso();
            let tx = w.conn();
            // Using the link first, conditionally, makes a double submission harmless.
            let used = sqlx::query(
                "UPDATE one_time_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = 'invitation' \
                 AND used_at IS NULL AND expires_at > $1",
            )
            .bind(now)
            .bind(hash_secret(token))
            .execute(&mut *tx)
            .await?;
            if used.rows_affected() != 1 {
                return Ok(None);
            }
            let row = sqlx::query(
                "SELECT email, structure_id, role, scopes FROM one_time_tokens WHERE token_hash = $1",
            )
            .bind(hash_secret(token))
            .fetch_one(&mut *tx)
            .await?;
            let email: String = row.try_get("email")?;
            let structure_id: i64 = row.try_get("structure_id")?;
            let role = role_at(&row, "role")?;
            let scopes: Vec<(ScopeLevel, String)> = row
                .try_get::<Option<String>, _>("scopes")?
                .unwrap_or_default()
                .split(';')
                .filter_map(|s| {
                    let (level, code) = s.split_once(':')?;
                    Some((ScopeLevel::parse(level)?, code.to_string()))
                })
                .collect();
            let person_id = find_or_create_person(tx, &email, display_name).await?;
            if let Some(hash) = password_hash {
                let has_password =
                    sqlx::query("SELECT person_id FROM password_credentials WHERE person_id = $1")
                        .bind(person_id)
                        .fetch_optional(&mut *tx)
                        .await?
                        .is_some();
                if !has_password {
                    upsert_password(tx, person_id, hash).await?;
                }
            }
            let before = standing(tx, person_id).await?;
            // Re-inviting an active member changes their role instead.
            let existing = sqlx::query("SELECT id FROM memberships WHERE person_id = $1 AND structure_id = $2 AND ended_at IS NULL")
                .bind(person_id)
                .bind(structure_id)
                .fetch_optional(&mut *tx)
                .await?;
            let membership_id = match existing {
                Some(r) => {
                    let id: i64 = r.try_get("id")?;
                    sqlx::query("UPDATE memberships SET role = $1 WHERE id = $2")
                        .bind(role.code().to_string())
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    id
                }
                None => add_membership(tx, person_id, structure_id, role, &scopes).await?,
            };
            redact_links(
                tx,
                "token_hash = $2",
                LinkParam::Text(&hash_secret(token)),
            )
            .await?;
            tell_admin_joins(tx, person_id, &before).await?;
            w.audit_by(
                person_id,
                "invitation.accepted",
                Some(structure_id),
                Some(email.clone()),
                Some(role.code().to_string()),
            )
            .await?;
            // A new person chose their password with the invitation: they are
            // signed in at once.
            let session = match password_hash {
                Some(_) => Some(open_session(w, person_id, &email, Some("invitation")).await?),
                None => None,
            };
            Ok(Some(Accepted {
                person_id,
                membership_id,
                session,
            }))
        })
        .await
    }

    /// A password-reset link for a person (valid one hour).
    pub async fn create_password_reset(&self, person: &Person) -> Result<String, StoreError> {
        let mut conn = self.pool().acquire().await?;
        insert_password_reset(&mut conn, person).await
    }

    /// Someone asked for a reset link for `email`: when `person` (the
    /// account with that address) is given, a link is created and mailed;
    /// the request is audited either way, all in one transaction.
    pub async fn request_password_reset(
        &self,
        acting: &crate::write::Acting,
        email: &str,
        person: Option<&Person>,
    ) -> Result<(), StoreError> {
        self.write(acting, async |w| {
            if let Some(person) = person {
                let token = insert_password_reset(w.conn(), person).await?;
                let notification = Notification::PasswordReset {
                    name: person.display_name.clone(),
                    token,
                };
                w.notify(&person.email, &notification).await?;
            }
            w.audit(
                "password.reset_requested",
                None,
                Some(email.to_string()),
                None,
            )
            .await
        })
        .await
    }

    /// The address a still-usable reset link was sent to.
    pub async fn password_reset_email(&self, token: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT email FROM one_time_tokens WHERE token_hash = $1 AND purpose = 'password_reset' \
             AND used_at IS NULL AND expires_at > $2",
        )
        .bind(hash_secret(token))
        .bind(now_iso())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.try_get("email")).transpose()?)
    }

    /// Uses a reset link: sets the password, ends every other reset link of
    /// the person (their messages lose the link) and, when asked, every
    /// session of the person. `None` when the link is no longer valid.
    pub async fn reset_password(
        &self,
        acting: &crate::write::Acting,
        token: &str,
        hash: &str,
        end_sessions: bool,
    ) -> Result<Option<i64>, StoreError> {
        self.write(acting, async |w| {
            let now = now_iso();
            let tx = w.conn();
            let used = sqlx::query(
                "UPDATE one_time_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = 'password_reset' \
                 AND used_at IS NULL AND expires_at > $1",
            )
            .bind(now.clone())
            .bind(hash_secret(token))
            .execute(&mut *tx)
            .await?;
            if used.rows_affected() != 1 {
                return Ok(None);
            }
            let person_id: i64 =
                sqlx::query("SELECT person_id FROM one_time_tokens WHERE token_hash = $1")
                    .bind(hash_secret(token))
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("person_id")?;
            upsert_password(tx, person_id, hash).await?;
            end_reset_links(tx, person_id, &now).await?;
            if end_sessions {
                sqlx::query("DELETE FROM sessions WHERE person_id = $1")
                    .bind(person_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let email: String = sqlx::query("SELECT email FROM people WHERE id = $1")
                .bind(person_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("email")?;
            let detail = if end_sessions {
                "other sessions ended"
            } else {
                "other sessions kept"
            };
            w.audit_by(person_id, "password.reset", None, Some(email), Some(detail.into()))
                .await?;
            Ok(Some(person_id))
        })
        .await
    }

    // ----- API tokens ----------------------------------------------------------

    /// Creates an API token for a structure, with its audit line
    /// (`api_token.created`); the secret is shown once.
    pub async fn create_api_token(
        &self,
        acting: &crate::write::Acting,
        structure_id: i64,
        name: &str,
        created_by: i64,
    ) -> Result<(i64, String), StoreError> {
        let token = new_secret();
        self.write(acting, async |w| {
            let row = sqlx::query(
                "INSERT INTO api_tokens (structure_id, name, token_hash, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(structure_id)
            .bind(name.to_string())
            .bind(hash_secret(&token))
            .bind(created_by)
            .bind(now_iso())
            .fetch_one(w.conn())
            .await?;
            let id: i64 = row.try_get("id")?;
            w.audit(
                "api_token.created",
                Some(structure_id),
                Some(name.to_string()),
                Some(format!("token {id}")),
            )
            .await?;
            Ok((id, token.clone()))
        })
        .await
    }

    pub async fn api_tokens_of(&self, structure_id: i64) -> Result<Vec<ApiTokenView>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id, t.name, p.display_name AS created_by, t.created_at, t.last_used_at, t.revoked_at \
             FROM api_tokens t JOIN people p ON p.id = t.created_by WHERE t.structure_id = $1 ORDER BY t.id DESC",
        )
        .bind(structure_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiTokenView {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    created_by: r.try_get("created_by")?,
                    created_at: instant_at(r, "created_at")?,
                    last_used_at: maybe_instant_at(r, "last_used_at")?,
                    revoked_at: maybe_instant_at(r, "revoked_at")?,
                })
            })
            .collect()
    }

    /// Revokes a token of a structure, with its audit line
    /// (`api_token.revoked`); false when there is no such live token.
    pub async fn revoke_api_token(
        &self,
        acting: &crate::write::Acting,
        structure_id: i64,
        token_id: i64,
    ) -> Result<bool, StoreError> {
        self.write(acting, async |w| {
            let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND structure_id = $3 AND revoked_at IS NULL")
                .bind(now_iso())
                .bind(token_id)
                .bind(structure_id)
                .execute(w.conn())
                .await?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
            w.audit(
                "api_token.revoked",
                Some(structure_id),
                None,
                Some(format!("token {token_id}")),
            )
            .await?;
            Ok(true)
        })
        .await
    }

    /// The live token for a presented secret: `(token id, structure id)`.
    pub async fn api_token(&self, secret: &str) -> Result<Option<(i64, i64)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, structure_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash_secret(secret))
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let id: i64 = r.try_get("id")?;
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now_iso())
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(Some((id, r.try_get("structure_id")?)))
    }

    // ----- audit trail -------------------------------------------------------

    /// Appends an event to the audit trail. Text is stored without NUL
    /// characters, which PostgreSQL refuses: a hostile input must not be
    /// able to keep its own attempt out of the trail.
    pub async fn audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        insert_audit(&mut *self.pool().acquire().await?, event).await
    }

    /// How many `action` events about `subject` (or from `ip`) happened in
    /// the last `seconds`: the basis of sign-in rate limiting.
    pub async fn recent_events(
        &self,
        action: &str,
        subject: Option<&str>,
        ip: Option<&str>,
        seconds: i64,
    ) -> Result<i64, StoreError> {
        let (column, value) = match (subject, ip) {
            (Some(s), _) => ("subject", s),
            (None, Some(ip)) => ("ip", ip),
            (None, None) => return Ok(0),
        };
        let sql = format!(
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = $1 AND {column} = $2 AND at > $3"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(action.to_string())
            .bind(value.to_string())
            .bind(iso_in(-seconds))
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("n")?)
    }

    /// The latest events, newest first, optionally of one action only.
    pub async fn audit_events(
        &self,
        action: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.at, a.action, p.email AS actor, a.actor_token_id, s.nom AS structure, \
             a.subject, a.detail, a.ip \
             FROM audit_events a LEFT JOIN people p ON p.id = a.actor_person_id \
             LEFT JOIN structures s ON s.id = a.structure_id \
             WHERE $1 = '' OR a.action = $1 ORDER BY a.id DESC LIMIT $2",
        )
        .bind(action.unwrap_or("").to_string())
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    id: r.try_get("id")?,
                    at: instant_at(r, "at")?,
                    action: r.try_get("action")?,
                    actor: r.try_get("actor")?,
                    actor_token_id: r.try_get("actor_token_id")?,
                    structure: r.try_get("structure")?,
                    subject: r.try_get("subject")?,
                    detail: r.try_get("detail")?,
                    ip: r.try_get("ip")?,
                })
            })
            .collect()
    }

    /// Replaces, by pseudonyms, the IP addresses older than
    /// `retention.ip_months` and the typed addresses of no account older
    /// than `retention.typed_address_days` (`TYPED_ADDRESS_ACTIONS`), and
    /// deletes outbox messages older than `retention.outbox_months`. A
    /// pseudonym is a keyed hash under a key drawn for this run and never
    /// stored: lines pseudonymised together that had the same value share
    /// it, and nobody can recover the value. Idempotent; the database
    /// triggers allow this change of the trail and no other.
    pub async fn apply_retention(
        &self,
        now: DateTime<Utc>,
        retention: Retention,
    ) -> Result<RetentionReport, StoreError> {
        let key = new_secret();
        let pseudonym = |value: &str| {
            let hash = hash_secret(&format!("{key}:{value}"));
            format!("pseudo:{}", &hash[..16])
        };
        let ip_cutoff = now
            .checked_sub_months(Months::new(retention.ip_months))
            .unwrap_or(now);
        let typed_cutoff = now - Duration::days(retention.typed_address_days);
        let iso = crate::referrals::iso;
        let actions = TYPED_ADDRESS_ACTIONS
            .iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut report = RetentionReport::default();
        let mut tx = self.begin_write().await?;
        let ips = sqlx::query(
            "SELECT DISTINCT ip FROM audit_events \
             WHERE ip IS NOT NULL AND substr(ip, 1, 7) <> 'pseudo:' AND at < $1",
        )
        .bind(iso(ip_cutoff))
        .fetch_all(&mut *tx)
        .await?;
        for row in ips {
            let ip: String = row.try_get("ip")?;
            report.addresses += sqlx::query(
                "UPDATE audit_events SET ip = $1 \
                 WHERE ip IS NOT NULL AND substr(ip, 1, 7) <> 'pseudo:' AND at < $2 AND ip = $3",
            )
            .bind(pseudonym(&ip))
            .bind(iso(ip_cutoff))
            .bind(ip)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        let typed = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT DISTINCT a.subject FROM audit_events a WHERE a.action IN ({actions}) \
             AND a.subject IS NOT NULL AND substr(a.subject, 1, 7) <> 'pseudo:' AND a.at < $1 \
             AND NOT EXISTS (SELECT 1 FROM people p WHERE p.email = a.subject)"
        )))
        .bind(iso(typed_cutoff))
        .fetch_all(&mut *tx)
        .await?;
        for row in typed {
            let subject: String = row.try_get("subject")?;
            report.typed += sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE audit_events SET subject = $1 \
                 WHERE action IN ({actions}) AND subject = $2 AND at < $3"
            )))
            .bind(pseudonym(&subject))
            .bind(subject)
            .bind(iso(typed_cutoff))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        let outbox_cutoff = now
            .checked_sub_months(Months::new(retention.outbox_months))
            .unwrap_or(now);
        report.messages = sqlx::query("DELETE FROM outbox WHERE created_at < $1")
            .bind(iso(outbox_cutoff))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        if report != RetentionReport::default() {
            self.flush_erasures().await?;
        }
        Ok(report)
    }
}

pub(crate) fn person_from_row(r: &AnyRow) -> Result<Person, sqlx::Error> {
    Ok(Person {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        display_name: r.try_get("display_name")?,
        deactivated: r.try_get::<Option<String>, _>("deactivated_at")?.is_some(),
    })
}

async fn find_or_create_person(
    conn: &mut AnyConnection,
    email: &str,
    display_name: &str,
) -> Result<i64, StoreError> {
    if let Some(r) = sqlx::query("SELECT id FROM people WHERE email = $1")
        .bind(email.to_string())
        .fetch_optional(&mut *conn)
        .await?
    {
        return Ok(r.try_get("id")?);
    }
    let r = sqlx::query(
        "INSERT INTO people (email, display_name, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(email.to_string())
    .bind(display_name.trim().to_string())
    .bind(now_iso())
    .fetch_one(&mut *conn)
    .await?;
    Ok(r.try_get("id")?)
}

async fn upsert_password(
    conn: &mut AnyConnection,
    person_id: i64,
    hash: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO password_credentials (person_id, hash, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (person_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at",
    )
    .bind(person_id)
    .bind(hash.to_string())
    .bind(now_iso())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn add_membership(
    conn: &mut AnyConnection,
    person_id: i64,
    structure_id: i64,
    role: Role,
    scopes: &[(ScopeLevel, String)],
) -> Result<i64, StoreError> {
    let r = sqlx::query("INSERT INTO memberships (person_id, structure_id, role, started_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(person_id)
        .bind(structure_id)
        .bind(role.code().to_string())
        .bind(now_iso())
        .fetch_one(&mut *conn)
        .await?;
    let id: i64 = r.try_get("id")?;
    for (level, code) in scopes {
        sqlx::query(
            "INSERT INTO coordination_scopes (membership_id, level, code) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(level.code().to_string())
        .bind(code.clone())
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// Cuts the one-time link out of the outbox messages matching `filter`
/// (an SQL condition on `outbox` whose parameter is `$2`).
async fn redact_links(
    conn: &mut AnyConnection,
    filter: &str,
    param: LinkParam<'_>,
) -> Result<u64, StoreError> {
    let sql = format!(
        "UPDATE outbox SET body = REPLACE(body, link, $1), params = REPLACE(params, link, ''), \
         link = NULL WHERE link IS NOT NULL AND {filter}"
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(REDACTED_LINK.to_string());
    let query = match param {
        LinkParam::Text(t) => query.bind(t.to_string()),
        LinkParam::Id(id) => query.bind(id),
    };
    Ok(query.execute(&mut *conn).await?.rows_affected())
}

/// The parameter of a `redact_links` filter.
enum LinkParam<'a> {
    Text(&'a str),
    Id(i64),
}

/// Every pending reset link of a person stops working, and leaves the
/// messages that carried it.
async fn end_reset_links(
    conn: &mut AnyConnection,
    person_id: i64,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE one_time_tokens SET used_at = $1 \
         WHERE person_id = $2 AND purpose = 'password_reset' AND used_at IS NULL",
    )
    .bind(now.to_string())
    .bind(person_id)
    .execute(&mut *conn)
    .await?;
    redact_links(
        conn,
        "token_hash IN (SELECT token_hash FROM one_time_tokens \
         WHERE purpose = 'password_reset' AND person_id = $2)",
        LinkParam::Id(person_id),
    )
    .await?;
    Ok(())
}

/// Whether a person is an administrator, and the structures where they
/// work (membre or gestionnaire).
async fn standing(
    conn: &mut AnyConnection,
    person_id: i64,
) -> Result<(bool, Vec<(i64, Role)>), StoreError> {
    let rows = sqlx::query(
        "SELECT structure_id, role FROM memberships WHERE person_id = $1 AND ended_at IS NULL",
    )
    .bind(person_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut admin = false;
    let mut works = Vec::new();
    for r in &rows {
        match Role::parse(&r.try_get::<String, _>("role")?) {
            Some(Role::Admin) => admin = true,
            Some(role @ (Role::Membre | Role::Gestionnaire)) => {
                works.push((r.try_get("structure_id")?, role));
            }
            _ => {}
        }
    }
    Ok((admin, works))
}

/// After a change of memberships: for every structure where the person
/// now works as an administrator and did not before, tells its
/// gestionnaires (who may then read the personal data it holds) and writes
/// `membership.admin_joined`, in the transaction that gave the role.
async fn tell_admin_joins(
    conn: &mut AnyConnection,
    person_id: i64,
    before: &(bool, Vec<(i64, Role)>),
) -> Result<(), StoreError> {
    let (admin, works) = standing(conn, person_id).await?;
    if !admin {
        return Ok(());
    }
    let at = now_iso();
    for (structure_id, role) in works {
        if before.0 && before.1.iter().any(|(s, _)| *s == structure_id) {
            continue;
        }
        let person =
            sqlx::query("SELECT id, email, display_name, deactivated_at FROM people WHERE id = $1")
                .bind(person_id)
                .fetch_one(&mut *conn)
                .await?;
        let person = person_from_row(&person)?;
        let structure_nom: String = sqlx::query("SELECT nom FROM structures WHERE id = $1")
            .bind(structure_id)
            .fetch_one(&mut *conn)
            .await?
            .try_get("nom")?;
        let joined = Notification::AdminJoined {
            admin_name: person.display_name.clone(),
            admin_email: person.email.clone(),
            role,
            structure_id,
            structure: structure_nom,
        };
        let gestionnaires = sqlx::query(
            "SELECT p.email FROM memberships m JOIN people p ON p.id = m.person_id \
             WHERE m.structure_id = $1 AND m.ended_at IS NULL AND m.role = 'gestionnaire' \
             AND m.person_id <> $2 ORDER BY p.email",
        )
        .bind(structure_id)
        .bind(person_id)
        .fetch_all(&mut *conn)
        .await?;
        for g in gestionnaires {
            let to: String = g.try_get("email")?;
            crate::outbox::enqueue(conn, &to, &joined, chrono::Utc::now()).await?;
        }
        crate::referrals::audit_subject(
            conn,
            &at,
            "membership.admin_joined",
            Some(person_id),
            Some(structure_id),
            person.email,
            Some(role.code().to_string()),
        )
        .await?;
    }
    Ok(())
}

/// Appends an event to the audit trail in the caller's transaction (or on
/// a connection of its own). Text is stored without NUL characters, which
/// PostgreSQL refuses: a hostile input must not be able to keep its own
/// attempt out of the trail.
pub(crate) async fn insert_audit(
    conn: &mut sqlx::AnyConnection,
    event: &AuditEvent,
) -> Result<(), StoreError> {
    insert_audit_at(conn, event, chrono::Utc::now()).await
}

/// The same, at a given instant (the one of the write it belongs to).
pub(crate) async fn insert_audit_at(
    conn: &mut sqlx::AnyConnection,
    event: &AuditEvent,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let clean = |t: &Option<String>| t.as_ref().map(|t| t.replace('\0', "\u{fffd}"));
    sqlx::query(
        "INSERT INTO audit_events (at, action, actor_person_id, actor_token_id, structure_id, subject, detail, ip) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(crate::time::iso(at))
    .bind(event.action.clone())
    .bind(event.actor_person_id)
    .bind(event.actor_token_id)
    .bind(event.structure_id)
    .bind(clean(&event.subject))
    .bind(clean(&event.detail))
    .bind(event.ip.clone())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Seconds since the epoch of a stored ISO 8601 UTC instant.
fn unix_of(iso: Option<String>) -> Option<i64> {
    iso.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.timestamp())
}

/// A one-hour reset link for `person`, stored by its hash; the secret is
/// returned once, for the e-mail.
async fn insert_password_reset(
    conn: &mut sqlx::AnyConnection,
    person: &Person,
) -> Result<String, StoreError> {
    let token = new_secret();
    sqlx::query(
        "INSERT INTO one_time_tokens (token_hash, purpose, email, person_id, created_at, expires_at) \
         VALUES ($1, 'password_reset', $2, $3, $4, $5)",
    )
    .bind(hash_secret(&token))
    .bind(person.email.clone())
    .bind(person.id)
    .bind(now_iso())
    .bind(iso_in(PASSWORD_RESET_SECONDS))
    .execute(&mut *conn)
    .await?;
    Ok(token)
}

/// Opens a session for `person_id` inside `w`, records it as their last
/// sign-in (which ends a pending inactivity reminder) and audits it.
pub(crate) async fn open_session(
    w: &mut crate::write::Write<'_>,
    person_id: i64,
    email: &str,
    how: Option<&str>,
) -> Result<String, StoreError> {
    let token = new_secret();
    let now = now_iso();
    let conn = w.conn();
    sqlx::query(
        "INSERT INTO sessions (token_hash, person_id, csrf_token, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(hash_secret(&token))
    .bind(person_id)
    .bind(new_secret())
    .bind(now.clone())
    .bind(iso_in(SESSION_ABSOLUTE_SECONDS))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE people SET last_sign_in_at = $1, inactivity_reminded_at = NULL WHERE id = $2",
    )
    .bind(now)
    .bind(person_id)
    .execute(&mut *conn)
    .await?;
    w.audit_by(
        person_id,
        "sign_in.success",
        None,
        Some(email.to_string()),
        how.map(str::to_string),
    )
    .await?;
    Ok(token)
}
