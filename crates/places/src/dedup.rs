//! The same place published by several sources (a département's map, the
//! national cartography, the France services list…): candidate pairs, a
//! score, automatic merge above `AUTO_MERGE`, review by a coordinator
//! between `REVIEW` and `AUTO_MERGE`.
//!
//! Only places of different sources sharing a postcode are compared. The
//! score mixes name and address similarity (share of common words, after
//! folding accents, case and abbreviations) and, when both places have
//! coordinates, their distance; the same known SIRET adds to it:
//!
//! ```text
//! with coordinates:    0.40 name + 0.30 address + 0.30 proximity
//! without:             0.55 name + 0.45 address
//! same known pivot:    + 0.1, capped at 1 (the pivot is the SIRET of the
//!                      structure: one structure often runs several places)
//! proximity:           1 within 30 m, 0.6 within 150 m, 0.2 within 500 m, else 0
//! ```

use std::collections::{BTreeSet, HashMap};

use passerelle_territory::search::search_key;

use crate::model::Place;
use crate::sources::UNKNOWN_PIVOT;

/// At or above: merged without asking.
pub const AUTO_MERGE: f64 = 0.75;
/// At or above (and below `AUTO_MERGE`): listed for a coordinator.
pub const REVIEW: f64 = 0.45;

/// A row merged into a place already there.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MergeNote {
    /// Index of the row in the imported slice.
    pub row: usize,
    /// The row's `(source, id)`.
    pub source: String,
    pub id: String,
    /// The place it was merged into.
    pub place_id: i64,
    /// That place's `(source, id)` keys before the merge.
    pub into: Vec<(String, String)>,
    /// When that place came from an earlier row of the same import: its index.
    pub into_row: Option<usize>,
    pub score: f64,
}

impl MergeNote {
    /// The merge in French, with the file's lines (`lines[row]`) and both
    /// identifiers.
    pub fn describe(&self, lines: &[u64]) -> String {
        let line = lines.get(self.row).copied().unwrap_or(0);
        let score = format!("{:.2}", self.score).replace('.', ",");
        let others = self
            .into
            .iter()
            .map(|(s, i)| format!("« {i} » ({s})"))
            .collect::<Vec<_>>()
            .join(", ");
        match self.into_row.and_then(|r| lines.get(r)) {
            Some(first) => format!(
                "lignes {first} et {line} : le même lieu, fusionnés (identifiants {others} et « {} » ; score {score})",
                self.id
            ),
            None => format!(
                "ligne {line} : « {} » ({}) est le même lieu que {others}, déjà connu : fusionnés (score {score})",
                self.id, self.source
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub a: usize,
    pub b: usize,
    pub score: f64,
    pub distance_m: Option<f64>,
}

const STOP_WORDS: &[&str] = &[
    "de", "du", "des", "la", "le", "les", "d", "l", "et", "a", "au", "aux", "en", "sur",
];

fn words(text: &str) -> BTreeSet<String> {
    search_key(text)
        .split(' ')
        .filter(|w| !w.is_empty() && !STOP_WORDS.contains(w))
        .map(|w| match w {
            "r" => "rue",
            "av" | "ave" => "avenue",
            "bd" | "bld" => "boulevard",
            "pl" => "place",
            "imp" => "impasse",
            "ch" | "chem" => "chemin",
            "st" => "saint",
            "ste" => "sainte",
            w => w,
        })
        .map(str::to_string)
        .collect()
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        0.0
    } else {
        a.intersection(b).count() as f64 / union as f64
    }
}

/// Great-circle distance in metres.
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

/// The similarity of two places, 0 to 1, and their distance if known.
pub fn score(a: &Place, b: &Place) -> (f64, Option<f64>) {
    let name = jaccard(&words(&a.nom), &words(&b.nom));
    let address = jaccard(&words(&a.adresse), &words(&b.adresse));
    let distance = match (a.latitude, a.longitude, b.latitude, b.longitude) {
        (Some(la), Some(oa), Some(lb), Some(ob)) => Some(haversine_m(la, oa, lb, ob)),
        _ => None,
    };
    let mut s = match distance {
        Some(d) => {
            let proximity = if d <= 30.0 {
                1.0
            } else if d <= 150.0 {
                0.6
            } else if d <= 500.0 {
                0.2
            } else {
                0.0
            };
            0.4 * name + 0.3 * address + 0.3 * proximity
        }
        None => 0.55 * name + 0.45 * address,
    };
    if a.pivot == b.pivot && a.pivot != UNKNOWN_PIVOT && !a.pivot.is_empty() {
        s = (s + 0.1).min(1.0);
    }
    (s, distance)
}

/// Pairs of places of different sources that may be the same, best first.
pub fn candidates(places: &[Place]) -> Vec<Candidate> {
    let mut by_postcode: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in places.iter().enumerate() {
        by_postcode
            .entry(p.code_postal.as_str())
            .or_default()
            .push(i);
    }
    let mut out = Vec::new();
    for group in by_postcode.values() {
        for (x, &a) in group.iter().enumerate() {
            for &b in &group[x + 1..] {
                if places[a].source == places[b].source {
                    continue;
                }
                let (score, distance_m) = score(&places[a], &places[b]);
                if score >= REVIEW {
                    out.push(Candidate {
                        a: a.min(b),
                        b: a.max(b),
                        score,
                        distance_m,
                    });
                }
            }
        }
    }
    out.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then(x.a.cmp(&y.a))
            .then(x.b.cmp(&y.b))
    });
    out
}

