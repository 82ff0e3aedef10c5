//! "Where can this person get help for X, near Y, open when?": filters over
//! the places held in memory, sorted by great-circle distance or relevance.
//! Within a facet any value matches (OR); facets combine (AND).
//!
//! Unknown is not "no": a place whose value of a facet asked for is not
//! given (no fees stated, no opening hours) is left out unless the query
//! includes unknowns for that facet, and `Found::unknown` counts, per
//! facet, the places left out for that reason only, so that pages can say
//! "12 lieux sans information sur les frais" and offer to include them.

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
    /// Facets for which a place whose value is not given is kept.
    pub include_unknown: Vec<Facet>,
}

/// What a query can filter on, each a column of the standard (or the
/// opening hours, for "open now" and "open on").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Facet {
    Services,
    Publics,
    Support,
    Fees,
    Access,
    Accompaniment,
    Programmes,
    Hours,
}

impl Facet {
    pub const ALL: [Facet; 8] = [
        Facet::Services,
        Facet::Publics,
        Facet::Support,
        Facet::Fees,
        Facet::Access,
        Facet::Accompaniment,
        Facet::Programmes,
        Facet::Hours,
    ];

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub index: usize,
    pub distance_km: Option<f64>,
}

/// A search's answer: the places found, and per facet asked for, how many
/// more places would match if their unknown value were accepted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub hits: Vec<Hit>,
    /// Facets in `Facet` order, only those with places left out.
    pub unknown: Vec<(Facet, usize)>,
}

/// How a place fares against a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    /// Fails only on the facets of this mask, for want of a value.
    Unknown(u8),
    Fail,
}

/// Per-facet counts of places left out for want of a value.
#[derive(Default)]
struct Unknowns([usize; 8]);

impl Unknowns {
    fn add(&mut self, mask: u8) {
        for f in Facet::ALL {
            if mask & f.bit() != 0 {
                self.0[f as usize] += 1;
            }
        }
    }

    fn list(&self) -> Vec<(Facet, usize)> {
        Facet::ALL
            .iter()
            .filter(|f| self.0[**f as usize] > 0)
            .map(|f| (*f, self.0[*f as usize]))
            .collect()
    }
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
        self.find(query).hits
    }

    /// The search, with the places left out for want of a value counted.
    pub fn find(&self, query: &Query) -> Found {
        match query.near {
            // Nearest first: walk the R-tree outwards, stop at the limit or
            // the radius.
            Some(near) if query.text.trim().is_empty() => self.nearest(near, query),
            _ => find(&self.entries, query),
        }
    }

    fn nearest(&self, near: (f64, f64), query: &Query) -> Found {
        let limit = if query.limit == 0 {
            usize::MAX
        } else {
            query.limit
        };
        // Counting the places left out for want of a value walks the whole
        // radius; without facets that can leave any out, the walk stops at
        // the limit.
        let counting = query.may_leave_unknowns_out();
        let mut unknowns = Unknowns::default();
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
            let full = hits.len() >= limit && hits.last().is_some_and(|(_, rank)| d > *rank);
            if full && !counting {
                break;
            }
            match verdict(entry, query, &[]) {
                Verdict::Fail => continue,
                Verdict::Unknown(mask) => {
                    unknowns.add(mask);
                    continue;
                }
                Verdict::Pass if full => continue,
                Verdict::Pass => {}
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
        if query.radius_km.is_none() {
            let mut rest: Vec<usize> = Vec::new();
            for (i, entry) in self.entries.iter().enumerate() {
                if entry.point.is_some() {
                    continue;
                }
                match verdict(entry, query, &[]) {
                    Verdict::Pass => rest.push(i),
                    Verdict::Unknown(mask) => unknowns.add(mask),
                    Verdict::Fail => {}
                }
            }
            rest.sort_by(|&a, &b| self.entries[a].place.nom.cmp(&self.entries[b].place.nom));
            let room = limit.saturating_sub(out.len());
            out.extend(rest.into_iter().take(room).map(|index| Hit {
                index,
                distance_km: None,
            }));
        }
        Found {
            hits: out,
            unknown: unknowns.list(),
        }
    }
}

impl Query {
    /// The facets asked for, with the values wanted (empty: not asked).
    fn facets(&self) -> [(Facet, &[String]); 7] {
        [
            (Facet::Services, &self.services),
            (Facet::Publics, &self.publics),
            (Facet::Support, &self.support),
            (Facet::Fees, &self.fees),
            (Facet::Access, &self.access),
            (Facet::Accompaniment, &self.accompaniment),
            (Facet::Programmes, &self.programmes),
        ]
    }

    fn asks_hours(&self) -> bool {
        self.open_at.is_some() || self.open_during.is_some()
    }

    /// Whether some facet asked for may leave out a place for want of a value.
    fn may_leave_unknowns_out(&self) -> bool {
        let excluded = |f: Facet| !self.include_unknown.contains(&f);
        self.facets()
            .iter()
            .any(|(f, wanted)| !wanted.is_empty() && excluded(*f))
            || (self.asks_hours() && excluded(Facet::Hours))
    }
}

