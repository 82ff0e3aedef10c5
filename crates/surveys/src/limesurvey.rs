//! LimeSurvey in: a survey structure (`.lss`) as a questionnaire, and
//! LimeSurvey's CSV export of responses read against it.
//!
//! Shapes followed (`LimeSurvey/LimeSurvey`, see `docs/questionnaires.md`):
//! the `.lss` writer `surveyGetXMLStructure` / `buildXMLFromQuery` of
//! `application/helpers/export_helper.php` (one element per table, `fields`
//! then `rows` of `row`, one CDATA element per non-null column; the
//! `*_l10ns` tables of LimeSurvey 4+ or the inline `language` columns of
//! LimeSurvey 3); the CSV writer `CsvWriter.php` and `Writer.php` of
//! `application/helpers/admin/export/` (headings from
//! `viewHelper::getFieldCode`: `CODE`, `CODE[SQ001]`, `CODE[other]`,
//! `CODE[SQ001][1]`), answers from `SurveyObj.php` (`getShortAnswer`:
//! codes, `Y` or empty for a multiple choice; `getFullAnswer`: labels,
//! "Oui"/"Non", "Autre").
//!
//! Our questionnaire has no groups, rankings, dual scales, arrays of
//! labelled answers or comments: how each LimeSurvey type becomes our
//! questions is the table of `docs/questionnaires.md`; what cannot be
//! expressed is reported, never dropped silently.

use std::collections::HashMap;
use std::fmt;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::questionnaire::{Choice, Condition, Kind, OTHER, Question, Questionnaire, Scale, Test};
use crate::responses::{CellError, ImportError};

/// A problem that stops an import, with the line of the `.lss`.
#[derive(Debug, Clone, PartialEq)]
pub struct LssError {
    pub source: String,
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl fmt::Display for LssError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} : ligne {}, champ « {} » : {}",
            self.source, self.line, self.field, self.message
        )
    }
}

impl std::error::Error for LssError {}

/// A survey structure converted: the questionnaire, its TOML text (groups
/// as comments) and, in French, what could not be carried over.
#[derive(Debug, Clone)]
pub struct Imported {
    pub questionnaire: Questionnaire,
    pub toml: String,
    pub notes: Vec<String>,
    /// LimeSurvey questions read (subquestions not counted).
    pub lime_questions: usize,
    pub groups: usize,
}

/// One row of a table of the `.lss`, with the line it starts on.
#[derive(Debug, Clone, Default)]
struct Row {
    line: usize,
    fields: HashMap<String, String>,
}

