//! The Coop de la médiation numérique's activity export, rebuilt from its
//! writer's code for tests: headers, cell values and the lines above the
//! table exactly as each version of `buildActivitesWorksheet.ts` /
//! `buildAccompagnementsWorksheet.ts` (repository
//! `inclusion-numerique/coop-mediation-numerique`) writes them, with the
//! label tables of the same date; then written as the Coop writes it
//! (XLSX, a date cell `dd/mm/yyyy`, numbers as numbers, a table over the
//! data) or as a spreadsheet saves it as CSV (`,` or `;`, CRLF or LF,
//! lines padded to the sheet's width).
//!
//! Shared by the tests of `passerelle-activities`, the store and the CLI
//! (`#[path]`), so that no generated file is committed.
#![allow(dead_code)]

use chrono::{NaiveDate, NaiveDateTime};

/// A version of the builder (commit, date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builder {
    /// `buildActivitesWorksheet` at 7b63bce2 (2024-09-10); labels of
    /// `cra.ts` at 7b63bce2 and `beneficiaire.ts` at cbacf719.
    Sep2024,
    /// At 2e3ae470 (2024-11-13): the "poursuivre" column gone; ages of
    /// d8cac10f (`12 - 18 ans`).
    Nov2024,
    /// At 32ba691c (2025-04-28) → 3f0c614d (2025-05-28): the header keeps
    /// `La démarche est-elle finalisée ?`, the lines no longer write it.
    May2025,
    /// At dcbbabd3 (2025-07-23; layout of 80573c44, 2025-06-11): one level
    /// column, `Lieu` as `Nom, CP Commune`, `Tags`.
    Jul2025,
    /// `buildAccompagnementsWorksheet` at 2c0310c9 (2025-09-08) and after:
    /// one line per person, `ID CRA`, `Source de la donnée` when the
    /// mediator has CRA v1 records; the labels of the repository's last
    /// commit read (46aa33bd, 2026-06-30).
    Sep2025,
}

/// Who exports: the mediator themself, or a coordinator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exporter {
    Mediator,
    Coordinator,
}

#[derive(Debug, Clone)]
pub struct Commune {
    pub nom: &'static str,
    pub code_postal: &'static str,
    pub code_insee: &'static str,
}

pub const QUIMPER: Commune = Commune {
    nom: "Quimper",
    code_postal: "29000",
    code_insee: "29232",
};
pub const RENNES: Commune = Commune {
    nom: "Rennes",
    code_postal: "35000",
    code_insee: "35238",
};
pub const BREST: Commune = Commune {
    nom: "Brest",
    code_postal: "29200",
    code_insee: "29019",
};
/// Outside Bretagne.
pub const AMBERIEU: Commune = Commune {
    nom: "Ambérieu-en-Bugey",
    code_postal: "01500",
    code_insee: "01004",
};

#[derive(Debug, Clone)]
pub struct Structure {
    pub nom: &'static str,
    pub adresse: &'static str,
    pub commune: Commune,
}

/// A person accompanied (`Beneficiaire`); enum values are the Coop's keys.
#[derive(Debug, Clone, Default)]
pub struct Beneficiaire {
    pub prenom: Option<&'static str>,
    pub nom: Option<&'static str>,
    pub commune: Option<Commune>,
    pub genre: Option<&'static str>,
    pub tranche_age: Option<&'static str>,
    pub statut_social: Option<&'static str>,
}

impl Beneficiaire {
    pub fn anonyme(age: Option<&'static str>, statut: Option<&'static str>) -> Self {
        Self {
            tranche_age: age,
            statut_social: statut,
            ..Self::default()
        }
    }

    /// `getBeneficiaireDisplayName`.
    fn display_name(&self) -> String {
        match (self.prenom, self.nom) {
            (None, None) => "Participant anonyme".into(),
            (p, n) => format!("{} {}", p.unwrap_or(""), n.unwrap_or(""))
                .trim()
                .to_string(),
        }
    }
}

