//! What Réseau's pages show, formatted for people: French labels, dates
//! in Paris time (`crate::fr`), territories by name.

use passerelle_network::opportunities::Details;
use passerelle_network::vocab::{Audience, OpportunityKind, Theme};
use passerelle_store::network::{
    Area, EventView, OpportunityView, ReachKind, ResourceView, VenueView,
};

use crate::fr;

/// An option of a list, radio or checkbox group.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The values of a closed list as choices, those in `selected` chosen.
pub fn choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
    selected: &[String],
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: code(*v).to_string(),
            label: label(*v).to_string(),
            selected: selected.iter().any(|s| s == code(*v)),
        })
        .collect()
}

pub fn themes(list: &[Theme]) -> String {
    list.iter()
        .map(|t| t.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where something is, by name; `none` when it names no territory.
pub fn area(a: &Area, none: &str) -> String {
    match (a.commune.as_deref(), a.departement.as_deref()) {
        (Some(c), Some(d)) => format!("{c} ({d})"),
        _ => a.name().unwrap_or(none).to_string(),
    }
}

/// "3 décembre 2026 à 14 h – 17 h" (or across days).
pub fn when(e: &EventView) -> String {
    let start = fr::paris(e.starts_at);
    let end = fr::paris(e.ends_at);
    if start.date() == end.date() {
        format!(
            "{} à {} – {}",
            fr::date(start.date()),
            fr::time(start),
            fr::time(end)
        )
    } else {
        format!(
            "du {} au {}",
            fr::date_time(e.starts_at),
            fr::date_time(e.ends_at)
        )
    }
}

pub fn venue(e: &EventView) -> String {
    match &e.venue {
        VenueView::Place { name, .. } => format!("{name}, {}", area(&e.area, "")),
        VenueView::Address { address } => format!("{address}, {}", area(&e.area, "")),
        VenueView::Online { .. } => "En ligne".into(),
    }
}

/// "12 inscrits sur 30 places, 3 en liste d’attente".
pub fn seats(e: &EventView) -> String {
    let registered = match e.registered {
        0 => "Aucun inscrit".to_string(),
        1 => "1 inscrit".to_string(),
        n => format!("{} inscrits", fr::integer(n)),
    };
    let capacity = match e.capacity {
        Some(c) => format!(" sur {} places", fr::integer(i64::from(c))),
        None => String::new(),
    };
    let waiting = match e.waiting {
        0 => String::new(),
        n => format!(", {} en liste d’attente", fr::integer(n)),
    };
    format!("{registered}{capacity}{waiting}")
}

pub fn audience(a: Audience, network: &Option<(i64, String)>) -> String {
    match (a, network) {
        (Audience::Network, Some((_, name))) => format!("Membres du réseau « {name} »"),
        _ => a.label().to_string(),
    }
}

pub struct EventCard {
    pub id: i64,
    pub title: String,
    pub kind: &'static str,
    pub when: String,
    pub venue: String,
    pub seats: String,
    pub audience: String,
    pub cancelled: bool,
    pub full: bool,
}

impl EventCard {
    pub fn of(e: &EventView) -> Self {
        Self {
            id: e.id,
            title: e.title.clone(),
            kind: e.kind.label(),
            when: when(e),
            venue: venue(e),
            seats: seats(e),
            audience: audience(e.audience, &e.network),
            cancelled: e.cancelled_at.is_some(),
            full: e.capacity.is_some_and(|c| e.registered >= i64::from(c)),
        }
    }
}

pub struct ResourceCard {
    pub id: i64,
    pub title: String,
    pub summary: String,
    pub format: &'static str,
    pub what: String,
    pub useful: String,
    pub featured: bool,
    pub hidden: bool,
    pub public: bool,
}

impl ResourceCard {
    pub fn of(r: &ResourceView) -> Self {
        let summary: String = r.description.chars().take(180).collect();
        Self {
            id: r.id,
            title: r.title.clone(),
            summary: if summary.len() < r.description.len() {
                format!("{summary}…")
            } else {
                summary
            },
            format: r.format.label(),
            what: match &r.file {
                Some(f) => format!("{}, {}", f.kind.label(), size(f.size)),
                None => "Lien".into(),
            },
            useful: useful(r.useful),
            featured: r.featured,
            hidden: r.hidden,
            public: r.visibility == passerelle_network::vocab::Visibility::Public,
        }
    }
}

pub fn useful(n: i64) -> String {
    match n {
        0 => "Pas encore marquée utile".into(),
        1 => "Utile à 1 personne".into(),
        n => format!("Utile à {} personnes", fr::integer(n)),
    }
}

/// "240 Ko", "3,2 Mo".
pub fn size(bytes: i64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} Ko", fr::integer((bytes + 1023) / 1024))
    } else {
        format!("{} Mo", fr::decimal(bytes as f64 / (1024.0 * 1024.0), 1))
    }
}

pub struct OpportunityCard {
    pub id: i64,
    pub kind: &'static str,
    pub title: String,
    pub organisation: String,
    pub deadline: String,
    pub reach: String,
    pub detail: String,
}

impl OpportunityCard {
    pub fn of(o: &OpportunityView) -> Self {
        Self {
            id: o.id,
            kind: o.kind.label(),
            title: o.title.clone(),
            organisation: o.organisation.clone(),
            deadline: format!("Jusqu’au {}", fr::date(o.deadline)),
            reach: reach(o),
            detail: detail(o),
        }
    }
}

pub fn reach(o: &OpportunityView) -> String {
    match o.reach {
        ReachKind::Everywhere => "Partout".into(),
        ReachKind::Online => "En ligne".into(),
        ReachKind::Territory | ReachKind::Commune => area(&o.area, "Partout"),
    }
}

pub fn detail(o: &OpportunityView) -> String {
    match &o.details {
        Details::Funding { amount: Some(a) } => format!("Jusqu’à {} €", fr::integer(*a)),
        Details::Funding { amount: None } => String::new(),
        Details::Job { contract } => contract.label().to_string(),
        Details::Training {
            starts_on,
            ends_on,
            certification,
        } => {
            let dates = if starts_on == ends_on {
                format!("Le {}", fr::date(*starts_on))
            } else {
                format!("Du {} au {}", fr::date(*starts_on), fr::date(*ends_on))
            };
            format!("{dates} — {}", certification.label())
        }
    }
}

pub fn kind_plural(k: OpportunityKind) -> &'static str {
    match k {
        OpportunityKind::Funding => "Financements",
        OpportunityKind::Job => "Offres d’emploi",
        OpportunityKind::Training => "Formations",
    }
}
