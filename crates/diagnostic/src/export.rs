//! The portrait's tables as CSV (UTF-8, `,`-separated, one header row) or
//! as one XLSX workbook, and its communes as GeoJSON. A figure that is not
//! loaded is an empty cell (`null` in JSON): never a zero.

use serde_json::{Value, json};

use crate::needs::Figure;
use crate::portrait::{CommuneRow, Portrait, Summary};

fn num(v: Option<f64>) -> String {
    v.map(|v| {
        // `+ 0.0` turns a negative zero into zero.
        let rounded = (v * 10_000.0).round() / 10_000.0 + 0.0;
        rounded.to_string()
    })
    .unwrap_or_default()
}

fn write(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = passerelle_csv::Writer::in_memory();
    w.write_record(header).expect("in-memory write");
    for row in rows {
        w.write_record(&row).expect("in-memory write");
    }
    w.into_bytes()
}

pub const COMMUNE_COLUMNS: [&str; 27] = [
    "rang_priorite",
    "code_insee",
    "nom",
    "departement",
    "epci",
    "population",
    "latitude",
    "longitude",
    "score_fragilite_portrea",
    "taux_fragilite",
    "fragilite_somme_simple",
    "allocataires_caf_aah_ppa_rsa",
    "demandeurs_emploi_abcde",
    "score_exposition_portrea",
    "taux_exposition",
    "exposition_parts_secretes",
    "chomeurs_15_64_recensement",
    "score_ifn",
    "lieux_service",
    "heures_semaine",
    "distance_km",
    "temps_route_estime_min",
    "temps_route_min",
    "non_couverte",
    "recherches_lieux",
    "recherches_sans_resultat",
    "iris",
];

fn value(f: Option<Figure>) -> String {
    num(f.map(|f| f.value))
}

/// A count of searches under the small-cell rule: fewer than 5 is written
/// `<5`, never exactly.
pub fn small_cell(n: u32) -> String {
    if n == 0 {
        "0".into()
    } else if n < crate::unmet::SMALL_CELL {
        format!("<{}", crate::unmet::SMALL_CELL)
    } else {
        n.to_string()
    }
}

fn commune_cells(r: &CommuneRow) -> Vec<String> {
    vec![
        r.rank.map(|k| k.to_string()).unwrap_or_default(),
        r.code.clone(),
        r.nom.clone(),
        r.departement.clone(),
        r.epci.clone().unwrap_or_default(),
        r.population.to_string(),
        num(r.latitude),
        num(r.longitude),
        value(r.fragility),
        num(r.fragility_rate),
        value(r.fragility_plain_sum),
        value(r.caf_minima),
        value(r.job_seekers_abcde),
        value(r.exposure),
        num(r.exposure_rate),
        r.exposure.map(|e| e.secret.to_string()).unwrap_or_default(),
        num(r.census_unemployed_15_64),
        num(r.ifn_score),
        r.places.to_string(),
        num(Some(r.hours_per_week)),
        num(r.nearest_km),
        num(r.road_minutes_estimated),
        num(r.road_minutes),
        if r.uncovered { "oui" } else { "non" }.into(),
        r.searches.map(|s| small_cell(s.total)).unwrap_or_default(),
        r.searches
            .map(|s| small_cell(s.without_result))
            .unwrap_or_default(),
        r.iris.to_string(),
    ]
}

/// One row per commune, highest priority first.
pub fn communes_csv(p: &Portrait) -> Vec<u8> {
    write(&COMMUNE_COLUMNS, p.communes.iter().map(commune_cells))
}

pub const ACCESS_COLUMNS: [&str; 9] = [
    "service",
    "population",
    "part_population_commune_avec_lieu",
    "part_personnes_fragiles_commune_avec_lieu",
    "distance_moyenne_km",
    "part_population_a_moins_de_n_km",
    "part_population_a_moins_de_m_min_estime",
    "part_population_a_moins_de_m_min_route",
    "communes_non_couvertes",
];

fn access_rows(p: &Portrait) -> impl Iterator<Item = Vec<String>> + '_ {
    p.coverage_by_service.iter().map(|c| {
        vec![
            c.service.clone().unwrap_or_else(|| "Tous services".into()),
            c.population.to_string(),
            num(c.share_population_in_commune),
            num(c.share_in_need_in_commune),
            num(c.mean_distance_km),
            num(c.share_within_km),
            num(c.share_within_minutes_estimated),
            num(c.share_within_minutes_road),
            c.uncovered_communes.to_string(),
        ]
    })
}

/// Access to each service (first: any service).
pub fn access_csv(p: &Portrait) -> Vec<u8> {
    write(&ACCESS_COLUMNS, access_rows(p))
}

fn offer_rows(p: &Portrait) -> Vec<Vec<String>> {
    let o = &p.summary.offer;
    [
        ("service", &o.by_service),
        ("dispositif", &o.by_programme),
        ("frais", &o.by_fees),
        ("accompagnement", &o.by_modality),
    ]
    .into_iter()
    .flat_map(|(what, map)| {
        map.iter()
            .map(move |(k, v)| vec![what.to_string(), k.clone(), v.to_string()])
    })
    .collect()
}

