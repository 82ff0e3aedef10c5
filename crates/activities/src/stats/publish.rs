//! Questions as people write them (command line, URL, API) and answers as
//! they are published: JSON and CSV rows, every cell under the small-cell
//! rule (`Answer::protected`).

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::{Answer, Dim, Question, Territory};
use crate::aggregate::Level;

/// Why a written question cannot be read; `Display` says it in French,
/// naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    Territory(String),
    Day {
        field: &'static str,
        value: String,
    },
    Dimension(String),
    /// A filter not written `dimension=value`.
    Filter(String),
    TooManyDimensions,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dims = || {
            Dim::ALL
                .iter()
                .map(|d| d.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Self::Territory(t) => write!(
                f,
                "territoire « {t} » : all, reg:<code>, dep:<code>, epci:<SIREN> ou com:<code INSEE>"
            ),
            Self::Day { field, value } => {
                write!(f, "{field} « {value} » n’est pas une date comme 2025-03-10")
            }
            Self::Dimension(d) => write!(f, "« {d} » n’est pas une dimension : {}", dims()),
            Self::Filter(w) => write!(
                f,
                "filtre « {w} » : s’écrit dimension=valeur, par exemple type=atelier"
            ),
            Self::TooManyDimensions => write!(f, "au plus deux dimensions à la fois"),
        }
    }
}

/// A day written `2025-03-10`.
pub fn parse_day(field: &'static str, value: &str) -> Result<NaiveDate, Unreadable> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| Unreadable::Day {
        field,
        value: value.to_string(),
    })
}

/// `theme`, `theme,age`, or empty / `total` for the total only.
pub fn parse_by(by: &str) -> Result<Vec<Dim>, Unreadable> {
    let dims = by
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty() && *d != "total")
        .map(|d| Dim::parse(d).ok_or_else(|| Unreadable::Dimension(d.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    if dims.len() > 2 {
        return Err(Unreadable::TooManyDimensions);
    }
    Ok(dims)
}

/// Filters written `dimension=value`; several values of one dimension
/// keep any of them, dimensions combine.
pub fn parse_filters<'a>(
    written: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<(Dim, Vec<String>)>, Unreadable> {
    let mut out: Vec<(Dim, Vec<String>)> = Vec::new();
    for w in written {
        if w.trim().is_empty() {
            continue;
        }
        let (dim, value) = w
            .split_once('=')
            .ok_or_else(|| Unreadable::Filter(w.to_string()))?;
        let dim = Dim::parse(dim).ok_or_else(|| Unreadable::Dimension(dim.trim().to_string()))?;
        let value = value.trim().trim_matches('"').to_string();
        match out.iter_mut().find(|(d, _)| *d == dim) {
            Some((_, values)) => values.push(value),
            None => out.push((dim, vec![value])),
        }
    }
    Ok(out)
}

impl Question {
    /// A question as the command line, the API and the dashboard's URL
    /// write it.
    pub fn parse<'a>(
        territory: &str,
        from: &str,
        to: &str,
        by: &str,
        filters: impl IntoIterator<Item = &'a str>,
    ) -> Result<Question, Unreadable> {
        Ok(Question {
            territory: Territory::parse(territory)
                .ok_or_else(|| Unreadable::Territory(territory.to_string()))?,
            from: parse_day("--from", from)?,
            to: parse_day("--to", to)?,
            by: parse_by(by)?,
            filters: parse_filters(filters)?,
        })
    }

    /// The filters as written (`type=atelier`), for links and exports.
    pub fn written_filters(&self) -> Vec<String> {
        self.filters
            .iter()
            .flat_map(|(d, values)| values.iter().map(move |v| format!("{}={v}", d.name())))
            .collect()
    }
}

/// Share of `part` in `total`, in %, rounded to 0.1.
fn percent(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / total as f64).round() / 10.0
    }
}

impl Answer {
    /// The answer as published in JSON at `level` (`Question::level`, or
    /// `Region` for one's own figures): the question, the totals, and one
    /// object per cell with its values by dimension name and its people
    /// and records (`null` when the small-cell rule hides them).
    pub fn to_json(&self, q: &Question, level: Level) -> Value {
        let shown = self.protected(level);
        let total = self.people.round() as u64;
        let cells: Vec<Value> = self
            .cells
            .iter()
            .zip(&shown)
            .map(|(cell, (people, records))| {
                let mut o = Map::new();
                for (dim, key) in self.by.iter().zip(&cell.keys) {
                    o.insert(dim.name().into(), Value::String(key.code()));
                }
                o.insert("people".into(), json!(people));
                o.insert("percent".into(), json!(people.map(|p| percent(p, total))));
                o.insert("records".into(), json!(records));
                Value::Object(o)
            })
            .collect();
        let totals = self.protected_total(level);
        json!({
            "territory": q.territory.key(),
            "from": q.from.to_string(),
            "to": q.to.to_string(),
            "filters": q.written_filters(),
            "by": self.by.iter().map(|d| d.name()).collect::<Vec<_>>(),
            "people": totals.0,
            "records": totals.1,
            "cells": cells,
        })
    }

    /// The total under the small-cell rule.
    pub fn protected_total(&self, level: Level) -> (Option<u64>, Option<u64>) {
        let hide = |n: u64| crate::aggregate::shown(n, level) != n.to_string();
        let people = self.people.round() as u64;
        if hide(people) {
            (None, None)
        } else {
            (Some(people), (!hide(self.records)).then_some(self.records))
        }
    }

    /// CSV rows, header first: one column per dimension (`total` when
    /// none), then `personnes`, `pourcentage`, `fiches`; a hidden count
    /// reads `< 5`.
    pub fn csv_rows(&self, level: Level) -> Vec<Vec<String>> {
        let hidden = || "< 5".to_string();
        let mut header: Vec<String> = self.by.iter().map(|d| d.name().to_string()).collect();
        if header.is_empty() {
            header.push("total".into());
        }
        header.extend(["personnes", "pourcentage", "fiches"].map(String::from));
        let mut rows = vec![header];
        let total = self.people.round() as u64;
        if self.by.is_empty() {
            let (people, records) = self.protected_total(level);
            rows.push(vec![
                "total".into(),
                people.map_or_else(hidden, |p| p.to_string()),
                people.map_or_else(String::new, |_| "100".into()),
                records.map_or_else(hidden, |r| r.to_string()),
            ]);
            return rows;
        }
        for (cell, (people, records)) in self.cells.iter().zip(self.protected(level)) {
            let mut row: Vec<String> = cell.keys.iter().map(|k| k.code()).collect();
            row.push(people.map_or_else(hidden, |p| p.to_string()));
            row.push(people.map_or_else(String::new, |p| percent(p, total).to_string()));
            row.push(records.map_or_else(hidden, |r| r.to_string()));
            rows.push(row);
        }
        rows
    }
}
