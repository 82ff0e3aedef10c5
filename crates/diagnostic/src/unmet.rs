//! Unmet demand: what the public finder's searches say about the offer.
//!
//! The finder counts its searches anonymously, by construction: the
//! commune searched near, the needs asked for, the number of places found
//! within the radius and the day — no address, no time of day, no
//! identifier; searches that share all four are one counter. The
//! Diagnostic reads, per commune, how many searches found nothing nearby:
//! demand the offer misses. Counts under `SMALL_CELL` are shown as "fewer
//! than 5", never exactly.

use std::collections::HashMap;

use crate::portrait::Searches;

/// Counts below this are not shown exactly (the activity dashboards' rule).
pub const SMALL_CELL: u32 = 5;

/// Separates the needs of one search in its stored key (no service of the
/// standard contains it).
const NEEDS_SEPARATOR: char = '|';

/// One counter of searches: all the searches of one day near one commune,
/// for the same needs, that found the same number of places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchCount {
    /// `YYYY-MM-DD`, Paris time.
    pub day: String,
    pub commune: String,
    /// Services of the standard asked for (none: any help).
    pub needs: Vec<String>,
    /// Places found within the radius (as many as the finder lists).
    pub results: u32,
    pub searches: u32,
}

/// The stored form of a search's needs: sorted, joined.
pub fn needs_key(needs: &[String]) -> String {
    let mut sorted: Vec<&str> = needs.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    sorted.join(&NEEDS_SEPARATOR.to_string())
}

/// The needs of a stored key.
pub fn needs_of_key(key: &str) -> Vec<String> {
    key.split(NEEDS_SEPARATOR)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Per commune, the searches that concern `service` (all searches when
/// `None`; a search for several needs counts once for each of them) and
/// those that found nothing.
pub fn per_commune(counts: &[SearchCount], service: Option<&str>) -> HashMap<String, Searches> {
    let mut out: HashMap<String, Searches> = HashMap::new();
    for c in counts {
        if let Some(s) = service
            && !c.needs.iter().any(|n| n == s)
        {
            continue;
        }
        let entry = out.entry(c.commune.clone()).or_default();
        entry.total += c.searches;
        if c.results == 0 {
            entry.without_result += c.searches;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_per_commune_for_a_need() {
        let count = |commune: &str, needs: &[&str], results, searches| SearchCount {
            day: "2026-12-01".into(),
            commune: commune.into(),
            needs: needs.iter().map(|s| s.to_string()).collect(),
            results,
            searches,
        };
        let counts = [
            count("29232", &["Aide aux démarches administratives"], 0, 3),
            count("29232", &["Aide aux démarches administratives"], 4, 2),
            count("29232", &[], 0, 1),
            count(
                "29019",
                &[
                    "Aide aux démarches administratives",
                    "Loisirs et créations numériques",
                ],
                0,
                6,
            ),
        ];
        let all = per_commune(&counts, None);
        assert_eq!(
            all["29232"],
            Searches {
                total: 6,
                without_result: 4
            }
        );
        let aide = per_commune(&counts, Some("Aide aux démarches administratives"));
        assert_eq!(
            aide["29232"],
            Searches {
                total: 5,
                without_result: 3
            }
        );
        assert_eq!(aide["29019"].without_result, 6);
        assert_eq!(per_commune(&counts, Some("Parentalité")).len(), 0);
        let key = needs_key(&["b".into(), "a".into(), "a".into()]);
        assert_eq!(key, "a|b");
        assert_eq!(needs_of_key(&key), ["a", "b"]);
        assert!(needs_of_key("").is_empty());
        assert!(
            passerelle_places::vocab::SERVICES
                .iter()
                .all(|s| !s.contains(NEEDS_SEPARATOR))
        );
    }
}
