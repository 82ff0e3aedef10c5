//! The help offered, from Lieux: each place reduced to what the portrait
//! counts (services, national programmes, fees, accompaniment modalities,
//! itinerance, opening hours per week) and placed in a commune.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use passerelle_places::Place;
use passerelle_places::hours::Horaires;
use passerelle_places::vocab;
use serde::Serialize;

use crate::access::PointIndex;
use crate::geo::Geography;

/// Opening hours are counted over the week of Monday 13 January 2025, which
/// has no French public holiday, so "PH off" rules do not lower the figure.
pub fn reference_monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 13).expect("valid date")
}

/// A place as the portrait sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfferPlace {
    pub nom: String,
    /// Where distances are measured from: the place's coordinates, or its
    /// commune's centre when it has none (`approximate`).
    pub point: Option<(f64, f64)>,
    pub approximate: bool,
    /// INSEE code of the commune the place is counted in: its `code_insee`,
    /// or else the commune (of its postcode when possible) whose centre is
    /// nearest to it.
    pub commune: Option<String>,
    pub services: Vec<String>,
    pub programmes: Vec<String>,
    pub fees: Vec<String>,
    pub modalities: Vec<String>,
    /// The standard marks it `Itinérant`: it also serves elsewhere, but the
    /// standard does not say where, so it is counted at its address and
    /// shown apart.
    pub itinerant: bool,
    /// Hours open in the reference week; `None` when `horaires` is empty or
    /// not valid OSM syntax.
    pub hours_per_week: Option<f64>,
}

/// Finds the commune of a place that has no INSEE code.
pub struct CommuneLocator {
    index: PointIndex,
}

impl CommuneLocator {
    pub fn new(geo: &Geography) -> Self {
        let points = geo
            .communes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.centre.map(|p| (p, i)))
            .collect();
        Self {
            index: PointIndex::new(points),
        }
    }

    /// The commune whose centre is nearest to `point`, preferring communes
    /// of `postcode`.
    pub fn locate<'g>(
        &self,
        geo: &'g Geography,
        point: (f64, f64),
        postcode: &str,
    ) -> Option<&'g str> {
        let with_postcode = (!postcode.is_empty())
            .then(|| {
                self.index.nearest_where(point, 20, |i| {
                    geo.communes[i].postcodes.iter().any(|p| p == postcode)
                })
            })
            .flatten();
        with_postcode
            .or_else(|| self.index.nearest(point))
            .map(|(i, _)| geo.communes[i].code.as_str())
    }
}

impl OfferPlace {
    pub fn from_place(place: &Place, geo: &Geography, locator: &CommuneLocator) -> Self {
        let own = place.latitude.zip(place.longitude);
        let known_code = place
            .code_insee
            .as_deref()
            .filter(|c| geo.contains(c))
            .map(str::to_string);
        let commune = known_code.clone().or_else(|| {
            own.and_then(|p| locator.locate(geo, p, &place.code_postal))
                .map(str::to_string)
        });
        let centre = commune
            .as_deref()
            .and_then(|c| geo.commune(c))
            .and_then(|c| c.centre);
        let hours_per_week = place
            .horaires
            .as_deref()
            .and_then(|h| Horaires::parse(h).ok())
            .map(|h| h.hours_per_week(reference_monday()));
        OfferPlace {
            nom: place.nom.clone(),
            point: own.or(centre),
            approximate: own.is_none() && centre.is_some(),
            commune,
            services: place.services.clone(),
            programmes: place.dispositif_programmes_nationaux.clone(),
            fees: place.frais_a_charge.clone(),
            modalities: place.modalites_accompagnement.clone(),
            itinerant: place.itinerance.iter().any(|v| v == "Itinérant"),
            hours_per_week,
        }
    }

    /// Whether the place offers `service` (`None`: any service).
    pub fn offers(&self, service: Option<&str>) -> bool {
        match service {
            None => true,
            Some(s) => self.services.iter().any(|v| v == s),
        }
    }
}

