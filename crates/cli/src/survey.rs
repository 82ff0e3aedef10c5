//! `passerelle survey …`: questionnaires and their analysis, without the
//! database. Thin: reading files and arguments; the work is in
//! `passerelle_surveys`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use passerelle_store::Database;
use passerelle_store::surveys::{Access, NewSurvey, Status};
use passerelle_store::write::Acting;
use passerelle_surveys::analysis::{
    Options, analyze, manova_formula, regression_formula, subgroup,
};
use passerelle_surveys::render::{self, NumberFormat};
use passerelle_surveys::responses::{columns_of, read_csv};
use passerelle_surveys::{Questionnaire, limesurvey, templates, xlsx};

#[derive(Subcommand)]
pub enum SurveyCommand {
    /// Analyse responses: every question's flat sort, and crosstabs and
    /// group comparisons on request, as tables of the seeds' form.
    /// Variables are the responses file's columns: `id` (single choice,
    /// scale, number), `id.option` (one option of a multiple choice),
    /// `id.item` (one item of a grid).
    Analyze {
        /// Questionnaire: a TOML file or a built-in template name
        /// (hub-bretagne-2023, esc-rennes-professionnels).
        #[arg(long)]
        questionnaire: String,
        /// Responses: CSV, one row per respondent (`,` or `;` separated).
        #[arg(long)]
        responses: PathBuf,
        /// Analyse only a subgroup: VARIABLE=CODE (e.g. service=ccas,
        /// lieux.efs=oui).
        #[arg(long, value_name = "VARIABLE=CODE")]
        filter: Option<String>,
        /// Cross every categorical variable and compare every numeric one
        /// (t or ANOVA with LSD letters) by this variable.
        #[arg(long)]
        by: Option<String>,
        /// A crosstab ROWS,COLUMNS with chi-square (and Fisher for 2×2);
        /// repeat for more.
        #[arg(long, value_name = "ROWS,COLUMNS")]
        cross: Vec<String>,
        /// A comparison of means NUMERIC,GROUPS; repeat for more.
        #[arg(long, value_name = "NUMERIC,GROUPS")]
        compare: Vec<String>,
        /// A linear regression Y~X1+X2 (categorical predictors are
        /// dummy-coded); repeat for more.
        #[arg(long, value_name = "Y~X1+X2")]
        regress: Vec<String>,
        /// A one-way MANOVA Y1+Y2+Y3~GROUPS; repeat for more.
        #[arg(long, value_name = "Y1+Y2~GROUPS")]
        manova: Vec<String>,
        /// md, csv, json, or xlsx (with --output).
        #[arg(long, value_enum, default_value = "md")]
        format: Format,
        /// Write 12,4 rather than 12.4 (and `;` between CSV fields).
        #[arg(long)]
        decimal_comma: bool,
        /// Threshold of the LSD letters.
        #[arg(long, default_value_t = 0.05)]
        alpha: f64,
        /// Publication mode: print counts below N as "< N" and hide their
        /// percentages and means (tables only; JSON stays complete).
        #[arg(long, value_name = "N", default_value_t = 0)]
        min_cell: u64,
        /// File to write (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Print a built-in questionnaire (TOML), to use or adapt; without a
    /// name, list them.
    Template { name: Option<String> },
    /// Put a questionnaire online for a structure: its public form is
    /// /enquetes/SLUG, its results /enquetes/SLUG/resultats. Prints the
    /// link, and the invitation links with --invitations.
    Publish {
        #[arg(long)]
        questionnaire: String,
        /// The link's last part: lowercase letters, digits and `-`.
        #[arg(long)]
        slug: String,
        /// Id of the structure running the survey.
        #[arg(long)]
        structure: i64,
        /// Create N invitations: one response each, and no response
        /// without one.
        #[arg(long, value_name = "N")]
        invitations: Option<usize>,
        /// First day of collection (YYYY-MM-DD).
        #[arg(long)]
        opens: Option<String>,
        /// Last day of collection (YYYY-MM-DD).
        #[arg(long)]
        closes: Option<String>,
    },
    /// Add the responses of a CSV file (one row per respondent, as
    /// LimeSurvey-like tools export) to a survey: checked whole first, then
    /// stored in one transaction, or not at all.
    Import {
        slug: String,
        file: PathBuf,
        /// The day to date them (YYYY-MM-DD; default: today). Keep the
        /// collection's last day rather than each response's.
        #[arg(long)]
        day: Option<String>,
    },
    /// Write a survey's responses (CSV, as `analyze` reads them).
    Responses {
        slug: String,
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Convert a LimeSurvey survey structure (.lss) into a questionnaire
    /// (TOML): groups, questions, subquestions, answer options and the
    /// conditions our format expresses; what it cannot is listed.
    Lss {
        file: PathBuf,
        /// Which translation to take (default: the survey's base language).
        #[arg(long)]
        language: Option<String>,
        /// File to write (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Write responses for SPSS or PSPP: a syntax file (DATA LIST,
    /// VARIABLE LABELS, VALUE LABELS, MISSING VALUES) and the data file it
    /// reads, FILE.sps and FILE.dat side by side.
    Spss {
        #[arg(long)]
        questionnaire: String,
        /// Responses: our CSV or LimeSurvey's export.
        #[arg(long)]
        responses: PathBuf,
        /// The syntax file to write (its .dat is written beside it).
        #[arg(long)]
        output: PathBuf,
    },
    /// Check a questionnaire, and a responses file against it if given.
    Check {
        #[arg(long)]
        questionnaire: String,
        #[arg(long)]
        responses: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
    Md,
    Xlsx,
}

fn load_questionnaire(name: &str) -> Result<Questionnaire> {
    let path = Path::new(name);
    if path.is_file() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("lecture impossible de {}", path.display()))?;
        return Questionnaire::parse(&text, &path.display().to_string())
            .map_err(|e| anyhow!(passerelle_web::enquetes::invalid_text(&e)));
    }
    match templates::load(name) {
        Some(q) => q.map_err(|e| anyhow!(passerelle_web::enquetes::invalid_text(&e))),
        None => bail!(
            "{name} : ni un fichier, ni un questionnaire intégré ({})",
            templates::names().collect::<Vec<_>>().join(", ")
        ),
    }
}

fn pair(text: &str, flag: &str) -> Result<(String, String)> {
    match text.split_once(',') {
        Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
            Ok((a.trim().to_string(), b.trim().to_string()))
        }
        _ => bail!("--{flag} « {text} » : deux variables séparées par une virgule sont attendues"),
    }
}

/// Reads a responses file: ours, or LimeSurvey's export (whose metadata
/// columns are set aside, which is said in `out`).
fn read_responses(
    questionnaire: &Questionnaire,
    path: &Path,
    out: &mut String,
) -> Result<passerelle_surveys::responses::Responses> {
    let bytes =
        std::fs::read(path).with_context(|| format!("lecture impossible de {}", path.display()))?;
    let name = path.display().to_string();
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let first = String::from_utf8_lossy(body.split(|&b| b == b'\n').next().unwrap_or_default())
        .into_owned();
    let header: Vec<&str> = first
        .split([',', ';'])
        .map(|h| h.trim().trim_matches('"'))
        .collect();
    if limesurvey::is_limesurvey_header(&header) {
        let (responses, aside) =
            limesurvey::read_responses(questionnaire, &bytes, &name).map_err(|e| anyhow!("{e}"))?;
        out.push_str(&format!(
            "{name} : export LimeSurvey ({}), {} répondants ; métadonnées laissées de côté, jamais enregistrées : {}\n",
            if aside.full_answers { "réponses complètes" } else { "codes" },
            aside.respondents,
            aside.metadata.join(", ")
        ));
        if !aside.ignored.is_empty() {
            out.push_str(&format!(
                "{name} : colonnes sans équivalent ignorées : {}\n",
                aside.ignored.join(", ")
            ));
        }
        return Ok(responses);
    }
    read_csv(questionnaire, bytes.as_slice(), &name).map_err(|e| anyhow!("{e}"))
}

impl SurveyCommand {
    /// Publishing and exporting use the database; the rest does not.
    pub fn needs_database(&self) -> bool {
        matches!(
            self,
            SurveyCommand::Publish { .. }
                | SurveyCommand::Responses { .. }
                | SurveyCommand::Import { .. }
        )
    }
}

/// Runs a survey command that uses the database.
pub async fn run_stored(
    db: &Database,
    command: SurveyCommand,
    public_url: Option<&str>,
    out: &mut String,
) -> Result<()> {
    match command {
        SurveyCommand::Publish {
            questionnaire,
            slug,
            structure,
            invitations,
            opens,
            closes,
        } => {
            let q = load_questionnaire(&questionnaire)?;
            if db.structure(structure).await?.is_none() {
                bail!("--structure {structure} : aucune structure n’a ce numéro");
            }
            let (opens_on, closes_on) = (day("--opens", opens)?, day("--closes", closes)?);
            db.create_survey(
                &NewSurvey {
                    slug: &slug,
                    structure_id: structure,
                    questionnaire: &q,
                    access: if invitations.is_some() {
                        Access::Invitation
                    } else {
                        Access::Open
                    },
                    opens_on,
                    closes_on,
                    status: Status::Online,
                },
                &Acting::system(),
            )
            .await?
            .map_err(|refusal| {
                anyhow!(
                    "{}",
                    passerelle_web::enquetes::refusal_text(&refusal, &slug)
                )
            })?;
            let survey = db
                .survey_by_slug(&slug)
                .await?
                .ok_or_else(|| anyhow!("{slug} : aucune enquête de ce nom"))?;
            let base = public_url
                .unwrap_or("http://127.0.0.1:8080")
                .trim_end_matches('/');
            out.push_str(&format!(
                "{}: {} questions, form {base}/enquetes/{slug}, results {base}/enquetes/{slug}/resultats\n",
                q.id,
                q.questions.len()
            ));
            for token in db
                .create_survey_invitations(&survey, invitations.unwrap_or(0), &Acting::system())
                .await?
            {
                out.push_str(&format!("{base}/enquetes/{slug}?invitation={token}\n"));
            }
        }
        SurveyCommand::Import { slug, file, day } => {
            let survey = db
                .survey_by_slug(&slug)
                .await?
                .ok_or_else(|| anyhow!("{slug} : aucune enquête de ce nom"))?;
            let responses = read_responses(&survey.questionnaire, &file, out)?;
            let day = self::day("--day", day)?.unwrap_or_else(passerelle_store::surveys::today);
            let n = db
                .import_survey_responses(&survey, &responses, day, &Acting::system())
                .await?;
            out.push_str(&format!(
                "{}: {n} responses added to {slug}\n",
                file.display()
            ));
        }
        SurveyCommand::Responses { slug, output } => {
            let survey = db
                .survey_by_slug(&slug)
                .await?
                .ok_or_else(|| anyhow!("{slug} : aucune enquête de ce nom"))?;
            let bytes = db
                .survey_responses_csv(&survey, passerelle_csv::Dialect::Standard)
                .await?;
            match output {
                Some(path) => std::fs::write(&path, bytes)
                    .with_context(|| format!("écriture impossible de {}", path.display()))?,
                None => out.push_str(&String::from_utf8_lossy(&bytes)),
            }
        }
        other => return run(other, out),
    }
    Ok(())
}

/// A day given as `--flag YYYY-MM-DD`, checked as a calendar day
/// (2025-13-45 is not one).
fn day(flag: &str, text: Option<String>) -> Result<Option<NaiveDate>> {
    text.map(|t| {
        NaiveDate::parse_from_str(&t, "%Y-%m-%d")
            .map_err(|_| anyhow!("{flag} « {t} » : une date écrite AAAA-MM-JJ est attendue"))
    })
    .transpose()
}

/// Runs a survey command; what it prints goes to `out`.
pub fn run(command: SurveyCommand, out: &mut String) -> Result<()> {
    match command {
        SurveyCommand::Analyze {
            questionnaire,
            responses,
            filter,
            by,
            cross,
            compare,
            regress,
            manova,
            format,
            decimal_comma,
            alpha,
            min_cell,
            output,
        } => {
            let q = load_questionnaire(&questionnaire)?;
            let mut notes = String::new();
            let mut r = read_responses(&q, &responses, &mut notes)?;
            eprint!("{notes}");
            if let Some(filter) = filter {
                let Some((variable, code)) = filter.split_once('=') else {
                    bail!("--filter « {filter} » : VARIABLE=CODE est attendu");
                };
                r = subgroup(&q, &r, variable.trim(), code.trim()).map_err(|e| anyhow!("{e}"))?;
            }
            let options = Options {
                by,
                cross: cross
                    .iter()
                    .map(|c| pair(c, "cross"))
                    .collect::<Result<_>>()?,
                compare: compare
                    .iter()
                    .map(|c| pair(c, "compare"))
                    .collect::<Result<_>>()?,
                regress: regress
                    .iter()
                    .map(|f| regression_formula(f).map_err(|e| anyhow!("--regress {e}")))
                    .collect::<Result<_>>()?,
                manova: manova
                    .iter()
                    .map(|f| manova_formula(f).map_err(|e| anyhow!("--manova {e}")))
                    .collect::<Result<_>>()?,
                alpha,
            };
            let report = analyze(&q, &r, &options).map_err(|e| anyhow!("{e}"))?;
            let f = NumberFormat {
                decimal_comma,
                min_cell,
            };
            let bytes = match format {
                Format::Json => (render::json(&report) + "\n").into_bytes(),
                Format::Csv => render::csv(&report, &f).into_bytes(),
                Format::Md => render::markdown(&report, &f).into_bytes(),
                // Numbers with a point become numeric cells, shown in the
                // spreadsheet's own locale.
                Format::Xlsx => xlsx::workbook(&render::tables(
                    &report,
                    &NumberFormat {
                        decimal_comma: false,
                        min_cell,
                    },
                ))
                .context("écriture impossible du classeur")?,
            };
            match output {
                Some(path) => std::fs::write(&path, bytes)
                    .with_context(|| format!("écriture impossible de {}", path.display()))?,
                None if matches!(format, Format::Xlsx) => {
                    bail!("--format xlsx a besoin de --output FICHIER.xlsx")
                }
                None => out.push_str(&String::from_utf8(bytes).expect("text formats are UTF-8")),
            }
        }
        SurveyCommand::Template { name: None } => {
            for name in templates::names() {
                let q = load_questionnaire(name)?;
                out.push_str(&format!("{name}\t{}\n", q.title));
            }
        }
        SurveyCommand::Template { name: Some(name) } => match templates::text(&name) {
            Some(text) => out.push_str(text),
            None => bail!(
                "{name} : aucun questionnaire intégré de ce nom ({})",
                templates::names().collect::<Vec<_>>().join(", ")
            ),
        },
        SurveyCommand::Publish { .. }
        | SurveyCommand::Responses { .. }
        | SurveyCommand::Import { .. } => {
            unreachable!("commands using the database go through run_stored")
        }
        SurveyCommand::Lss {
            file,
            language,
            output,
        } => {
            let xml = std::fs::read_to_string(&file)
                .with_context(|| format!("lecture impossible de {}", file.display()))?;
            let name = file.display().to_string();
            let imported = limesurvey::import_lss(&xml, &name, language.as_deref())
                .map_err(|e| anyhow!("{e}"))?;
            for note in &imported.notes {
                eprintln!("{name} : {note}");
            }
            match output {
                Some(path) => {
                    std::fs::write(&path, &imported.toml)
                        .with_context(|| format!("écriture impossible de {}", path.display()))?;
                    out.push_str(&format!(
                        "{name} : {} groupes, {} questions LimeSurvey, {} questions écrites dans {}\n",
                        imported.groups,
                        imported.lime_questions,
                        imported.questionnaire.questions.len(),
                        path.display()
                    ));
                }
                None => out.push_str(&imported.toml),
            }
        }
        SurveyCommand::Spss {
            questionnaire,
            responses,
            output,
        } => {
            let q = load_questionnaire(&questionnaire)?;
            let r = read_responses(&q, &responses, out)?;
            let data_path = output.with_extension("dat");
            let data_name = data_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "reponses.dat".into());
            let files = passerelle_surveys::spss::export(&q, &r, &data_name);
            std::fs::write(&output, &files.syntax)
                .with_context(|| format!("écriture impossible de {}", output.display()))?;
            std::fs::write(&data_path, &files.data)
                .with_context(|| format!("écriture impossible de {}", data_path.display()))?;
            out.push_str(&format!(
                "{} répondants : {} et {}\n",
                r.respondents,
                output.display(),
                data_path.display()
            ));
        }
        SurveyCommand::Check {
            questionnaire,
            responses,
        } => {
            let q = load_questionnaire(&questionnaire)?;
            out.push_str(&format!(
                "{}: {} questions, {} columns in a responses file\n",
                q.id,
                q.questions.len(),
                columns_of(&q).len()
            ));
            if let Some(path) = responses {
                let r = read_responses(&q, &path, out)?;
                out.push_str(&format!(
                    "{}: {} respondents\n",
                    path.display(),
                    r.respondents
                ));
            }
        }
    }
    Ok(())
}