/// An activity (`ActiviteListItem`); enum values are the Coop's keys.
#[derive(Debug, Clone)]
pub struct Activite {
    pub id: &'static str,
    pub date: NaiveDate,
    pub creation: NaiveDateTime,
    pub modification: NaiveDateTime,
    pub type_activite: &'static str,
    pub type_lieu: &'static str,
    pub structure: Option<Structure>,
    pub lieu: Option<Commune>,
    pub duree: u32,
    pub titre_atelier: Option<&'static str>,
    pub materiel: Vec<&'static str>,
    pub thematiques: Vec<&'static str>,
    pub tags: Vec<&'static str>,
    pub precisions_demarche: Option<&'static str>,
    pub autonomie: Option<&'static str>,
    pub niveau: Option<&'static str>,
    pub notes: Option<&'static str>,
    pub oriente_vers_structure: Option<bool>,
    pub structure_de_redirection: Option<&'static str>,
    pub accompagnements: Vec<Beneficiaire>,
    /// Migrated from CRA v1 (`v1CraId` set).
    pub v1: bool,
    pub mediateur: (&'static str, &'static str, bool),
}

/// A cell as exceljs writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
}

fn t(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// `Activités` sheet rows: the lines about the export, an empty line,
/// the table's header, then the data.
pub struct Sheet {
    pub rows: Vec<Vec<Cell>>,
    /// Row (0-based) of the table's header.
    pub header_row: usize,
}

// Label tables, by date (`cra.ts`, `beneficiaire.ts`, then the
// `features/activites/use-cases/cra/fields/*.ts` files).

fn type_activite(b: Builder, key: &str) -> &'static str {
    match key {
        "Individuel" => "Accompagnement individuel",
        "Collectif" => "Atelier collectif",
        "Demarche" if matches!(b, Builder::Sep2024 | Builder::Nov2024) => {
            "Aide aux démarches administratives"
        }
        other => panic!("no type {other} in {b:?}"),
    }
}

fn type_lieu(key: &str) -> &'static str {
    match key {
        "LieuActivite" => "Lieu d’activité",
        "Autre" => "Autre lieu",
        "Domicile" => "À domicile",
        "ADistance" => "À distance",
        other => panic!("{other}"),
    }
}

fn materiel(b: Builder, key: &str) -> &'static str {
    match key {
        "Ordinateur" => "Ordinateur",
        "Telephone" => "Téléphone",
        "Tablette" => "Tablette",
        "Autre" if b == Builder::Sep2024 => "Autre matériel",
        "Autre" => "Autre",
        "Aucun" => "Pas de matériel",
        other => panic!("{other}"),
    }
}

fn thematique(b: Builder, key: &str) -> &'static str {
    let old = matches!(b, Builder::Sep2024 | Builder::Nov2024);
    match key {
        "DiagnosticNumerique" if !old => "Diagnostic numérique",
        "PrendreEnMainDuMateriel" => "Prendre en main du matériel",
        "NavigationSurInternet" => "Navigation sur internet",
        "Email" => "E-mail",
        "Bureautique" => "Bureautique",
        "Entrepreneuriat" if old => "Entrepreneuriat",
        "Entrepreneuriat" => "Accompagner un professionnel",
        "SecuriteNumerique" => "Prévention en sécurité numérique",
        "Sante" => "Santé",
        "AideAuxDemarchesAdministratives" if !old => "Aide aux démarches administratives",
        // `thematiquesDemarche` (2024) then administrative themes.
        "PapiersElectionsCitoyennete" if b == Builder::Sep2025 => {
            "Papiers - Élections - Citoyenneté"
        }
        "PapiersElectionsCitoyennete" => "Papiers - Élections Citoyenneté",
        "TravailFormation" if old || b == Builder::May2025 => "Travail - Formation",
        "TravailFormation" => "Travail - Formation - Entreprise",
        "FamilleScolarite" => "Famille - Scolarité",
        other => panic!("no theme {other} in {b:?}"),
    }
}

fn structure_redirection(b: Builder, key: &str) -> &'static str {
    let new = matches!(b, Builder::Jul2025 | Builder::Sep2025);
    match key {
        "Administration" if new => "Administration (mairie, préfecture…)",
        "Administration" => "Administration (collectivité locale, préfecture…)",
        "MediationNumerique" if new => "Autre structure de médiation numérique",
        "MediationNumerique" => "Structure de médiation numérique",
        "AideAuxDemarchesAdministratives" => {
            "Structure d’aide aux démarches administratives (France Services…)"
        }
        "OperateurOuOrganismeEnCharge" => {
            "Opérateur ou organisme en charge de la démarche administrative"
        }
        "AideSociale" if new => "Structure d’aide sociale (maison des solidarités, centre social…)",
        "Autre" => "Autre",
        other => panic!("no redirection {other} in {b:?}"),
    }
}

