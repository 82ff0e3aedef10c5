//! Diagnostic benchmark (run by `bench/diagnostic.sh`, which also runs the
//! PostGIS side).
//!
//! Whole France: the 34,969 communes of the full-France file (real centres
//! and legal populations), synthetic needs for every commune, and 13,203
//! generated places (the national count of seed 002) drawn around commune
//! centres with the standard's vocabularies. Times, on the machine's cores:
//! nearest place for every commune and every service (9 + any), then every
//! indicator of every commune and département (every région's portrait).
//! Writes the communes, places and our nearest places to `target/` for the
//! PostGIS comparison.

use std::fmt::Write as _;
use std::time::Instant;

use passerelle_diagnostic::access::NearestTable;
use passerelle_diagnostic::geo::{CommuneGeo, Geography, Territory};
use passerelle_diagnostic::map::{
    MapIndicator, bretagne_communes, commune_map, france_departements,
};
use passerelle_diagnostic::needs::{Field, Figure, Indicators};
use passerelle_diagnostic::offer::OfferPlace;
use passerelle_diagnostic::portrait::{Analysis, Settings};
use passerelle_places::vocab;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
    fn some(&mut self, values: &[&str], min: usize, max: usize) -> Vec<String> {
        let n = min + self.below(max - min + 1);
        let mut out: Vec<String> = Vec::new();
        for _ in 0..n {
            let v = values[self.below(values.len())].to_string();
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }
}

const PLACES: usize = 13_203;
const HOURS: [&str; 4] = [
    "Mo-Fr 09:00-12:00,14:00-17:00",
    "Tu,Th 14:00-18:00",
    "We 09:00-12:00; Sa 10:00-12:00",
    "Mo-Fr 08:30-12:30",
];

