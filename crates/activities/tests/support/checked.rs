//! Converted records, each checked as an import checks it.

use chrono::NaiveDate;
use passerelle_activities::sources::Item;
use passerelle_activities::validate::{Violation, validate_imported};

/// Every item converted and valid, or the test fails naming the line.
pub fn checked(items: Vec<Result<Item, Violation>>) -> Vec<Item> {
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    items
        .into_iter()
        .map(|r| {
            let item = r.unwrap();
            let problems = validate_imported(item.line, &item.activity, today);
            assert!(problems.is_empty(), "line {}: {problems:?}", item.line);
            item
        })
        .collect()
}
