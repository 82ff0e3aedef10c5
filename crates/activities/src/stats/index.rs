//! The index's storage: per commune, columns of small codes sorted by
//! day, and the dictionaries that give the codes their meaning.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use super::geography::Geography;
use super::{day_number, query};
use crate::model::{Activity, Kind, Where};
use crate::vocab;

/// A live record as the index takes it: the record, and what it was
/// counted under when stored (its commune, author's structure, mediator).
#[derive(Debug, Clone, Copy)]
pub struct Fact<'a> {
    pub activity: &'a Activity,
    /// Where it happened (or where the person lives): INSEE code.
    pub commune: Option<&'a str>,
    pub structure: Option<i64>,
    pub mediator: Option<i64>,
}

/// Values interned as numbers; number 0 is "none" when `with_none`.
#[derive(Debug, Clone)]
pub(super) struct Interner<K> {
    pub items: Vec<K>,
    ids: HashMap<K, u32>,
}

impl<K: Hash + Eq + Clone> Interner<K> {
    fn new(none: Option<K>) -> Self {
        let mut i = Self {
            items: Vec::new(),
            ids: HashMap::new(),
        };
        if let Some(none) = none {
            i.intern(&none);
        }
        i
    }

    fn intern(&mut self, k: &K) -> u32 {
        if let Some(&id) = self.ids.get(k) {
            return id;
        }
        let id = self.items.len() as u32;
        self.items.push(k.clone());
        self.ids.insert(k.clone(), id);
        id
    }

    pub fn get(&self, k: &K) -> Option<u32> {
        self.ids.get(k).copied()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    fn bytes(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<K>()
            + self.ids.capacity() * (std::mem::size_of::<K>() + 4 + 8)
    }
}

/// A distribution of people over values (ages, statuses, follow-up):
/// `(value, count)`, counts divided by their greatest common divisor, so
/// that only the shares are kept (a workshop of 8 all aged 60–69 and one
/// person aged 60–69 share a profile).
pub(super) type Profile = Box<[(u8, u16)]>;

fn profile(mut parts: Vec<(u8, u32)>) -> Profile {
    parts.retain(|(_, n)| *n > 0);
    parts.sort_unstable();
    parts.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1 += b.1;
            true
        } else {
            false
        }
    });
    let gcd = parts.iter().fold(0, |g, (_, n)| gcd(g, *n)).max(1);
    parts
        .into_iter()
        .map(|(v, n)| (v, (n / gcd).min(u32::from(u16::MAX)) as u16))
        .collect()
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// One record's codes, column by column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Row {
    pub day: u16,
    pub kind: u8,
    pub duration: u8,
    pub themes: u32,
    pub ages: u32,
    pub statuses: u32,
    pub suivi: u32,
    /// 0: none; otherwise 1 + the vocabulary's index.
    pub organisation: u8,
    /// Bit i: `vocab::KINDS_OF_HELP[i]`.
    pub helps: u8,
    pub autonomy: u8,
    pub orientation: u8,
    pub people: u16,
    pub structure: u32,
    pub mediator: u32,
    pub place: u32,
    pub follow: u32,
}

/// The records of one commune, column by column, sorted by day.
#[derive(Debug, Default, Clone)]
pub(super) struct Segment {
    pub day: Vec<u16>,
    pub kind: Vec<u8>,
    pub duration: Vec<u8>,
    pub themes: Vec<u32>,
    pub ages: Vec<u32>,
    pub statuses: Vec<u32>,
    pub suivi: Vec<u32>,
    pub organisation: Vec<u8>,
    pub helps: Vec<u8>,
    pub autonomy: Vec<u8>,
    pub orientation: Vec<u8>,
    pub people: Vec<u16>,
    pub structure: Vec<u32>,
    pub mediator: Vec<u32>,
    pub place: Vec<u32>,
    pub follow: Vec<u32>,
}