fn main() {
    let path = std::env::var("PASSERELLE_BENCH_FRANCE").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/france/communes.csv"
        )
        .into()
    });
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{path}: the full-France commune file is needed"));
    let mut geo = Geography::default();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for r in reader.records() {
        let r = r.expect("commune row");
        geo.push(CommuneGeo {
            code: r[0].to_string(),
            nom: r[1].to_string(),
            departement: r[2].to_string(),
            region: r[3].to_string(),
            epci: (!r[4].is_empty()).then(|| r[4].to_string()),
            population: r[5].parse().unwrap_or(0),
            centre: r[6].parse().ok().zip(r[7].parse().ok()),
            postcodes: vec![],
        });
    }
    let mut rng = Rng(0x0d1a_2026);
    // Synthetic needs (benchmark only): shares around national orders of
    // magnitude, so that every indicator is computed for every commune.
    let mut indicators = Indicators::default();
    for c in &geo.communes {
        let pop = c.population as f64;
        let jitter = |rng: &mut Rng, share: f64| pop * share * (0.7 + 0.6 * rng.unit());
        let n = indicators.entry(&c.code);
        for (field, share) in [
            (Field::CensusPopulation, 1.0),
            (Field::Pop65Plus, 0.21),
            (Field::Pop15Plus, 0.82),
            (Field::OutOfSchool15Plus, 0.75),
            (Field::NoDiploma, 0.2),
            (Field::Aah, 0.02),
            (Field::PrimeActivite, 0.06),
            (Field::RsaSocle, 0.03),
            (Field::JobSeekersAbcde, 0.1),
        ] {
            n.figures
                .set(field, Some(Figure::known(jitter(&mut rng, share))));
        }
    }
    let located: Vec<&CommuneGeo> = geo.communes.iter().filter(|c| c.centre.is_some()).collect();
    let places: Vec<OfferPlace> = (0..PLACES)
        .map(|_| {
            let c = located[rng.below(located.len())];
            let (lat, lng) = c.centre.unwrap();
            OfferPlace {
                nom: format!("Lieu {}", c.code),
                point: Some((
                    lat + (rng.unit() - 0.5) * 0.02,
                    lng + (rng.unit() - 0.5) * 0.03,
                )),
                approximate: false,
                commune: Some(c.code.clone()),
                services: rng.some(vocab::SERVICES, 1, 4),
                programmes: rng.some(vocab::NATIONAL_PROGRAMMES, 0, 2),
                fees: rng.some(vocab::FEES, 1, 1),
                modalities: rng.some(vocab::ACCOMPANIMENT_MODALITIES, 1, 2),
                itinerant: rng.below(20) == 0,
                hours_per_week: None,
            }
        })
        .collect();
    // Opening hours per week, from OSM syntax, as for real places.
    let start = Instant::now();
    let mut places = places;
    for p in &mut places {
        let h = HOURS[rng.below(HOURS.len())];
        p.hours_per_week = passerelle_places::hours::Horaires::parse(h)
            .ok()
            .map(|h| h.hours_per_week(passerelle_diagnostic::offer::reference_monday()));
    }
    let hours_time = start.elapsed().as_secs_f64();

    // One core, for a like-for-like comparison with one PostgreSQL backend.
    let start = Instant::now();
    let services: Vec<Option<&str>> = std::iter::once(None)
        .chain(vocab::SERVICES.iter().map(|s| Some(*s)))
        .collect();
    for service in &services {
        std::hint::black_box(NearestTable::compute(&geo, &places, *service));
    }
    let one_core_time = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let analysis = Analysis::new(&geo, &indicators, places);
    let nearest_time = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut regions: Vec<String> = geo.communes.iter().map(|c| c.region.clone()).collect();
    regions.sort();
    regions.dedup();
    let mut communes_done = 0;
    let mut departements = 0;
    for r in &regions {
        let p = analysis
            .portrait(&Territory::Region(r.clone()), &Settings::default())
            .expect("région portrait");
        communes_done += p.communes.len();
        departements += p.subterritories.len();
    }
    let portrait_time = start.elapsed().as_secs_f64();
    // The outlines: parsed and turned into shared arcs once per process.
    let start = Instant::now();
    let (arcs, points) = bretagne_communes().size();
    let (dep_arcs, dep_points) = france_departements().size();
    let outlines_time = start.elapsed().as_secs_f64();
    // Whole France with the maps: the portrait of every région and every
    // département, each with its choropleth of communes (SVG).
    let start = Instant::now();
    let mut deps: Vec<String> = geo.communes.iter().map(|c| c.departement.clone()).collect();
    deps.sort();
    deps.dedup();
    let (mut maps, mut svg_bytes, mut drawing) = (0, 0, 0.0);
    for t in regions
        .iter()
        .map(|r| Territory::Region(r.clone()))
        .chain(deps.iter().map(|d| Territory::Departement(d.clone())))
    {
        let p = analysis
            .portrait(&t, &Settings::default())
            .expect("portrait");
        let drawn = Instant::now();
        let map = commune_map(
            &p,
            &analysis.places,
            MapIndicator::Fragility,
            "carte",
            (800.0, 560.0),
        );
        drawing += drawn.elapsed().as_secs_f64();
        maps += 1;
        svg_bytes += map.svg.len();
    }
    let maps_time = start.elapsed().as_secs_f64();
    let services = analysis.tables.len();
    println!(
        "Diagnostic, whole France: {} communes ({} with a centre), {} places, {} services (9 + any), {} threads",
        geo.communes.len(),
        located.len(),
        analysis.places.len(),
        services,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "  nearest place for every commune and every service: {:.3} s ({} distances)",
        nearest_time,
        geo.communes.len() * services
    );
    println!(
        "  every indicator of {communes_done} communes and {departements} départements ({} région portraits, incl. coverage of each service, priorities): {portrait_time:.3} s",
        regions.len()
    );
    println!(
        "  total: {:.3} s (target < 1 s); opening hours per week of the places (OSM parsing, done once at load): {hours_time:.3} s",
        nearest_time + portrait_time
    );
    println!(
        "  nearest place for every commune and every service on one core: {one_core_time:.3} s"
    );
    println!(
        "  outlines (Bretagne communes: {arcs} arcs, {points} points; France départements: {dep_arcs} arcs, {dep_points} points), built once per process: {outlines_time:.3} s"
    );
    println!(
        "  whole France with the maps: {maps} portraits ({} régions, {} départements), each with its SVG choropleth ({:.1} MB in all): {maps_time:.3} s, of which drawing the maps {drawing:.3} s",
        regions.len(),
        deps.len(),
        svg_bytes as f64 / 1e6
    );
    println!("passerelle_france_with_maps_seconds={maps_time:.6}");
    println!("passerelle_nearest_seconds={nearest_time:.6}");
    println!("passerelle_nearest_one_core_seconds={one_core_time:.6}");

    // Files for the PostGIS side.
    let target = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target");
    let mut communes_csv = String::from("code,lat,lng\n");
    for c in &located {
        let (lat, lng) = c.centre.unwrap();
        writeln!(communes_csv, "{},{lat},{lng}", c.code).unwrap();
    }
    std::fs::write(
        format!("{target}/bench-diagnostic-communes.csv"),
        communes_csv,
    )
    .unwrap();
    let mut places_csv = String::from("id,lat,lng,services\n");
    for (i, p) in analysis.places.iter().enumerate() {
        let (lat, lng) = p.point.unwrap();
        let services: Vec<String> = p
            .services
            .iter()
            .map(|s| (vocab::SERVICES.iter().position(|v| v == s).unwrap() + 1).to_string())
            .collect();
        writeln!(places_csv, "{i},{lat},{lng},\"{{{}}}\"", services.join(",")).unwrap();
    }
    std::fs::write(format!("{target}/bench-diagnostic-places.csv"), places_csv).unwrap();
    // Our nearest place per commune and service (0 = any, k = k-th service).
    let mut ours = String::from("service,code,place,km\n");
    for (k, t) in analysis.tables.iter().enumerate() {
        for (i, c) in geo.communes.iter().enumerate() {
            if let (Some(p), Some(d)) = (t.nearest[i], t.distance_km[i]) {
                writeln!(ours, "{k},{},{p},{d}", c.code).unwrap();
            }
        }
    }
    std::fs::write(format!("{target}/bench-diagnostic-ours.csv"), ours).unwrap();
}