fn genre(key: Option<&str>) -> &'static str {
    match key.unwrap_or("NonCommunique") {
        "Masculin" => "Masculin",
        "Feminin" => "Féminin",
        _ => "Non communiqué",
    }
}

fn tranche_age(b: Builder, key: Option<&str>) -> &'static str {
    match (b, key.unwrap_or("NonCommunique")) {
        (_, "NonCommunique") => "Non communiqué",
        (Builder::Sep2024, "Mineur") => "Mineur(e)",
        (Builder::Nov2024, "DouzeDixHuit") => "12 - 18 ans",
        (Builder::Nov2024 | Builder::Sep2024, "SoixanteDixPlus") => "70 ans et plus",
        (_, "MoinsDeDouze") if b != Builder::Sep2024 => "Moins de 12 ans",
        (_, "DouzeDixHuit") if b != Builder::Sep2024 => "12 - 17 ans",
        (_, "DixHuitVingtQuatre") => "18 - 24 ans",
        (_, "VingtCinqTrenteNeuf") => "25 - 39 ans",
        (_, "QuaranteCinquanteNeuf") => "40 - 59 ans",
        (_, "SoixanteSoixanteNeuf") => "60 - 69 ans",
        (_, "SoixanteDixPlus") => "70 ans et plus",
        (b, other) => panic!("no age {other} in {b:?}"),
    }
}

fn statut_social(key: Option<&str>) -> &'static str {
    match key.unwrap_or("NonCommunique") {
        "Retraite" => "Retraité",
        "SansEmploi" => "Sans emploi",
        "EnEmploi" => "En emploi",
        "Scolarise" => "Scolarisé",
        _ => "Non communiqué ou hétérogène",
    }
}

fn stars(key: &str) -> u32 {
    match key {
        "EntierementAccompagne" | "Debutant" => 1,
        "PartiellementAutonome" | "Intermediaire" => 2,
        _ => 3,
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "Oui" } else { "Non" }
}

/// `format(date, "dd/MM/yyyy 'à' HH:mm")`.
fn fr_datetime(t: NaiveDateTime) -> String {
    t.format("%d/%m/%Y à %H:%M").to_string()
}

