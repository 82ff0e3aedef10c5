//! Enquêtes in the database: surveys (a questionnaire a structure runs),
//! invitations, anonymous responses and drafts for save-and-resume.
//!
//! A survey is built as a draft (its questionnaire may change, nobody can
//! answer it) and then put online (its questionnaire is fixed). Anonymity
//! is in the schema: a response row holds its survey, the day it was
//! submitted and the answers, nothing else; an invitation only knows
//! whether it has been used, not by which response. A response is checked
//! whole against the questionnaire before the transaction and written in
//! it together with its invitation's use, or nothing is written. The
//! gestionnaires' writes (creation, questionnaire, putting online,
//! invitations, closing) carry their audit line in the same transaction.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Days, NaiveDate, Utc};
use passerelle_accounts::secret::{hash_secret, new_secret};
use passerelle_csv::Dialect;
use passerelle_surveys::Questionnaire;
use passerelle_surveys::responses::{
    Responses, columns_of, missing_required, read_csv, read_one, row_cells,
};
use sqlx::Row;

use crate::time::now_iso;
use crate::write::{Acting, Write};
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

/// Where a survey is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Being built: its questionnaire may change; nobody can answer.
    Draft,
    /// Online: answered within its dates; its questionnaire is fixed.
    Online,
}

impl Status {
    fn code(self) -> &'static str {
        match self {
            Status::Draft => "brouillon",
            Status::Online => "en_ligne",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        match code {
            "brouillon" => Some(Status::Draft),
            "en_ligne" => Some(Status::Online),
            _ => None,
        }
    }
}

pub struct NewSurvey<'a> {
    /// The public link's last part: letters, digits and `-`.
    pub slug: &'a str,
    pub structure_id: i64,
    pub questionnaire: &'a Questionnaire,
    pub access: Access,
    /// Days, inclusive.
    pub opens_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
    /// A draft to build in the form, or online at once (command line).
    pub status: Status,
}

#[derive(Debug, Clone)]
pub struct Survey {
    pub id: i64,
    pub slug: String,
    pub structure_id: i64,
    pub title: String,
    pub questionnaire: Questionnaire,
    pub access: Access,
    pub status: Status,
    pub opens_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
}

impl Survey {
    /// Whether responses are accepted on `day`: online, within its dates.
    pub fn open_on(&self, day: NaiveDate) -> bool {
        accepts(self.status, self.opens_on, self.closes_on, day)
    }

    /// Whether responses are accepted today.
    pub fn open_today(&self) -> bool {
        self.open_on(today())
    }
}

/// Why a survey was not created or changed (the web and the command line
/// say it in French).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SurveyRefusal {
    /// The address is not lowercase letters, digits and `-` (or is
    /// `nouvelle`, the creation page's).
    BadSlug,
    /// Another survey has this address.
    SlugTaken,
    /// The closing day comes before the opening day.
    DatesOutOfOrder,
    /// Online already: its questionnaire no longer changes.
    NotDraft,
    /// A questionnaire without question cannot go online.
    NoQuestions,
}

/// Why a response was not stored.
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

