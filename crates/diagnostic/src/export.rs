//! The portrait's tables as CSV (UTF-8, `,`-separated, one header row) and
//! its communes as GeoJSON. A figure that is not loaded is an empty cell
//! (`null` in JSON): never a zero.

use serde_json::{Value, json};

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
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("in-memory write");
    for row in rows {
        w.write_record(&row).expect("in-memory write");
    }
    w.into_inner().expect("in-memory write")
}

pub const COMMUNE_COLUMNS: [&str; 21] = [
    "rang_priorite",
    "code_insee",
    "nom",
    "departement",
    "epci",
    "population",
    "latitude",
    "longitude",
    "fragilite_portrea",
    "fragilite_sans_double_compte",
    "minima_sociaux",
    "demandeurs_emploi",
    "demarches_complexes",
    "chomeurs_15_64_recensement",
    "score_ifn",
    "lieux_service",
    "heures_semaine",
    "distance_km",
    "temps_route_estime_min",
    "temps_route_min",
    "non_couverte",
];

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
        num(r.fragility),
        num(r.fragility_deduplicated),
        num(r.minima_sociaux),
        num(r.job_seekers),
        num(r.complex_procedures),
        num(r.census_unemployed_15_64),
        num(r.ifn_score),
        r.places.to_string(),
        num(Some(r.hours_per_week)),
        num(r.nearest_km),
        num(r.road_minutes_estimated),
        num(r.road_minutes),
        if r.uncovered { "oui" } else { "non" }.into(),
    ]
}

/// One row per commune, highest priority first.
pub fn communes_csv(p: &Portrait) -> Vec<u8> {
    write(&COMMUNE_COLUMNS, p.communes.iter().map(commune_cells))
}

pub const TERRITORY_COLUMNS: [&str; 20] = [
    "role",
    "territoire",
    "nom",
    "communes",
    "population",
    "fragilite_portrea",
    "taux_fragilite",
    "demarches_complexes",
    "taux_demarches_complexes",
    "taux_chomage_recensement",
    "score_ifn",
    "lieux_service",
    "lieux_pour_10000_hab",
    "heures_semaine_pour_10000_personnes_fragiles",
    "part_population_commune_avec_lieu",
    "distance_moyenne_km",
    "part_population_a_moins_de_n_km",
    "part_population_a_moins_de_m_min_estime",
    "part_population_a_moins_de_m_min_route",
    "communes_non_couvertes",
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
        num(n.fragility.value.filter(|_| n.fragility.complete())),
        num(n.fragility_rate),
        num(n
            .complex_procedures
            .value
            .filter(|_| n.complex_procedures.complete())),
        num(n.complex_procedures_rate),
        num(n.census_unemployment_rate),
        num(n.ifn_score),
        s.places_for_service.to_string(),
        num(s.places_per_10000_inhabitants),
        num(s.hours_per_week_per_10000_in_need),
        num(c.share_population_in_commune),
        num(c.mean_distance_km),
        num(c.share_within_km),
        num(c.share_within_minutes_estimated),
        num(c.share_within_minutes_road),
        c.uncovered_communes.to_string(),
    ]
}

/// The territory, its sub-territories (by priority) and its département
/// and région, one row each.
pub fn territories_csv(p: &Portrait) -> Vec<u8> {
    let rows = std::iter::once(territory_cells("territoire", &p.summary))
        .chain(
            p.subterritories
                .iter()
                .map(|s| territory_cells("sous-territoire", s)),
        )
        .chain(
            p.comparison
                .iter()
                .map(|s| territory_cells("comparaison", s)),
        );
    write(&TERRITORY_COLUMNS, rows)
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