impl Row {
    fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// The tables of an `.lss` document by element name, and its languages.
#[derive(Default)]
struct Document {
    tables: HashMap<String, Vec<Row>>,
    languages: Vec<String>,
}

fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn read_document(xml: &str, source: &str) -> Result<Document, LssError> {
    let mut reader = Reader::from_str(xml);
    let mut doc = Document::default();
    // Element names from <document> down.
    let mut path: Vec<String> = Vec::new();
    let mut row: Option<Row> = None;
    let mut text = String::new();
    let fail = |offset: u64, message: String| LssError {
        source: source.to_string(),
        line: line_at(xml, offset as usize),
        field: "-".into(),
        message,
    };
    loop {
        let offset = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| fail(reader.error_position(), format!("XML mal formé : {e}")))?;
        match event {
            Event::Start(e) => {
                let name = e.name().as_ref().to_string();
                path.push(name);
                text.clear();
                if path.len() == 4 && path[2] == "rows" && path[3] == "row" {
                    row = Some(Row {
                        line: line_at(xml, offset as usize),
                        ..Row::default()
                    });
                }
            }
            Event::Empty(e) => {
                // `<field/>`: an empty value.
                if let Some(r) = row.as_mut()
                    && path.len() == 4
                {
                    let name = e.name().as_ref().to_string();
                    r.fields.insert(name, String::new());
                }
            }
            Event::Text(t) => {
                let decoded = t.xml10_content();
                let unescaped = quick_xml::escape::unescape(&decoded)
                    .map_err(|e| fail(offset, format!("entité illisible : {e}")))?;
                text.push_str(&unescaped);
            }
            Event::GeneralRef(r) => {
                let entity = format!("&{};", r.into_inner());
                text.push_str(
                    &quick_xml::escape::unescape(&entity)
                        .map_err(|e| fail(offset, format!("entité illisible : {e}")))?,
                );
            }
            Event::CData(c) => {
                text.push_str(&c.into_inner());
            }
            Event::End(_) => {
                let depth = path.len();
                if depth == 5
                    && let Some(r) = row.as_mut()
                {
                    r.fields.insert(path[4].clone(), std::mem::take(&mut text));
                } else if depth == 4
                    && let Some(r) = row.take()
                {
                    doc.tables.entry(path[1].clone()).or_default().push(r);
                } else if depth == 3 && path[1] == "languages" {
                    doc.languages
                        .push(std::mem::take(&mut text).trim().to_string());
                } else if depth == 2 && path[1] == "LimeSurveyDocType" && text.trim() != "Survey" {
                    return Err(fail(
                        offset,
                        format!(
                            "document LimeSurvey de type « {} » : une structure d’enquête (Survey, .lss) est attendue",
                            text.trim()
                        ),
                    ));
                }
                path.pop();
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !doc.tables.contains_key("questions") {
        return Err(LssError {
            source: source.to_string(),
            line: 1,
            field: "questions".into(),
            message:
                "aucune table <questions> : ce n’est pas une structure d’enquête LimeSurvey (.lss)"
                    .into(),
        });
    }
    Ok(doc)
}

/// LimeSurvey texts are HTML: tags removed, entities decoded, spaces
/// collapsed.
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = quick_xml::escape::unescape_with(&out, |name| {
        quick_xml::escape::resolve_html5_entity(name)
    })
    .map(|c| c.into_owned())
    .unwrap_or(out);
    decoded
        .replace('\u{a0}', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The texts of one language: from the `*_l10ns` tables (LimeSurvey 4+)
/// or from the rows themselves (LimeSurvey 3, one row per language).
struct Texts<'a> {
    doc: &'a Document,
    language: String,
}

impl<'a> Texts<'a> {
    fn rows(&self, table: &str) -> impl Iterator<Item = &'a Row> + use<'a> {
        let language = self.language.clone();
        self.doc
            .tables
            .get(table)
            .into_iter()
            .flatten()
            .filter(move |r| {
                let l = r.get("language");
                l.is_empty() || l == language
            })
    }

    /// `field` of the l10n row of `table` whose `key` is `id`, else of the
    /// `fallback` row itself.
    fn text(&self, table: &str, key: &str, id: &str, field: &str, fallback: &Row) -> String {
        self.rows(table)
            .find(|r| r.get(key) == id)
            .map(|r| r.get(field).to_string())
            .unwrap_or_else(|| fallback.get(field).to_string())
    }
}

fn order(row: &Row, field: &str) -> i64 {
    row.get(field).trim().parse().unwrap_or(0)
}

/// Reads a `.lss` survey structure. `language`: which translation to take
/// (default: the survey's base language).
pub fn import_lss(xml: &str, source: &str, language: Option<&str>) -> Result<Imported, LssError> {
    let doc = read_document(xml, source)?;
    let survey = doc
        .tables
        .get("surveys")
        .and_then(|t| t.first())
        .cloned()
        .unwrap_or_default();
    let sid = survey.get("sid").to_string();
    let language = language
        .map(str::to_string)
        .or_else(|| Some(survey.get("language").to_string()).filter(|l| !l.is_empty()))
        .or_else(|| doc.languages.last().cloned())
        .unwrap_or_else(|| "fr".to_string());
    let texts = Texts {
        doc: &doc,
        language: language.clone(),
    };
    let mut notes = Vec::new();
    let settings = texts
        .rows("surveys_languagesettings")
        .find(|r| r.get("surveyls_language") == language || r.get("surveyls_language").is_empty());
    let title = settings
        .map(|r| plain_text(r.get("surveyls_title")))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| format!("Enquête LimeSurvey {sid}"));
    let description = settings
        .map(|r| plain_text(r.get("surveyls_description")))
        .filter(|t| !t.is_empty());

    // Groups, in order, with their names.
    let mut groups: Vec<&Row> = Vec::new();
    for g in texts.rows("groups") {
        if !groups.iter().any(|x| x.get("gid") == g.get("gid")) {
            groups.push(g);
        }
    }
    groups.sort_by_key(|g| order(g, "group_order"));
    let group_rank: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.get("gid"), i))
        .collect();

