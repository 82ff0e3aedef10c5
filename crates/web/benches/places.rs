//! Lieux benchmark (run by `bench/places.sh`, which also drives wrk).
//!
//! Generates 100,000 places (national scale ×8) from the standard's
//! vocabularies around real commune centres (the full-France file), then
//! times 10,000 "nearest places offering service S with fees F within 10 km"
//! queries: Passerelle's in-memory index, and the same query in PostgreSQL +
//! PostGIS (KNN `<->` on a GiST index) when `PASSERELLE_BENCH_POSTGIS_URL`
//! is set. Writes the places to `target/bench-places.csv` for the HTTP run.

use std::time::{Duration, Instant};

use passerelle_places::format::write_csv;
use passerelle_places::search::{Index, Indexed, Query};
use passerelle_places::{Place, vocab};
use sqlx::{AssertSqlSafe, Row};

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
    fn some(&mut self, values: &[&str], max: usize) -> Vec<String> {
        let n = self.below(max + 1);
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

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0
}

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
    let mut communes = Vec::new();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for r in reader.records().flatten() {
        if let (Ok(lat), Ok(lng)) = (r[6].parse::<f64>(), r[7].parse::<f64>()) {
            communes.push((r[0].to_string(), r[1].to_string(), lat, lng));
        }
    }
    let mut rng = Rng(0x1ace_2026);
    let places: Vec<Place> = (0..100_000)
        .map(|i| {
            let (code, nom, lat, lng) = &communes[rng.below(communes.len())];
            Place {
                id: format!("bench-{i}"),
                pivot: format!("{:014}", 13_002_526_500_013u64 + i as u64),
                nom: format!("Lieu de médiation {i}"),
                commune: nom.clone(),
                code_postal: if code.starts_with("2A") || code.starts_with("2B") {
                    "20000".into()
                } else {
                    format!("{:0<5}", &code[..2])
                },
                code_insee: Some(code.clone()),
                adresse: format!("{} rue de la République", 1 + rng.below(200)),
                latitude: Some(lat + (rng.unit() - 0.5) * 0.04),
                longitude: Some(lng + (rng.unit() - 0.5) * 0.06),
                date_maj: "2026-01-15".into(),
                source: Some("bench".into()),
                services: {
                    let mut s = rng.some(vocab::SERVICES, 4);
                    if s.is_empty() {
                        s.push(vocab::SERVICES[0].into());
                    }
                    s
                },
                publics_specifiquement_adresses: rng.some(vocab::PUBLICS, 2),
                frais_a_charge: vec![vocab::FEES[rng.below(3)].into()],
                modalites_acces: rng.some(vocab::ACCESS_MODALITIES, 3),
                horaires: Some("Mo-Fr 09:00-12:00,14:00-17:30".into()),
                ..Place::default()
            }
        })
        .collect();
    let csv_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/bench-places.csv");
    std::fs::write(csv_path, write_csv(&places)).expect("write the generated places");

    let started = Instant::now();
    let index = Index::new(
        places
            .iter()
            .enumerate()
            .map(|(i, p)| Indexed::new(i as i64, p.clone(), None))
            .collect(),
    );
    println!(
        "{} places generated around {} real commune centres; index built in {:.0} ms",
        places.len(),
        communes.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );

    let queries: Vec<(f64, f64, &str, &str)> = (0..10_000)
        .map(|_| {
            let (_, _, lat, lng) = &communes[rng.below(communes.len())];
            (
                *lat,
                *lng,
                vocab::SERVICES[rng.below(4)],
                vocab::FEES[rng.below(2)],
            )
        })
        .collect();
    let mut ours = Vec::with_capacity(queries.len());
    let mut found = 0;
    for (lat, lng, service, fee) in &queries {
        let q = Query {
            near: Some((*lat, *lng)),
            radius_km: Some(10.0),
            services: vec![(*service).into()],
            fees: vec![(*fee).into()],
            limit: 20,
            ..Query::default()
        };
        let t = Instant::now();
        found += index.search(&q).len();
        ours.push(t.elapsed());
    }
    ours.sort();
    let (p50, p99) = (percentile(&ours, 0.5), percentile(&ours, 0.99));
    println!(
        "Passerelle, in process: 10,000 queries (nearest 20 within 10 km, one service, one fee level; {:.1} results on average): p50 {p50:.4} ms, p99 {p99:.4} ms",
        found as f64 / queries.len() as f64
    );

    let Ok(admin) = std::env::var("PASSERELLE_BENCH_POSTGIS_URL") else {
        println!("PostGIS: skipped (set PASSERELLE_BENCH_POSTGIS_URL)");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&admin).await.expect("PostgreSQL");
        sqlx::raw_sql("DROP DATABASE IF EXISTS passerelle_postgis_bench").execute(&mut conn).await.unwrap();
        sqlx::raw_sql("CREATE DATABASE passerelle_postgis_bench").execute(&mut conn).await.unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        let mut db = sqlx::AnyConnection::connect(&format!("{base}/passerelle_postgis_bench")).await.unwrap();
        sqlx::raw_sql(
            "CREATE EXTENSION postgis; \
             CREATE TABLE places (id BIGINT PRIMARY KEY, geog geography(Point, 4326) NOT NULL, services TEXT[] NOT NULL, frais TEXT[] NOT NULL)",
        )
        .execute(&mut db)
        .await
        .expect("PostGIS extension (apt-get install postgresql-15-postgis-3)");
        for (chunk_no, chunk) in places.chunks(2000).enumerate() {
            let values: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let arr = |v: &[String]| format!("ARRAY[{}]::text[]", v.iter().map(|s| format!("'{}'", s.replace('\'', "''"))).collect::<Vec<_>>().join(","));
                    format!(
                        "({}, ST_SetSRID(ST_MakePoint({}, {}), 4326)::geography, {}, {})",
                        chunk_no * 2000 + i,
                        p.longitude.unwrap(),
                        p.latitude.unwrap(),
                        arr(&p.services),
                        arr(&p.frais_a_charge)
                    )
                })
                .collect();
            sqlx::raw_sql(AssertSqlSafe(format!("INSERT INTO places VALUES {}", values.join(",")))).execute(&mut db).await.unwrap();
        }
        sqlx::raw_sql("CREATE INDEX places_geog ON places USING gist (geog); ANALYZE places;").execute(&mut db).await.unwrap();
        let sql = "SELECT id FROM places WHERE services @> ARRAY[$1]::text[] AND frais @> ARRAY[$2]::text[] \
                   AND ST_DWithin(geog, ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography, 10000) \
                   ORDER BY geog <-> ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography LIMIT 20";
        let mut theirs = Vec::with_capacity(queries.len());
        let mut found = 0;
        for (lat, lng, service, fee) in &queries {
            let t = Instant::now();
            let rows = sqlx::query(sql).bind(*service).bind(*fee).bind(*lng).bind(*lat).fetch_all(&mut db).await.unwrap();
            found += rows.len();
            let _ = rows.first().map(|r| r.try_get::<i64, _>(0));
            theirs.push(t.elapsed());
        }
        theirs.sort();
        let (t50, t99) = (percentile(&theirs, 0.5), percentile(&theirs, 0.99));
        println!(
            "PostGIS (KNN <-> on a GiST index, ST_DWithin, loopback, prepared): p50 {t50:.4} ms, p99 {t99:.4} ms ({:.1} results on average)",
            found as f64 / queries.len() as f64
        );
        println!("ratio PostGIS/Passerelle: p50 ×{:.0}, p99 ×{:.0} (target ≥ ×5)", t50 / p50, t99 / p99);
    });
}
