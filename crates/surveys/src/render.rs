//! A report as the seeds print it: one table per question, crosstab and
//! comparison, with French labels, counts with percentages in the form
//! "22 (12,4 %)", means to two decimals and LSD letters. The tables are
//! built once (`tables`) and written as Markdown or CSV.

use crate::analysis::{Comparison, Crosstab, ManovaReport, QuestionTable, Regression, Report};

/// How numbers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NumberFormat {
    /// "12,4" rather than "12.4" (and `;` between CSV fields).
    pub decimal_comma: bool,
    /// Publication mode: counts from 1 to `min_cell − 1` are printed
    /// "< min_cell", with their percentages, means and deviations hidden,
    /// so that small groups cannot be singled out (0: off).
    pub min_cell: u64,
}

impl NumberFormat {
    /// Rounded half away from zero (as spreadsheets and SPSS do; Rust's
    /// formatting rounds exact halves to even).
    pub fn number(&self, x: f64, decimals: usize) -> String {
        let factor = 10f64.powi(decimals as i32);
        let rounded = (x * factor).round() / factor;
        let text = format!("{:.*}", decimals, rounded + 0.0);
        if self.decimal_comma {
            text.replace('.', ",")
        } else {
            text
        }
    }

    pub fn percent(&self, x: f64) -> String {
        format!("{} %", self.number(x, 1))
    }

    /// "22 (12,4 %)".
    pub fn count_percent(&self, count: u64, percent: f64) -> String {
        if self.hidden(count) {
            format!("< {}", self.min_cell)
        } else {
            format!("{count} ({})", self.percent(percent))
        }
    }

    /// Whether publication mode hides this count.
    pub fn hidden(&self, count: u64) -> bool {
        count > 0 && count < self.min_cell
    }

    pub fn count(&self, count: u64) -> String {
        if self.hidden(count) {
            format!("< {}", self.min_cell)
        } else {
            count.to_string()
        }
    }

    /// "p = 0,094", or "p < 0,001" below that.
    pub fn p(&self, p: f64) -> String {
        if p < 0.001 {
            format!("p < {}", self.number(0.001, 3))
        } else {
            format!("p = {}", self.number(p, 3))
        }
    }

    fn opt(&self, x: Option<f64>, decimals: usize) -> String {
        x.map_or_else(|| "–".to_string(), |x| self.number(x, decimals))
    }
}

/// One printable table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub notes: Vec<String>,
}

fn question_table(t: &QuestionTable, f: &NumberFormat) -> Table {
    let mut notes = Vec::new();
    if t.missing > 0 {
        notes.push(format!("Non-réponses : {}.", t.missing));
    }
    if t.not_shown > 0 {
        notes.push(format!("Question non posée (condition) : {}.", t.not_shown));
    }
    let multiple = t.kind == "multiple";
    let title = format!(
        "Q. {} : {}{} ; n = {}",
        t.id,
        t.text,
        if multiple {
            " (plusieurs réponses possibles)"
        } else {
            ""
        },
        t.n
    );
    let stats_header = || -> Vec<String> {
        [
            "n",
            "Moyenne",
            "Médiane",
            "Écart type",
            "Min",
            "Max",
            "Q1",
            "Q3",
        ]
        .map(String::from)
        .to_vec()
    };
    let stats_row = |n: usize, s: &Option<crate::stats::Summary>| -> Vec<String> {
        match s {
            Some(s) => vec![
                n.to_string(),
                f.number(s.mean, 2),
                f.number(s.median, 2),
                f.opt(s.std, 2),
                f.number(s.min, 2),
                f.number(s.max, 2),
                f.number(s.q1, 2),
                f.number(s.q3, 2),
            ],
            None => {
                let mut row = vec![n.to_string()];
                row.extend(std::iter::repeat_n("–".to_string(), 7));
                row
            }
        }
    };
    match (&t.frequencies, &t.items, t.kind) {
        (_, Some(items), _) => {
            let mut header = vec![String::new()];
            header.extend(stats_header());
            Table {
                title,
                header,
                rows: items
                    .iter()
                    .map(|i| {
                        let mut row = vec![i.label.clone()];
                        row.extend(stats_row(i.n, &i.summary));
                        row
                    })
                    .collect(),
                notes,
            }
        }
        (Some(freq), None, "single" | "multiple") => {
            let mut rows: Vec<Vec<String>> = freq
                .iter()
                .map(|q| {
                    let count = q.count as u64;
                    let percent = if f.hidden(count) {
                        "–".to_string()
                    } else {
                        f.percent(q.percent)
                    };
                    vec![q.value.clone(), f.count(count), percent]
                })
                .collect();
            let total: usize = freq.iter().map(|q| q.count).sum();
            let total_percent = t.total_percent.unwrap_or(if t.n > 0 { 100.0 } else { 0.0 });
            rows.push(vec![
                if multiple {
                    "Total des réponses".to_string()
                } else {
                    "Total".to_string()
                },
                f.count(total as u64),
                if f.hidden(total as u64) {
                    "–".to_string()
                } else {
                    f.percent(total_percent)
                },
            ]);
            if multiple {
                notes.push(format!(
                    "Pourcentages des {} répondant·e·s à la question ; leur somme dépasse 100 % (plusieurs réponses possibles).",
                    t.n
                ));
            }
            Table {
                title,
                header: vec![String::new(), "Fréquence".into(), "Pourcentage".into()],
                rows,
                notes,
            }
        }
        (_, None, "scale" | "integer" | "decimal") => Table {
            title,
            header: stats_header(),
            rows: vec![stats_row(t.n, &t.summary)],
            notes,
        },
        _ => Table {
            title,
            header: vec!["Réponses".into()],
            rows: vec![vec![t.n.to_string()]],
            notes,
        },
    }
}