    // Questions (LimeSurvey 3 repeats them per language).
    let mut questions: Vec<&Row> = Vec::new();
    for q in texts.rows("questions") {
        let parent = q.get("parent_qid");
        if (parent.is_empty() || parent == "0")
            && !questions.iter().any(|x| x.get("qid") == q.get("qid"))
        {
            questions.push(q);
        }
    }
    questions.sort_by_key(|q| {
        (
            group_rank.get(q.get("gid")).copied().unwrap_or(usize::MAX),
            order(q, "question_order"),
        )
    });
    let subquestions = |qid: &str, scale: &str| -> Vec<&Row> {
        let mut list: Vec<&Row> = Vec::new();
        for table in ["subquestions", "questions"] {
            for s in texts.rows(table) {
                if s.get("parent_qid") == qid
                    && (s.get("scale_id") == scale
                        || (scale == "0" && s.get("scale_id").is_empty()))
                    && !list.iter().any(|x| x.get("qid") == s.get("qid"))
                {
                    list.push(s);
                }
            }
        }
        list.sort_by_key(|s| order(s, "question_order"));
        list
    };
    let answers = |qid: &str, scale: &str| -> Vec<Choice> {
        let mut rows: Vec<&Row> = texts
            .rows("answers")
            .filter(|a| {
                a.get("qid") == qid
                    && (a.get("scale_id") == scale
                        || (scale == "0" && a.get("scale_id").is_empty()))
            })
            .collect();
        rows.sort_by_key(|a| order(a, "sortorder"));
        let mut seen: Vec<String> = Vec::new();
        rows.into_iter()
            .filter(|a| {
                let fresh = !seen.contains(&a.get("code").to_string());
                seen.push(a.get("code").to_string());
                fresh
            })
            .map(|a| {
                let label =
                    plain_text(&texts.text("answer_l10ns", "aid", a.get("aid"), "answer", a));
                Choice {
                    code: a.get("code").to_string(),
                    label: if label.is_empty() {
                        a.get("code").to_string()
                    } else {
                        label
                    },
                }
            })
            .collect()
    };
    let attribute = |qid: &str, name: &str| -> Option<String> {
        let rows: Vec<&Row> = doc
            .tables
            .get("question_attributes")
            .into_iter()
            .flatten()
            .filter(|a| a.get("qid") == qid && a.get("attribute") == name)
            .collect();
        rows.iter()
            .find(|a| a.get("language") == language)
            .or_else(|| rows.iter().find(|a| a.get("language").is_empty()))
            .map(|a| a.get("value").trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let sub_text = |s: &Row| {
        let t = plain_text(&texts.text("question_l10ns", "qid", s.get("qid"), "question", s));
        if t.is_empty() {
            s.get("title").to_string()
        } else {
            t
        }
    };

    let mut out: Vec<Question> = Vec::new();
    let mut comments: HashMap<usize, String> = HashMap::new();
    let mut pending_group: Option<String> = None;
    let mut current_gid = String::new();
    // The relevance of each of our questions, resolved after all exist.
    let mut relevance: Vec<(usize, String, usize)> = Vec::new();
    for q in &questions {
        let qid = q.get("qid");
        let code = q.get("title").to_string();
        let line = q.line;
        let error = |message: String| LssError {
            source: source.to_string(),
            line,
            field: code.clone(),
            message,
        };
        if q.get("gid") != current_gid {
            current_gid = q.get("gid").to_string();
            let g = groups.iter().find(|g| g.get("gid") == current_gid);
            let name = g
                .map(|g| {
                    plain_text(&texts.text("group_l10ns", "gid", &current_gid, "group_name", g))
                })
                .unwrap_or_default();
            pending_group = Some(format!("Groupe : {name}"));
            if let Some(g) = g {
                let grelevance = g.get("grelevance").trim();
                if !grelevance.is_empty() && grelevance != "1" {
                    notes.push(format!(
                        "groupe « {name} » : sa condition d’affichage ({grelevance}) n’est pas reprise : ses questions sont posées à tous"
                    ));
                }
            }
        }
        let text = plain_text(&texts.text("question_l10ns", "qid", qid, "question", q));
        let help = Some(plain_text(&texts.text(
            "question_l10ns",
            "qid",
            qid,
            "help",
            q,
        )))
        .filter(|h| !h.is_empty());
        let required = q.get("mandatory") == "Y";
        let has_other = q.get("other") == "Y";
        let other_label = || {
            attribute(qid, "other_replace_text")
                .map(|t| plain_text(&t))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "Autre".to_string())
        };
        let text_or_code = if text.is_empty() {
            code.clone()
        } else {
            text.clone()
        };
        let base = |id: String, text: String, kind: Kind| Question {
            id,
            text,
            help: help.clone(),
            required,
            shuffle: false,
            kind,
            show_if: None,
            line: 0,
        };
        let number_kind = |qid: &str| {
            let min = attribute(qid, "min_num_value_n").and_then(|v| v.parse().ok());
            let max = attribute(qid, "max_num_value_n").and_then(|v| v.parse().ok());
            if attribute(qid, "num_value_int_only").as_deref() == Some("1") {
                Kind::Integer { min, max }
            } else {
                Kind::Decimal { min, max }
            }
        };
        let fixed = |pairs: &[(&str, &str)]| -> Vec<Choice> {
            pairs
                .iter()
                .map(|(c, l)| Choice {
                    code: c.to_string(),
                    label: l.to_string(),
                })
                .collect()
        };
        let kind_code = q.get("type");
        let mut made: Vec<Question> = Vec::new();
        match kind_code {
            "L" | "!" | "O" => {
                let options = answers(qid, "0");
                if options.is_empty() {
                    return Err(error("liste sans option de réponse".into()));
                }
                if kind_code == "O" {
                    notes.push(format!(
                        "{code} : le commentaire de la liste n’a pas d’équivalent ; sa colonne est ignorée"
                    ));
                }
                made.push(base(
                    code.clone(),
                    text_or_code.clone(),
                    Kind::Single {
                        options,
                        other: has_other.then(other_label),
                    },
                ));
            }
            "Y" => made.push(base(
                code.clone(),
                text_or_code.clone(),
                Kind::Single {
                    options: fixed(&[("Y", "Oui"), ("N", "Non")]),
                    other: None,
                },
            )),
            "G" => made.push(base(
                code.clone(),
                text_or_code.clone(),
                Kind::Single {
                    options: fixed(&[("F", "Féminin"), ("M", "Masculin")]),
                    other: None,
                },
            )),
            "5" => made.push(base(
                code.clone(),
                text_or_code.clone(),
                Kind::Scale(Scale {
                    min: 1,
                    max: 5,
                    min_label: None,
                    max_label: None,
                }),
            )),
            "M" | "P" => {
                let options: Vec<Choice> = subquestions(qid, "0")
                    .into_iter()
                    .map(|s| Choice {
                        code: s.get("title").to_string(),
                        label: sub_text(s),
                    })
                    .collect();
                if options.is_empty() {
                    return Err(error("choix multiple sans sous-question".into()));
                }
                if kind_code == "P" {
                    notes.push(format!(
                        "{code} : les commentaires des options n’ont pas d’équivalent ; leurs colonnes sont ignorées"
                    ));
                }
                made.push(base(
                    code.clone(),
                    text_or_code.clone(),
                    Kind::Multiple {
                        options,
                        other: has_other.then(other_label),
                    },
                ));
            }
            "A" | "B" => {
                let items: Vec<Choice> = subquestions(qid, "0")
                    .into_iter()
                    .map(|s| Choice {
                        code: s.get("title").to_string(),
                        label: sub_text(s),
                    })
                    .collect();
                made.push(base(
                    code.clone(),
                    text_or_code.clone(),
                    Kind::Grid {
                        items,
                        scale: Scale {
                            min: 1,
                            max: if kind_code == "A" { 5 } else { 10 },
                            min_label: None,
                            max_label: None,
                        },
                    },
                ));
            }
            "F" | "H" | "C" | "E" | "1" => {
                let scales: Vec<(&str, Vec<Choice>)> = match kind_code {
                    "C" => vec![("", fixed(&[("Y", "Oui"), ("N", "Non"), ("U", "Incertain")]))],
                    "E" => vec![(
                        "",
                        fixed(&[
                            ("I", "Augmentation"),
                            ("S", "Sans changement"),
                            ("D", "Diminution"),
                        ]),
                    )],
                    "1" => vec![("_1", answers(qid, "0")), ("_2", answers(qid, "1"))],
                    _ => vec![("", answers(qid, "0"))],
                };
                for s in subquestions(qid, "0") {
                    for (suffix, options) in &scales {
                        made.push(base(
                            format!("{code}_{}{suffix}", s.get("title")),
                            format!("{text_or_code} : {}", sub_text(s)),
                            Kind::Single {
                                options: options.clone(),
                                other: None,
                            },
                        ));
                    }
                }
                notes.push(format!(
                    "{code} : tableau à réponses étiquetées, importé comme une question à choix unique par ligne ({code}_…)"
                ));
            }
            "N" => made.push(base(code.clone(), text_or_code.clone(), number_kind(qid))),
            "K" | "Q" => {
                for s in subquestions(qid, "0") {
                    let kind = if kind_code == "K" {
                        number_kind(qid)
                    } else {
                        Kind::Text
                    };
                    made.push(base(
                        format!("{code}_{}", s.get("title")),
                        format!("{text_or_code} : {}", sub_text(s)),
                        kind,
                    ));
                }
            }
            ":" | ";" => {
                let columns = subquestions(qid, "1");
                for row in subquestions(qid, "0") {
                    for col in &columns {
                        let kind = if kind_code == ":" {
                            Kind::Decimal {
                                min: None,
                                max: None,
                            }
                        } else {
                            Kind::Text
                        };
                        made.push(base(
                            format!("{code}_{}_{}", row.get("title"), col.get("title")),
                            format!("{text_or_code} : {} / {}", sub_text(row), sub_text(col)),
                            kind,
                        ));
                    }
                }
            }
            "R" => {
                let options = answers(qid, "0");
                for rank in 1..=options.len() {
                    made.push(base(
                        format!("{code}_{rank}"),
                        format!("{text_or_code} : rang {rank}"),
                        Kind::Single {
                            options: options.clone(),
                            other: None,
                        },
                    ));
                }
                notes.push(format!(
                    "{code} : classement importé comme une question à choix unique par rang ({code}_1…)"
                ));
            }
            "S" | "T" | "U" | "I" => {
                made.push(base(code.clone(), text_or_code.clone(), Kind::Text))
            }
            "D" => {
                made.push(base(code.clone(), text_or_code.clone(), Kind::Text));
                notes.push(format!("{code} : date gardée comme texte"));
            }
            "*" => {
                let mut q = base(code.clone(), text_or_code.clone(), Kind::Text);
                q.help = Some("Équation LimeSurvey : valeur calculée, gardée comme texte.".into());
                made.push(q);
                notes.push(format!(
                    "{code} : équation gardée comme texte (valeur calculée)"
                ));
            }
            "|" => {
                made.push(base(code.clone(), text_or_code.clone(), Kind::Text));
                made.push(base(
                    format!("{code}_filecount"),
                    format!("{text_or_code} : nombre de fichiers"),
                    Kind::Integer {
                        min: Some(0.0),
                        max: None,
                    },
                ));
                notes.push(format!(
                    "{code} : fichiers envoyés gardés comme texte (leurs noms)"
                ));
            }
            "X" => {
                notes.push(format!("{code} : texte affiché sans réponse, non importé"));
                continue;
            }
            other => {
                return Err(error(format!(
                    "type de question LimeSurvey « {other} » inconnu"
                )));
            }
        }
        let rel = q.get("relevance").trim().to_string();
        let first = out.len();
        if let Some(group) = pending_group.take() {
            comments.insert(first, group);
        }
        for m in made {
            relevance.push((out.len(), rel.clone(), q.line));
            out.push(m);
        }
    }
    // Conditions: the relevance equation LimeSurvey derives from them.
    let lime_conditions = doc.tables.get("conditions").map_or(0, Vec::len);
    for (index, rel, _) in &relevance {
        if rel.is_empty() || rel == "1" {
            continue;
        }
        match condition_of(rel, &out[..*index]) {
            Some(c) => out[*index].show_if = Some(c),
            None => notes.push(format!(
                "{} : condition « {rel} » non reprise (notre questionnaire n’exprime qu’un test sur une question précédente : égal à, parmi, coché, au moins, au plus) ; la question est posée à tous",
                out[*index].id
            )),
        }
    }
    if lime_conditions > 0 && relevance.iter().all(|(_, r, _)| r.is_empty() || r == "1") {
        notes.push(format!(
            "{lime_conditions} conditions sans équation de pertinence : non reprises"
        ));
    }
    let questionnaire = Questionnaire {
        id: format!(
            "limesurvey-{}",
            if sid.is_empty() { "enquete" } else { &sid }
        ),
        title,
        description,
        questions: out,
    };
    let header = format!(
        "# Importé de LimeSurvey ({source}, langue {language}) par passerelle survey lss.\n"
    );
    let toml = header + &questionnaire.to_toml(&comments);
    // What we wrote must read back: the model's own checks.
    let questionnaire = Questionnaire::parse(&toml, source).map_err(|e| LssError {
        source: source.to_string(),
        line: e.problems.first().map_or(1, |p| p.line),
        field: e.problems.first().map_or("-".into(), |p| p.field.clone()),
        message: format!("le questionnaire obtenu est invalide : {e}"),
    })?;
    Ok(Imported {
        questionnaire,
        toml,
        notes,
        lime_questions: questions.len(),
        groups: groups.len(),
    })
}

/// Our condition for a LimeSurvey relevance equation, when it is one of
/// the forms we express: `Q == "A"` (or `Q.NAOK`, `Q.code`), several of
/// them joined by `or`, `Q_SQ == "Y"` on a multiple choice, `Q >= 5`,
/// `Q > 4`, `Q <= 5`, `Q < 6` on a scale or number.
pub fn condition_of(relevance: &str, earlier: &[Question]) -> Option<Condition> {
    let mut text = relevance.trim().to_string();
    while text.starts_with('(') && text.ends_with(')') && balanced(&text[1..text.len() - 1]) {
        text = text[1..text.len() - 1].trim().to_string();
    }
    let terms: Vec<String> = split_or(&text)?;
    let mut question: Option<String> = None;
    let mut codes = Vec::new();
    let mut numeric: Option<Test> = None;
    for term in &terms {
        let mut t = term.trim();
        while t.starts_with('(') && t.ends_with(')') && balanced(&t[1..t.len() - 1]) {
            t = t[1..t.len() - 1].trim();
        }
        let (op, at) = [
            "==", ">=", "<=", "!=", ">", "<", "eq", "ge", "le", "gt", "lt",
        ]
        .iter()
        .find_map(|op| {
            t.find(&format!(" {op} ")).map(|i| (*op, i)).or_else(|| {
                (op.len() == 2 && !op.chars().all(char::is_alphabetic))
                    .then(|| t.find(op).map(|i| (*op, i)))
                    .flatten()
            })
        })?;
        let left = t[..at].trim();
        let right = t[at + op.len() + usize::from(t[at..].starts_with(' '))..]
            .trim()
            .trim_start_matches(op)
            .trim();
        let variable = left
            .trim_end_matches(".NAOK")
            .trim_end_matches(".code")
            .trim_end_matches(".value");
        if !variable
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return None;
        }
        let value = right.trim_matches(|c| c == '"' || c == '\'');
        let op = match op {
            "eq" => "==",
            "ge" => ">=",
            "le" => "<=",
            "gt" => ">",
            "lt" => "<",
            o => o,
        };
        // A multiple choice's option: `Q_SQ == "Y"`.
        if let Some(target) = earlier.iter().find(|q| q.id == variable) {
            match (&target.kind, op) {
                (Kind::Single { .. }, "==") => {
                    if question.as_deref().is_some_and(|q| q != variable) || numeric.is_some() {
                        return None;
                    }
                    question = Some(variable.to_string());
                    codes.push(if value == "-oth-" {
                        OTHER.to_string()
                    } else {
                        value.to_string()
                    });
                }
                (Kind::Scale(_) | Kind::Integer { .. } | Kind::Decimal { .. }, _)
                    if terms.len() == 1 =>
                {
                    let x: f64 = value.parse().ok()?;
                    let whole = !matches!(target.kind, Kind::Decimal { .. });
                    numeric = Some(match op {
                        ">=" => Test::AtLeast(x),
                        "<=" => Test::AtMost(x),
                        ">" if whole && x.fract() == 0.0 => Test::AtLeast(x + 1.0),
                        "<" if whole && x.fract() == 0.0 => Test::AtMost(x - 1.0),
                        _ => return None,
                    });
                    question = Some(variable.to_string());
                }
                _ => return None,
            }
            continue;
        }
        let (q, option) = variable.rsplit_once('_')?;
        let target = earlier.iter().find(|x| x.id == q)?;
        match &target.kind {
            Kind::Multiple { options, other }
                if terms.len() == 1
                    && op == "=="
                    && value == "Y"
                    && (options.iter().any(|o| o.code == option)
                        || (option == OTHER && other.is_some())) =>
            {
                return Some(Condition {
                    question: q.to_string(),
                    test: Test::Includes(option.to_string()),
                });
            }
            _ => return None,
        }
    }
    let question = question?;
    let test = match numeric {
        Some(t) => t,
        None => Test::AnyOf(codes),
    };
    Some(Condition { question, test })
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Splits `a or b or c` at its top level; `None` if `and` or another
/// connective is there.
fn split_or(text: &str) -> Option<Vec<String>> {
    let lower = text.to_lowercase();
    if lower.contains(" and ")
        || lower.contains("&&")
        || lower.contains('!') && !lower.contains("!=")
    {
        return None;
    }
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        let rest: String = chars[i..].iter().take(4).collect::<String>().to_lowercase();
        if depth == 0 && (rest == " or " || rest.starts_with("||")) {
            parts.push(std::mem::take(&mut current));
            i += if rest.starts_with("||") { 2 } else { 4 };
            continue;
        }
        current.push(c);
        i += 1;
    }
    parts.push(current);
    Some(parts)
}

