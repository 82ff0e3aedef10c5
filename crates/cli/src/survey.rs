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
    /// Analyse des réponses : le tri à plat de chaque question, et sur
    /// demande des tableaux croisés et des comparaisons de groupes, en
    /// tableaux de la forme des données de départ. Les variables sont les
    /// colonnes du fichier de réponses : `id` (choix unique, échelle,
    /// nombre), `id.option` (une option d’un choix multiple), `id.item` (un
    /// élément d’une grille).
    Analyze {
        /// Questionnaire : un fichier TOML ou le nom d’un modèle intégré
        /// (hub-bretagne-2023, esc-rennes-professionnels).
        #[arg(long)]
        questionnaire: String,
        /// Réponses : CSV, une ligne par répondant (séparé par `,` ou `;`).
        #[arg(long)]
        responses: PathBuf,
        /// N’analyser qu’un sous-groupe : VARIABLE=CODE (par exemple
        /// service=ccas, lieux.efs=oui).
        #[arg(long, value_name = "VARIABLE=CODE")]
        filter: Option<String>,
        /// Croise chaque variable qualitative et compare chaque variable
        /// numérique (t ou ANOVA avec lettres LSD) selon cette variable.
        #[arg(long)]
        by: Option<String>,
        /// Un tableau croisé LIGNES,COLONNES avec khi-deux (et Fisher pour
        /// un 2×2) ; à répéter pour d’autres.
        #[arg(long, value_name = "LIGNES,COLONNES")]
        cross: Vec<String>,
        /// Une comparaison de moyennes NUMÉRIQUE,GROUPES ; à répéter pour
        /// d’autres.
        #[arg(long, value_name = "NUMÉRIQUE,GROUPES")]
        compare: Vec<String>,
        /// Une régression linéaire Y~X1+X2 (les prédicteurs qualitatifs
        /// sont codés en indicatrices) ; à répéter pour d’autres.
        #[arg(long, value_name = "Y~X1+X2")]
        regress: Vec<String>,
        /// Une MANOVA à un facteur Y1+Y2+Y3~GROUPES ; à répéter pour
        /// d’autres.
        #[arg(long, value_name = "Y1+Y2~GROUPES")]
        manova: Vec<String>,
        /// md, csv, json, ou xlsx (avec --output).
        #[arg(long, value_enum, default_value = "md")]
        format: Format,
        /// Écrire 12,4 plutôt que 12.4 (et `;` entre les champs CSV).
        #[arg(long)]
        decimal_comma: bool,
        /// Seuil des lettres LSD.
        #[arg(long, default_value_t = 0.05)]
        alpha: f64,
        /// Mode publication : écrire « < N » les effectifs inférieurs à N et
        /// cacher leurs pourcentages et moyennes (tableaux seulement ; le
        /// JSON reste complet).
        #[arg(long, value_name = "N", default_value_t = 0)]
        min_cell: u64,
        /// Fichier à écrire (par défaut : la sortie standard).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Imprime un questionnaire intégré (TOML), à employer ou à adapter ;
    /// sans nom, les liste.
    Template {
        /// Nom du modèle.
        name: Option<String>,
    },
    /// Met un questionnaire en ligne pour une structure : son formulaire
    /// public est /enquetes/SLUG, ses résultats /enquetes/SLUG/resultats.
    /// Imprime le lien, et les liens d’invitation avec --invitations.
    Publish {
        /// Questionnaire : un fichier TOML ou le nom d’un modèle intégré.
        #[arg(long)]
        questionnaire: String,
        /// La fin du lien : lettres minuscules, chiffres et `-`.
        #[arg(long)]
        slug: String,
        /// Numéro de la structure qui mène l’enquête.
        #[arg(long)]
        structure: i64,
        /// Crée N invitations : une réponse chacune, et aucune réponse sans
        /// invitation.
        #[arg(long, value_name = "N")]
        invitations: Option<usize>,
        /// Premier jour de la collecte (AAAA-MM-JJ).
        #[arg(long)]
        opens: Option<String>,
        /// Dernier jour de la collecte (AAAA-MM-JJ).
        #[arg(long)]
        closes: Option<String>,
    },
    /// Ajoute à une enquête les réponses d’un fichier CSV (une ligne par
    /// répondant, comme l’exportent les outils du genre de LimeSurvey) :
    /// vérifiées en entier d’abord, puis enregistrées en une transaction,
    /// ou pas du tout.
    Import {
        /// La fin du lien de l’enquête.
        slug: String,
        /// Fichier des réponses.
        file: PathBuf,
        /// Le jour auquel les dater (AAAA-MM-JJ ; par défaut aujourd’hui).
        /// Mieux vaut le dernier jour de la collecte que celui de chaque
        /// réponse.
        #[arg(long)]
        day: Option<String>,
    },
    /// Écrit les réponses d’une enquête (CSV, comme `analyze` les lit).
    Responses {
        /// La fin du lien de l’enquête.
        slug: String,
        /// Fichier à écrire (par défaut : la sortie standard).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Convertit la structure d’une enquête LimeSurvey (.lss) en
    /// questionnaire (TOML) : groupes, questions, sous-questions, options
    /// de réponse et les conditions que notre format exprime ; ce qu’il ne
    /// peut pas exprimer est listé.
    Lss {
        /// Fichier .lss.
        file: PathBuf,
        /// La traduction à prendre (par défaut : la langue de base de
        /// l’enquête).
        #[arg(long)]
        language: Option<String>,
        /// Fichier à écrire (par défaut : la sortie standard).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Écrit des réponses pour SPSS ou PSPP : un fichier de syntaxe (DATA
    /// LIST, VARIABLE LABELS, VALUE LABELS, MISSING VALUES) et le fichier
    /// de données qu’il lit, FICHIER.sps et FICHIER.dat côte à côte.
    Spss {
        /// Questionnaire : un fichier TOML ou le nom d’un modèle intégré.
        #[arg(long)]
        questionnaire: String,
        /// Réponses : notre CSV ou l’export de LimeSurvey.
        #[arg(long)]
        responses: PathBuf,
        /// Le fichier de syntaxe à écrire (son .dat est écrit à côté).
        #[arg(long)]
        output: PathBuf,
    },
    /// Vérifie un questionnaire, et un fichier de réponses avec lui s’il
    /// est donné.
    Check {
        /// Questionnaire : un fichier TOML ou le nom d’un modèle intégré.
        #[arg(long)]
        questionnaire: String,
        /// Fichier de réponses à vérifier.
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
