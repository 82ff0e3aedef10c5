//! Distance to help: for every commune centre, the great-circle distance to
//! the nearest place offering a service, and an estimate of the road time.
//!
//! Points are indexed as unit vectors in 3-D (an R*-tree over the sphere):
//! the straight-line (chord) nearest neighbour is exactly the great-circle
//! nearest neighbour, with no edge effect at any longitude, and the
//! great-circle distance follows from the chord (`2R·asin(c/2)`).

use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::Serialize;

use crate::geo::{EARTH_RADIUS_KM, Geography};
use crate::offer::OfferPlace;

fn unit_vector((lat, lon): (f64, f64)) -> [f64; 3] {
    let (lat, lon) = (lat.to_radians(), lon.to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

fn chord_to_km(chord_squared: f64) -> f64 {
    2.0 * EARTH_RADIUS_KM * (chord_squared.sqrt() / 2.0).min(1.0).asin()
}

/// Points on the sphere carrying an index, searchable by nearest neighbour.
pub struct PointIndex {
    tree: RTree<GeomWithData<[f64; 3], usize>>,
}

impl PointIndex {
    pub fn new(points: Vec<((f64, f64), usize)>) -> Self {
        let items = points
            .into_iter()
            .map(|(p, i)| GeomWithData::new(unit_vector(p), i))
            .collect();
        Self {
            tree: RTree::bulk_load(items),
        }
    }

    pub fn len(&self) -> usize {
        self.tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// The nearest point and its great-circle distance in km.
    pub fn nearest(&self, point: (f64, f64)) -> Option<(usize, f64)> {
        let q = unit_vector(point);
        self.tree
            .nearest_neighbor_iter_with_distance_2(q)
            .next()
            .map(|(item, d2)| (item.data, chord_to_km(d2)))
    }

    /// The nearest point satisfying `keep` among the `max_candidates`
    /// nearest.
    pub fn nearest_where(
        &self,
        point: (f64, f64),
        max_candidates: usize,
        keep: impl Fn(usize) -> bool,
    ) -> Option<(usize, f64)> {
        let q = unit_vector(point);
        self.tree
            .nearest_neighbor_iter_with_distance_2(q)
            .take(max_candidates)
            .find(|(item, _)| keep(item.data))
            .map(|(item, d2)| (item.data, chord_to_km(d2)))
    }
}

/// How road time is estimated from a great-circle distance until real road
/// times are available: `minutes = km × detour / speed_kmh × 60`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RoadModel {
    /// Road distance over great-circle distance (circuity).
    pub detour: f64,
    /// Mean door-to-door speed by car, km/h.
    pub speed_kmh: f64,
}

impl Default for RoadModel {
    /// Detour 1.3 and 50 km/h: see `docs/diagnostic.md`.
    fn default() -> Self {
        Self {
            detour: 1.3,
            speed_kmh: 50.0,
        }
    }
}

impl RoadModel {
    pub fn minutes(&self, great_circle_km: f64) -> f64 {
        great_circle_km * self.detour / self.speed_kmh * 60.0
    }
}

/// For one service (or any), the nearest place to every commune of the
/// geography, in the geography's order.
#[derive(Debug, Clone, PartialEq)]
pub struct NearestTable {
    /// `None`: any service.
    pub service: Option<String>,
    /// Distance from the commune centre to the nearest place offering the
    /// service; `None` when the commune has no centre or no place offers it.
    pub distance_km: Vec<Option<f64>>,
    /// Index (in the places list) of that nearest place.
    pub nearest: Vec<Option<usize>>,
    /// Places offering the service counted in each commune.
    pub in_commune: Vec<u32>,
    /// Real road time to the nearest place by road, minutes, when a routing
    /// server gave it (`None` inside: no route or not asked).
    pub road_minutes: Option<Vec<Option<f64>>>,
}

impl NearestTable {
    pub fn compute(geo: &Geography, places: &[OfferPlace], service: Option<&str>) -> Self {
        let offering: Vec<usize> = (0..places.len())
            .filter(|&i| places[i].offers(service))
            .collect();
        let index = PointIndex::new(
            offering
                .iter()
                .filter_map(|&i| places[i].point.map(|p| (p, i)))
                .collect(),
        );
        let mut in_commune = vec![0u32; geo.communes.len()];
        for &i in &offering {
            if let Some(pos) = places[i].commune.as_deref().and_then(|c| geo.position(c)) {
                in_commune[pos] += 1;
            }
        }
        let (distance_km, nearest) = geo
            .communes
            .iter()
            .map(|c| match c.centre.and_then(|p| index.nearest(p)) {
                Some((i, d)) => (Some(d), Some(i)),
                None => (None, None),
            })
            .unzip();
        NearestTable {
            service: service.map(str::to_string),
            distance_km,
            nearest,
            in_commune,
            road_minutes: None,
        }
    }
}

/// For the communes at `positions` (geography order), the `k` places
/// offering `service` nearest as the crow flies: the candidates a routing
/// server is asked about, since the nearest by road is almost always among
/// them.
pub fn road_candidates(
    geo: &Geography,
    places: &[OfferPlace],
    service: Option<&str>,
    positions: &[usize],
    k: usize,
) -> Vec<Vec<usize>> {
    let index = PointIndex::new(
        (0..places.len())
            .filter(|&i| places[i].offers(service))
            .filter_map(|i| places[i].point.map(|p| (p, i)))
            .collect(),
    );
    positions
        .iter()
        .map(|&i| match geo.communes[i].centre {
            Some(c) => index
                .tree
                .nearest_neighbor_iter(unit_vector(c))
                .take(k)
                .map(|item| item.data)
                .collect(),
            None => Vec::new(),
        })
        .collect()
}

/// Thresholds of the access indicators.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// "Within N km" and "uncovered: nothing within N km".
    pub within_km: f64,
    /// "Within M minutes by road" (seed 002 uses 7).
    pub within_minutes: f64,
    pub road: RoadModel,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            within_km: 10.0,
            within_minutes: 7.0,
            road: RoadModel::default(),
        }
    }
}