/// The LimeSurvey columns that are not answers: kept aside, never stored.
pub const METADATA: &[&str] = &[
    "id",
    "submitdate",
    "lastpage",
    "startlanguage",
    "seed",
    "startdate",
    "datestamp",
    "ipaddr",
    "refurl",
    "token",
    "quota_exit",
    "interviewtime",
];

/// Whether a responses file's header is LimeSurvey's: an `id` column and
/// another of its metadata columns.
pub fn is_limesurvey_header(header: &[&str]) -> bool {
    header.contains(&"id") && header.iter().any(|h| METADATA[1..].contains(h))
}

/// What reading a LimeSurvey responses file set aside.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aside {
    /// Metadata columns kept aside (never stored as answers).
    pub metadata: Vec<String>,
    /// Columns with no equivalent in our questionnaire (comments).
    pub ignored: Vec<String>,
    /// The file holds full answers (labels) rather than codes.
    pub full_answers: bool,
    pub respondents: usize,
}

/// Where a LimeSurvey heading goes among our columns.
fn our_column(q: &Questionnaire, heading: &str) -> Option<String> {
    let Some(open) = heading.find('[') else {
        return Some(heading.to_string());
    };
    let code = &heading[..open];
    let parts: Vec<&str> = heading[open..]
        .split(['[', ']'])
        .filter(|p| !p.is_empty())
        .collect();
    if let Some(question) = q.question(code)
        && parts.len() == 1
    {
        let sub = parts[0];
        let fits = match &question.kind {
            Kind::Multiple { options, other } => {
                options.iter().any(|o| o.code == sub) || (sub == OTHER && other.is_some())
            }
            Kind::Single { other, .. } => sub == OTHER && other.is_some(),
            Kind::Grid { items, .. } => items.iter().any(|i| i.code == sub),
            _ => false,
        };
        if fits {
            return Some(format!("{code}.{sub}"));
        }
    }
    let joined = format!("{code}_{}", parts.join("_"));
    q.question(&joined).map(|_| joined)
}

