//! Training needs ("la remontée des besoins de formation"): professionals
//! say what they would like to be trained in (theme, level, territory);
//! coordinators see them only counted, by territory and theme, under the
//! small-cell rule, to organise sessions where they are wanted.

use passerelle_accounts::ScopeLevel;
use passerelle_activities::aggregate::{Level, protect};

use crate::check::Checks;
use crate::vocab::{NeedLevel, Theme};
use crate::{Problem, Rule};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingNeed {
    pub theme: Theme,
    pub level: NeedLevel,
    /// Where they would follow it: a territory of the reference.
    pub territory: (ScopeLevel, String),
}

#[derive(Debug, Clone, Default)]
pub struct NeedDraft {
    pub theme: String,
    pub level: String,
    pub territory: Option<(ScopeLevel, String)>,
}

impl TryFrom<NeedDraft> for TrainingNeed {
    type Error = Vec<Problem>;

    fn try_from(d: NeedDraft) -> Result<Self, Self::Error> {
        let mut c = Checks::default();
        let theme = Theme::parse(&d.theme).unwrap_or_else(|| {
            c.add("theme", Rule::NotInList);
            Theme::Pedagogie
        });
        let level = NeedLevel::parse(&d.level).unwrap_or_else(|| {
            c.add("niveau", Rule::NotInList);
            NeedLevel::Initiation
        });
        let territory = d.territory.unwrap_or_else(|| {
            c.add("territoire", Rule::Missing);
            (ScopeLevel::Region, String::new())
        });
        c.done(TrainingNeed {
            theme,
            level,
            territory,
        })
    }
}

/// A person's needs are few: at most this many at once.
pub const MAX_PER_PERSON: usize = 10;

/// Counts of needs as coordinators see them: 1 to 4 people could be
/// recognised among the professionals of a territory, so such a count is
/// not given, and when the counts share out a total that is given, the
/// smallest other count is hidden with a lone hidden one
/// (`passerelle_activities::aggregate::protect`, at every level).
pub fn small_cells(counts: &[u64]) -> Vec<Option<u64>> {
    let cells: Vec<(u64, u64)> = counts.iter().map(|n| (*n, *n)).collect();
    protect(&cells, Level::Commune, true)
        .into_iter()
        .map(|(people, _)| people)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_need_has_a_theme_a_level_and_a_territory() {
        let need = TrainingNeed::try_from(NeedDraft {
            theme: "ia".into(),
            level: "initiation".into(),
            territory: Some((ScopeLevel::Departement, "29".into())),
        })
        .unwrap();
        assert_eq!(need.theme, Theme::IntelligenceArtificielle);
        let fields: Vec<_> = TrainingNeed::try_from(NeedDraft::default())
            .unwrap_err()
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, vec!["theme", "niveau", "territoire"]);
    }

    #[test]
    fn small_counts_are_not_given() {
        assert_eq!(small_cells(&[12, 7, 0]), vec![Some(12), Some(7), Some(0)]);
        // A lone hidden count would be the total minus the others: the
        // smallest other goes with it.
        assert_eq!(small_cells(&[12, 7, 3]), vec![Some(12), None, None]);
        assert_eq!(small_cells(&[2, 1, 9]), vec![None, None, Some(9)]);
    }
}
