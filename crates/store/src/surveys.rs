//! Enquêtes in the database: surveys (a questionnaire a structure runs),
//! invitations, anonymous responses and drafts for save-and-resume.
//!
//! Anonymity is in the schema: a response row holds its survey, the day it
//! was submitted and the answers, nothing else; an invitation only knows
//! whether it has been used, not by which response. A response is checked
//! whole against the questionnaire before the transaction and written in
//! it together with its invitation's use, or nothing is written.

use std::collections::BTreeMap;

use passerelle_accounts::secret::{hash_secret, new_secret};
use passerelle_surveys::Questionnaire;
use passerelle_surveys::responses::{
    Responses, columns_of, missing_required, read_csv, read_one, row_cells,
};
use sqlx::Row;

use crate::accounts::Refusal;
use crate::time::now_iso;
use crate::{Database, StoreError};

/// How respondents reach the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone with the link.
    Open,
    /// One response per invitation token.
    Invitation,
}

impl Access {
    pub fn code(self) -> &'static str {
        match self {
            Access::Open => "ouvert",
            Access::Invitation => "invitation",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        match code {
            "ouvert" => Some(Access::Open),
            "invitation" => Some(Access::Invitation),
            _ => None,
        }
    }
}

pub struct NewSurvey<'a> {
    /// The public link's last part: letters, digits and `-`.
    pub slug: &'a str,
    pub structure_id: i64,
    /// The questionnaire's TOML text.
    pub questionnaire: &'a str,
    pub access: Access,
    /// Days `YYYY-MM-DD`, inclusive.
    pub opens_on: Option<&'a str>,
    pub closes_on: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct Survey {
    pub id: i64,
    pub slug: String,
    pub structure_id: i64,
    pub title: String,
    pub questionnaire: Questionnaire,
    pub access: Access,
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
}

impl Survey {
    /// Whether responses are accepted on `day` (`YYYY-MM-DD`).
    pub fn open_on(&self, day: &str) -> bool {
        self.opens_on.as_deref().is_none_or(|d| d <= day)
            && self.closes_on.as_deref().is_none_or(|d| day <= d)
    }
}

/// Why a response was not stored (French, shown to the respondent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Closed,
    /// The invitation is unknown or already used.
    Invitation,
    /// Answers that do not fit the questionnaire: (column, message).
    Invalid(Vec<(String, String)>),
    /// Required questions left unanswered: their ids.
    Incomplete(Vec<String>),
}

/// Why a draft was not saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftRefusal {
    /// The survey does not take answers today.
    Closed,
    /// It is answered on invitation, and this one is unknown or used.
    Invitation,
    /// More than `MAX_DRAFT_BYTES` of answers.
    TooLarge,
    /// The survey already holds `MAX_DRAFTS_PER_SURVEY` drafts.
    TooMany,
}

/// The most a draft's answers may weigh: far above any questionnaire of
/// the seeds (the Hub's 2023 one, every text filled, is under 8 KiB).
pub const MAX_DRAFT_BYTES: usize = 32 * 1024;
/// Drafts one survey may hold at a time (they go 30 days after their last
/// save): anonymous visitors cannot fill the disk through one survey.
pub const MAX_DRAFTS_PER_SURVEY: i64 = 5_000;

fn today() -> String {
    now_iso()[..10].to_string()
}