/// The offer of a set of places.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OfferSummary {
    pub places: usize,
    pub itinerant: usize,
    /// Every service of the standard, with the number of places offering it.
    pub by_service: BTreeMap<String, usize>,
    pub by_programme: BTreeMap<String, usize>,
    pub by_fees: BTreeMap<String, usize>,
    pub by_modality: BTreeMap<String, usize>,
    /// Sum of the opening hours per week of the places that give them.
    pub hours_per_week: f64,
    pub places_with_hours: usize,
}

impl OfferSummary {
    pub fn of<'a>(places: impl Iterator<Item = &'a OfferPlace>) -> Self {
        let zeros = |list: &[&str]| -> BTreeMap<String, usize> {
            list.iter().map(|v| (v.to_string(), 0)).collect()
        };
        let mut s = OfferSummary {
            by_service: zeros(vocab::SERVICES),
            by_programme: zeros(vocab::NATIONAL_PROGRAMMES),
            by_fees: zeros(vocab::FEES),
            by_modality: zeros(vocab::ACCOMPANIMENT_MODALITIES),
            ..Default::default()
        };
        for p in places {
            s.places += 1;
            s.itinerant += usize::from(p.itinerant);
            for (map, values) in [
                (&mut s.by_service, &p.services),
                (&mut s.by_programme, &p.programmes),
                (&mut s.by_fees, &p.fees),
                (&mut s.by_modality, &p.modalities),
            ] {
                for v in values {
                    *map.entry(v.clone()).or_default() += 1;
                }
            }
            if let Some(h) = p.hours_per_week {
                s.hours_per_week += h;
                s.places_with_hours += 1;
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CommuneGeo;

    fn geo() -> Geography {
        let mut g = Geography::default();
        for (code, centre, postcode) in [
            ("35238", (48.11, -1.68), "35000"),
            ("35047", (48.02, -1.74), "35170"),
        ] {
            g.push(CommuneGeo {
                code: code.into(),
                nom: code.into(),
                departement: "35".into(),
                region: "53".into(),
                epci: None,
                population: 100,
                centre: Some(centre),
                postcodes: vec![postcode.into()],
            });
        }
        g
    }

    #[test]
    fn places_are_located_and_summarised() {
        let g = geo();
        let locator = CommuneLocator::new(&g);
        let mut a = Place {
            nom: "A".into(),
            code_insee: Some("35238".into()),
            services: vec!["Aide aux démarches administratives".into()],
            dispositif_programmes_nationaux: vec!["France Services".into()],
            frais_a_charge: vec!["Gratuit".into()],
            horaires: Some("Mo-Fr 09:00-12:00".into()),
            ..Default::default()
        };
        let pa = OfferPlace::from_place(&a, &g, &locator);
        assert_eq!(pa.commune.as_deref(), Some("35238"));
        assert_eq!(pa.point, Some((48.11, -1.68)));
        assert!(pa.approximate);
        assert_eq!(pa.hours_per_week, Some(15.0));
        // No INSEE code: nearest centre of its postcode, even if another
        // commune's centre is nearer.
        a.code_insee = None;
        a.latitude = Some(48.08);
        a.longitude = Some(-1.70);
        a.code_postal = "35170".into();
        a.itinerance = vec!["Itinérant".into()];
        a.horaires = Some("pas d'horaires".into());
        let pb = OfferPlace::from_place(&a, &g, &locator);
        assert_eq!(pb.commune.as_deref(), Some("35047"));
        assert!(!pb.approximate && pb.itinerant);
        assert_eq!(pb.hours_per_week, None);
        a.code_postal = String::new();
        let pc = OfferPlace::from_place(&a, &g, &locator);
        assert_eq!(pc.commune.as_deref(), Some("35238"));

        let s = OfferSummary::of([pa, pb].iter());
        assert_eq!((s.places, s.itinerant), (2, 1));
        assert_eq!(s.by_service["Aide aux démarches administratives"], 2);
        assert_eq!(s.by_service["Loisirs et créations numériques"], 0);
        assert_eq!(s.by_programme["France Services"], 2);
        assert_eq!(s.by_fees["Payant"], 0);
        assert_eq!((s.hours_per_week, s.places_with_hours), (15.0, 1));
    }
}