/// The values of a place for a facet.
fn values(p: &Place, facet: Facet) -> &[String] {
    match facet {
        Facet::Services => &p.services,
        Facet::Publics => &p.publics_specifiquement_adresses,
        Facet::Support => &p.prise_en_charge_specifique,
        Facet::Fees => &p.frais_a_charge,
        Facet::Access => &p.modalites_acces,
        Facet::Accompaniment => &p.modalites_accompagnement,
        Facet::Programmes => &p.dispositif_programmes_nationaux,
        Facet::Hours => &[],
    }
}

/// How a place fares against the facets, the text terms and the opening
/// time: a facet whose value the place does not give is "unknown", which
/// passes only if the query includes unknowns for it.
fn verdict(entry: &Indexed, query: &Query, terms: &[String]) -> Verdict {
    let p = &entry.place;
    let mut unknown = 0u8;
    for (facet, wanted) in query.facets() {
        if wanted.is_empty() {
            continue;
        }
        let have = values(p, facet);
        if have.is_empty() {
            if !query.include_unknown.contains(&facet) {
                unknown |= facet.bit();
            }
        } else if !wanted.iter().any(|w| have.contains(w)) {
            return Verdict::Fail;
        }
    }
    if !terms
        .iter()
        .all(|t| entry.words.iter().any(|w| w.starts_with(t.as_str())))
    {
        return Verdict::Fail;
    }
    if query.asks_hours() {
        match &entry.hours {
            None if query.include_unknown.contains(&Facet::Hours) => {}
            None => unknown |= Facet::Hours.bit(),
            Some(h) => {
                let open_then = query.open_at.is_none_or(|at| h.is_open(at));
                let open_during = query
                    .open_during
                    .is_none_or(|(from, day, start, end)| h.open_on(from, day, start, end));
                if !(open_then && open_during) {
                    return Verdict::Fail;
                }
            }
        }
    }
    if unknown == 0 {
        Verdict::Pass
    } else {
        Verdict::Unknown(unknown)
    }
}

/// The places matching `query` by a full scan, nearest first when `near` is
/// given, else those whose name matches first, then by name.
pub fn search(index: &[Indexed], query: &Query) -> Vec<Hit> {
    find(index, query).hits
}

/// The same, with the places left out for want of a value counted.
pub fn find(index: &[Indexed], query: &Query) -> Found {
    let terms: Vec<String> = search_key(&query.text)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let mut unknowns = Unknowns::default();
    let mut hits: Vec<(Hit, u8, &str)> = Vec::new();
    for (i, entry) in index.iter().enumerate() {
        let p = &entry.place;
        let verdict = verdict(entry, query, &terms);
        if verdict == Verdict::Fail {
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
        if let Verdict::Unknown(mask) = verdict {
            unknowns.add(mask);
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
    Found {
        hits: hits.into_iter().take(limit).map(|(h, _, _)| h).collect(),
        unknown: unknowns.list(),
    }
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
            let mut p = place(
                &i.to_string(),
                &format!("Lieu {i}"),
                "X",
                own.then_some(coords),
                &[services[i % 2]],
                None,
            );
            // Fees: free, paid or not given.
            p.frais_a_charge = match i % 3 {
                0 => vec!["Gratuit".into()],
                1 => vec!["Payant".into()],
                _ => vec![],
            };
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
                fees: if next() > 0.5 {
                    vec!["Gratuit".into()]
                } else {
                    vec![]
                },
                include_unknown: if next() > 0.7 {
                    vec![Facet::Fees]
                } else {
                    vec![]
                },
                limit: 1 + (next() * 30.0) as usize,
                ..Query::default()
            };
            let (fast, slow) = (index.find(&q), find(&entries, &q));
            let ids = |f: &Found| f.hits.iter().map(|h| h.index).collect::<Vec<_>>();
            assert_eq!(ids(&fast), ids(&slow), "{q:?}");
            assert_eq!(fast.unknown, slow.unknown, "{q:?}");
        }
    }

    #[test]
    fn unknown_is_not_no() {
        let mut entries = index();
        // Only the France services says its fees; the others say nothing.
        entries[0].place.frais_a_charge = vec!["Gratuit".into()];
        entries[1].place.frais_a_charge = vec!["Payant".into()];
        let free = Query {
            fees: vec!["Gratuit".into()],
            ..Query::default()
        };
        let found = find(&entries, &free);
        let ids: Vec<i64> = found.hits.iter().map(|h| entries[h.index].id).collect();
        assert_eq!(ids, vec![1], "the paying médiathèque is out");
        assert_eq!(
            found.unknown,
            vec![(Facet::Fees, 2)],
            "Brest and Cesson say nothing of their fees: counted, not dropped silently"
        );
        let with_unknown = find(
            &entries,
            &Query {
                include_unknown: vec![Facet::Fees],
                ..free.clone()
            },
        );
        assert_eq!(with_unknown.hits.len(), 3);
        assert!(with_unknown.unknown.is_empty());
        // Opening hours: Brest has none; asked "open on Monday 15:00", it is
        // counted as unknown, with the fees for Cesson too.
        let at = NaiveDateTime::parse_from_str("2026-11-23 15:00", "%Y-%m-%d %H:%M").unwrap();
        let both = find(
            &entries,
            &Query {
                open_at: Some(at),
                ..free
            },
        );
        assert_eq!(
            both.unknown,
            vec![(Facet::Fees, 2), (Facet::Hours, 1)],
            "Cesson, open then, says nothing of its fees; Brest nothing of either"
        );
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