/// The sheet a version of the builder writes for these activities.
pub fn build(
    b: Builder,
    exporter: Exporter,
    has_cra_v1: bool,
    activites: &[Activite],
    generated: NaiveDateTime,
) -> Sheet {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let coordinator = exporter == Exporter::Coordinator;
    let (nom, prenom, role) = if coordinator {
        ("Coordinatrice", "Claire", "Coordinateur")
    } else {
        ("Médiatrice", "Marie", "Médiateur")
    };
    let total = if b == Builder::Sep2025 {
        activites.iter().map(|a| a.accompagnements.len()).sum()
    } else {
        activites.len()
    };
    // addExportMetadata, addFilters.
    rows.push(vec![t("Informations export")]);
    rows.push(vec![t("Nom"), t(nom)]);
    rows.push(vec![t("Prénom"), t(prenom)]);
    rows.push(vec![t("Rôle"), t(role)]);
    rows.push(vec![t("Total"), Cell::Number(total as f64)]);
    rows.push(vec![
        t("Date d’export"),
        t(generated.format("%d/%m/%Y").to_string()),
    ]);
    rows.push(vec![
        t("Heure d’export"),
        t(generated.format("%H:%M").to_string()),
    ]);
    rows.push(vec![]);
    rows.push(vec![t("Filtres")]);
    rows.push(vec![t("Période"), t("-")]);
    rows.push(vec![t("Lieux d’accompagnement"), t("-")]);
    rows.push(vec![t("Communes"), t("-")]);
    rows.push(vec![t("Type d’accompagnement"), t("-")]);
    if coordinator && b != Builder::Sep2025 {
        rows.push(vec![t("Médiateur"), t("Marie Médiatrice")]);
    }
    rows.push(vec![t("")]);
    let header_row = rows.len();
    let self_export = !coordinator;
    let mut headers: Vec<&str> = vec!["Date"];
    match b {
        Builder::Sep2025 => {
            headers.extend(["Enregistré le", "Dernière modification le"]);
            if !self_export {
                headers.extend([
                    "Prénom du médiateur",
                    "Nom du médiateur",
                    "Rôle",
                    "ID - Conum",
                ]);
            }
            headers.extend(["Type", "Participants"]);
            if self_export {
                headers.push("Bénéficiaire");
            }
            headers.extend([
                "Canaux d’accompagnement",
                "Nom du lieu",
                "Adresse",
                "Commune",
                "Code postal",
                "Code Insee",
            ]);
        }
        _ => headers.extend([
            "Type",
            "Nombre de participants",
            "Bénéficiaire",
            "Canaux d’accompagnement",
            "Lieu",
        ]),
    }
    headers.extend([
        "Durée (min)",
        "Nom de l’atelier",
        "Matériel numérique utilisé",
        "Thématique(s) d’accompagnement",
    ]);
    if matches!(b, Builder::Jul2025 | Builder::Sep2025) {
        headers.push("Tags");
    }
    headers.push("Nom de la démarche administrative");
    match b {
        Builder::Sep2024 | Builder::Nov2024 | Builder::May2025 => headers.extend([
            "Niveau d’autonomie du bénéficiaire",
            "Niveau de l’atelier",
            "Le bénéficiaire est-il orienté vers une autre structure ?",
            "La démarche est-elle finalisée ?",
            "Structure de redirection",
        ]),
        _ => headers.extend([
            "Niveau d’autonomie (ou de l’atelier)",
            "Bénéficiaire réorienté",
            "Structure de redirection",
        ]),
    }
    if b == Builder::Sep2024 {
        headers.push("Le bénéficiaire va-t-il poursuivre son parcours d’accompagnement ?");
    }
    if b == Builder::Sep2025 {
        headers.extend([
            "Commune du bénéficiaire",
            "Code postal du bénéficiaire",
            "Code Insee du bénéficiaire",
        ]);
    } else {
        headers.push("Commune de résidence du bénéficiaire");
    }
    headers.extend([
        "Genre du bénéficiaire",
        "Tranche d’âge du bénéficiaire",
        "Statut du bénéficiaire",
    ]);
    if self_export || b != Builder::Sep2025 {
        headers.push("Notes supplémentaires");
    }
    if b == Builder::Sep2025 {
        if has_cra_v1 {
            headers.push("Source de la donnée");
        }
        headers.push("ID CRA");
    }
    rows.push(headers.iter().map(|h| t(*h)).collect());

    for a in activites {
        let level = match (a.autonomie, a.niveau) {
            (Some(k), _) | (None, Some(k)) => format!("{}/3", stars(k)),
            _ => String::new(),
        };
        let oriente = a.oriente_vers_structure.map_or("", yes_no);
        let redirection = a
            .structure_de_redirection
            .map_or("", |k| structure_redirection(b, k));
        let themes = a
            .thematiques
            .iter()
            .map(|k| thematique(b, k))
            .collect::<Vec<_>>()
            .join("\n");
        let materiel = a
            .materiel
            .iter()
            .map(|k| materiel(b, k))
            .collect::<Vec<_>>()
            .join("\n");
        let notes = a.notes.unwrap_or("");
        if b == Builder::Sep2025 {
            let n = a.accompagnements.len();
            let place = |f: fn(&Commune) -> &'static str| {
                a.structure
                    .as_ref()
                    .map(|s| f(&s.commune))
                    .or(a.lieu.as_ref().map(f))
                    .unwrap_or("")
            };
            for (i, p) in a.accompagnements.iter().enumerate() {
                let mut row = vec![
                    Cell::Date(a.date),
                    t(fr_datetime(a.creation)),
                    t(if a.creation == a.modification {
                        String::new()
                    } else {
                        fr_datetime(a.modification)
                    }),
                ];
                if !self_export {
                    row.extend([
                        t(a.mediateur.0),
                        t(a.mediateur.1),
                        t(if a.mediateur.2 {
                            "Conseiller Numérique"
                        } else {
                            "Médiateur"
                        }),
                        Cell::Bool(a.mediateur.2),
                    ]);
                }
                row.push(t(type_activite(b, a.type_activite)));
                row.push(if n == 1 {
                    Cell::Number(1.0)
                } else {
                    t(format!("{}/{n}", i + 1))
                });
                if self_export {
                    row.push(t(p.display_name()));
                }
                row.extend([
                    t(type_lieu(a.type_lieu)),
                    t(a.structure.as_ref().map_or("", |s| s.nom)),
                    t(a.structure.as_ref().map_or("", |s| s.adresse)),
                    t(place(|c| c.nom)),
                    t(place(|c| c.code_postal)),
                    t(place(|c| c.code_insee)),
                    Cell::Number(f64::from(a.duree)),
                    t(a.titre_atelier.unwrap_or("")),
                    t(materiel.clone()),
                    t(themes.clone()),
                    t(a.tags.join("\n")),
                    t(a.precisions_demarche.unwrap_or("")),
                    t(level.clone()),
                    t(oriente),
                    t(redirection),
                    t(p.commune.as_ref().map_or("", |c| c.nom)),
                    t(p.commune.as_ref().map_or("", |c| c.code_postal)),
                    t(p.commune.as_ref().map_or("", |c| c.code_insee)),
                    t(genre(p.genre)),
                    t(tranche_age(b, p.tranche_age)),
                    t(statut_social(p.statut_social)),
                ]);
                if self_export {
                    row.push(t(if i == 0 { notes } else { "" }));
                }
                if has_cra_v1 {
                    row.push(t(if a.v1 {
                        "Espace coop (V1)"
                    } else {
                        "La Coop de la médiation numérique (V2)"
                    }));
                }
                row.push(t(a.id));
                rows.push(row);
            }
            continue;
        }
        // One line per activity; the people one per line in their cells.
        let list = |f: &dyn Fn(&Beneficiaire) -> String| {
            a.accompagnements
                .iter()
                .map(f)
                .collect::<Vec<_>>()
                .join("\n")
        };
        let lieu = {
            let commune = a
                .structure
                .as_ref()
                .map(|s| &s.commune)
                .or(a.lieu.as_ref())
                .map(|c| format!("{} {}", c.code_postal, c.nom))
                .unwrap_or_default();
            match (&a.structure, a.type_lieu) {
                (Some(s), _) => format!("{}, {commune}", s.nom),
                (None, "ADistance") if b == Builder::Jul2025 => {
                    format!("Structure employeuse : Médiathèque de Quimper, {commune}")
                }
                _ => commune,
            }
        };
        let mut row = vec![
            Cell::Date(a.date),
            t(type_activite(b, a.type_activite)),
            Cell::Number(a.accompagnements.len() as f64),
            t(list(&|p| p.display_name())),
            t(type_lieu(a.type_lieu)),
            t(lieu),
            Cell::Number(f64::from(a.duree)),
            t(a.titre_atelier.unwrap_or("")),
            t(materiel.clone()),
            t(themes.clone()),
        ];
        if b == Builder::Jul2025 {
            row.push(t(a.tags.join("\n")));
        }
        row.push(t(a.precisions_demarche.unwrap_or("")));
        match b {
            Builder::Sep2024 | Builder::Nov2024 | Builder::May2025 => {
                row.push(t(a
                    .autonomie
                    .map_or(String::new(), |k| format!("{}/3", stars(k)))));
                row.push(t(a
                    .niveau
                    .map_or(String::new(), |k| format!("{}/3", stars(k)))));
                row.push(t(oriente));
                // Written until 32ba691c; from then on the header only.
                if b != Builder::May2025 {
                    row.push(t(""));
                }
                row.push(t(redirection));
            }
            _ => {
                row.push(t(level.clone()));
                row.push(t(oriente));
                row.push(t(redirection));
            }
        }
        if b == Builder::Sep2024 {
            row.push(t(list(&|_| "-".to_string())));
        }
        row.extend([
            t(list(&|p| {
                p.commune
                    .as_ref()
                    .map_or("-".to_string(), |c| format!("{} {}", c.code_postal, c.nom))
            })),
            t(list(&|p| genre(p.genre).to_string())),
            t(list(&|p| tranche_age(b, p.tranche_age).to_string())),
            t(list(&|p| statut_social(p.statut_social).to_string())),
            t(notes),
        ]);
        rows.push(row);
    }
    Sheet { rows, header_row }
}

