//! Signing in through an OpenID Connect provider (ProConnect), in the
//! database: the authorizations sent to the provider and not back yet
//! (`oidc_pending`, one use, ten minutes), the identities linked to people
//! (`oidc_identities`, keyed on the provider's issuer and subject), the ID
//! token a session was opened with (for the provider's sign-out), and the
//! membership requests a first sign-in makes to the structure of its SIRET.
//!
//! Everything a sign-in changes (a person created, an identity linked, a
//! request made, the gestionnaires told) commits with its audit lines in
//! one `Database::write`.

use chrono::{DateTime, Duration, Utc};
use passerelle_accounts::Role;
use passerelle_accounts::notification::Notification;
use passerelle_accounts::oidc::Profile;
use passerelle_accounts::secret::hash_secret;
use sqlx::Row;

use crate::accounts::Person;
use crate::time::{instant_at, iso};
use crate::write::{Acting, Write};
use crate::{Database, StoreError};

/// How long the provider has to send the person back.
pub const PENDING_SECONDS: i64 = 10 * 60;

/// A sign-in sent to the provider: what its answer is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub nonce: String,
    pub pkce_verifier: String,
    /// The local page to land on once signed in.
    pub next_path: String,
}

/// What a verified sign-in did.
#[derive(Debug, Clone, PartialEq)]
pub enum SignIn {
    /// The person to open a session for.
    Person {
        person: Person,
        /// Created by this sign-in.
        created: bool,
        /// A membership request made to the structure of the SIRET claim
        /// (its id and name).
        requested: Option<(i64, String)>,
    },
    /// The provider said the address is not verified, and no identity is
    /// linked yet: it cannot name anyone.
    UnverifiedEmail,
}

/// A person asking to work in a structure, as its page shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipRequest {
    pub id: i64,
    pub person_id: i64,
    pub email: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
}

/// How a gestionnaire answers a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The person becomes a membre of the structure.
    Accept,
    Decline,
}