fn crosstab_table(c: &Crosstab, f: &NumberFormat) -> Table {
    let n = c.n;
    let share = |x: u64| {
        if n > 0 {
            x as f64 * 100.0 / n as f64
        } else {
            0.0
        }
    };
    let mut header = vec![format!("{} \\ {}", c.row_variable, c.col_variable)];
    header.extend(c.cols.iter().cloned());
    header.push("Total".into());
    let mut rows: Vec<Vec<String>> = c
        .rows
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let mut row = vec![label.clone()];
            row.extend(
                c.counts[i]
                    .iter()
                    .zip(&c.percent_total[i])
                    .map(|(&k, &p)| f.count_percent(k, p)),
            );
            row.push(f.count_percent(c.row_totals[i], share(c.row_totals[i])));
            row
        })
        .collect();
    let mut total = vec!["Total".to_string()];
    total.extend(c.col_totals.iter().map(|&k| f.count_percent(k, share(k))));
    total.push(f.count_percent(n, if n > 0 { 100.0 } else { 0.0 }));
    rows.push(total);
    let mut notes = Vec::new();
    if let (Some(chi2), Some(df), Some(p), Some(v)) = (c.chi2, c.df, c.p, c.cramers_v) {
        notes.push(format!(
            "Khi-deux = {} ; ddl = {df} ; {} ; V de Cramér = {}{}",
            f.number(chi2, 2),
            f.p(p),
            f.number(v, 2),
            c.mark.map(|m| format!(" ({m})")).unwrap_or_default()
        ));
    }
    if let Some(fisher) = &c.fisher {
        notes.push(format!("Test exact de Fisher : {}", f.p(fisher.p)));
    }
    if let Some(w) = &c.warning {
        notes.push(format!("Attention : {w}."));
    }
    if c.missing > 0 {
        notes.push(format!(
            "Sans réponse à l'une des deux questions : {}.",
            c.missing
        ));
    }
    Table {
        title: format!("Croisement : {} × {}", c.row_text, c.col_text),
        header,
        rows,
        notes,
    }
}