/// A sheet: name, header, rows.
type Sheet<'a> = (&'a str, Vec<&'a str>, Vec<Vec<String>>);

/// Every table of the portrait in one workbook: communes, territories,
/// access by service, offer. Codes stay text; figures are numbers; a
/// figure not loaded is an empty cell.
pub fn xlsx(p: &Portrait) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let text_columns = [
        "code_insee",
        "nom",
        "departement",
        "epci",
        "role",
        "territoire",
        "service",
        "quoi",
        "valeur",
    ];
    let sheets: Vec<Sheet> = vec![
        (
            "Communes",
            COMMUNE_COLUMNS.to_vec(),
            p.communes.iter().map(commune_cells).collect(),
        ),
        (
            "Territoires",
            TERRITORY_COLUMNS.to_vec(),
            territory_rows(p).collect(),
        ),
        (
            "Accès par service",
            ACCESS_COLUMNS.to_vec(),
            access_rows(p).collect(),
        ),
        ("Offre", vec!["quoi", "valeur", "lieux"], offer_rows(p)),
    ];
    for (name, header, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(name)?;
        for (c, h) in header.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c16) = (r as u32 + 1, c as u16);
                match cell.parse::<f64>() {
                    _ if cell.is_empty() => {}
                    Ok(v) if !text_columns.contains(&header[c]) => {
                        sheet.write_number(r, c16, v)?;
                    }
                    _ => {
                        sheet.write_string(r, c16, cell)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
    }
    book.save_to_buffer()
}

pub const TERRITORY_COLUMNS: [&str; 27] = [
    "role",
    "territoire",
    "nom",
    "communes",
    "population",
    "score_fragilite_portrea",
    "taux_fragilite",
    "fragilite_somme_simple",
    "score_exposition_portrea",
    "taux_exposition",
    "exposition_parts_secretes",
    "taux_chomage_recensement",
    "score_ifn",
    "lieux_service",
    "lieux_pour_10000_hab",
    "heures_semaine_pour_10000_hab",
    "heures_semaine_pour_10000_personnes_fragiles",
    "part_population_commune_avec_lieu",
    "distance_moyenne_km",
    "part_population_a_moins_de_n_km",
    "part_population_a_moins_de_m_min_estime",
    "part_population_a_moins_de_m_min_route",
    "communes_non_couvertes",
    "accompagnements_un_an",
    "accompagnements_pour_1000_hab",
    "accompagnements_pour_1000_fragiles",
    "recherches_sans_resultat",
];

fn territory_cells(role: &str, s: &Summary) -> Vec<String> {
    let n = &s.needs;
    let c = &s.coverage;
    vec![
        role.into(),
        s.key.clone(),
        s.label.clone(),
        s.communes.to_string(),
        n.population.to_string(),
        num(n.fragility.complete_value()),
        num(n.fragility_rate),
        num(n.fragility_plain_sum.complete_value()),
        num(n.exposure.complete_value()),
        num(n.exposure_rate),
        n.exposure
            .value
            .map(|_| n.exposure.secret.to_string())
            .unwrap_or_default(),
        num(n.census_unemployment_rate),
        num(n.ifn_score),
        s.places_for_service.to_string(),
        num(s.places_per_10000_inhabitants),
        num(s.hours_per_week_per_10000_inhabitants),
        num(s.hours_per_week_per_10000_in_need),
        num(c.share_population_in_commune),
        num(c.mean_distance_km),
        num(c.share_within_km),
        num(c.share_within_minutes_estimated),
        num(c.share_within_minutes_road),
        c.uncovered_communes.to_string(),
        s.activity
            .as_ref()
            .map(|a| a.records.to_string())
            .unwrap_or_default(),
        num(s.activity.as_ref().and_then(|a| a.per_1000_inhabitants)),
        num(s.activity.as_ref().and_then(|a| a.per_1000_in_need)),
        s.searches
            .map(|x| small_cell(x.without_result))
            .unwrap_or_default(),
    ]
}

/// The territory, its sub-territories (by priority) and its département
/// and région, one row each.
fn territory_rows(p: &Portrait) -> impl Iterator<Item = Vec<String>> + '_ {
    let part = |role: &'static str| move |s: &Summary| territory_cells(role, s);
    std::iter::once(territory_cells("territoire", &p.summary))
        .chain(p.subterritories.iter().map(part("sous-territoire")))
        .chain(p.comparison.iter().map(part("comparaison")))
}

/// The territory table (see `territory_rows`).
pub fn territories_csv(p: &Portrait) -> Vec<u8> {
    write(&TERRITORY_COLUMNS, territory_rows(p))
}

/// The communes as GeoJSON points (their centres) with every indicator of
/// the commune table as properties; communes without a centre are left out.
pub fn communes_geojson(p: &Portrait) -> Value {
    let features: Vec<Value> = p
        .communes
        .iter()
        .filter_map(|r| {
            let (lat, lng) = (r.latitude?, r.longitude?);
            Some(json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lng, lat]},
                "properties": r,
            }))
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}