fn valid_slug(slug: &str) -> bool {
    // `/enquetes/nouvelle` is the creation page.
    slug != "nouvelle"
        && !slug.is_empty()
        && slug.len() <= 80
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A real calendar day written `YYYY-MM-DD` (2025-13-45 is not one).
fn valid_day(day: &str) -> bool {
    day.len() == 10 && chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok()
}

impl Database {
    /// Creates a survey; refuses an invalid questionnaire (its problems with
    /// their lines), a slug already used, or dates out of order.
    pub async fn create_survey(
        &self,
        new: &NewSurvey<'_>,
    ) -> Result<Result<i64, Refusal>, StoreError> {
        if !valid_slug(new.slug) {
            return Ok(Err(Refusal(format!(
                "L’adresse « {} » ne doit contenir que des minuscules, des chiffres et des tirets.",
                new.slug
            ))));
        }
        let questionnaire = match Questionnaire::parse(new.questionnaire, "questionnaire") {
            Ok(q) => q,
            Err(e) => return Ok(Err(Refusal(format!("Questionnaire invalide : {e}")))),
        };
        for day in [new.opens_on, new.closes_on].into_iter().flatten() {
            if !valid_day(day) {
                return Ok(Err(Refusal(format!(
                    "« {day} » n’est pas une date AAAA-MM-JJ."
                ))));
            }
        }
        if let (Some(a), Some(b)) = (new.opens_on, new.closes_on)
            && a > b
        {
            return Ok(Err(Refusal("La clôture précède l’ouverture.".into())));
        }
        let mut tx = self.begin_write().await?;
        let used = sqlx::query("SELECT id FROM surveys WHERE slug = $1")
            .bind(new.slug.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if used.is_some() {
            return Ok(Err(Refusal(format!(
                "L’adresse « {} » est déjà celle d’une autre enquête.",
                new.slug
            ))));
        }
        let row = sqlx::query(
            "INSERT INTO surveys (slug, structure_id, title, questionnaire, access, opens_on, closes_on, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(new.slug.to_string())
        .bind(new.structure_id)
        .bind(questionnaire.title.clone())
        .bind(new.questionnaire.to_string())
        .bind(new.access.code().to_string())
        .bind(new.opens_on.map(str::to_string))
        .bind(new.closes_on.map(str::to_string))
        .bind(now_iso())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(row.try_get(0)?))
    }

    pub async fn survey_by_slug(&self, slug: &str) -> Result<Option<Survey>, StoreError> {
        let row = sqlx::query(
            "SELECT id, slug, structure_id, questionnaire, access, opens_on, closes_on \
             FROM surveys WHERE slug = $1",
        )
        .bind(slug.to_string())
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let text: String = row.try_get(3)?;
        let questionnaire = Questionnaire::parse(&text, slug)
            .map_err(|e| StoreError::Corrupt(format!("survey {slug}: {e}")))?;
        let access: String = row.try_get(4)?;
        Ok(Some(Survey {
            id: row.try_get(0)?,
            slug: row.try_get(1)?,
            structure_id: row.try_get(2)?,
            title: questionnaire.title.clone(),
            questionnaire,
            access: Access::parse(&access)
                .ok_or_else(|| StoreError::Corrupt(format!("survey {slug}: access {access:?}")))?,
            opens_on: row.try_get(5)?,
            closes_on: row.try_get(6)?,
        }))
    }

    /// `count` new invitations; the tokens are returned once, only their
    /// hashes are kept.
    pub async fn create_survey_invitations(
        &self,
        survey_id: i64,
        count: usize,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut tokens = Vec::with_capacity(count);
        for _ in 0..count {
            let token = new_secret();
            sqlx::query(
                "INSERT INTO survey_invitations (token_hash, survey_id, used) VALUES ($1, $2, 0)",
            )
            .bind(hash_secret(&token))
            .bind(survey_id)
            .execute(&mut *tx)
            .await?;
            tokens.push(token);
        }
        tx.commit().await?;
        Ok(tokens)
    }

    /// Stores one response (cells as the responses file names them) if the
    /// survey is open on `day`, the invitation (for invitation surveys) is
    /// unused, the answers fit and the required questions are answered:
    /// all in one transaction, or nothing.
    pub async fn submit_survey_response(
        &self,
        survey: &Survey,
        invitation: Option<&str>,
        cells: &BTreeMap<String, String>,
        day: Option<&str>,
    ) -> Result<Result<i64, Rejection>, StoreError> {
        let day = day.map_or_else(today, str::to_string);
        if !survey.open_on(&day) {
            return Ok(Err(Rejection::Closed));
        }
        let q = &survey.questionnaire;
        let one = match read_one(q, cells.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            Ok(r) => r,
            Err(e) => {
                return Ok(Err(Rejection::Invalid(
                    e.errors
                        .into_iter()
                        .map(|e| (e.column, e.message))
                        .collect(),
                )));
            }
        };
        let missing: Vec<String> = missing_required(q, &one, 0)
            .iter()
            .map(|q| q.id.clone())
            .collect();
        if !missing.is_empty() {
            return Ok(Err(Rejection::Incomplete(missing)));
        }
        // What the check kept (answers to questions the other answers hide
        // are dropped), non-empty cells only: the export fills in the rest.
        let answers = serde_json::to_string(&row_cells(q, &one, 0)).expect("strings serialise");
        let mut tx = self.begin_write().await?;
        if survey.access == Access::Invitation {
            let token = invitation.unwrap_or_default();
            let used = sqlx::query(
                "UPDATE survey_invitations SET used = 1 WHERE token_hash = $1 AND survey_id = $2 AND used = 0",
            )
            .bind(hash_secret(token))
            .bind(survey.id)
            .execute(&mut *tx)
            .await?;
            if used.rows_affected() != 1 {
                return Ok(Err(Rejection::Invitation));
            }
        }
        let row = sqlx::query(
            "INSERT INTO survey_responses (survey_id, submitted_on, answers) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(survey.id)
        .bind(day)
        .bind(answers)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(row.try_get(0)?))
    }

    /// Whether an invitation can still be used for this survey.
    pub async fn survey_invitation_usable(
        &self,
        survey_id: i64,
        token: &str,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT used FROM survey_invitations WHERE token_hash = $1 AND survey_id = $2",
        )
        .bind(hash_secret(token))
        .bind(survey_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(match row {
            Some(row) => row.try_get::<i64, _>(0)? == 0,
            None => false,
        })
    }

    /// Every response, as the responses file (CSV, questionnaire order).
    pub async fn survey_responses_csv(&self, survey: &Survey) -> Result<String, StoreError> {
        let rows =
            sqlx::query("SELECT answers FROM survey_responses WHERE survey_id = $1 ORDER BY id")
                .bind(survey.id)
                .fetch_all(self.pool())
                .await?;
        let columns = columns_of(&survey.questionnaire);
        let mut writer = passerelle_csv::Writer::in_memory();
        let corrupt = |e: String| StoreError::Corrupt(format!("survey {}: {e}", survey.slug));
        writer
            .write_record(&columns)
            .map_err(|e| corrupt(e.to_string()))?;
        for row in rows {
            let text: String = row.try_get(0)?;
            let answers: BTreeMap<String, String> =
                serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
            let record: Vec<&str> = columns
                .iter()
                .map(|c| answers.get(c).map_or("", String::as_str))
                .collect();
            writer
                .write_record(&record)
                .map_err(|e| corrupt(e.to_string()))?;
        }
        let bytes = writer.into_bytes();
        String::from_utf8(bytes).map_err(|e| corrupt(e.to_string()))
    }

    /// Every response, ready for `passerelle_surveys::analysis::analyze`.
    pub async fn survey_responses(&self, survey: &Survey) -> Result<Responses, StoreError> {
        let text = self.survey_responses_csv(survey).await?;
        read_csv(&survey.questionnaire, text.as_bytes(), &survey.slug)
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Saves answers so far for an anonymous respondent; returns the
    /// private token of the draft. The token is always the server's: an
    /// unknown token (typed or forged by the client) starts a new draft
    /// with a new token, so nobody chooses the key of their draft. Only an
    /// open survey, with a usable invitation where one is required, takes
    /// drafts; answers are kept to the questionnaire's columns and bounded
    /// in size; a survey holds at most `MAX_DRAFTS_PER_SURVEY` drafts.
    pub async fn save_survey_draft(
        &self,
        survey: &Survey,
        invitation: Option<&str>,
        token: Option<&str>,
        cells: &BTreeMap<String, String>,
    ) -> Result<Result<String, DraftRefusal>, StoreError> {
        if !survey.open_on(&today()) {
            return Ok(Err(DraftRefusal::Closed));
        }
        if survey.access == Access::Invitation
            && !self
                .survey_invitation_usable(survey.id, invitation.unwrap_or_default())
                .await?
        {
            return Ok(Err(DraftRefusal::Invitation));
        }
        let columns = columns_of(&survey.questionnaire);
        let kept: BTreeMap<&String, &String> = cells
            .iter()
            .filter(|(name, _)| columns.contains(name))
            .collect();
        let answers = serde_json::to_string(&kept).expect("strings serialise");
        if answers.len() > MAX_DRAFT_BYTES {
            return Ok(Err(DraftRefusal::TooLarge));
        }
        let mut tx = self.begin_write().await?;
        if let Some(token) = token {
            let updated = sqlx::query(
                "UPDATE survey_drafts SET answers = $1, saved_on = $2 WHERE token_hash = $3 AND survey_id = $4",
            )
            .bind(answers.clone())
            .bind(today())
            .bind(hash_secret(token))
            .bind(survey.id)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 1 {
                tx.commit().await?;
                return Ok(Ok(token.to_string()));
            }
        }
        let held: i64 = sqlx::query("SELECT COUNT(*) AS n FROM survey_drafts WHERE survey_id = $1")
            .bind(survey.id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if held >= MAX_DRAFTS_PER_SURVEY {
            return Ok(Err(DraftRefusal::TooMany));
        }
        let token = new_secret();
        sqlx::query(
            "INSERT INTO survey_drafts (token_hash, survey_id, answers, saved_on) VALUES ($1, $2, $3, $4)",
        )
        .bind(hash_secret(&token))
        .bind(survey.id)
        .bind(answers)
        .bind(today())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(token))
    }

    pub async fn survey_draft(
        &self,
        survey: &Survey,
        token: &str,
    ) -> Result<Option<BTreeMap<String, String>>, StoreError> {
        let row = sqlx::query(
            "SELECT answers FROM survey_drafts WHERE token_hash = $1 AND survey_id = $2",
        )
        .bind(hash_secret(token))
        .bind(survey.id)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let text: String = row.try_get(0)?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("survey draft: {e}")))
    }

    /// Closes a survey from today: its last day becomes yesterday (or its
    /// opening day, if it opened today), so no more responses come in.
    pub async fn close_survey(&self, survey: &Survey) -> Result<(), StoreError> {
        let yesterday = crate::time::iso_in(-86_400)[..10].to_string();
        sqlx::query("UPDATE surveys SET closes_on = $1, opens_on = CASE WHEN opens_on > $1 THEN $1 ELSE opens_on END WHERE id = $2")
            .bind(yesterday)
            .bind(survey.id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forgets drafts last saved before `before` (a day, `YYYY-MM-DD`):
    /// unfinished answers do not stay behind a link for ever. Returns how
    /// many went.
    pub async fn purge_survey_drafts(&self, before: &str) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM survey_drafts WHERE saved_on < $1")
            .bind(before.to_string())
            .execute(self.pool())
            .await?
            .rows_affected())
    }

    /// Forgets a draft (once its response is stored: the answers should
    /// not stay behind a link).
    pub async fn delete_survey_draft(
        &self,
        survey: &Survey,
        token: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM survey_drafts WHERE token_hash = $1 AND survey_id = $2")
            .bind(hash_secret(token))
            .bind(survey.id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The surveys these structures run, newest first, with their number of
    /// responses.
    pub async fn surveys_of(
        &self,
        structure_ids: &[i64],
    ) -> Result<Vec<SurveySummary>, StoreError> {
        let mut out = Vec::new();
        for &id in structure_ids {
            let rows = sqlx::query(
                "SELECT s.slug, s.title, s.access, s.opens_on, s.closes_on, \
                 (SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = s.id) \
                 FROM surveys s WHERE s.structure_id = $1 ORDER BY s.id DESC",
            )
            .bind(id)
            .fetch_all(self.pool())
            .await?;
            for row in rows {
                out.push(SurveySummary {
                    slug: row.try_get(0)?,
                    title: row.try_get(1)?,
                    invitation: row.try_get::<String, _>(2)? == Access::Invitation.code(),
                    opens_on: row.try_get(3)?,
                    closes_on: row.try_get(4)?,
                    responses: row.try_get(5)?,
                });
            }
        }
        Ok(out)
    }

    /// Adds the responses of a file already read and checked against the
    /// survey's questionnaire (`passerelle_surveys::responses::read_csv`),
    /// in one transaction: all of them or none. They are dated `day`.
    pub async fn import_survey_responses(
        &self,
        survey: &Survey,
        responses: &Responses,
        day: &str,
    ) -> Result<usize, StoreError> {
        let mut tx = self.begin_write().await?;
        for row in 0..responses.respondents {
            let answers = serde_json::to_string(&row_cells(&survey.questionnaire, responses, row))
                .expect("strings serialise");
            sqlx::query("INSERT INTO survey_responses (survey_id, submitted_on, answers) VALUES ($1, $2, $3)")
                .bind(survey.id)
                .bind(day.to_string())
                .bind(answers)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(responses.respondents)
    }
}

/// A survey in a list.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveySummary {
    pub slug: String,
    pub title: String,
    pub invitation: bool,
    pub opens_on: Option<String>,
    pub closes_on: Option<String>,
    pub responses: i64,
}