/// Today (UTC, as days are stored).
pub fn today() -> NaiveDate {
    DateTime::<Utc>::from(std::time::SystemTime::now()).date_naive()
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// A stored day, or `Corrupt`.
fn stored_day(text: Option<String>, what: &str) -> Result<Option<NaiveDate>, StoreError> {
    text.map(|t| {
        NaiveDate::parse_from_str(&t, "%Y-%m-%d")
            .map_err(|_| StoreError::Corrupt(format!("{what}: day {t:?}")))
    })
    .transpose()
}

/// Letters, digits and `-`, at most 80 characters; not `nouvelle`
/// (`/enquetes/nouvelle` is the creation page).
pub fn valid_slug(slug: &str) -> bool {
    slug != "nouvelle"
        && !slug.is_empty()
        && slug.len() <= 80
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The questionnaire as stored: its TOML text.
fn stored_text(q: &Questionnaire) -> String {
    q.to_toml(&HashMap::new())
}

/// The audit line of a change to a survey, in its write.
async fn audit(
    w: &mut Write<'_>,
    action: &str,
    structure_id: i64,
    slug: &str,
    detail: Option<String>,
) -> Result<(), StoreError> {
    w.audit(
        action,
        Some(structure_id),
        Some(format!("survey:{slug}")),
        detail,
    )
    .await
}

impl Database {
    /// Creates a survey (`acting`: who, the system from the command line);
    /// refuses an
    /// address that is not one or is taken, or dates out of order.
    pub async fn create_survey(
        &self,
        new: &NewSurvey<'_>,
        acting: &Acting,
    ) -> Result<Result<i64, SurveyRefusal>, StoreError> {
        if !valid_slug(new.slug) {
            return Ok(Err(SurveyRefusal::BadSlug));
        }
        if let (Some(a), Some(b)) = (new.opens_on, new.closes_on)
            && a > b
        {
            return Ok(Err(SurveyRefusal::DatesOutOfOrder));
        }
        if new.status == Status::Online && new.questionnaire.questions.is_empty() {
            return Ok(Err(SurveyRefusal::NoQuestions));
        }
        self.write(acting, async |w| {
            let used = sqlx::query("SELECT id FROM surveys WHERE slug = $1")
                .bind(new.slug.to_string())
                .fetch_optional(w.conn())
                .await?;
            if used.is_some() {
                return Ok(Err(SurveyRefusal::SlugTaken));
            }
            let id: i64 = sqlx::query(
                "INSERT INTO surveys (slug, structure_id, title, questionnaire, access, opens_on, closes_on, created_at, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(new.slug.to_string())
            .bind(new.structure_id)
            .bind(new.questionnaire.title.clone())
            .bind(stored_text(new.questionnaire))
            .bind(new.access.code().to_string())
            .bind(new.opens_on.map(day_text))
            .bind(new.closes_on.map(day_text))
            .bind(now_iso())
            .bind(new.status.code().to_string())
            .fetch_one(w.conn())
            .await?
            .try_get("id")?;
            let action = match new.status {
                Status::Draft => "survey.created",
                Status::Online => "survey.published",
            };
            let title = Some(new.questionnaire.title.clone());
            audit(w, action, new.structure_id, new.slug, title).await?;
            Ok(Ok(id))
        })
        .await
    }

    pub async fn survey_by_slug(&self, slug: &str) -> Result<Option<Survey>, StoreError> {
        let row = sqlx::query(
            "SELECT id, slug, structure_id, questionnaire, access, status, opens_on, closes_on \
             FROM surveys WHERE slug = $1",
        )
        .bind(slug.to_string())
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let corrupt = |what: String| StoreError::Corrupt(format!("survey {slug}: {what}"));
        let access: String = row.try_get("access")?;
        let status: String = row.try_get("status")?;
        let status = Status::parse(&status).ok_or_else(|| corrupt(format!("status {status:?}")))?;
        let text: String = row.try_get("questionnaire")?;
        let questionnaire = match status {
            Status::Draft => Questionnaire::parse_draft(&text, slug),
            Status::Online => Questionnaire::parse(&text, slug),
        }
        .map_err(|e| corrupt(e.to_string()))?;
        Ok(Some(Survey {
            id: row.try_get("id")?,
            slug: row.try_get("slug")?,
            structure_id: row.try_get("structure_id")?,
            title: questionnaire.title.clone(),
            questionnaire,
            access: Access::parse(&access).ok_or_else(|| corrupt(format!("access {access:?}")))?,
            status,
            opens_on: stored_day(row.try_get("opens_on")?, slug)?,
            closes_on: stored_day(row.try_get("closes_on")?, slug)?,
        }))
    }

    /// Replaces a draft's questionnaire (as built in the form, or
    /// imported); refused once the survey is online.
    pub async fn save_survey_questionnaire(
        &self,
        survey: &Survey,
        questionnaire: &Questionnaire,
        acting: &Acting,
    ) -> Result<Result<(), SurveyRefusal>, StoreError> {
        self.write(acting, async |w| {
            let changed = sqlx::query(
                "UPDATE surveys SET questionnaire = $1, title = $2 WHERE id = $3 AND status = $4",
            )
            .bind(stored_text(questionnaire))
            .bind(questionnaire.title.clone())
            .bind(survey.id)
            .bind(Status::Draft.code().to_string())
            .execute(w.conn())
            .await?;
            if changed.rows_affected() != 1 {
                return Ok(Err(SurveyRefusal::NotDraft));
            }
            let detail = format!("{} questions", questionnaire.questions.len());
            let (structure, slug) = (survey.structure_id, &survey.slug);
            audit(w, "survey.questionnaire", structure, slug, Some(detail)).await?;
            Ok(Ok(()))
        })
        .await
    }

    /// Puts a draft online: from now on it is answered within its dates
    /// and its questionnaire is fixed.
    pub async fn publish_survey(
        &self,
        survey: &Survey,
        acting: &Acting,
    ) -> Result<Result<(), SurveyRefusal>, StoreError> {
        if survey.questionnaire.questions.is_empty() {
            return Ok(Err(SurveyRefusal::NoQuestions));
        }
        self.write(acting, async |w| {
            let changed =
                sqlx::query("UPDATE surveys SET status = $1 WHERE id = $2 AND status = $3")
                    .bind(Status::Online.code().to_string())
                    .bind(survey.id)
                    .bind(Status::Draft.code().to_string())
                    .execute(w.conn())
                    .await?;
            if changed.rows_affected() != 1 {
                return Ok(Err(SurveyRefusal::NotDraft));
            }
            audit(
                w,
                "survey.published",
                survey.structure_id,
                &survey.slug,
                None,
            )
            .await?;
            Ok(Ok(()))
        })
        .await
    }

    /// `count` new invitations; the tokens are returned once, only their
    /// hashes are kept.
    pub async fn create_survey_invitations(
        &self,
        survey: &Survey,
        count: usize,
        acting: &Acting,
    ) -> Result<Vec<String>, StoreError> {
        self.write(acting, async |w| {
            let mut tokens = Vec::with_capacity(count);
            for _ in 0..count {
                let token = new_secret();
                sqlx::query(
                    "INSERT INTO survey_invitations (token_hash, survey_id, used) VALUES ($1, $2, 0)",
                )
                .bind(hash_secret(&token))
                .bind(survey.id)
                .execute(w.conn())
                .await?;
                tokens.push(token);
            }
            if count > 0 {
                let detail = Some(format!("{count} invitations"));
                let (structure, slug) = (survey.structure_id, &survey.slug);
                audit(w, "survey.invitations", structure, slug, detail).await?;
            }
            Ok(tokens)
        })
        .await
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
        day: Option<NaiveDate>,
    ) -> Result<Result<i64, Rejection>, StoreError> {
        let day = day.unwrap_or_else(today);
        if !survey.open_on(day) {
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
        .bind(day_text(day))
        .bind(answers)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(row.try_get("id")?))
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
            Some(row) => row.try_get::<i64, _>("used")? == 0,
            None => false,
        })
    }

    /// Every response, as the responses file (CSV, questionnaire order),
    /// in the standard dialect (the one `survey_responses` and the
    /// command line read back) or for French Excel.
    pub async fn survey_responses_csv(
        &self,
        survey: &Survey,
        dialect: Dialect,
    ) -> Result<Vec<u8>, StoreError> {
        let rows =
            sqlx::query("SELECT answers FROM survey_responses WHERE survey_id = $1 ORDER BY id")
                .bind(survey.id)
                .fetch_all(self.pool())
                .await?;
        let columns = columns_of(&survey.questionnaire);
        let mut writer = passerelle_csv::builder()
            .dialect(dialect)
            .from_writer(Vec::new());
        let corrupt = |e: String| StoreError::Corrupt(format!("survey {}: {e}", survey.slug));
        writer
            .write_record(&columns)
            .map_err(|e| corrupt(e.to_string()))?;
        for row in rows {
            let text: String = row.try_get("answers")?;
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
        Ok(writer.into_bytes())
    }

    /// How many responses a survey has received.
    pub async fn survey_response_count(&self, survey: &Survey) -> Result<i64, StoreError> {
        Ok(
            sqlx::query("SELECT COUNT(*) AS n FROM survey_responses WHERE survey_id = $1")
                .bind(survey.id)
                .fetch_one(self.pool())
                .await?
                .try_get("n")?,
        )
    }

    /// Every response, ready for `passerelle_surveys::analysis::analyze`.
    pub async fn survey_responses(&self, survey: &Survey) -> Result<Responses, StoreError> {
        let text = self.survey_responses_csv(survey, Dialect::Standard).await?;
        read_csv(&survey.questionnaire, text.as_slice(), &survey.slug)
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
        if !survey.open_today() {
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
            .bind(day_text(today()))
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
        .bind(day_text(today()))
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
        let text: String = row.try_get("answers")?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("survey draft: {e}")))
    }

    /// Closes a survey from today: its last day becomes yesterday (or its
    /// opening day, if it opened today), so no more responses come in.
    pub async fn close_survey(&self, survey: &Survey, acting: &Acting) -> Result<(), StoreError> {
        let yesterday = today()
            .checked_sub_days(Days::new(1))
            .unwrap_or(NaiveDate::MIN);
        self.write(acting, async |w| {
            sqlx::query("UPDATE surveys SET closes_on = $1, opens_on = CASE WHEN opens_on > $1 THEN $1 ELSE opens_on END WHERE id = $2")
                .bind(day_text(yesterday))
                .bind(survey.id)
                .execute(w.conn())
                .await?;
            audit(w, "survey.closed", survey.structure_id, &survey.slug, None).await
        })
        .await
    }

    /// Forgets drafts last saved before `before`: unfinished answers do
    /// not stay behind a link for ever. Returns how many went.
    pub async fn purge_survey_drafts(&self, before: NaiveDate) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM survey_drafts WHERE saved_on < $1")
            .bind(day_text(before))
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
                "SELECT s.slug, s.title, s.access, s.status, s.opens_on, s.closes_on, \
                 (SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = s.id) AS responses \
                 FROM surveys s WHERE s.structure_id = $1 ORDER BY s.id DESC",
            )
            .bind(id)
            .fetch_all(self.pool())
            .await?;
            for row in rows {
                let slug: String = row.try_get("slug")?;
                let corrupt = |what: String| StoreError::Corrupt(format!("survey {slug}: {what}"));
                let access: String = row.try_get("access")?;
                let status: String = row.try_get("status")?;
                out.push(SurveySummary {
                    title: row.try_get("title")?,
                    access: Access::parse(&access)
                        .ok_or_else(|| corrupt(format!("access {access:?}")))?,
                    status: Status::parse(&status)
                        .ok_or_else(|| corrupt(format!("status {status:?}")))?,
                    opens_on: stored_day(row.try_get("opens_on")?, &slug)?,
                    closes_on: stored_day(row.try_get("closes_on")?, &slug)?,
                    responses: row.try_get("responses")?,
                    slug,
                });
            }
        }
        Ok(out)
    }

    /// Adds the responses of a file already read and checked against the
    /// survey's questionnaire (`passerelle_surveys::responses::read_csv`),
    /// in one transaction with its audit line: all of them or none. They
    /// are dated `day`.
    pub async fn import_survey_responses(
        &self,
        survey: &Survey,
        responses: &Responses,
        day: NaiveDate,
        acting: &Acting,
    ) -> Result<usize, StoreError> {
        self.write(acting, async |w| {
            for row in 0..responses.respondents {
                let cells = row_cells(&survey.questionnaire, responses, row);
                let answers = serde_json::to_string(&cells).expect("strings serialise");
                sqlx::query(
                    "INSERT INTO survey_responses (survey_id, submitted_on, answers) VALUES ($1, $2, $3)",
                )
                .bind(survey.id)
                .bind(day_text(day))
                .bind(answers)
                .execute(w.conn())
                .await?;
            }
            let detail = Some(format!("{} responses", responses.respondents));
            let (structure, slug) = (survey.structure_id, &survey.slug);
            audit(w, "survey.responses_imported", structure, slug, detail).await?;
            Ok(responses.respondents)
        })
        .await
    }
}

/// A survey in a list.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveySummary {
    pub slug: String,
    pub title: String,
    pub access: Access,
    pub status: Status,
    pub opens_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
    pub responses: i64,
}

impl SurveySummary {
    /// Whether responses are accepted today.
    pub fn open_today(&self) -> bool {
        accepts(self.status, self.opens_on, self.closes_on, today())
    }
}

fn accepts(
    status: Status,
    opens: Option<NaiveDate>,
    closes: Option<NaiveDate>,
    day: NaiveDate,
) -> bool {
    status == Status::Online && opens.is_none_or(|d| d <= day) && closes.is_none_or(|d| day <= d)
}
