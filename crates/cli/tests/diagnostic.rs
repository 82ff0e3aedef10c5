//! `passerelle diagnostic` as a user runs it, on the back-end the
//! environment selects (see `passerelle_store::testing`).

use std::process::Command;

use passerelle_store::testing::fresh_database_url;

fn diagnostic(database_url: &str, args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_passerelle"))
        .arg("diagnostic")
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("PASSERELLE_DATA_DIR")
        .output()
        .expect("run passerelle");
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../diagnostic/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[tokio::test]
async fn portrait_of_an_epci_in_csv_and_json_with_imported_indicators() {
    let url = fresh_database_url().await;
    // Rennes Métropole, 43 communes, with the bundled places.
    let service = "Aide aux démarches administratives";
    let (ok, out, err) = diagnostic(
        &url,
        &[
            "--territory",
            "epci:243500139",
            "--service",
            service,
            "--format",
            "csv",
        ],
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 44, "{out}");
    assert!(lines[0].starts_with("rang_priorite,code_insee,nom,"));
    assert!(lines[1].starts_with("1,"), "{}", lines[1]);
    // Rennes has places for the service; the fragility is not loaded.
    let rennes = lines.iter().find(|l| l.contains(",35238,Rennes,")).unwrap();
    let cells: Vec<&str> = rennes.split(',').collect();
    assert_eq!(cells[8], "", "fragility not loaded: {rennes}");
    assert!(cells[18].parse::<u32>().unwrap() > 0, "{rennes}");
    assert_eq!(cells[20], "0", "{rennes}");

    // The same with the census files: Rennes's PORTREA fragility is
    // 180 + 150 × (900 − 180) / 900.
    let (ok, out, err) = diagnostic(
        &url,
        &[
            "--territory",
            "commune:35238",
            "--indicators",
            &fixture("base-cc-evol-struct-pop-2021.csv"),
            "--indicators",
            &fixture("base-cc-diplomes-formation-2021.csv"),
        ],
    );
    assert!(ok, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["summary"]["needs"]["fragility"]["value"], 300.0);
    assert_eq!(
        json["summary"]["needs"]["fragility_plain_sum"]["value"],
        330.0
    );
    assert_eq!(
        json["summary"]["needs"]["exposure"]["value"],
        serde_json::Value::Null
    );
    let keys: Vec<&str> = json["comparison"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["dep:35", "reg:53"]);

    let (ok, out, _) = diagnostic(
        &url,
        &[
            "--territory",
            "dep:22",
            "--format",
            "csv",
            "--table",
            "territoires",
        ],
    );
    assert!(ok);
    assert!(
        out.lines()
            .nth(1)
            .unwrap()
            .starts_with("territoire,dep:22,Côtes-d'Armor,344,"),
        "{out}"
    );
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("comparaison,reg:53,Bretagne,"),
        "{out}"
    );
}

#[tokio::test]
async fn errors_are_one_line() {
    let url = fresh_database_url().await;
    for (args, expected) in [
        (
            vec!["--territory", "dep:99"],
            "aucune commune du référentiel territorial n’appartient à dep:99",
        ),
        (vec!["--territory", "35"], "n’est pas un territoire"),
        (
            vec!["--territory", "dep:35", "--service", "Jardinage"],
            "n’est pas un service du standard",
        ),
        (
            vec!["--territory", "dep:35", "--weights", "age=1"],
            "composante inconnue",
        ),
    ] {
        let (ok, _, err) = diagnostic(&url, &args);
        assert!(!ok);
        let last = err.lines().last().unwrap();
        assert!(
            last.starts_with("passerelle : erreur : ") && last.contains(expected),
            "{err}"
        );
    }
    let bad = std::env::temp_dir().join("passerelle-diagnostic-bad.csv");
    std::fs::write(&bad, "CODGEO;P21_POP65P\n35238;beaucoup\n").unwrap();
    let (ok, _, err) = diagnostic(
        &url,
        &[
            "--territory",
            "dep:35",
            "--indicators",
            bad.to_str().unwrap(),
        ],
    );
    assert!(!ok);
    assert!(
        err.contains("ligne 2, colonne « P21_POP65P » : « beaucoup » n’est pas un nombre"),
        "{err}"
    );
}

#[tokio::test]
async fn the_map_of_a_territory_as_svg() {
    let url = fresh_database_url().await;
    let (ok, out, err) = diagnostic(
        &url,
        &[
            "--territory",
            "epci:200068120",
            "--format",
            "svg",
            "--map",
            "distance",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_eq!(out.matches("<path data-code=").count(), 14);
    let (ok, _, err) = diagnostic(
        &url,
        &[
            "--territory",
            "dep:29",
            "--format",
            "svg",
            "--map",
            "couleur",
        ],
    );
    assert!(!ok && err.contains("--map « couleur »"), "{err}");
}

#[tokio::test]
async fn imported_indicators_are_kept_for_later_portraits() {
    let url = fresh_database_url().await;
    let (ok, out, err) = diagnostic(
        &url,
        &["import", &fixture("base-cc-diplomes-formation-2021.csv")],
    );
    assert!(ok, "{err}");
    assert!(
        out.starts_with("base-cc-diplomes-formation-2021.csv : INSEE, recensement de la population : diplômes et formation, millésime 2021 ; 3 lignes, 3 communes, 0 cases sous secret statistique."),
        "{out}"
    );
    let (ok, out, err) = diagnostic(
        &url,
        &[
            "import",
            &format!(
                "{}/../../data/diagnostic/extraits/caf_iris_2021_bretagne.csv",
                env!("CARGO_MANIFEST_DIR")
            ),
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("632 lignes, 97 communes, 632 IRIS"), "{out}");
    let (ok, _, err) = diagnostic(
        &url,
        &[
            "import",
            &fixture("base-cc-evol-struct-pop-2021.csv"),
            "--vintage",
            "2015",
        ],
    );
    assert!(ok, "{err}");
    let (ok, out, err) = diagnostic(&url, &["--territory", "commune:35238"]);
    assert!(ok, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    // 160 aged 65+ (census 2015) + 150 without diploma (census 2021): the
    // plain sum; PORTREA's score with the 2015 count of the 15+ (810).
    assert_eq!(
        json["summary"]["needs"]["fragility_plain_sum"]["value"],
        310.0
    );
    let sources = json["sources"].as_array().unwrap();
    assert!(sources.iter().any(|s| s["vintage"] == "2015"));
    // A bad file imports nothing.
    let bad = std::env::temp_dir().join("passerelle-diagnostic-bad-import.csv");
    std::fs::write(&bad, "CODGEO;P21_POP65P\n35238;12\n35238;3\n").unwrap();
    let (ok, _, err) = diagnostic(&url, &["import", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("ligne 3, colonne « CODGEO » : la commune 35238 figure déjà ligne 2"),
        "{err}"
    );
    let (_, out, _) = diagnostic(&url, &["--territory", "commune:35238"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["summary"]["needs"]["pop_65_plus"]["value"], 160.0);
    let (ok, _, err) = diagnostic(&url, &[]);
    assert!(!ok && err.contains("--territory est obligatoire"), "{err}");
}
