//! The conseillers numériques' activity figures per postcode (CRA export,
//! July 2023): an aggregate source, not records. Provenance:
//! `data/activities/PROVENANCE.md`.

pub const SOURCE: &str = "conseillers-numeriques-cra";
pub const AS_OF: &str = "2023-07-17";

const COLUMNS: [(&str, &str, &str); 10] = [
    ("moins_12_ans", "age", "12 ans et -"),
    ("de_12_a_18_ans", "age", "12-18 ans"),
    ("de_18_a_35_ans", "age", "18-35 ans"),
    ("de_35_a_60_ans", "age", "35-60 ans"),
    ("plus_60_ans", "age", "60 ans et +"),
    ("etudiant", "statut", "scolarisé"),
    ("sans_emploi", "statut", "sans emploi"),
    ("en_emploi", "statut", "en emploi"),
    ("retraite", "statut", "retraité"),
    ("heterogene", "statut", "hétérogène"),
];

/// `(postcode, dimension, value, people)` for every non-zero cell; errors
/// name the line and column.
pub fn parse(text: &str) -> Result<Vec<(String, &'static str, &'static str, i64)>, String> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or("fichier vide")?
        .split(',')
        .map(str::trim)
        .collect();
    let postcode = header
        .iter()
        .position(|h| *h == "code_postal")
        .ok_or("pas de colonne « code_postal »")?;
    let mut columns = Vec::new();
    for (name, dimension, value) in COLUMNS {
        let i = header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| format!("pas de colonne « {name} »"))?;
        columns.push((i, name, dimension, value));
    }
    let mut out = Vec::new();
    for (n, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let code = cells.get(postcode).copied().unwrap_or("");
        if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "ligne {}, champ « code_postal » : « {code} » n’est pas un code postal",
                n + 2
            ));
        }
        for (i, name, dimension, value) in &columns {
            let raw = cells.get(*i).copied().unwrap_or("");
            let people: f64 = if raw.is_empty() {
                0.0
            } else {
                raw.parse().map_err(|_| {
                    format!(
                        "ligne {}, champ « {name} » : « {raw} » n’est pas un nombre",
                        n + 2
                    )
                })?
            };
            if people > 0.0 {
                out.push((code.to_string(), *dimension, *value, people.round() as i64));
            }
        }
    }
    Ok(out)
}

/// The bundled Bretagne file.
pub fn bundled() -> Vec<(String, &'static str, &'static str, i64)> {
    parse(include_str!(
        "../../../data/activities/conum_cra_par_code_postal_2023-07.csv"
    ))
    .expect("the bundled file parses")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_figures_load() {
        let rows = bundled();
        let age: i64 = rows.iter().filter(|r| r.1 == "age").map(|r| r.3).sum();
        let status: i64 = rows.iter().filter(|r| r.1 == "statut").map(|r| r.3).sum();
        assert!(age > 10_000, "{age}");
        assert!(
            rows.iter().all(|r| r.0.starts_with(['2', '3', '5'])),
            "Bretagne postcodes"
        );
        assert!(status > 0);
    }

    #[test]
    fn errors_name_line_and_field() {
        let head = "code_postal,moins_12_ans,de_12_a_18_ans,de_18_a_35_ans,de_35_a_60_ans,plus_60_ans,etudiant,sans_emploi,en_emploi,retraite,heterogene";
        assert_eq!(
            parse(&format!("{head}\n2900,1,1,1,1,1,1,1,1,1,1\n")).unwrap_err(),
            "ligne 2, champ « code_postal » : « 2900 » n’est pas un code postal"
        );
        assert_eq!(
            parse(&format!("{head}\n29000,x,1,1,1,1,1,1,1,1,1\n")).unwrap_err(),
            "ligne 2, champ « moins_12_ans » : « x » n’est pas un nombre"
        );
        assert!(
            parse("code_postal\n29000\n")
                .unwrap_err()
                .contains("moins_12_ans")
        );
    }
}