/// One place from two descriptions of it: `primary`'s values where it has
/// them, `other`'s where it has not; lists united; the known pivot; the
/// latest update date.
pub fn merge(primary: &Place, other: &Place) -> Place {
    let mut merged = primary.clone();
    for field in crate::model::FIELDS {
        let mine = primary.text(field);
        let theirs = other.text(field);
        let value = if crate::model::is_multi(field) {
            let mut list: Vec<&str> = mine.split('|').filter(|v| !v.is_empty()).collect();
            for v in theirs.split('|').filter(|v| !v.is_empty()) {
                if !list.contains(&v) {
                    list.push(v);
                }
            }
            list.join("|")
        } else if field == "pivot" && (mine.is_empty() || mine == UNKNOWN_PIVOT) {
            if theirs.is_empty() { mine } else { theirs }
        } else if field == "date_maj" {
            mine.max(theirs)
        } else if mine.is_empty() {
            theirs
        } else {
            mine
        };
        merged.set(field, &value).expect("values of a valid place");
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(source: &str, nom: &str, adresse: &str, coords: Option<(f64, f64)>) -> Place {
        Place {
            id: format!("{source}-{nom}"),
            pivot: UNKNOWN_PIVOT.into(),
            nom: nom.into(),
            commune: "Loudéac".into(),
            code_postal: "22600".into(),
            adresse: adresse.into(),
            latitude: coords.map(|c| c.0),
            longitude: coords.map(|c| c.1),
            source: Some(source.into()),
            date_maj: "2023-01-01".into(),
            ..Place::default()
        }
    }

    #[test]
    fn crafted_pairs_are_classified() {
        let places = vec![
            // 0, 1: the same France services, written differently, no coordinates on one side.
            place(
                "anct-france-services",
                "France services Loudéac",
                "15 rue de Moncontour",
                Some((48.178, -2.753)),
            ),
            place(
                "aidants-connect",
                "FRANCE SERVICES LOUDEAC",
                "15 R. DE MONCONTOUR",
                None,
            ),
            // 2: a different place in the same town.
            place(
                "conseiller-numerique",
                "Médiathèque de Loudéac",
                "2 place de l'Église",
                Some((48.1772, -2.7541)),
            ),
            // 3: same building as 0, another name: doubtful.
            place(
                "conseiller-numerique",
                "Mairie de Loudéac",
                "15 rue de Moncontour",
                Some((48.17801, -2.75302)),
            ),
            // 4: same source as 0: never compared.
            place(
                "anct-france-services",
                "France services Loudéac",
                "15 rue de Moncontour",
                Some((48.178, -2.753)),
            ),
        ];
        let found = candidates(&places);
        let pairs: Vec<(usize, usize, bool)> = found
            .iter()
            .map(|c| (c.a, c.b, c.score >= AUTO_MERGE))
            .collect();
        assert!(pairs.contains(&(0, 1, true)), "{found:?}");
        assert!(pairs.contains(&(1, 4, true)), "{found:?}");
        assert!(
            pairs.contains(&(0, 3, false)),
            "doubtful pair listed for review: {found:?}"
        );
        assert!(
            !pairs.iter().any(|(a, b, _)| (*a, *b) == (0, 4)),
            "same source"
        );
        assert!(
            !pairs.iter().any(|(a, b, _)| *a == 2 || *b == 2),
            "a different place: {found:?}"
        );
    }

    #[test]
    fn same_known_siret_nudges_but_does_not_merge_a_structures_places() {
        let mut a = place(
            "x",
            "Médiathèque des Ursulines",
            "1 esplanade Julien Gracq",
            Some((47.9975, -4.1035)),
        );
        let mut b = place(
            "y",
            "France services Quimper",
            "2 rue Jean Jaurès",
            Some((47.99, -4.10)),
        );
        let (without, _) = score(&a, &b);
        a.pivot = "21290232700019".into();
        b.pivot = "21290232700019".into();
        let (with, _) = score(&a, &b);
        assert!((with - without - 0.1).abs() < 1e-9);
        assert!(
            with < REVIEW,
            "two places of one town hall are not duplicates: {with}"
        );
    }

    #[test]
    fn merging_keeps_everything_known() {
        let mut a = place(
            "anct-france-services",
            "France services Loudéac",
            "15 rue de Moncontour",
            Some((48.178, -2.753)),
        );
        a.services = vec!["Aide aux démarches administratives".into()];
        a.dispositif_programmes_nationaux = vec!["France Services".into()];
        let mut b = place(
            "aidants-connect",
            "FRANCE SERVICES LOUDEAC",
            "15 RUE DE MONCONTOUR",
            None,
        );
        b.pivot = "20006746000010".into();
        b.dispositif_programmes_nationaux =
            vec!["Aidants Connect".into(), "France Services".into()];
        b.date_maj = "2024-02-12".into();
        let m = merge(&a, &b);
        assert_eq!(m.nom, "France services Loudéac");
        assert_eq!(m.pivot, "20006746000010");
        assert_eq!(m.latitude, Some(48.178));
        assert_eq!(
            m.dispositif_programmes_nationaux,
            vec!["France Services", "Aidants Connect"]
        );
        assert_eq!(m.date_maj, "2024-02-12");
    }

    #[test]
    fn haversine_matches_a_known_distance() {
        // Rennes → Brest city centres: about 211 km as the crow flies.
        let d = haversine_m(48.1116, -1.6800, 48.3904, -4.4861);
        assert!((d - 210_900.0).abs() < 1_500.0, "{d}");
    }
}
