//! Real road times from an OSRM server (`PASSERELLE_OSRM_URL`, its `table`
//! service), replacing the Diagnostic's estimate where it answers. Asked
//! through `ureq` with a connection and an overall timeout, so that an OSRM
//! server that stalls delays the page by seconds, never for ever; OSRM runs
//! beside Passerelle on a trusted network, like PostgreSQL (plain HTTP).

use std::time::Duration;

use passerelle_diagnostic::access::road_candidates;
use passerelle_diagnostic::portrait::Analysis;
use serde::Deserialize;

/// Origins per table request: with 5 candidates each, at most 90
/// coordinates, within OSRM's default `--max-table-size` of 100.
const ORIGINS_PER_REQUEST: usize = 15;
/// Places asked about per commune: the nearest as the crow flies.
const CANDIDATES: usize = 5;
/// How long to wait for OSRM to accept a connection, and for a whole
/// answer: a table of 15 × 75 is computed in milliseconds.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// An OSRM server, `http://host:port[/prefix]`.
#[derive(Debug, Clone)]
pub struct Osrm {
    base: String,
    agent: ureq::Agent,
}

impl PartialEq for Osrm {
    fn eq(&self, other: &Self) -> bool {
        self.base == other.base
    }
}

#[derive(Deserialize)]
struct Table {
    code: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    durations: Vec<Vec<Option<f64>>>,
}

impl Osrm {
    pub fn parse(url: &str) -> Result<Self, String> {
        let base = url.trim_end_matches('/');
        let rest = base.strip_prefix("http://").ok_or_else(|| {
            format!("PASSERELLE_OSRM_URL « {url} » : seul http://hôte:port est pris en charge")
        })?;
        let authority = rest.split('/').next().unwrap_or_default();
        let host = match authority.rsplit_once(':') {
            Some((host, port)) => {
                port.parse::<u16>()
                    .map_err(|_| format!("PASSERELLE_OSRM_URL « {url} » : port incorrect"))?;
                host
            }
            None => authority,
        };
        if host.is_empty() {
            return Err(format!("PASSERELLE_OSRM_URL « {url} » : aucun hôte"));
        }
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(ANSWER_TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Self {
            base: base.to_string(),
            agent,
        })
    }

    /// The body of `GET base + path`, off the async runtime (ureq blocks).
    async fn get(&self, path: &str) -> Result<String, String> {
        let (agent, url) = (self.agent.clone(), format!("{}{path}", self.base));
        let base = self.base.clone();
        tokio::task::spawn_blocking(move || {
            let mut answer = agent
                .get(&url)
                .header("Accept", "application/json")
                .call()
                .map_err(|e| format!("OSRM {base}: {e}"))?;
            answer
                .body_mut()
                .with_config()
                .limit(64 * 1024 * 1024)
                .read_to_string()
                .map_err(|e| format!("OSRM {base}: {e}"))
        })
        .await
        .map_err(|e| format!("OSRM: {e}"))?
    }

    /// Road durations in seconds from each source to each destination
    /// (`None`: no route).
    pub async fn durations(
        &self,
        sources: &[(f64, f64)],
        destinations: &[(f64, f64)],
    ) -> Result<Vec<Vec<Option<f64>>>, String> {
        let coords: Vec<String> = sources
            .iter()
            .chain(destinations)
            .map(|(lat, lng)| format!("{lng:.6},{lat:.6}"))
            .collect();
        let list = |from: usize, n: usize| {
            (from..from + n)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(";")
        };
        let path = format!(
            "/table/v1/driving/{}?sources={}&destinations={}&annotations=duration",
            coords.join(";"),
            list(0, sources.len()),
            list(sources.len(), destinations.len())
        );
        let body = self.get(&path).await?;
        let table: Table = serde_json::from_str(&body)
            .map_err(|e| format!("OSRM: unreadable table answer: {e}"))?;
        if table.code != "Ok" {
            return Err(format!(
                "OSRM: {} {}",
                table.code,
                table.message.unwrap_or_default()
            ));
        }
        if table.durations.len() != sources.len()
            || table
                .durations
                .iter()
                .any(|row| row.len() != destinations.len())
        {
            return Err("OSRM: the table does not have the size asked for".into());
        }
        Ok(table.durations)
    }
}