/// The workbook as the Coop sends it: one sheet `Activités`, the table
/// over the header and data, dates as date cells.
pub fn to_xlsx(sheet: &Sheet) -> Vec<u8> {
    use rust_xlsxwriter::{Format, Table, TableColumn, Workbook};
    let mut book = Workbook::new();
    let ws = book.add_worksheet().set_name("Activités").unwrap();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (r, row) in sheet.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                Cell::Text(s) => ws.write_string(r, c, s).map(|_| ()),
                Cell::Number(n) => ws.write_number(r, c, *n).map(|_| ()),
                Cell::Date(d) => ws.write_date_with_format(r, c, d, &date).map(|_| ()),
                Cell::Bool(b) => ws.write_boolean(r, c, *b).map(|_| ()),
            }
            .unwrap();
        }
    }
    let header = &sheet.rows[sheet.header_row];
    let columns: Vec<TableColumn> = header
        .iter()
        .map(|h| match h {
            Cell::Text(s) => TableColumn::new().set_header(s),
            _ => unreachable!(),
        })
        .collect();
    let last_row = (sheet.rows.len() - 1).max(sheet.header_row + 1) as u32;
    ws.add_table(
        sheet.header_row as u32,
        0,
        last_row,
        (header.len() - 1) as u16,
        &Table::new().set_columns(&columns),
    )
    .unwrap();
    book.save_to_buffer().unwrap()
}