impl Database {
    /// Keeps a sign-in sent to the provider under the SHA-256 of its
    /// `state`, for `PENDING_SECONDS`; expired ones are dropped on the way.
    pub async fn save_oidc_pending(
        &self,
        state: &str,
        pending: &Pending,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM oidc_pending WHERE expires_at <= $1")
            .bind(iso(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO oidc_pending (state_hash, nonce, pkce_verifier, next_path, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(hash_secret(state))
        .bind(pending.nonce.clone())
        .bind(pending.pkce_verifier.clone())
        .bind(pending.next_path.clone())
        .bind(iso(now))
        .bind(iso(now + Duration::seconds(PENDING_SECONDS)))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes the sign-in a provider's answer names by its `state`: once
    /// (it is deleted, so a replayed answer finds nothing, on any server),
    /// and only before it expires.
    pub async fn take_oidc_pending(
        &self,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Pending>, StoreError> {
        let mut tx = self.begin_write().await?;
        let hash = hash_secret(state);
        let row = sqlx::query(
            "SELECT nonce, pkce_verifier, next_path, expires_at FROM oidc_pending WHERE state_hash = $1",
        )
        .bind(hash.clone())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM oidc_pending WHERE state_hash = $1")
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if instant_at(&row, "expires_at")? <= now {
            return Ok(None);
        }
        Ok(Some(Pending {
            nonce: row.try_get("nonce")?,
            pkce_verifier: row.try_get("pkce_verifier")?,
            next_path: row.try_get("next_path")?,
        }))
    }

    /// The person a verified profile names, in one write with its audit
    /// lines: the person linked to its (issuer, subject); else the person
    /// of its verified address, now linked; else a new person, linked, who
    /// asks the structure of the SIRET claim (if one has it) for a
    /// membership, its gestionnaires told. Never a role by itself.
    pub async fn oidc_sign_in(
        &self,
        acting: &Acting,
        profile: &Profile,
    ) -> Result<SignIn, StoreError> {
        self.write(acting, async |w| {
            let linked = sqlx::query(
                "SELECT person_id FROM oidc_identities WHERE issuer = $1 AND subject = $2",
            )
            .bind(profile.issuer.clone())
            .bind(profile.subject.clone())
            .fetch_optional(w.conn())
            .await?;
            if let Some(row) = linked {
                let person = person(w, row.try_get("person_id")?).await?;
                return Ok(SignIn::Person {
                    person,
                    created: false,
                    requested: None,
                });
            }
            if !profile.email_verified {
                return Ok(SignIn::UnverifiedEmail);
            }
            let at = iso(w.at());
            let existing = sqlx::query("SELECT id FROM people WHERE email = $1")
                .bind(profile.email.clone())
                .fetch_optional(w.conn())
                .await?;
            let (person_id, created) = match existing {
                Some(row) => (row.try_get::<i64, _>("id")?, false),
                None => {
                    let row = sqlx::query(
                        "INSERT INTO people (email, display_name, created_at) VALUES ($1, $2, $3) RETURNING id",
                    )
                    .bind(profile.email.clone())
                    .bind(profile.display_name())
                    .bind(at.clone())
                    .fetch_one(w.conn())
                    .await?;
                    (row.try_get::<i64, _>("id")?, true)
                }
            };
            sqlx::query(
                "INSERT INTO oidc_identities (issuer, subject, person_id, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(profile.issuer.clone())
            .bind(profile.subject.clone())
            .bind(person_id)
            .bind(at.clone())
            .execute(w.conn())
            .await?;
            let action = if created {
                "oidc.person_created"
            } else {
                "oidc.identity_linked"
            };
            w.audit_by(
                person_id,
                action,
                None,
                Some(profile.email.clone()),
                Some(profile.issuer.clone()),
            )
            .await?;
            let person = person(w, person_id).await?;
            let requested = match (created, profile.siret()) {
                (true, Some(siret)) => request_membership(w, &person, &siret, &at).await?,
                _ => None,
            };
            Ok(SignIn::Person {
                person,
                created,
                requested,
            })
        })
        .await
    }

    /// Signs `person` in after a sign-in at the provider: a new session
    /// keeping the ID token (for the provider's sign-out), its audit line
    /// (`sign_in.success`, `proconnect`), in one write; returns the secret
    /// for the cookie.
    pub async fn create_oidc_session(
        &self,
        acting: &Acting,
        person: &Person,
        id_token: &str,
    ) -> Result<String, StoreError> {
        self.write(acting, async |w| {
            let token =
                crate::accounts::open_session(w, person.id, &person.email, Some("proconnect"))
                    .await?;
            sqlx::query("UPDATE sessions SET id_token = $1 WHERE token_hash = $2")
                .bind(id_token.to_string())
                .bind(hash_secret(&token))
                .execute(w.conn())
                .await?;
            Ok(token)
        })
        .await
    }

    /// The ID token a session was opened with, if it was through a provider.
    pub async fn session_id_token(&self, token: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT id_token FROM sessions WHERE token_hash = $1")
            .bind(hash_secret(token))
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => r.try_get("id_token")?,
            None => None,
        })
    }

    /// The membership requests a structure's gestionnaires have to answer,
    /// oldest first.
    pub async fn membership_requests(
        &self,
        structure_id: i64,
    ) -> Result<Vec<MembershipRequest>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.person_id, p.email, p.display_name, r.created_at FROM membership_requests r \
             JOIN people p ON p.id = r.person_id \
             WHERE r.structure_id = $1 AND r.decided_at IS NULL ORDER BY r.created_at, r.id",
        )
        .bind(structure_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MembershipRequest {
                    id: r.try_get("id")?,
                    person_id: r.try_get("person_id")?,
                    email: r.try_get("email")?,
                    display_name: r.try_get("display_name")?,
                    created_at: instant_at(r, "created_at")?,
                })
            })
            .collect()
    }