/// Asks `osrm` the road time from each commune at `positions` to the
/// nearest (by road) of its candidate places offering `service`, and gives
/// them to `analysis`.
pub async fn add_road_times(
    osrm: &Osrm,
    analysis: &mut Analysis<'_>,
    service: Option<&str>,
    positions: &[usize],
) -> Result<(), String> {
    let geo = analysis.geo;
    let candidates = road_candidates(geo, &analysis.places, service, positions, CANDIDATES);
    let mut minutes: Vec<Option<f64>> = vec![None; geo.communes.len()];
    let chunks = positions
        .chunks(ORIGINS_PER_REQUEST)
        .zip(candidates.chunks(ORIGINS_PER_REQUEST));
    for (origins, their_candidates) in chunks {
        let mut sources = Vec::new();
        let mut source_of = Vec::new();
        for (k, &i) in origins.iter().enumerate() {
            if let (Some(c), false) = (geo.communes[i].centre, their_candidates[k].is_empty()) {
                source_of.push(k);
                sources.push(c);
            }
        }
        let mut places: Vec<usize> = their_candidates.iter().flatten().copied().collect();
        places.sort_unstable();
        places.dedup();
        if sources.is_empty() {
            continue;
        }
        let destinations: Vec<(f64, f64)> = places
            .iter()
            .map(|&p| analysis.places[p].point.expect("candidates have a point"))
            .collect();
        let table = osrm.durations(&sources, &destinations).await?;
        for (row, &k) in table.iter().zip(&source_of) {
            let best = their_candidates[k]
                .iter()
                .filter_map(|p| row[places.binary_search(p).expect("listed")])
                .fold(None, |best: Option<f64>, s| {
                    Some(best.map_or(s, |b| b.min(s)))
                });
            minutes[origins[k]] = best.map(|s| s / 60.0);
        }
    }
    analysis.set_road_minutes(service, minutes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use passerelle_diagnostic::geo::{CommuneGeo, Geography, Territory};
    use passerelle_diagnostic::needs::Indicators;
    use passerelle_diagnostic::offer::OfferPlace;
    use passerelle_diagnostic::portrait::Settings;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A fake OSRM: the duration from source s to destination d is
    /// `600 × (d + 1) − 60 × s` seconds, except "no route" to the first
    /// destination from the first source; answers chunked.
    async fn fake_osrm() -> (String, tokio::task::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = tokio::spawn(async move {
            let mut paths = Vec::new();
            while let Ok(Ok((mut socket, _))) =
                tokio::time::timeout(std::time::Duration::from_millis(500), listener.accept()).await
            {
                let mut buf = vec![0u8; 65536];
                let n = socket.read(&mut buf).await.unwrap();
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = request.split(' ').nth(1).unwrap().to_string();
                let query = path.split_once('?').unwrap().1.to_string();
                let count = |key: &str| {
                    query
                        .split('&')
                        .find_map(|kv| kv.strip_prefix(key))
                        .unwrap()
                        .split(';')
                        .count()
                };
                let (sources, destinations) = (count("sources="), count("destinations="));
                let rows: Vec<Vec<Option<f64>>> = (0..sources)
                    .map(|s| {
                        (0..destinations)
                            .map(|d| (s + d > 0).then(|| 600.0 * (d + 1) as f64 - 60.0 * s as f64))
                            .collect()
                    })
                    .collect();
                let body = serde_json::json!({"code": "Ok", "durations": rows}).to_string();
                let (a, b) = body.split_at(body.len() / 2);
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
                    a.len(),
                    b.len()
                );
                socket.write_all(answer.as_bytes()).await.unwrap();
                paths.push(path);
            }
            paths
        });
        (url, handle)
    }

    #[tokio::test]
    async fn road_times_come_from_the_table_service() {
        let mut geo = Geography::default();
        for (code, lat) in [("35001", 48.0), ("35002", 48.1), ("35003", 48.2)] {
            geo.push(CommuneGeo {
                code: code.into(),
                nom: code.into(),
                departement: "35".into(),
                region: "53".into(),
                epci: None,
                population: 100,
                centre: Some((lat, -1.0)),
                postcodes: vec![],
            });
        }
        let place = |lat: f64| OfferPlace {
            nom: "Lieu".into(),
            point: Some((lat, -1.0)),
            approximate: false,
            commune: None,
            services: vec!["Aide aux démarches administratives".into()],
            programmes: vec![],
            fees: vec![],
            modalities: vec![],
            itinerant: false,
            hours_per_week: None,
        };
        let indicators = Indicators::default();
        let mut analysis = Analysis::new(&geo, &indicators, vec![place(48.0), place(48.2)]);
        let (url, server) = fake_osrm().await;
        let osrm = Osrm::parse(&url).unwrap();
        let service = Some("Aide aux démarches administratives");
        add_road_times(&osrm, &mut analysis, service, &[0, 1, 2])
            .await
            .unwrap();
        let settings = Settings {
            service: service.map(str::to_string),
            ..Settings::default()
        };
        let p = analysis
            .portrait(&Territory::Departement("35".into()), &settings)
            .unwrap();
        let minutes = |code: &str| {
            p.communes
                .iter()
                .find(|r| r.code == code)
                .unwrap()
                .road_minutes
        };
        // Sources 0, 1, 2; destinations: place 0 (d = 0), place 1 (d = 1).
        // 35001: no route to place 0, 1,200 s to place 1 → 20 min.
        assert_eq!(minutes("35001"), Some(20.0));
        // 35002: 600 − 60 = 540 s → 9 min; 35003: 600 − 120 = 480 s → 8 min.
        assert_eq!(minutes("35002"), Some(9.0));
        assert_eq!(minutes("35003"), Some(8.0));
        assert_eq!(p.summary.coverage.share_within_minutes_road, Some(0.0));
        let paths = server.await.unwrap();
        assert_eq!(paths.len(), 1);
        assert!(
            paths[0].starts_with("/table/v1/driving/-1.000000,48.000000;"),
            "{}",
            paths[0]
        );
        assert!(paths[0].ends_with("?sources=0;1;2&destinations=3;4&annotations=duration"));
        // A server that is not there is an error, not a panic.
        let gone = Osrm::parse("http://127.0.0.1:9").unwrap();
        assert!(
            add_road_times(&gone, &mut analysis, service, &[0])
                .await
                .is_err()
        );
    }

    #[test]
    fn urls() {
        assert_eq!(
            Osrm::parse("http://127.0.0.1:5000/").unwrap().base,
            "http://127.0.0.1:5000"
        );
        assert_eq!(
            Osrm::parse("http://osrm.local/routage").unwrap().base,
            "http://osrm.local/routage"
        );
        assert!(Osrm::parse("https://osrm.local").is_err());
        assert!(Osrm::parse("http://:5000").is_err());
        assert!(Osrm::parse("http://osrm.local:port").is_err());
    }

    #[tokio::test]
    async fn a_server_that_accepts_and_stalls_is_given_up_on() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let held = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            drop(socket);
        });
        let mut osrm = Osrm::parse(&url).unwrap();
        osrm.agent = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_millis(300)))
            .build()
            .into();
        let answer = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            osrm.durations(&[(48.0, -1.0)], &[(48.1, -1.0)]),
        )
        .await
        .expect("the client gives up by itself");
        assert!(answer.is_err());
        held.abort();
    }
}