/// Reads LimeSurvey's CSV export of responses (codes or full answers,
/// `,` or `;` separated, headings as question codes) against `q`: the
/// metadata columns are set aside, headings mapped to our columns, answers
/// to our codes; then the file is read like ours, all or nothing, errors
/// naming LimeSurvey's headings and the file's lines.
pub fn read_responses(
    q: &Questionnaire,
    bytes: &[u8],
    source: &str,
) -> Result<(crate::responses::Responses, Aside), ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter = if first_line.iter().filter(|&&b| b == b';').count()
        > first_line.iter().filter(|&&b| b == b',').count()
    {
        b';'
    } else {
        b','
    };
    let fail =
        |line, column: &str, message: String| ImportError::one(source, line, column, message);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| fail(1, "-", format!("en-tête illisible : {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut aside = Aside::default();
    // For each LimeSurvey column: our column, or None when set aside.
    let mut targets: Vec<Option<String>> = Vec::new();
    let mut unknown = Vec::new();
    for h in &header {
        if METADATA.contains(&h.as_str()) {
            aside.metadata.push(h.clone());
            targets.push(None);
        } else if h.ends_with("comment]") || h.ends_with("[comment]") {
            aside.ignored.push(h.clone());
            targets.push(None);
        } else {
            match our_column(q, h) {
                Some(c) => targets.push(Some(c)),
                None => {
                    unknown.push(CellError {
                        line: 1,
                        column: h.clone(),
                        message: format!(
                            "colonne inconnue : pas une question de {} (titres LimeSurvey attendus : CODE, CODE[SQ001], CODE[other])",
                            q.id
                        ),
                    });
                    targets.push(None);
                }
            }
        }
    }
    if !unknown.is_empty() {
        return Err(ImportError {
            source: source.to_string(),
            errors: unknown,
            truncated: false,
        });
    }
    // Rewrite as our CSV; the lines our reader names are mapped back to
    // the file's physical lines.
    let ours: Vec<(usize, &String)> = targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.as_ref().map(|t| (i, t)))
        .collect();
    // Through the project's writer, like every CSV we write: our reader
    // restores the cells it neutralises, so answers come back as typed.
    let mut writer = passerelle_csv::Writer::in_memory();
    writer
        .write_record(ours.iter().map(|(_, t)| t.as_str()))
        .expect("writing to memory");
    // Line in the rewritten text → line in the file.
    let mut line_map: HashMap<usize, usize> = HashMap::from([(1, 1)]);
    let mut next_line = 2usize;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e
                    .position()
                    .map_or(0, |p| crate::responses::physical_line(bytes, p.byte()));
                return Err(fail(line, "-", format!("CSV mal formé : {e}")));
            }
        }
        if record.iter().all(|c| c.trim().is_empty()) {
            continue; // LimeSurvey ends its file with an empty line.
        }
        let line = record
            .position()
            .map_or(0, |p| crate::responses::physical_line(bytes, p.byte()));
        line_map.insert(next_line, line);
        aside.respondents += 1;
        let mut cells = Vec::with_capacity(ours.len());
        for (i, column) in &ours {
            let raw = record.get(*i).unwrap_or("").trim();
            let (cell, full) = convert_cell(q, column, raw);
            aside.full_answers |= full;
            cells.push(cell);
        }
        next_line += 1 + cells.iter().map(|c| c.matches('\n').count()).sum::<usize>();
        writer.write_record(&cells).expect("writing to memory");
    }
    let text = writer.into_bytes();
    let names: HashMap<String, String> = ours
        .iter()
        .map(|(i, t)| ((*t).clone(), header[*i].clone()))
        .collect();
    let responses = crate::responses::read_csv(q, text.as_slice(), source).map_err(|mut e| {
        for err in &mut e.errors {
            if let Some(name) = names.get(&err.column) {
                err.column = name.clone();
            }
            if let Some(line) = line_map.get(&err.line) {
                err.line = *line;
            }
        }
        e
    })?;
    Ok((responses, aside))
}

