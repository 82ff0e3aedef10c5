//! "Where can this person get help for X, near Y, open when?": filters over
//! the places held in memory, sorted by great-circle distance or relevance.
//! Within a facet any value matches (OR); facets combine (AND).

use chrono::NaiveDateTime;
use passerelle_territory::search::search_key;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::dedup::haversine_m;
use crate::hours::Horaires;
use crate::model::Place;

/// A place ready to be searched.
#[derive(Debug, Clone)]
pub struct Indexed {
    pub id: i64,
    pub place: Place,
    pub hours: Option<Horaires>,
    words: Vec<String>,
    name_words: Vec<String>,
    /// The place's coordinates, or its commune's centre when it has none.
    pub point: Option<(f64, f64)>,
    /// `point` is the commune's centre, not the place's own.
    pub approximate: bool,
}

impl Indexed {
    pub fn new(id: i64, place: Place, commune_centre: Option<(f64, f64)>) -> Self {
        let hours = place
            .horaires
            .as_deref()
            .and_then(|h| Horaires::parse(h).ok());
        let split = |t: &str| {
            search_key(t)
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        let words = split(&format!(
            "{} {} {} {}",
            place.nom, place.commune, place.code_postal, place.adresse
        ));
        let name_words = split(&place.nom);
        let own = place.latitude.zip(place.longitude);
        Self {
            id,
            hours,
            words,
            name_words,
            point: own.or(commune_centre),
            approximate: own.is_none() && commune_centre.is_some(),
            place,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Words of the name, commune, postcode or address (prefixes).
    pub text: String,
    pub near: Option<(f64, f64)>,
    /// With `near`: only places within this distance.
    pub radius_km: Option<f64>,
    pub services: Vec<String>,
    pub publics: Vec<String>,
    pub support: Vec<String>,
    pub fees: Vec<String>,
    pub access: Vec<String>,
    pub accompaniment: Vec<String>,
    pub programmes: Vec<String>,
    /// Only places whose opening hours say they are open then.
    pub open_at: Option<NaiveDateTime>,
    /// Only places open at some moment of this part of the next such day
    /// from the given date ("open on Tuesday afternoon?").
    pub open_during: Option<(
        chrono::NaiveDate,
        chrono::Weekday,
        chrono::NaiveTime,
        chrono::NaiveTime,
    )>,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub index: usize,
    pub distance_km: Option<f64>,
}

fn any_of(wanted: &[String], values: &[String]) -> bool {
    wanted.is_empty() || wanted.iter().any(|w| values.contains(w))
}

/// A point of the unit sphere: the straight-line order of such points is
/// their great-circle order, so an ordinary R-tree gives exact nearest
/// places, without any projection.
fn on_sphere((lat, lon): (f64, f64)) -> [f64; 3] {
    let (lat, lon) = (lat.to_radians(), lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// Places ready to search, with a spatial index of those with a point.
pub struct Index {
    pub entries: Vec<Indexed>,
    tree: RTree<GeomWithData<[f64; 3], usize>>,
    by_id: std::collections::HashMap<i64, usize>,
}

impl Index {
    pub fn new(entries: Vec<Indexed>) -> Self {
        let points = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.point.map(|p| GeomWithData::new(on_sphere(p), i)))
            .collect();
        let by_id = entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
        Self {
            tree: RTree::bulk_load(points),
            by_id,
            entries,
        }
    }

    /// The place with this identifier.
    pub fn get(&self, id: i64) -> Option<&Indexed> {
        self.by_id.get(&id).map(|&i| &self.entries[i])
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn search(&self, query: &Query) -> Vec<Hit> {
        match query.near {
            // Nearest first: walk the R-tree outwards, stop at the limit or
            // the radius.
            Some(near) if query.text.trim().is_empty() => self.nearest(near, query),
            _ => search(&self.entries, query),
        }
    }

    fn nearest(&self, near: (f64, f64), query: &Query) -> Vec<Hit> {
        let limit = if query.limit == 0 {
            usize::MAX
        } else {
            query.limit
        };
        let centre = on_sphere(near);
        let mut hits: Vec<(Hit, f64)> = Vec::new();
        for item in self.tree.nearest_neighbor_iter(centre) {
            let entry = &self.entries[item.data];
            let point = entry.point.expect("indexed places have a point");
            let d = haversine_m(near.0, near.1, point.0, point.1) / 1000.0;
            if query.radius_km.is_some_and(|r| d > r) {
                break;
            }
            // Approximate places rank half a kilometre further (see
            // `search`): once the limit is reached, continue only while a
            // place could still rank before the last kept one.
            if hits.len() >= limit && hits.last().is_some_and(|(_, rank)| d > *rank) {
                break;
            }
            if !matches(entry, query, &[]) {
                continue;
            }
            let rank = if entry.approximate { d + 0.5 } else { d };
            let at = hits.partition_point(|(_, r)| *r <= rank);
            hits.insert(
                at,
                (
                    Hit {
                        index: item.data,
                        distance_km: Some(d),
                    },
                    rank,
                ),
            );
            hits.truncate(limit);
        }
        let mut out: Vec<Hit> = hits.into_iter().map(|(h, _)| h).collect();
        // Without a radius, places with no point at all come last, by name.
        if query.radius_km.is_none() && out.len() < limit {
            let mut rest: Vec<usize> = (0..self.entries.len())
                .filter(|&i| {
                    self.entries[i].point.is_none() && matches(&self.entries[i], query, &[])
                })
                .collect();
            rest.sort_by(|&a, &b| self.entries[a].place.nom.cmp(&self.entries[b].place.nom));
            out.extend(rest.into_iter().take(limit - out.len()).map(|index| Hit {
                index,
                distance_km: None,
            }));
        }
        out
    }
}

/// Whether a place passes the facets, the text terms and the opening time.
fn matches(entry: &Indexed, query: &Query, terms: &[String]) -> bool {
    let p = &entry.place;
    any_of(&query.services, &p.services)
        && any_of(&query.publics, &p.publics_specifiquement_adresses)
        && any_of(&query.support, &p.prise_en_charge_specifique)
        && any_of(&query.fees, &p.frais_a_charge)
        && any_of(&query.access, &p.modalites_acces)
        && any_of(&query.accompaniment, &p.modalites_accompagnement)
        && any_of(&query.programmes, &p.dispositif_programmes_nationaux)
        && terms
            .iter()
            .all(|t| entry.words.iter().any(|w| w.starts_with(t.as_str())))
        && query
            .open_at
            .is_none_or(|at| entry.hours.as_ref().is_some_and(|h| h.is_open(at)))
        && query.open_during.is_none_or(|(from, day, start, end)| {
            entry
                .hours
                .as_ref()
                .is_some_and(|h| h.open_on(from, day, start, end))
        })
}

/// The places matching `query` by a full scan, nearest first when `near` is
/// given, else those whose name matches first, then by name.
pub fn search(index: &[Indexed], query: &Query) -> Vec<Hit> {
    let terms: Vec<String> = search_key(&query.text)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let mut hits: Vec<(Hit, u8, &str)> = Vec::new();
    for (i, entry) in index.iter().enumerate() {
        let p = &entry.place;
        if !matches(entry, query, &terms) {
            continue;
        }
        let distance_km = match (query.near, entry.point) {
            (Some((lat, lon)), Some((plat, plon))) => {
                Some(haversine_m(lat, lon, plat, plon) / 1000.0)
            }
            _ => None,
        };
        if let (Some(radius), Some(_)) = (query.radius_km, query.near)
            && !distance_km.is_some_and(|d| d <= radius)
        {
            continue;
        }
        let name_match = terms
            .iter()
            .all(|t| entry.name_words.iter().any(|w| w.starts_with(t.as_str())));
        hits.push((
            Hit {
                index: i,
                distance_km,
            },
            u8::from(!name_match),
            &p.nom,
        ));
    }
    if query.near.is_some() {
        // A place known only by its commune's centre ranks as if half a
        // kilometre further: after the places really that close.
        let rank = |h: &Hit| {
            h.distance_km.map(|d| {
                if index[h.index].approximate {
                    d + 0.5
                } else {
                    d
                }
            })
        };
        hits.sort_by(|a, b| match (rank(&a.0), rank(&b.0)) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.2.cmp(b.2),
        });
    } else {
        hits.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.2.cmp(b.2)));
    }
    let limit = if query.limit == 0 {
        usize::MAX
    } else {
        query.limit
    };
    hits.into_iter().take(limit).map(|(h, _, _)| h).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(
        id: &str,
        nom: &str,
        commune: &str,
        coords: Option<(f64, f64)>,
        services: &[&str],
        horaires: Option<&str>,
    ) -> Place {
        Place {
            id: id.into(),
            nom: nom.into(),
            commune: commune.into(),
            code_postal: "35000".into(),
            latitude: coords.map(|c| c.0),
            longitude: coords.map(|c| c.1),
            services: services.iter().map(|s| s.to_string()).collect(),
            horaires: horaires.map(str::to_string),
            ..Place::default()
        }
    }

    fn index() -> Vec<Indexed> {
        let admin = "Aide aux démarches administratives";
        let tools = "Maîtrise des outils numériques du quotidien";
        vec![
            Indexed::new(
                1,
                place(
                    "a",
                    "France services Rennes Maurepas",
                    "Rennes",
                    Some((48.1242, -1.6557)),
                    &[admin],
                    Some("Mo-Fr 09:00-17:00"),
                ),
                None,
            ),
            Indexed::new(
                2,
                place(
                    "b",
                    "Médiathèque des Champs Libres",
                    "Rennes",
                    Some((48.1050, -1.6740)),
                    &[tools],
                    Some("Tu-Sa 12:00-19:00"),
                ),
                None,
            ),
            Indexed::new(
                3,
                place(
                    "c",
                    "CCAS de Brest",
                    "Brest",
                    Some((48.3904, -4.4861)),
                    &[admin],
                    None,
                ),
                None,
            ),
            // No coordinates: placed at its commune's centre.
            Indexed::new(
                4,
                place(
                    "d",
                    "Point numérique de Cesson",
                    "Cesson-Sévigné",
                    None,
                    &[admin, tools],
                    Some("Mo 14:00-17:00"),
                ),
                Some((48.1209, -1.6030)),
            ),
        ]
    }

    #[test]
    fn filters_combine_and_distance_sorts() {
        let index = index();
        let rennes = (48.1113, -1.6800);
        let q = Query {
            near: Some(rennes),
            radius_km: Some(20.0),
            services: vec!["Aide aux démarches administratives".into()],
            ..Query::default()
        };
        let ids: Vec<i64> = search(&index, &q)
            .iter()
            .map(|h| index[h.index].id)
            .collect();
        assert_eq!(
            ids,
            vec![1, 4],
            "Brest is too far, the médiathèque offers another service"
        );
        assert!(index[3].approximate);
        let all = search(
            &index,
            &Query {
                near: Some(rennes),
                ..Query::default()
            },
        );
        let distances: Vec<f64> = all.iter().map(|h| h.distance_km.unwrap()).collect();
        assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
        assert!(
            (distances[3] - 209.0).abs() < 5.0,
            "Brest ~209 km from Rennes: {distances:?}"
        );
    }

    #[test]
    fn text_matches_word_prefixes_and_ranks_names_first() {
        let index = index();
        let ids = |text: &str| -> Vec<i64> {
            search(
                &index,
                &Query {
                    text: text.into(),
                    ..Query::default()
                },
            )
            .iter()
            .map(|h| index[h.index].id)
            .collect()
        };
        assert_eq!(ids("rennes"), vec![1, 2], "name match first, then commune");
        assert_eq!(ids("champs lib"), vec![2]);
        assert_eq!(ids("médiathèque RENNES"), vec![2]);
        assert_eq!(ids("35000").len(), 4);
        assert!(ids("quimper").is_empty());
    }

    #[test]
    fn the_spatial_index_answers_like_the_full_scan() {
        // Random places and queries: the R-tree walk and the scan agree.
        let mut seed = 7u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 10_000) as f64 / 10_000.0
        };
        let services = [
            "Aide aux démarches administratives",
            "Loisirs et créations numériques",
        ];
        let mut entries = Vec::new();
        for i in 0..2000 {
            let coords = (47.3 + 1.6 * next(), -5.0 + 3.8 * next());
            let own = next() > 0.2;
            let p = place(
                &i.to_string(),
                &format!("Lieu {i}"),
                "X",
                own.then_some(coords),
                &[services[i % 2]],
                None,
            );
            // Some places have no point at all (no coordinates, no commune).
            let centre = if next() > 0.05 { Some(coords) } else { None };
            entries.push(Indexed::new(i as i64, p, centre));
        }
        let index = Index::new(entries.clone());
        for _ in 0..50 {
            let q = Query {
                near: Some((47.3 + 1.6 * next(), -5.0 + 3.8 * next())),
                radius_km: if next() > 0.5 {
                    Some(5.0 + 40.0 * next())
                } else {
                    None
                },
                services: if next() > 0.5 {
                    vec![services[0].into()]
                } else {
                    vec![]
                },
                limit: 1 + (next() * 30.0) as usize,
                ..Query::default()
            };
            let fast: Vec<usize> = index.search(&q).iter().map(|h| h.index).collect();
            let slow: Vec<usize> = search(&entries, &q).iter().map(|h| h.index).collect();
            assert_eq!(fast, slow, "{q:?}");
        }
    }

    #[test]
    fn open_at_a_given_time() {
        let index = index();
        // Monday 2026-11-23 at 15:00.
        let at = NaiveDateTime::parse_from_str("2026-11-23 15:00", "%Y-%m-%d %H:%M").unwrap();
        let ids: Vec<i64> = search(
            &index,
            &Query {
                open_at: Some(at),
                ..Query::default()
            },
        )
        .iter()
        .map(|h| index[h.index].id)
        .collect();
        assert_eq!(
            ids,
            vec![1, 4],
            "the médiathèque is closed on Mondays; unknown hours are not 'open'"
        );
        // Open on Tuesday afternoon, seen from Sunday 2026-11-22.
        let (start, end) = (
            chrono::NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
            chrono::NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
        );
        let sunday = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let q = Query {
            open_during: Some((sunday, chrono::Weekday::Tue, start, end)),
            ..Query::default()
        };
        let ids: Vec<i64> = search(&index, &q)
            .iter()
            .map(|h| index[h.index].id)
            .collect();
        assert_eq!(ids, vec![1, 2], "Cesson opens on Mondays only");
    }
}