/// Access to one service for a set of communes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub service: Option<String>,
    pub population: i64,
    /// Share of the population living in a commune with such a place.
    pub share_population_in_commune: Option<f64>,
    /// The same for the people in need (PORTREA fragility), when loaded for
    /// every commune.
    pub share_in_need_in_commune: Option<f64>,
    /// Population-weighted mean distance from commune centres, km.
    pub mean_distance_km: Option<f64>,
    pub share_within_km: Option<f64>,
    /// Share within `within_minutes` by road, estimated with `RoadModel`.
    pub share_within_minutes_estimated: Option<f64>,
    /// The same from real road times (routing server), over the communes
    /// that have one.
    pub share_within_minutes_road: Option<f64>,
    /// Communes with no such place within `within_km` (or none at all).
    pub uncovered_communes: usize,
}

impl Coverage {
    /// `need`: people in need per commune (same order as `communes`), all
    /// known, or `None`.
    pub fn of(
        geo: &Geography,
        table: &NearestTable,
        communes: &[usize],
        need: Option<&[f64]>,
        t: &Thresholds,
    ) -> Self {
        let mut population = 0i64;
        let (mut in_commune, mut weighted, mut weight, mut within, mut within_min) =
            (0i64, 0.0, 0i64, 0i64, 0i64);
        let (mut need_in, mut need_all) = (0.0, 0.0);
        let (mut road_within, mut road_weight) = (0i64, 0i64);
        let mut uncovered = 0;
        for (k, &i) in communes.iter().enumerate() {
            let pop = geo.communes[i].population;
            population += pop;
            let here = table.in_commune[i] > 0;
            if here {
                in_commune += pop;
            }
            if let Some(n) = need {
                need_all += n[k];
                if here {
                    need_in += n[k];
                }
            }
            if let Some(m) = table.road_minutes.as_ref().and_then(|r| r[i]) {
                road_weight += pop;
                if m <= t.within_minutes {
                    road_within += pop;
                }
            }
            match table.distance_km[i] {
                Some(d) => {
                    weighted += d * pop as f64;
                    weight += pop;
                    if d <= t.within_km {
                        within += pop;
                    } else {
                        uncovered += 1;
                    }
                    if t.road.minutes(d) <= t.within_minutes {
                        within_min += pop;
                    }
                }
                None => uncovered += 1,
            }
        }
        let share = |part: i64, all: i64| (all > 0).then(|| part as f64 / all as f64);
        Coverage {
            service: table.service.clone(),
            population,
            share_population_in_commune: share(in_commune, population),
            share_in_need_in_commune: need
                .and_then(|_| (need_all > 0.0).then(|| need_in / need_all)),
            mean_distance_km: (weight > 0).then(|| weighted / weight as f64),
            share_within_km: share(within, weight),
            share_within_minutes_estimated: share(within_min, weight),
            share_within_minutes_road: share(road_within, road_weight),
            uncovered_communes: uncovered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::great_circle_km;

    #[test]
    fn index_distances_are_great_circle_distances() {
        let points = vec![
            ((48.39, -4.49), 0),
            ((48.11, -1.68), 1),
            ((47.66, -2.76), 2),
        ];
        let index = PointIndex::new(points);
        let q = (48.0, -2.0);
        let (i, d) = index.nearest(q).unwrap();
        assert_eq!(i, 1);
        assert!((d - great_circle_km(q, (48.11, -1.68))).abs() < 1e-6, "{d}");
        let (j, _) = index.nearest_where(q, 3, |i| i != 1).unwrap();
        assert_eq!(j, 2);
        assert_eq!(index.nearest_where(q, 1, |i| i != 1), None);
        assert!(PointIndex::new(vec![]).nearest(q).is_none());
    }

    #[test]
    fn road_model_is_linear() {
        let m = RoadModel::default();
        // 10 km as the crow flies: 13 km of road at 50 km/h = 15.6 minutes.
        assert!((m.minutes(10.0) - 15.6).abs() < 1e-9);
    }
}