/// One LimeSurvey cell as our reader takes it, and whether it was a full
/// answer (a label where a code is expected).
fn convert_cell(q: &Questionnaire, column: &str, raw: &str) -> (String, bool) {
    let (id, part) = match column.split_once('.') {
        Some((id, part)) => (id, Some(part)),
        None => (column, None),
    };
    let Some(question) = q.question(id) else {
        return (raw.to_string(), false);
    };
    match (&question.kind, part) {
        (Kind::Multiple { .. }, Some(p)) if p != OTHER => match raw {
            "Y" | "1" => ("1".into(), false),
            "" | "N" | "0" => (String::new(), false),
            // Full answers: Oui/Non, Yes/No; "Non" is also what an
            // unanswered question gets, so it counts as not chosen.
            "Oui" | "Yes" => ("1".into(), true),
            "Non" | "No" | "Non sélectionné" | "Not selected" => (String::new(), true),
            other => (other.to_string(), false),
        },
        (Kind::Single { options, .. }, None) => {
            if raw == "-oth-" {
                return (OTHER.into(), false);
            }
            if options.iter().any(|o| o.code == raw) || raw.is_empty() {
                return (raw.to_string(), false);
            }
            if let Some(o) = options.iter().find(|o| o.label == raw) {
                return (o.code.clone(), true);
            }
            let synonym = match raw {
                "Autre" | "Other" => Some(OTHER),
                "Yes" => Some("Y"),
                "No" => Some("N"),
                "Female" => Some("F"),
                "Male" => Some("M"),
                "Uncertain" => Some("U"),
                "Increase" => Some("I"),
                "Same" => Some("S"),
                "Decrease" => Some("D"),
                "N/A" | "Sans réponse" => Some(""),
                _ => None,
            };
            match synonym {
                Some(code)
                    if code.is_empty()
                        || code == OTHER
                        || options.iter().any(|o| o.code == code) =>
                {
                    (code.to_string(), true)
                }
                _ => (raw.to_string(), false),
            }
        }
        _ => (raw.to_string(), false),
    }
}
