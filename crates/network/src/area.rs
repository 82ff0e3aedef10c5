//! Where Réseau's records are: a territory of the loaded reference with
//! the levels above it (`Location`: commune, EPCI, département, région),
//! so that a record is found from any level and a coordinator's scope
//! covers everything inside it. A location with no level at all is
//! "everywhere" (a national funding call, an online event).

use passerelle_accounts::ScopeLevel;
pub use passerelle_accounts::policy::Location;

/// The smallest level a location names, and its code.
pub fn finest(location: &Location) -> Option<(ScopeLevel, &str)> {
    [
        (ScopeLevel::Commune, &location.commune),
        (ScopeLevel::Epci, &location.epci),
        (ScopeLevel::Departement, &location.departement),
        (ScopeLevel::Region, &location.region),
    ]
    .into_iter()
    .find_map(|(level, code)| code.as_deref().map(|c| (level, c)))
}

/// The code a location has at `level`, if it names one.
pub fn code_at(location: &Location, level: ScopeLevel) -> Option<&str> {
    match level {
        ScopeLevel::Commune => location.commune.as_deref(),
        ScopeLevel::Epci => location.epci.as_deref(),
        ScopeLevel::Departement => location.departement.as_deref(),
        ScopeLevel::Region => location.region.as_deref(),
    }
}

/// Whether `inner` lies within `outer`: everywhere contains everything;
/// otherwise `inner` must have `outer`'s smallest territory among its own.
pub fn contains(outer: &Location, inner: &Location) -> bool {
    match finest(outer) {
        None => true,
        Some((level, code)) => code_at(inner, level) == Some(code),
    }
}

/// Whether two locations share ground: one contains the other (a
/// département's funding call concerns a commune of it, and a commune's
/// job offer concerns whoever follows its département).
pub fn overlaps(a: &Location, b: &Location) -> bool {
    contains(a, b) || contains(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn quimper() -> Location {
        Location {
            commune: Some("29232".into()),
            epci: Some("242900314".into()),
            departement: Some("29".into()),
            region: Some("53".into()),
        }
    }

    fn departement(code: &str, region: &str) -> Location {
        Location {
            departement: Some(code.into()),
            region: Some(region.into()),
            ..Location::default()
        }
    }

    #[test]
    fn containment_follows_the_levels() {
        let finistere = departement("29", "53");
        let ille = departement("35", "53");
        let everywhere = Location::default();
        assert_eq!(finest(&quimper()), Some((ScopeLevel::Commune, "29232")));
        assert_eq!(finest(&finistere), Some((ScopeLevel::Departement, "29")));
        assert_eq!(finest(&everywhere), None);
        assert!(contains(&finistere, &quimper()));
        assert!(!contains(&quimper(), &finistere));
        assert!(!contains(&ille, &quimper()));
        assert!(contains(&everywhere, &quimper()));
        assert!(!contains(&quimper(), &everywhere));
        assert!(overlaps(&quimper(), &finistere));
        assert!(overlaps(&everywhere, &ille));
        assert!(!overlaps(&ille, &quimper()));
    }
}