/// The sheet saved as CSV by a spreadsheet: dates `dd/mm/yyyy`, every line
/// padded to the sheet's width, cells quoted when they must be.
pub fn to_csv(sheet: &Sheet, delimiter: char, crlf: bool) -> Vec<u8> {
    let width = sheet.rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = String::new();
    for row in &sheet.rows {
        let cells: Vec<String> = (0..width)
            .map(|i| {
                let text = match row.get(i) {
                    None => String::new(),
                    Some(Cell::Text(s)) => s.clone(),
                    Some(Cell::Number(n)) => n.to_string(),
                    Some(Cell::Date(d)) => d.format("%d/%m/%Y").to_string(),
                    Some(Cell::Bool(b)) => if *b { "VRAI" } else { "FAUX" }.to_string(),
                };
                if text.contains([delimiter, '"', '\n', '\r']) {
                    format!("\"{}\"", text.replace('"', "\"\""))
                } else {
                    text
                }
            })
            .collect();
        out.push_str(&cells.join(&delimiter.to_string()));
        out.push_str(if crlf { "\r\n" } else { "\n" });
    }
    out.into_bytes()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    day(y, m, d).and_hms_opt(h, min, 0).unwrap()
}

/// A month of a mediator's activities, in the Coop's terms, dated in the
/// builder's time: an individual accompaniment at a place with a named
/// person and notes; a workshop of five elsewhere; one remote; one at
/// home; (from September 2025) a workshop of three migrated from CRA v1.
pub fn activities(b: Builder) -> Vec<Activite> {
    let (y, m) = match b {
        Builder::Sep2024 => (2024, 9),
        Builder::Nov2024 => (2024, 11),
        Builder::May2025 => (2025, 5),
        Builder::Jul2025 => (2025, 7),
        Builder::Sep2025 => (2025, 9),
    };
    let old = matches!(b, Builder::Sep2024 | Builder::Nov2024);
    let young = match b {
        Builder::Sep2024 => "Mineur",
        _ => "DouzeDixHuit",
    };
    let base = Activite {
        id: "",
        date: day(y, m, 12),
        creation: at(y, m, 12, 15, 2),
        modification: at(y, m, 12, 15, 2),
        type_activite: "Individuel",
        type_lieu: "LieuActivite",
        structure: None,
        lieu: None,
        duree: 45,
        titre_atelier: None,
        materiel: vec![],
        thematiques: vec![],
        tags: vec![],
        precisions_demarche: None,
        autonomie: None,
        niveau: None,
        notes: None,
        oriente_vers_structure: None,
        structure_de_redirection: None,
        accompagnements: vec![],
        v1: false,
        mediateur: ("Marie", "Médiatrice", true),
    };
    let mut out = vec![
        Activite {
            id: "5b1e0a4c-0001-4c39-9f5e-000000000001",
            type_activite: if old { "Demarche" } else { "Individuel" },
            structure: Some(Structure {
                nom: "Médiathèque Alain-Gérard",
                adresse: "41 Quai de l’Odet",
                commune: QUIMPER,
            }),
            materiel: vec!["Ordinateur"],
            thematiques: if old {
                vec!["FamilleScolarite", "TravailFormation"]
            } else {
                vec!["AideAuxDemarchesAdministratives", "FamilleScolarite"]
            },
            tags: vec!["CAF"],
            precisions_demarche: Some("Demande de prime d’activité"),
            autonomie: Some("PartiellementAutonome"),
            notes: Some("Ne pas importer : Jeanne est suivie par l’assistante sociale"),
            oriente_vers_structure: Some(true),
            structure_de_redirection: Some("AideAuxDemarchesAdministratives"),
            accompagnements: vec![Beneficiaire {
                prenom: Some("Jeanne"),
                nom: Some("Exemple"),
                commune: Some(QUIMPER),
                genre: Some("Feminin"),
                tranche_age: Some("SoixanteSoixanteNeuf"),
                statut_social: Some("Retraite"),
            }],
            ..base.clone()
        },
        Activite {
            id: "5b1e0a4c-0002-4c39-9f5e-000000000002",
            date: day(y, m, 13),
            creation: at(y, m, 13, 9, 30),
            modification: at(y, m, 20, 11, 0),
            type_activite: "Collectif",
            type_lieu: "Autre",
            lieu: Some(RENNES),
            duree: 90,
            titre_atelier: Some("Premiers pas sur tablette"),
            materiel: vec!["Tablette", "Autre"],
            thematiques: vec!["PrendreEnMainDuMateriel"],
            niveau: Some("Debutant"),
            accompagnements: vec![
                Beneficiaire::anonyme(Some("SoixanteDixPlus"), Some("Retraite")),
                Beneficiaire::anonyme(Some("SoixanteSoixanteNeuf"), Some("Retraite")),
                Beneficiaire::anonyme(None, None),
                Beneficiaire::anonyme(Some(young), Some("Scolarise")),
                Beneficiaire::anonyme(Some("QuaranteCinquanteNeuf"), Some("EnEmploi")),
            ],
            ..base.clone()
        },
        Activite {
            id: "5b1e0a4c-0003-4c39-9f5e-000000000003",
            date: day(y, m, 14),
            creation: at(y, m, 14, 10, 0),
            modification: at(y, m, 14, 10, 0),
            type_lieu: "ADistance",
            duree: 30,
            thematiques: vec!["Email", "SecuriteNumerique"],
            autonomie: Some("Autonome"),
            oriente_vers_structure: Some(false),
            accompagnements: vec![Beneficiaire {
                prenom: Some("Paul"),
                nom: Some("Exemple"),
                genre: Some("Masculin"),
                ..Beneficiaire::default()
            }],
            ..base.clone()
        },
        Activite {
            id: "5b1e0a4c-0004-4c39-9f5e-000000000004",
            date: day(y, m, 15),
            creation: at(y, m, 15, 16, 45),
            modification: at(y, m, 15, 16, 45),
            type_lieu: "Domicile",
            lieu: Some(BREST),
            duree: 60,
            thematiques: vec!["Entrepreneuriat"],
            autonomie: Some("EntierementAccompagne"),
            oriente_vers_structure: Some(true),
            structure_de_redirection: Some("Autre"),
            accompagnements: vec![Beneficiaire::anonyme(
                Some("VingtCinqTrenteNeuf"),
                Some("SansEmploi"),
            )],
            ..base.clone()
        },
    ];
    if b == Builder::Sep2025 {
        // transformCraV1: a new id, creation = modification = the v1
        // report's created_at; anonymous people with only an age.
        out.push(Activite {
            id: "5b1e0a4c-0005-4c39-9f5e-000000000005",
            date: day(2023, 3, 16),
            creation: at(2023, 3, 20, 16, 8),
            modification: at(2023, 3, 20, 16, 8),
            type_activite: "Collectif",
            type_lieu: "Autre",
            lieu: Some(QUIMPER),
            duree: 120,
            thematiques: vec!["AideAuxDemarchesAdministratives"],
            accompagnements: vec![
                Beneficiaire::anonyme(Some("QuaranteCinquanteNeuf"), None),
                Beneficiaire::anonyme(Some("SoixanteSoixanteNeuf"), None),
                Beneficiaire::anonyme(Some("SoixanteDixPlus"), None),
            ],
            v1: true,
            ..base.clone()
        });
    }
    out
}