fn comparison_table(c: &Comparison, f: &NumberFormat) -> Table {
    let rows = c
        .groups
        .iter()
        .map(|g| {
            if f.hidden(g.n as u64) {
                let hidden = "–".to_string();
                return vec![
                    g.value.clone(),
                    f.count(g.n as u64),
                    hidden.clone(),
                    hidden,
                    g.letters.clone(),
                ];
            }
            vec![
                g.value.clone(),
                g.n.to_string(),
                f.opt(g.mean, 2),
                f.opt(g.std, 2),
                g.letters.clone(),
            ]
        })
        .collect();
    let mut notes = Vec::new();
    if let (Some(test), Some(stat), Some(p)) = (c.test, c.statistic, c.p) {
        let df: Vec<String> =
            c.df.iter()
                .map(|d| f.number(*d, if d.fract() == 0.0 { 0 } else { 2 }))
                .collect();
        let name = if test == "t" {
            "t de Student"
        } else {
            "F de Fisher (ANOVA)"
        };
        let mut line = format!(
            "{name}({}) = {} ; {}",
            df.join(", "),
            f.number(stat, 2),
            f.p(p)
        );
        if let Some(d) = c.cohens_d {
            line.push_str(&format!(" ; d de Cohen = {}", f.number(d, 2)));
        }
        if let Some(e) = c.eta_squared {
            line.push_str(&format!(" ; η² = {}", f.number(e, 3)));
        }
        if let Some(m) = c.mark {
            line.push_str(&format!(" ({m})"));
        }
        notes.push(line);
        if let Some(w) = &c.welch {
            notes.push(format!(
                "t de Welch({}) = {} ; {}",
                f.number(w.df, 2),
                f.number(w.statistic, 2),
                f.p(w.p)
            ));
        }
        notes.push(
            "Les groupes qui partagent une lettre ne diffèrent pas (LSD de Fisher, p < 0,05)."
                .replace("0,05", &f.number(0.05, 2)),
        );
    }
    if let Some(note) = &c.note {
        notes.push(format!("Remarque : {note}."));
    }
    Table {
        title: format!("{} selon {}", c.question_text, c.by_text),
        header: vec![
            c.by.clone(),
            "n".into(),
            "Moyenne".into(),
            "Écart type".into(),
            "Lettres".into(),
        ],
        rows,
        notes,
    }
}

fn regression_table(r: &Regression, f: &NumberFormat) -> Table {
    let mut notes = Vec::new();
    let rows = match &r.fit {
        Some(fit) => {
            notes.push(format!(
                "n = {} ; R² = {} ; R² ajusté = {} ; F({}, {}) = {} ; {}",
                fit.n,
                f.number(fit.r2, 3),
                f.number(fit.adj_r2, 3),
                fit.df_model,
                fit.df_resid,
                f.number(fit.f, 2),
                f.p(fit.f_p)
            ));
            (0..fit.names.len())
                .map(|j| {
                    vec![
                        fit.names[j].replace("const", "(constante)"),
                        f.number(fit.coef[j], 3),
                        f.number(fit.se[j], 3),
                        f.number(fit.t[j], 2),
                        f.p(fit.p[j]),
                        mark(fit.p[j]),
                    ]
                })
                .collect()
        }
        None => Vec::new(),
    };
    if !r.references.is_empty() {
        notes.push(format!(
            "Modalités de référence : {}.",
            r.references.join(", ")
        ));
    }
    if r.missing > 0 {
        notes.push(format!("Exclus (réponse manquante) : {}.", r.missing));
    }
    if let Some(note) = &r.note {
        notes.push(format!("Remarque : {note}."));
    }
    Table {
        title: format!(
            "Régression linéaire : {} ~ {}",
            r.dependent,
            r.predictors.join(" + ")
        ),
        header: ["", "Coefficient", "Erreur type", "t", "p", ""]
            .map(String::from)
            .to_vec(),
        rows,
        notes,
    }
}

fn mark(p: f64) -> String {
    crate::stats::mark(p).unwrap_or_default().to_string()
}

fn manova_table(m: &ManovaReport, f: &NumberFormat) -> Table {
    let mut header = vec![m.by.clone(), "n".to_string()];
    header.extend(m.variables.iter().cloned());
    let rows = m
        .groups
        .iter()
        .map(|g| {
            let mut row = vec![g.value.clone(), g.n.to_string()];
            row.extend(g.means.iter().map(|&x| {
                if g.n > 0 {
                    f.number(x, 2)
                } else {
                    "–".into()
                }
            }));
            row
        })
        .collect();
    let mut notes = Vec::new();
    for (name, test) in [
        ("Trace de Pillai", &m.pillai),
        ("Lambda de Wilks", &m.wilks),
    ] {
        if let Some(t) = test {
            notes.push(format!(
                "{name} = {} ; F({}, {}) = {} ; {}{}",
                f.number(t.value, 3),
                f.number(t.df_num, if t.df_num.fract() == 0.0 { 0 } else { 2 }),
                f.number(t.df_den, if t.df_den.fract() == 0.0 { 0 } else { 2 }),
                f.number(t.f, 2),
                f.p(t.p),
                crate::stats::mark(t.p)
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            ));
        }
    }
    if let Some(note) = &m.note {
        notes.push(format!("Remarque : {note}."));
    }
    Table {
        title: format!(
            "MANOVA : {} selon {} ; n = {}",
            m.variables.join(", "),
            m.by,
            m.n
        ),
        header,
        rows,
        notes,
    }
}