/// Applies `$do` to every column of a segment with the row's field.
macro_rules! columns {
    ($seg:expr, $row:expr, |$col:ident, $val:ident| $do:expr) => {{
        {
            let $col = &mut $seg.day;
            let $val = $row.day;
            $do;
        }
        columns!(@rest $seg, $row, |$col, $val| $do, kind duration themes ages statuses suivi organisation helps autonomy orientation people structure mediator place follow);
    }};
    (@rest $seg:expr, $row:expr, |$col:ident, $val:ident| $do:expr, $($f:ident)*) => {{
        $({
            let $col = &mut $seg.$f;
            let $val = $row.$f;
            $do;
        })*
    }};
}

impl Segment {
    pub fn len(&self) -> usize {
        self.day.len()
    }

    /// Positions of the records from day `from` to day `to`, included.
    pub fn days(&self, from: u16, to: u16) -> std::ops::Range<usize> {
        let lo = self.day.partition_point(|d| *d < from);
        let hi = self.day.partition_point(|d| *d <= to);
        lo..hi.max(lo)
    }

    fn push(&mut self, row: &Row) {
        columns!(self, row, |col, val| col.push(val));
    }

    fn insert(&mut self, at: usize, row: &Row) {
        columns!(self, row, |col, val| col.insert(at, val));
    }

    fn remove_at(&mut self, at: usize) {
        columns!(self, Row::default(), |col, _val| {
            col.remove(at);
        });
    }

    fn row(&self, i: usize) -> Row {
        Row {
            day: self.day[i],
            kind: self.kind[i],
            duration: self.duration[i],
            themes: self.themes[i],
            ages: self.ages[i],
            statuses: self.statuses[i],
            suivi: self.suivi[i],
            organisation: self.organisation[i],
            helps: self.helps[i],
            autonomy: self.autonomy[i],
            orientation: self.orientation[i],
            people: self.people[i],
            structure: self.structure[i],
            mediator: self.mediator[i],
            place: self.place[i],
            follow: self.follow[i],
        }
    }

    /// Sorts the rows by day (stable: rows of one day keep their order).
    fn sort(&mut self) {
        if self.day.is_sorted() {
            return;
        }
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        order.sort_by_key(|i| self.day[*i as usize]);
        let rows: Vec<Row> = order.iter().map(|i| self.row(*i as usize)).collect();
        *self = Segment::default();
        self.reserve(rows.len());
        for r in &rows {
            self.push(r);
        }
    }

    fn reserve(&mut self, n: usize) {
        columns!(self, Row::default(), |col, _val| col.reserve_exact(n));
    }

    fn shrink(&mut self) {
        columns!(self, Row::default(), |col, _val| col.shrink_to_fit());
    }

    fn bytes(&self) -> usize {
        fn b<T>(v: &Vec<T>) -> usize {
            v.capacity() * std::mem::size_of::<T>()
        }
        b(&self.day)
            + b(&self.kind)
            + b(&self.duration)
            + b(&self.themes)
            + b(&self.ages)
            + b(&self.statuses)
            + b(&self.suivi)
            + b(&self.organisation)
            + b(&self.helps)
            + b(&self.autonomy)
            + b(&self.orientation)
            + b(&self.people)
            + b(&self.structure)
            + b(&self.mediator)
            + b(&self.place)
            + b(&self.follow)
    }
}

/// The live records, ready to count.
#[derive(Debug, Clone)]
pub struct Index {
    pub(super) geo: Geography,
    /// One per commune of `geo`, then one for records without a commune
    /// of the reference.
    pub(super) segments: Vec<Segment>,
    /// Theme sets: bit i is `vocab::THEMES[i]`.
    pub(super) themes: Interner<u32>,
    /// Over `vocab::RECORD_AGE_BRACKETS`.
    pub(super) ages: Interner<Profile>,
    /// Over `vocab::STATUSES`.
    pub(super) statuses: Interner<Profile>,
    /// Over `query::FOLLOW_UP`.
    pub(super) suivis: Interner<Profile>,
    pub(super) structures: Interner<i64>,
    pub(super) mediators: Interner<i64>,
    pub(super) places: Interner<i64>,
    /// Follow-up codes, by a hash of the structure and the code.
    pub(super) follows: Interner<u64>,
    records: usize,
}