    /// Answers a pending request of `structure_id` (accepting makes the
    /// person a membre), with its audit line; `false` when there is no
    /// such pending request (already answered, or another structure's).
    pub async fn decide_membership_request(
        &self,
        acting: &Acting,
        structure_id: i64,
        request_id: i64,
        decision: Decision,
    ) -> Result<bool, StoreError> {
        self.write(acting, async |w| {
            let at = iso(w.at());
            let row = sqlx::query(
                "SELECT r.person_id, p.email FROM membership_requests r JOIN people p ON p.id = r.person_id \
                 WHERE r.id = $1 AND r.structure_id = $2 AND r.decided_at IS NULL",
            )
            .bind(request_id)
            .bind(structure_id)
            .fetch_optional(w.conn())
            .await?;
            let Some(row) = row else { return Ok(false) };
            let person_id: i64 = row.try_get("person_id")?;
            let email: String = row.try_get("email")?;
            let accepted = decision == Decision::Accept;
            sqlx::query(
                "UPDATE membership_requests SET decided_at = $1, decided_by = $2, accepted = $3 WHERE id = $4",
            )
            .bind(at.clone())
            .bind(w.acting().person)
            .bind(i64::from(accepted))
            .bind(request_id)
            .execute(w.conn())
            .await?;
            if accepted {
                let active = sqlx::query(
                    "SELECT id FROM memberships WHERE person_id = $1 AND structure_id = $2 AND ended_at IS NULL",
                )
                .bind(person_id)
                .bind(structure_id)
                .fetch_optional(w.conn())
                .await?;
                if active.is_none() {
                    sqlx::query(
                        "INSERT INTO memberships (person_id, structure_id, role, started_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(person_id)
                    .bind(structure_id)
                    .bind(Role::Membre.code().to_string())
                    .bind(at)
                    .execute(w.conn())
                    .await?;
                }
            }
            let action = if accepted {
                "membership_request.accepted"
            } else {
                "membership_request.declined"
            };
            w.audit(action, Some(structure_id), Some(email), None)
                .await?;
            Ok(true)
        })
        .await
    }
}

async fn person(w: &mut Write<'_>, id: i64) -> Result<Person, StoreError> {
    let row =
        sqlx::query("SELECT id, email, display_name, deactivated_at FROM people WHERE id = $1")
            .bind(id)
            .fetch_one(w.conn())
            .await?;
    Ok(crate::accounts::person_from_row(&row)?)
}

/// A new person's request to the structure of `siret`, if one has it: its
/// gestionnaires are told, in this write.
async fn request_membership(
    w: &mut Write<'_>,
    person: &Person,
    siret: &str,
    at: &str,
) -> Result<Option<(i64, String)>, StoreError> {
    let Some(row) = sqlx::query("SELECT id, nom FROM structures WHERE siret = $1")
        .bind(siret.to_string())
        .fetch_optional(w.conn())
        .await?
    else {
        return Ok(None);
    };
    let (structure_id, nom): (i64, String) = (row.try_get("id")?, row.try_get("nom")?);
    sqlx::query(
        "INSERT INTO membership_requests (person_id, structure_id, created_at) VALUES ($1, $2, $3)",
    )
    .bind(person.id)
    .bind(structure_id)
    .bind(at.to_string())
    .execute(w.conn())
    .await?;
    let gestionnaires = sqlx::query(
        "SELECT p.email FROM memberships m JOIN people p ON p.id = m.person_id \
         WHERE m.structure_id = $1 AND m.ended_at IS NULL AND m.role = $2 \
         AND p.deactivated_at IS NULL ORDER BY p.email",
    )
    .bind(structure_id)
    .bind(Role::Gestionnaire.code().to_string())
    .fetch_all(w.conn())
    .await?;
    let notification = Notification::MembershipRequested {
        name: person.display_name.clone(),
        email: person.email.clone(),
        structure_id,
        structure: nom.clone(),
    };
    for g in gestionnaires {
        let to: String = g.try_get("email")?;
        w.notify(&to, &notification).await?;
    }
    w.audit_by(
        person.id,
        "membership_request.created",
        Some(structure_id),
        Some(person.email.clone()),
        None,
    )
    .await?;
    Ok(Some((structure_id, nom)))
}