/// Every table of a report, in order: questions, crosstabs, comparisons,
/// regressions, MANOVAs.
pub fn tables(report: &Report, f: &NumberFormat) -> Vec<Table> {
    report
        .questions
        .iter()
        .map(|t| question_table(t, f))
        .chain(report.crosstabs.iter().map(|c| crosstab_table(c, f)))
        .chain(report.comparisons.iter().map(|c| comparison_table(c, f)))
        .chain(report.regressions.iter().map(|r| regression_table(r, f)))
        .chain(report.manovas.iter().map(|m| manova_table(m, f)))
        .collect()
}

fn md_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(report: &Report, f: &NumberFormat) -> String {
    let mut out = format!(
        "# {}\n\nRépondant·e·s : {}.\n",
        report.title, report.respondents
    );
    for (i, table) in tables(report, f).iter().enumerate() {
        out.push_str(&format!(
            "\n## Tableau {} – {}\n\n",
            i + 1,
            md_cell(&table.title)
        ));
        let header: Vec<String> = table.header.iter().map(|h| md_cell(h)).collect();
        out.push_str(&format!("| {} |\n", header.join(" | ")));
        let align: Vec<&str> = (0..header.len())
            .map(|j| if j == 0 { "---" } else { "---:" })
            .collect();
        out.push_str(&format!("|{}|\n", align.join("|")));
        for row in &table.rows {
            let cells: Vec<String> = row.iter().map(|c| md_cell(c)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        for note in &table.notes {
            out.push_str(&format!("\n{note}\n"));
        }
    }
    out
}

/// All tables in one CSV file, each as a title line, a header, its rows
/// and its notes, separated by an empty line (`;` between fields with the
/// decimal comma, as French spreadsheets expect). Through the shared
/// writer: an answer's text (an "other, specify") never runs as a formula.
pub fn csv(report: &Report, f: &NumberFormat) -> String {
    let builder = passerelle_csv::builder().delimiter(if f.decimal_comma { b';' } else { b',' });
    let bytes = write_tables(report, f, builder);
    String::from_utf8(bytes).expect("UTF-8 in, UTF-8 out")
}

/// All tables in one CSV file of this dialect: for French Excel (byte-order
/// mark, `;`, decimal comma), or standard (`,`, decimal point).
pub fn csv_in(report: &Report, min_cell: u64, dialect: passerelle_csv::Dialect) -> Vec<u8> {
    let f = NumberFormat {
        decimal_comma: dialect == passerelle_csv::Dialect::FrenchExcel,
        min_cell,
    };
    write_tables(report, &f, passerelle_csv::builder().dialect(dialect))
}

fn write_tables(report: &Report, f: &NumberFormat, builder: passerelle_csv::Builder) -> Vec<u8> {
    let mut writer = builder.flexible(true).from_writer(Vec::new());
    for (i, table) in tables(report, f).iter().enumerate() {
        let title = format!("Tableau {} – {}", i + 1, table.title);
        // Writing to a Vec cannot fail.
        let write = |w: &mut passerelle_csv::Writer<Vec<u8>>, record: &[String]| {
            w.write_record(record).expect("writing to memory");
        };
        if i > 0 {
            write(&mut writer, &[String::new()]);
        }
        write(&mut writer, &[title]);
        write(&mut writer, &table.header);
        for row in &table.rows {
            write(&mut writer, row);
        }
        for note in &table.notes {
            write(&mut writer, std::slice::from_ref(note));
        }
    }
    writer.into_bytes()
}

pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("a report is plain data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_numbers() {
        let f = NumberFormat {
            decimal_comma: true,
            min_cell: 0,
        };
        assert_eq!(f.count_percent(22, 22.0 * 100.0 / 178.0), "22 (12,4 %)");
        let publication = NumberFormat { min_cell: 5, ..f };
        assert_eq!(publication.count_percent(4, 2.2), "< 5");
        assert_eq!(publication.count_percent(0, 0.0), "0 (0,0 %)");
        assert_eq!(publication.count_percent(5, 2.8), "5 (2,8 %)");
        assert_eq!(f.number(0.125, 2), "0,13", "halves away from zero");
        assert_eq!(f.number(-0.0001, 2), "0,00", "no negative zero");
        assert_eq!(f.p(0.0004), "p < 0,001");
        assert_eq!(f.p(0.0936), "p = 0,094");
        assert_eq!(NumberFormat::default().percent(57.865), "57.9 %");
    }
}