/// The index of `value` in `list`, if there.
fn position(list: &[&str], value: &str) -> Option<u8> {
    list.iter().position(|v| *v == value).map(|i| i as u8)
}

fn kind_code(kind: Kind) -> u8 {
    match kind {
        Kind::Individuel => 0,
        Kind::Atelier => 1,
        Kind::Demarche => 2,
    }
}

impl Index {
    pub fn new(geo: Geography) -> Self {
        let segments = vec![Segment::default(); geo.len() + 1];
        Self {
            geo,
            segments,
            themes: Interner::new(None),
            ages: Interner::new(None),
            statuses: Interner::new(None),
            suivis: Interner::new(None),
            structures: Interner::new(Some(0)),
            mediators: Interner::new(Some(0)),
            places: Interner::new(Some(0)),
            follows: Interner::new(Some(0)),
            records: 0,
        }
    }

    pub fn geography(&self) -> &Geography {
        &self.geo
    }

    /// How many live records it holds.
    pub fn len(&self) -> usize {
        self.records
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Bytes held by its columns and dictionaries (the reference aside).
    pub fn memory(&self) -> usize {
        self.segments.iter().map(Segment::bytes).sum::<usize>()
            + self.segments.capacity() * std::mem::size_of::<Segment>()
            + self.themes.bytes()
            + self.structures.bytes()
            + self.mediators.bytes()
            + self.places.bytes()
            + self.follows.bytes()
            + [&self.ages, &self.statuses, &self.suivis]
                .iter()
                .map(|p| p.bytes() + p.items.iter().map(|i| i.len() * 4).sum::<usize>())
                .sum::<usize>()
    }

    fn segment_of(&self, f: &Fact) -> usize {
        f.commune
            .and_then(|c| self.geo.commune(c))
            .map_or(self.geo.len(), |n| n as usize)
    }

    /// Adds a record, keeping its commune's records sorted by day.
    pub fn add(&mut self, f: &Fact) {
        let row = self.encode(f);
        let seg = self.segment_of(f);
        let s = &mut self.segments[seg];
        let at = s.day.partition_point(|d| *d <= row.day);
        s.insert(at, &row);
        self.records += 1;
    }

    /// Adds records in any order; `finish` sorts them. For building the
    /// whole index at once.
    pub fn add_unsorted(&mut self, f: &Fact) {
        let row = self.encode(f);
        let seg = self.segment_of(f);
        self.segments[seg].push(&row);
        self.records += 1;
    }

    /// After `add_unsorted`: every commune's records sorted by day, spare
    /// capacity given back.
    pub fn finish(&mut self) {
        for s in &mut self.segments {
            s.sort();
            s.shrink();
        }
    }

    /// Takes a record out (withdrawn, or replaced): any stored record
    /// with the same codes is the same for every count. False when none.
    pub fn remove(&mut self, f: &Fact) -> bool {
        let Some(row) = self.lookup(f) else {
            return false;
        };
        let seg = self.segment_of(f);
        let s = &mut self.segments[seg];
        let found = s.days(row.day, row.day).find(|i| s.row(*i) == row);
        match found {
            Some(i) => {
                s.remove_at(i);
                self.records -= 1;
                true
            }
            None => false,
        }
    }

    fn follow_key(f: &Fact) -> Option<u64> {
        let code = f.activity.follow_up_code.as_deref()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (f.structure, code).hash(&mut h);
        Some(h.finish().max(1))
    }

    /// The record's codes, interning new values.
    fn encode(&mut self, f: &Fact) -> Row {
        let (themes, ages, statuses, suivi) = profiles(f.activity);
        let place = match f.activity.place {
            Where::Lieu(id) => self.places.intern(&id),
            _ => 0,
        };
        let follow = Self::follow_key(f).map_or(0, |k| self.follows.intern(&k));
        Row {
            themes: self.themes.intern(&themes),
            ages: self.ages.intern(&ages),
            statuses: self.statuses.intern(&statuses),
            suivi: self.suivis.intern(&suivi),
            structure: f.structure.map_or(0, |s| self.structures.intern(&s)),
            mediator: f.mediator.map_or(0, |m| self.mediators.intern(&m)),
            place,
            follow,
            ..plain(f.activity)
        }
    }

    /// The record's codes if every value is already known.
    fn lookup(&self, f: &Fact) -> Option<Row> {
        let (themes, ages, statuses, suivi) = profiles(f.activity);
        let known = |dict: &Interner<i64>, id: Option<i64>| match id {
            None => Some(0),
            Some(id) => dict.get(&id),
        };
        let place = match f.activity.place {
            Where::Lieu(id) => Some(id),
            _ => None,
        };
        Some(Row {
            themes: self.themes.get(&themes)?,
            ages: self.ages.get(&ages)?,
            statuses: self.statuses.get(&statuses)?,
            suivi: self.suivis.get(&suivi)?,
            structure: known(&self.structures, f.structure)?,
            mediator: known(&self.mediators, f.mediator)?,
            place: known(&self.places, place)?,
            follow: match Self::follow_key(f) {
                None => 0,
                Some(k) => self.follows.get(&k)?,
            },
            ..plain(f.activity)
        })
    }
}

/// The codes that need no dictionary.
fn plain(a: &Activity) -> Row {
    let helps = a
        .kinds_of_help
        .iter()
        .filter_map(|h| position(&vocab::KINDS_OF_HELP, h))
        .fold(0u8, |m, i| m | (1 << i));
    let one = |list: &[&str], v: &Option<String>| {
        v.as_deref()
            .and_then(|v| position(list, v))
            .map_or(0, |i| i + 1)
    };
    Row {
        day: day_number(a.date),
        kind: kind_code(a.kind),
        duration: position(
            &query::DURATIONS,
            vocab::duration_bucket(a.duration_minutes),
        )
        .unwrap_or(0),
        organisation: one(&vocab::ORGANISATIONS, &a.organisation),
        helps,
        autonomy: one(&vocab::AUTONOMY, &a.autonomy),
        orientation: one(&vocab::ORIENTATIONS, &a.orientation),
        people: a.participants.min(u32::from(u16::MAX)) as u16,
        ..Row::default()
    }
}

/// A record's theme set and its distributions of ages, statuses and
/// follow-up, as `count_by` counts them.
fn profiles(a: &Activity) -> (u32, Profile, Profile, Profile) {
    let themes = a
        .themes
        .iter()
        .filter_map(|t| vocab::THEMES.iter().position(|(name, _)| name == t))
        .fold(0u32, |m, i| m | (1 << i));
    let spread = |list: &[&str], counts: &[(String, u32)], unknown: &str| {
        let unknown = position(list, unknown).unwrap_or(0);
        let parts: Vec<(u8, u32)> = if counts.is_empty() {
            vec![(unknown, a.participants.max(1))]
        } else {
            counts
                .iter()
                .map(|(v, n)| (position(list, v).unwrap_or(unknown), *n))
                .collect()
        };
        profile(parts)
    };
    let ages = spread(&vocab::RECORD_AGE_BRACKETS, &a.ages, "non communiqué");
    let statuses = spread(&vocab::STATUSES, &a.statuses, "non communiqué");
    let returning = if a.follow_up_code.is_some() {
        a.participants
    } else {
        a.returning.min(a.participants)
    };
    let kind = kind_code(a.kind) * 2;
    let suivi = vec![(kind, returning), (kind + 1, a.participants - returning)];
    (themes, ages, statuses, profile(suivi))
}
