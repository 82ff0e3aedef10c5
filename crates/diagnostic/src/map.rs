//! Maps that need no tile server: the IGN outlines of the communes of
//! Bretagne and of the départements of France (bundled, `data/geo/`),
//! projected in Lambert-93 (the official projection of metropolitan
//! France), simplified for the scale of each map and drawn as SVG.
//!
//! The outlines are turned once into a topology of shared arcs, as
//! TopoJSON does: a border between two communes is one arc used by both,
//! so simplifying it never opens gaps, the outline of any group of
//! communes is the set of arcs with one side in the group, and the
//! communes merged since 2018 are drawn as one 2026 commune by leaving out
//! the arcs between their parts. Arcs are simplified by Visvalingam's
//! effective areas, computed once; each map keeps the points whose area is
//! visible at its scale.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::OnceLock;

use serde_json::Value;

use crate::offer::OfferPlace;
use crate::portrait::{CommuneRow, Portrait};

const COMMUNES_2018: &str = include_str!("../../../data/geo/bretagne/communes-2018.geojson");
const DEPARTEMENTS_2018: &str =
    include_str!("../../../data/geo/france/departements-2018-simplifie.geojson");

/// Lambert-93 (RGF93, EPSG:2154): conformal conic, GRS80 ellipsoid,
/// standard parallels 44° and 49° N, origin 46.5° N 3° E at
/// (700 000 m, 6 600 000 m).
pub fn lambert93(lat: f64, lon: f64) -> (f64, f64) {
    struct Consts {
        n: f64,
        c: f64,
        rho0: f64,
    }
    const A: f64 = 6_378_137.0;
    const E: f64 = 0.081_819_191_042_815_8;
    fn m(phi: f64) -> f64 {
        phi.cos() / (1.0 - E * E * phi.sin().powi(2)).sqrt()
    }
    fn t(phi: f64) -> f64 {
        let s = E * phi.sin();
        (std::f64::consts::FRAC_PI_4 - phi / 2.0).tan() / ((1.0 - s) / (1.0 + s)).powf(E / 2.0)
    }
    static K: OnceLock<Consts> = OnceLock::new();
    let k = K.get_or_init(|| {
        let (p1, p2, p0) = (44f64.to_radians(), 49f64.to_radians(), 46.5f64.to_radians());
        let n = (m(p1).ln() - m(p2).ln()) / (t(p1).ln() - t(p2).ln());
        let f = m(p1) / (n * t(p1).powf(n));
        Consts {
            n,
            c: A * f,
            rho0: A * f * t(p0).powf(n),
        }
    });
    let rho = k.c * t(lat.to_radians()).powf(k.n);
    let theta = k.n * (lon - 3.0).to_radians();
    (
        700_000.0 + rho * theta.sin(),
        6_600_000.0 + k.rho0 - rho * theta.cos(),
    )
}

/// A rectangle in projected metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

impl BBox {
    pub const EMPTY: BBox = BBox {
        min_x: f64::INFINITY,
        min_y: f64::INFINITY,
        max_x: f64::NEG_INFINITY,
        max_y: f64::NEG_INFINITY,
    };

    pub fn add(&mut self, (x, y): (f64, f64)) {
        self.min_x = self.min_x.min(x);
        self.min_y = self.min_y.min(y);
        self.max_x = self.max_x.max(x);
        self.max_y = self.max_y.max(y);
    }

    pub fn merge(&mut self, other: &BBox) {
        self.add((other.min_x, other.min_y));
        self.add((other.max_x, other.max_y));
    }

    pub fn is_empty(&self) -> bool {
        self.min_x > self.max_x
    }

    pub fn intersects(&self, o: &BBox) -> bool {
        self.min_x <= o.max_x
            && o.min_x <= self.max_x
            && self.min_y <= o.max_y
            && o.min_y <= self.max_y
    }

    pub fn contains(&self, (x, y): (f64, f64)) -> bool {
        x >= self.min_x && x <= self.max_x && y >= self.min_y && y <= self.max_y
    }

    /// Grown by `share` of its larger side on every side.
    fn padded(&self, share: f64) -> BBox {
        let d = (self.max_x - self.min_x)
            .max(self.max_y - self.min_y)
            .max(1.0)
            * share;
        BBox {
            min_x: self.min_x - d,
            min_y: self.min_y - d,
            max_x: self.max_x + d,
            max_y: self.max_y + d,
        }
    }
}

/// A chain of points between two junctions, shared by the one or two
/// outlines it bounds.
struct Arc {
    points: Vec<(f64, f64)>,
    /// The same points in degrees × 10⁶ (longitude, latitude), for maps
    /// that project themselves (`borders_geojson`).
    degrees: Vec<(i32, i32)>,
    /// Visvalingam effective area of each point (m²); the ends never go.
    weight: Vec<f64>,
    /// The features on each side (the second is `None` on a coast or the
    /// edge of the data).
    sides: [Option<u32>; 2],
    bbox: BBox,
}

/// One polygon ring: arcs, each forwards or backwards.
type Ring = Vec<(u32, bool)>;

struct Feature {
    /// The unit it is drawn as: the 2026 commune of a 2018 commune, or the
    /// département.
    unit: String,
    rings: Vec<Ring>,
    bbox: BBox,
}

/// Outlines turned into shared arcs, ready to draw at any scale.
pub struct Outlines {
    features: Vec<Feature>,
    arcs: Vec<Arc>,
    units: HashMap<String, Vec<u32>>,
}

type Point = (i64, i64);

fn quantise(c: &Value) -> Option<Point> {
    let lon = c.get(0)?.as_f64()?;
    let lat = c.get(1)?.as_f64()?;
    Some(((lon * 1e6).round() as i64, (lat * 1e6).round() as i64))
}

fn project(p: Point) -> (f64, f64) {
    lambert93(p.1 as f64 / 1e6, p.0 as f64 / 1e6)
}

fn triangle(a: (f64, f64), b: (f64, f64), c: (f64, f64)) -> f64 {
    ((b.0 - a.0) * (c.1 - a.1) - (c.0 - a.0) * (b.1 - a.1)).abs() / 2.0
}

/// Visvalingam–Whyatt effective areas, made monotone so that keeping the
/// points above a threshold is the simplification at that threshold.
fn effective_areas(points: &[(f64, f64)]) -> Vec<f64> {
    let n = points.len();
    let mut area = vec![f64::INFINITY; n];
    if n < 3 {
        return area;
    }
    let mut prev: Vec<usize> = (0..n).map(|i| i.saturating_sub(1)).collect();
    let mut next: Vec<usize> = (0..n).map(|i| (i + 1).min(n - 1)).collect();
    let mut current = vec![f64::INFINITY; n];
    let mut heap = BinaryHeap::new();
    for i in 1..n - 1 {
        current[i] = triangle(points[i - 1], points[i], points[i + 1]);
        heap.push(Reverse((current[i].to_bits(), i)));
    }
    let mut removed = vec![false; n];
    let mut floor = 0.0f64;
    while let Some(Reverse((bits, i))) = heap.pop() {
        if removed[i] || current[i].to_bits() != bits {
            continue;
        }
        removed[i] = true;
        floor = floor.max(current[i]);
        area[i] = floor;
        let (p, q) = (prev[i], next[i]);
        next[p] = q;
        prev[q] = p;
        for j in [p, q] {
            if j != 0 && j != n - 1 && !removed[j] {
                current[j] = triangle(points[prev[j]], points[j], points[next[j]]);
                heap.push(Reverse((current[j].to_bits(), j)));
            }
        }
    }
    area
}

impl Outlines {
    /// Builds the topology of a GeoJSON FeatureCollection of polygons;
    /// `unit` says what each feature (by its `code` property) is drawn as.
    pub fn from_geojson(text: &str, unit: impl Fn(&str) -> String) -> Result<Self, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| format!("GeoJSON: {e}"))?;
        let features = doc
            .get("features")
            .and_then(Value::as_array)
            .ok_or("GeoJSON: no features")?;
        // Every feature's rings, as quantised points without the closing
        // repetition.
        let mut raw: Vec<(String, Vec<Vec<Point>>)> = Vec::new();
        for f in features {
            let code = f
                .pointer("/properties/code")
                .and_then(Value::as_str)
                .ok_or("GeoJSON: a feature has no code")?
                .to_string();
            let geometry = f.get("geometry").ok_or("GeoJSON: no geometry")?;
            let coordinates = geometry
                .get("coordinates")
                .ok_or("GeoJSON: no coordinates")?;
            let polygons: Vec<&Value> = match geometry.get("type").and_then(Value::as_str) {
                Some("Polygon") => vec![coordinates],
                Some("MultiPolygon") => coordinates
                    .as_array()
                    .ok_or("GeoJSON: bad MultiPolygon")?
                    .iter()
                    .collect(),
                other => return Err(format!("GeoJSON: geometry {other:?} is not a polygon")),
            };
            let mut rings = Vec::new();
            for polygon in polygons {
                for ring in polygon.as_array().ok_or("GeoJSON: bad polygon")? {
                    let mut points: Vec<Point> = Vec::new();
                    for c in ring.as_array().ok_or("GeoJSON: bad ring")? {
                        let p = quantise(c).ok_or("GeoJSON: bad position")?;
                        if points.last() != Some(&p) {
                            points.push(p);
                        }
                    }
                    if points.len() > 1 && points.first() == points.last() {
                        points.pop();
                    }
                    if points.len() >= 3 {
                        rings.push(points);
                    }
                }
            }
            raw.push((code, rings));
        }
        // Junctions: points with other than two distinct neighbours.
        let mut neighbours: HashMap<Point, Vec<Point>> = HashMap::new();
        for (_, rings) in &raw {
            for ring in rings {
                let n = ring.len();
                for i in 0..n {
                    let list = neighbours.entry(ring[i]).or_default();
                    for q in [ring[(i + n - 1) % n], ring[(i + 1) % n]] {
                        if !list.contains(&q) {
                            list.push(q);
                        }
                    }
                }
            }
        }
        let node = |p: &Point| neighbours.get(p).is_none_or(|l| l.len() != 2);
        let mut arcs: Vec<Arc> = Vec::new();
        let mut edges: HashMap<(Point, Point), (u32, bool)> = HashMap::new();
        let mut out_features = Vec::new();
        let mut units: HashMap<String, Vec<u32>> = HashMap::new();
        for (k, (code, rings)) in raw.into_iter().enumerate() {
            let mut feature_rings = Vec::new();
            let mut bbox = BBox::EMPTY;
            for ring in rings {
                let n = ring.len();
                // Start at a junction, or at the smallest point of a ring
                // that has none, so that a ring shared whole (an enclave)
                // is cut at the same place from both sides.
                let start = (0..n)
                    .find(|&i| node(&ring[i]))
                    .unwrap_or_else(|| (0..n).min_by_key(|&i| ring[i]).expect("a ring has points"));
                let mut segments: Vec<Vec<Point>> = Vec::new();
                let mut current = vec![ring[start]];
                for step in 1..=n {
                    let p = ring[(start + step) % n];
                    current.push(p);
                    if step == n || node(&p) {
                        segments.push(std::mem::replace(&mut current, vec![p]));
                    }
                }
                let mut out_ring = Vec::new();
                for seg in segments {
                    let first = (seg[0], seg[1]);
                    let (arc, forward) = match edges.get(&first) {
                        Some(&(a, fwd)) => {
                            let sides = &mut arcs[a as usize].sides;
                            if sides[0] != Some(k as u32) && sides[1].is_none() {
                                sides[1] = Some(k as u32);
                            }
                            (a, fwd)
                        }
                        None => {
                            let id = arcs.len() as u32;
                            for w in seg.windows(2) {
                                edges.insert((w[0], w[1]), (id, true));
                                edges.insert((w[1], w[0]), (id, false));
                            }
                            let mut points: Vec<(f64, f64)> =
                                seg.iter().map(|&p| project(p)).collect();
                            let mut weight = effective_areas(&points);
                            // A closed arc keeps at least a triangle.
                            if seg.first() == seg.last() && points.len() > 3 {
                                let m = points.len();
                                weight[m / 3] = f64::INFINITY;
                                weight[2 * m / 3] = f64::INFINITY;
                            }
                            let mut b = BBox::EMPTY;
                            for &p in &points {
                                b.add(p);
                            }
                            points.shrink_to_fit();
                            arcs.push(Arc {
                                points,
                                degrees: seg.iter().map(|&(x, y)| (x as i32, y as i32)).collect(),
                                weight,
                                sides: [Some(k as u32), None],
                                bbox: b,
                            });
                            (id, true)
                        }
                    };
                    bbox.merge(&arcs[arc as usize].bbox);
                    out_ring.push((arc, forward));
                }
                feature_rings.push(out_ring);
            }
            let unit = unit(&code);
            units.entry(unit.clone()).or_default().push(k as u32);
            out_features.push(Feature {
                unit,
                rings: feature_rings,
                bbox,
            });
        }
        Ok(Outlines {
            features: out_features,
            arcs,
            units,
        })
    }

    /// Whether a unit has an outline.
    pub fn has(&self, unit: &str) -> bool {
        self.units.contains_key(unit)
    }

    /// The extent of some units.
    pub fn bbox_of<'a>(&self, units: impl Iterator<Item = &'a str>) -> BBox {
        let mut b = BBox::EMPTY;
        for u in units {
            for &f in self.units.get(u).map(Vec::as_slice).unwrap_or(&[]) {
                b.merge(&self.features[f as usize].bbox);
            }
        }
        b
    }

    /// Number of arcs and of points, for the record.
    pub fn size(&self) -> (usize, usize) {
        (
            self.arcs.len(),
            self.arcs.iter().map(|a| a.points.len()).sum(),
        )
    }
}

/// The communes of Bretagne (IGN Admin Express 2018), drawn as their 2026
/// commune: the 30 merged since are parts of their commune nouvelle.
pub fn bretagne_communes() -> &'static Outlines {
    static OUTLINES: OnceLock<Outlines> = OnceLock::new();
    OUTLINES.get_or_init(|| {
        Outlines::from_geojson(COMMUNES_2018, |code| {
            crate::bundled::commune_2026(code).to_string()
        })
        .expect("the bundled commune outlines are valid GeoJSON")
    })
}

/// The départements of metropolitan France (IGN 2018, simplified).
pub fn france_departements() -> &'static Outlines {
    static OUTLINES: OnceLock<Outlines> = OnceLock::new();
    OUTLINES.get_or_init(|| {
        Outlines::from_geojson(DEPARTEMENTS_2018, str::to_string)
            .expect("the bundled département outlines are valid GeoJSON")
    })
}

/// A commune (or other unit) to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct MapUnit {
    pub code: String,
    pub nom: String,
    /// Its département, to draw the borders between départements.
    pub departement: String,
    /// Its class in the legend, `None`: no figure.
    pub class: Option<usize>,
    /// "Quimper : 23,4 %", shown on hover.
    pub tooltip: String,
    pub centre: Option<(f64, f64)>,
    pub population: i64,
}

/// What a map shows.
#[derive(Debug, Clone)]
pub struct MapRequest {
    /// Title and description for assistive technologies.
    pub title: String,
    pub description: String,
    /// The communes of the portrayed territory.
    pub units: Vec<MapUnit>,
    /// One fill per class.
    pub colours: Vec<&'static str>,
    /// Places (latitude, longitude, name), drawn on top.
    pub places: Vec<(f64, f64, String)>,
    /// Size in CSS pixels.
    pub width: f64,
    pub height: f64,
    /// `id` of the `<svg>` element.
    pub id: String,
}

/// Fill of a commune without figure (a hatch is defined for it).
const NO_DATA: &str = "url(#sans-donnee)";
const CONTEXT_FILL: &str = "#e5e5e5";

/// Tenths of a pixel, written shortest (`12.3`, `-4`, `0.5`).
fn tenths(out: &mut String, v: i64) {
    if v % 10 == 0 {
        let _ = write!(out, "{}", v / 10);
    } else {
        let sign = if v < 0 { "-" } else { "" };
        let a = v.abs();
        let _ = write!(out, "{sign}{}.{}", a / 10, a % 10);
    }
}

/// Projection of a map: metres to tenths of a pixel.
struct Frame {
    min_x: f64,
    max_y: f64,
    scale: f64,
    pad: f64,
    /// Area below which a point is dropped (m²).
    threshold: f64,
}

impl Frame {
    fn px(&self, (x, y): (f64, f64)) -> (i64, i64) {
        (
            (((x - self.min_x) * self.scale + self.pad) * 10.0).round() as i64,
            (((self.max_y - y) * self.scale + self.pad) * 10.0).round() as i64,
        )
    }
}

/// Path data in relative moves of tenths of a pixel, points that would
/// not move left out.
struct PathWriter<'a> {
    out: &'a mut String,
    last: Option<(i64, i64)>,
}

impl<'a> PathWriter<'a> {
    fn new(out: &'a mut String) -> Self {
        PathWriter { out, last: None }
    }

    fn point(&mut self, p: (i64, i64)) {
        match self.last {
            None => {
                self.out.push('M');
                tenths(self.out, p.0);
                self.out.push(' ');
                tenths(self.out, p.1);
            }
            Some(l) if l == p => return,
            Some(l) => {
                self.out.push('l');
                tenths(self.out, p.0 - l.0);
                if p.1 - l.1 >= 0 {
                    self.out.push(' ');
                }
                tenths(self.out, p.1 - l.1);
            }
        }
        self.last = Some(p);
    }

    /// Closes the ring drawn since the last `M`, if any.
    fn close(&mut self) {
        if self.last.take().is_some() {
            self.out.push('z');
        }
    }
}

/// Writes one feature's rings as path data.
fn ring_path(out: &mut String, outlines: &Outlines, feature: &Feature, frame: &Frame) {
    let mut path = PathWriter::new(out);
    for ring in &feature.rings {
        for (k, &(arc, forward)) in ring.iter().enumerate() {
            let a = &outlines.arcs[arc as usize];
            let n = a.points.len();
            let order: Box<dyn Iterator<Item = usize>> = if forward {
                Box::new(0..n)
            } else {
                Box::new((0..n).rev())
            };
            // Each arc but the first starts where the previous one ended.
            for i in order.skip(usize::from(k > 0)) {
                if a.weight[i] >= frame.threshold {
                    path.point(frame.px(a.points[i]));
                }
            }
        }
        path.close();
    }
}

/// Writes one arc as path data (an open line).
fn arc_path(out: &mut String, arc: &Arc, frame: &Frame) {
    let mut path = PathWriter::new(out);
    for (i, &p) in arc.points.iter().enumerate() {
        if arc.weight[i] >= frame.threshold {
            path.point(frame.px(p));
        }
    }
}

/// Which borders a web map draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Borders {
    /// Départements only (a view of a région or more).
    Departements,
    /// Départements and communes.
    Communes,
}

/// The borders inside a view (degrees: south, west, north, east), for a
/// web map that projects them itself (Leaflet): the départements' and,
/// when asked, the communes' (merged communes drawn as their 2026
/// commune), simplified for `metres_per_px` as the SVG maps are, as a
/// GeoJSON FeatureCollection of two MultiLineStrings (property `niveau`:
/// `departement` or `commune`), five decimals.
pub fn borders_geojson(
    (south, west, north, east): (f64, f64, f64, f64),
    metres_per_px: f64,
    borders: Borders,
) -> String {
    // The view in Lambert-93: corners and the middles of the edges (the
    // parallels are arcs in a conic projection).
    let mut view = BBox::EMPTY;
    for lat in [south, (south + north) / 2.0, north] {
        for lon in [west, (west + east) / 2.0, east] {
            view.add(lambert93(lat, lon));
        }
    }
    let view = view.padded(0.05);
    let threshold = (0.6 * metres_per_px).powi(2);
    let mut out = String::from(r#"{"type":"FeatureCollection","features":["#);
    let layer = |out: &mut String, outlines: &Outlines, level: &str, first: bool| {
        if !first {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"{{"type":"Feature","properties":{{"niveau":"{level}"}},"geometry":{{"type":"MultiLineString","coordinates":["#
        );
        let mut lines = 0;
        for arc in outlines.arcs.iter().filter(|a| a.bbox.intersects(&view)) {
            let unit =
                |side: Option<u32>| side.map(|k| outlines.features[k as usize].unit.as_str());
            if arc.sides[1].is_some() && unit(arc.sides[0]) == unit(arc.sides[1]) {
                continue; // inside a commune nouvelle
            }
            if lines > 0 {
                out.push(',');
            }
            lines += 1;
            out.push('[');
            let mut written = 0;
            for (i, &(lon, lat)) in arc.degrees.iter().enumerate() {
                if arc.weight[i] < threshold {
                    continue;
                }
                if written > 0 {
                    out.push(',');
                }
                written += 1;
                let _ = write!(out, "[{},{}]", degrees(lon), degrees(lat));
            }
            out.push(']');
        }
        out.push_str("]}}");
    };
    layer(&mut out, france_departements(), "departement", true);
    if borders == Borders::Communes {
        layer(&mut out, bretagne_communes(), "commune", false);
    }
    out.push_str("]}");
    out
}

/// Degrees × 10⁶ with five decimals (about a metre).
fn degrees(micro: i32) -> String {
    let tenth_metres = (f64::from(micro) / 10.0).round() as i64;
    let sign = if tenth_metres < 0 { "-" } else { "" };
    let a = tenth_metres.abs();
    format!("{sign}{}.{:05}", a / 100_000, a % 100_000)
}

/// Escapes text for XML.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Draws the map: the communes of the territory coloured by class, the
/// communes around in grey, borders between communes and between
/// départements, the territory's outline, and the places on top.
/// Communes that have no outline (outside Bretagne) are drawn as circles
/// whose area follows their population, over the départements' outlines.
pub fn render(req: &MapRequest) -> String {
    let communes = bretagne_communes();
    let deps = france_departements();
    let with_outline: Vec<&MapUnit> = req.units.iter().filter(|u| communes.has(&u.code)).collect();
    let circles: Vec<&MapUnit> = req
        .units
        .iter()
        .filter(|u| !communes.has(&u.code) && u.centre.is_some())
        .collect();
    // The extent: the outlined communes and the centres of the others.
    let mut extent = communes.bbox_of(with_outline.iter().map(|u| u.code.as_str()));
    for u in &circles {
        let (lat, lon) = u.centre.expect("filtered");
        extent.add(lambert93(lat, lon));
    }
    if extent.is_empty() {
        extent = deps.bbox_of(["29", "35"].into_iter());
    }
    let view = extent.padded(0.03);
    let (w, h) = (req.width, req.height);
    let pad = 4.0;
    let scale = ((w - 2.0 * pad) / (view.max_x - view.min_x))
        .min((h - 2.0 * pad) / (view.max_y - view.min_y));
    // The picture's own size at that scale (no empty band).
    let (w, h) = (
        (view.max_x - view.min_x) * scale + 2.0 * pad,
        (view.max_y - view.min_y) * scale + 2.0 * pad,
    );
    let metres_per_px = 1.0 / scale;
    let frame = Frame {
        min_x: view.min_x,
        max_y: view.max_y,
        scale,
        pad,
        threshold: (0.6 * metres_per_px).powi(2),
    };
    let mut out = String::with_capacity(256 * 1024);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="passerelle-carte-svg" viewBox="0 0 {vw} {vh}" width="{vw}" height="{vh}" role="img" aria-labelledby="{id}-titre {id}-desc"><title id="{id}-titre">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
        id = xml(&req.id),
        vw = (w * 10.0).round() / 10.0,
        vh = (h * 10.0).round() / 10.0,
        title = xml(&req.title),
        desc = xml(&req.description),
    );
    out.push_str(r##"<defs><pattern id="sans-donnee" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#929292" stroke-width="2"/></pattern></defs>"##);
    let in_territory: HashMap<&str, &MapUnit> =
        with_outline.iter().map(|u| (u.code.as_str(), *u)).collect();
    // Départements around, for communes without outline or far views.
    if !circles.is_empty() {
        out.push_str(r##"<g fill="#f6f6f6" stroke="#929292" stroke-width="0.8">"##);
        for f in &deps.features {
            if f.bbox.intersects(&view) {
                out.push_str("<path d=\"");
                ring_path(&mut out, deps, f, &frame);
                out.push_str("\"/>");
            }
        }
        out.push_str("</g>");
    }
    // Communes around the territory, in grey.
    let visible: Vec<u32> = (0..communes.features.len() as u32)
        .filter(|&k| communes.features[k as usize].bbox.intersects(&view))
        .collect();
    let _ = write!(out, r#"<g fill="{CONTEXT_FILL}">"#);
    let mut drawn_context: HashSet<&str> = HashSet::new();
    for &k in &visible {
        let unit = communes.features[k as usize].unit.as_str();
        if in_territory.contains_key(unit) || !drawn_context.insert(unit) {
            continue;
        }
        out.push_str("<path d=\"");
        for &f in &communes.units[unit] {
            ring_path(&mut out, communes, &communes.features[f as usize], &frame);
        }
        out.push_str("\"/>");
    }
    out.push_str("</g>");
    // The territory's communes, coloured by class.
    out.push_str(r#"<g class="passerelle-carte-communes">"#);
    for u in &with_outline {
        let fill = u
            .class
            .map_or(NO_DATA, |c| req.colours[c.min(req.colours.len() - 1)]);
        let _ = write!(
            out,
            r#"<path data-code="{}" fill="{fill}" d=""#,
            xml(&u.code)
        );
        for &f in &communes.units[u.code.as_str()] {
            ring_path(&mut out, communes, &communes.features[f as usize], &frame);
        }
        let _ = write!(out, r#""><title>{}</title></path>"#, xml(&u.tooltip));
    }
    out.push_str("</g>");
    // Borders: between communes, between départements, the territory's
    // outline.
    let unit_of = |side: Option<u32>| side.map(|k| communes.features[k as usize].unit.as_str());
    let departement_of = |unit: &str| -> String {
        in_territory
            .get(unit)
            .map(|u| u.departement.clone())
            .unwrap_or_else(|| {
                passerelle_territory::codes::departement_of_commune(unit).to_string()
            })
    };
    let (mut inner, mut between_deps, mut outline) = (String::new(), String::new(), String::new());
    let mut seen: HashSet<u32> = HashSet::new();
    for &k in &visible {
        for ring in &communes.features[k as usize].rings {
            for &(arc, _) in ring {
                if !seen.insert(arc) {
                    continue;
                }
                let a = &communes.arcs[arc as usize];
                let (left, right) = (unit_of(a.sides[0]), unit_of(a.sides[1]));
                if left == right {
                    continue; // inside a commune nouvelle
                }
                let inside = |u: Option<&str>| u.is_some_and(|u| in_territory.contains_key(u));
                let target = if inside(left) != inside(right) {
                    &mut outline
                } else if let (Some(l), Some(r)) = (left, right)
                    && departement_of(l) != departement_of(r)
                {
                    &mut between_deps
                } else {
                    &mut inner
                };
                arc_path(target, a, &frame);
            }
        }
    }
    let _ = write!(
        out,
        r##"<path fill="none" stroke="#ffffff" stroke-width="0.6" d="{inner}"/><path fill="none" stroke="#666666" stroke-width="1.2" d="{between_deps}"/><path fill="none" stroke="#161616" stroke-width="2" stroke-linejoin="round" d="{outline}"/>"##
    );
    // Communes without outline: circles whose area follows the population.
    if !circles.is_empty() {
        let max_pop = circles
            .iter()
            .map(|u| u.population)
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        out.push_str(r##"<g stroke="#3a3a3a" stroke-width="0.5">"##);
        for u in &circles {
            let (lat, lon) = u.centre.expect("filtered");
            let p = frame.px(lambert93(lat, lon));
            let r = 1.5 + 14.0 * (u.population as f64 / max_pop).sqrt();
            let fill = u
                .class
                .map_or(NO_DATA, |c| req.colours[c.min(req.colours.len() - 1)]);
            let _ = write!(out, r#"<circle data-code="{}" cx=""#, xml(&u.code));
            tenths(&mut out, p.0);
            out.push_str("\" cy=\"");
            tenths(&mut out, p.1);
            let _ = write!(
                out,
                r#"" r="{:.1}" fill="{fill}"><title>{}</title></circle>"#,
                r,
                xml(&u.tooltip)
            );
        }
        out.push_str("</g>");
    }
    // Places on top. A cheap test in degrees first: projecting every
    // place of a national directory for each map would dominate.
    let (mut south, mut north, mut west, mut east) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
    for u in &req.units {
        if let Some((lat, lon)) = u.centre {
            south = south.min(lat);
            north = north.max(lat);
            west = west.min(lon);
            east = east.max(lon);
        }
    }
    let margin = 0.3 + 0.1 * (north - south).max(east - west).max(0.0);
    let near = |lat: f64, lon: f64| {
        south > north
            || (lat >= south - margin
                && lat <= north + margin
                && lon >= west - 1.5 * margin
                && lon <= east + 1.5 * margin)
    };
    out.push_str(r##"<g class="passerelle-carte-lieux" fill="#000091" stroke="#ffffff" stroke-width="0.8">"##);
    for (lat, lon, nom) in &req.places {
        if !near(*lat, *lon) {
            continue;
        }
        let q = lambert93(*lat, *lon);
        if !view.contains(q) {
            continue;
        }
        let p = frame.px(q);
        out.push_str("<circle cx=\"");
        tenths(&mut out, p.0);
        out.push_str("\" cy=\"");
        tenths(&mut out, p.1);
        let _ = write!(out, r#"" r="3"><title>{}</title></circle>"#, xml(nom));
    }
    out.push_str("</g></svg>");
    out
}

/// Class boundaries for a choropleth: up to five classes of about equal
/// counts (quantiles), rounded to two significant digits; when a fifth or
/// more of the values are zero, zero is a class of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Classes {
    /// Whether class 0 is "exactly zero".
    pub zero_class: bool,
    /// Upper bounds of every class but the last (values ≤ bound).
    pub bounds: Vec<f64>,
}

fn round_significant(v: f64, digits: i32) -> f64 {
    if v == 0.0 {
        return 0.0;
    }
    let magnitude = v.abs().log10().floor() as i32;
    let factor = 10f64.powi(digits - 1 - magnitude);
    (v * factor).round() / factor
}

impl Classes {
    pub fn of(values: &[f64], k: usize) -> Classes {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return Classes {
                zero_class: false,
                bounds: Vec::new(),
            };
        }
        let zeros = sorted.iter().filter(|v| **v == 0.0).count();
        let zero_class = zeros * 5 >= sorted.len() && zeros < sorted.len();
        let rest: Vec<f64> = if zero_class {
            sorted[zeros..].to_vec()
        } else {
            sorted
        };
        let classes = if zero_class { k - 1 } else { k };
        let max = *rest.last().expect("not empty");
        let mut bounds: Vec<f64> = (1..classes)
            .map(|q| {
                let v = rest[((q * rest.len()) / classes).min(rest.len() - 1)];
                round_significant(v, 2)
            })
            .filter(|b| *b < max)
            .collect();
        bounds.dedup();
        if zero_class {
            bounds.insert(0, 0.0);
        }
        Classes { zero_class, bounds }
    }

    /// Fixed bounds (for counts under the small-cell rule).
    pub fn fixed(zero_class: bool, bounds: Vec<f64>) -> Classes {
        Classes { zero_class, bounds }
    }

    pub fn count(&self) -> usize {
        self.bounds.len() + 1
    }

    pub fn class(&self, v: f64) -> usize {
        self.bounds
            .iter()
            .position(|b| v <= *b)
            .unwrap_or(self.bounds.len())
    }
}

/// A number the French way: decimal comma, narrow no-break space between
/// thousands.
pub fn fr_decimal(v: f64, digits: usize) -> String {
    let text = format!("{:.digits$}", v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    for (i, d) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(d);
    }
    if !frac.is_empty() {
        out.push(',');
        out.push_str(frac);
    }
    if v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

/// What the communes of a map are coloured by, chosen by the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapIndicator {
    Fragility,
    Exposure,
    Distance,
    Places,
    Hours,
    Searches,
    Priority,
}

/// Sequential palettes, light (low) to dark (high), readable by people with
/// a colour vision deficiency.
const REDS: [&str; 5] = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
const ORANGES: [&str; 5] = ["#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603"];
const BLUES: [&str; 5] = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
const PURPLES: [&str; 5] = ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"];

impl MapIndicator {
    pub const ALL: [MapIndicator; 7] = [
        MapIndicator::Fragility,
        MapIndicator::Exposure,
        MapIndicator::Distance,
        MapIndicator::Places,
        MapIndicator::Hours,
        MapIndicator::Searches,
        MapIndicator::Priority,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MapIndicator::Fragility => "fragilite",
            MapIndicator::Exposure => "exposition",
            MapIndicator::Distance => "distance",
            MapIndicator::Places => "lieux",
            MapIndicator::Hours => "heures",
            MapIndicator::Searches => "recherches",
            MapIndicator::Priority => "priorite",
        }
    }

    pub fn from_code(code: &str) -> Option<MapIndicator> {
        MapIndicator::ALL.into_iter().find(|m| m.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            MapIndicator::Fragility => "Part de la population en fragilité socio-numérique",
            MapIndicator::Exposure => "Part de la population exposée aux démarches en ligne",
            MapIndicator::Distance => "Distance au lieu d’aide le plus proche",
            MapIndicator::Places => "Lieux d’aide pour 10 000 habitants",
            MapIndicator::Hours => "Heures d’ouverture par semaine pour 10 000 habitants",
            MapIndicator::Searches => "Recherches de lieux sans résultat à proximité",
            MapIndicator::Priority => "Priorité (de 0 à 100)",
        }
    }

    /// The figure of one commune.
    pub fn value(self, r: &CommuneRow) -> Option<f64> {
        let pop = r.population as f64;
        let per_10000 = |x: f64| (pop > 0.0).then(|| x / pop * 10_000.0);
        match self {
            MapIndicator::Fragility => r.fragility_rate.map(|v| v * 100.0),
            MapIndicator::Exposure => r.exposure_rate.map(|v| v * 100.0),
            MapIndicator::Distance => r.nearest_km,
            MapIndicator::Places => per_10000(r.places as f64),
            MapIndicator::Hours => per_10000(r.hours_per_week),
            MapIndicator::Searches => r.searches.map(|s| s.without_result as f64),
            MapIndicator::Priority => r.priority.map(|v| v * 100.0),
        }
    }

    /// A figure in words ("23,4 %", "4,2 km", "moins de 5").
    pub fn format(self, v: f64) -> String {
        match self {
            MapIndicator::Fragility | MapIndicator::Exposure => format!("{} %", fr_decimal(v, 1)),
            MapIndicator::Distance => format!("{} km", fr_decimal(v, 1)),
            MapIndicator::Places => fr_decimal(v, 1),
            MapIndicator::Hours => format!("{} h", fr_decimal(v, 0)),
            MapIndicator::Searches => {
                let n = v.round() as u32;
                if n > 0 && n < crate::unmet::SMALL_CELL {
                    format!("moins de {}", crate::unmet::SMALL_CELL)
                } else {
                    fr_decimal(v, 0)
                }
            }
            MapIndicator::Priority => fr_decimal(v, 0),
        }
    }

    fn colours(self) -> [&'static str; 5] {
        match self {
            MapIndicator::Fragility | MapIndicator::Priority => REDS,
            MapIndicator::Exposure | MapIndicator::Distance => ORANGES,
            MapIndicator::Places | MapIndicator::Hours => BLUES,
            MapIndicator::Searches => PURPLES,
        }
    }

    /// What "no figure" means for this indicator.
    pub fn missing_label(self) -> &'static str {
        match self {
            MapIndicator::Distance => "aucun lieu offrant le service",
            MapIndicator::Searches => "recherches non comptées",
            _ => "données non chargées",
        }
    }
}

/// One class of a legend.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    pub colour: &'static str,
    pub label: String,
    /// Communes in the class.
    pub communes: usize,
}

/// One commune of the map, for the table that gives the same data.
#[derive(Debug, Clone, PartialEq)]
pub struct MapRow {
    pub code: String,
    pub nom: String,
    pub value: String,
    pub class: String,
}

/// A choropleth of the communes of a portrait, with its legend and its
/// data as rows.
#[derive(Debug, Clone)]
pub struct CommuneMap {
    pub svg: String,
    pub indicator: MapIndicator,
    pub legend: Vec<LegendEntry>,
    /// Communes without figure (hatched).
    pub missing: usize,
    pub rows: Vec<MapRow>,
    /// Communes drawn as circles because no outline is bundled for them.
    pub without_outline: usize,
}

/// The legend labels of some classes.
fn class_labels(classes: &Classes, indicator: MapIndicator) -> Vec<String> {
    let f = |v: f64| indicator.format(v);
    let n = classes.count();
    (0..n)
        .map(|i| {
            if classes.zero_class && i == 0 {
                return match indicator {
                    MapIndicator::Searches => "aucune".to_string(),
                    _ => "0 (aucun)".to_string(),
                };
            }
            let low = i.checked_sub(1).map(|j| classes.bounds[j]);
            let high = classes.bounds.get(i).copied();
            match (low, high) {
                (None, None) => "une seule valeur".to_string(),
                (None, Some(h)) => format!("jusqu’à {}", f(h)),
                (Some(l), None) => format!("plus de {}", f(l)),
                (Some(l), Some(h)) if indicator == MapIndicator::Searches => {
                    format!("de {} à {}", fr_decimal(l + 1.0, 0), fr_decimal(h, 0))
                }
                (Some(l), Some(h)) => format!("de {} à {}", f(l), f(h)),
            }
        })
        .collect()
}

/// The choropleth of a portrait's communes by `indicator`, with the
/// places offering its service on top.
pub fn commune_map(
    p: &Portrait,
    places: &[OfferPlace],
    indicator: MapIndicator,
    id: &str,
    (width, height): (f64, f64),
) -> CommuneMap {
    let values: Vec<Option<f64>> = p.communes.iter().map(|r| indicator.value(r)).collect();
    let known: Vec<f64> = values.iter().flatten().copied().collect();
    let classes = match indicator {
        // Small counts are shown as a class, never exactly.
        MapIndicator::Searches => Classes::fixed(true, vec![0.0, 4.0, 9.0, 19.0]),
        _ => Classes::of(&known, 5),
    };
    let palette = indicator.colours();
    let count = classes.count();
    // Spread the palette over the classes used, keeping its ends.
    let colours: Vec<&'static str> = (0..count)
        .map(|i| {
            if count == 1 {
                palette[2]
            } else {
                palette[(i * (palette.len() - 1) + (count - 1) / 2) / (count - 1)]
            }
        })
        .collect();
    let labels = class_labels(&classes, indicator);
    let mut per_class = vec![0usize; count];
    let mut units = Vec::with_capacity(p.communes.len());
    let mut rows = Vec::with_capacity(p.communes.len());
    let mut missing = 0;
    for (r, v) in p.communes.iter().zip(&values) {
        let class = v.map(|v| classes.class(v));
        match class {
            Some(c) => per_class[c] += 1,
            None => missing += 1,
        }
        let text = v.map_or_else(
            || indicator.missing_label().to_string(),
            |v| indicator.format(v),
        );
        units.push(MapUnit {
            code: r.code.clone(),
            nom: r.nom.clone(),
            departement: r.departement.clone(),
            class,
            tooltip: format!("{} : {}", r.nom, text),
            centre: r.latitude.zip(r.longitude),
            population: r.population,
        });
        rows.push(MapRow {
            code: r.code.clone(),
            nom: r.nom.clone(),
            value: text,
            class: class.map_or_else(
                || indicator.missing_label().to_string(),
                |c| labels[c].clone(),
            ),
        });
    }
    rows.sort_by(|a, b| a.nom.cmp(&b.nom));
    let service = p.settings.service.as_deref();
    let shown: Vec<(f64, f64, String)> = places
        .iter()
        .filter(|pl| pl.offers(service))
        .filter_map(|pl| pl.point.map(|(lat, lon)| (lat, lon, pl.nom.clone())))
        .collect();
    let without_outline = units
        .iter()
        .filter(|u| !bretagne_communes().has(&u.code))
        .count();
    let req = MapRequest {
        title: format!("{} : {}", p.label, indicator.label().to_lowercase()),
        description: format!(
            "Carte des {} communes de {}, colorées selon : {}. Les points bleus sont les lieux d’aide offrant le service. Le tableau « Données de la carte » donne les mêmes chiffres.",
            p.communes.len(),
            p.label,
            indicator.label().to_lowercase()
        ),
        units,
        colours: colours.clone(),
        places: shown,
        width,
        height,
        id: id.to_string(),
    };
    let mut legend: Vec<LegendEntry> = (0..count)
        .map(|i| LegendEntry {
            colour: colours[i],
            label: labels[i].clone(),
            communes: per_class[i],
        })
        .collect();
    // Only the classes some commune falls in (a fixed class of the
    // small-cell rule stays, so that "1 to 4" is always explained).
    legend.retain(|e| e.communes > 0 || indicator == MapIndicator::Searches);
    if known.is_empty() && indicator != MapIndicator::Searches {
        legend.clear();
    }
    CommuneMap {
        svg: render(&req),
        indicator,
        legend,
        missing,
        rows,
        without_outline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borders_for_a_web_map_are_geojson_in_degrees_simplified_by_scale() {
        // Around Quimper, zoomed in: communes and départements.
        let near = borders_geojson((47.9, -4.3, 48.1, -3.9), 40.0, Borders::Communes);
        let doc: Value = serde_json::from_str(&near).expect("valid JSON");
        let features = doc["features"].as_array().unwrap();
        assert_eq!(features.len(), 2);
        assert_eq!(features[1]["properties"]["niveau"], "commune");
        let lines = features[1]["geometry"]["coordinates"].as_array().unwrap();
        assert!(lines.len() > 20, "{} commune borders", lines.len());
        let first = &lines[0][0];
        let (lon, lat) = (first[0].as_f64().unwrap(), first[1].as_f64().unwrap());
        assert!(
            (-6.0..0.0).contains(&lon) && (46.0..49.5).contains(&lat),
            "{lon},{lat}"
        );
        // Zoomed out over the whole région: fewer points, no communes.
        let far = borders_geojson((47.2, -5.2, 48.9, -1.0), 2000.0, Borders::Departements);
        let doc: Value = serde_json::from_str(&far).unwrap();
        assert_eq!(doc["features"].as_array().unwrap().len(), 1);
        let points = |text: &str| text.matches("],[").count();
        let coarse = borders_geojson((47.9, -4.3, 48.1, -3.9), 400.0, Borders::Communes);
        assert!(
            points(&coarse) * 2 < points(&near),
            "simplified for the scale: {} points at 400 m a pixel, {} at 40",
            points(&coarse),
            points(&near)
        );
        assert!(points(&far) > 100, "the départements of the view");
        assert_eq!(degrees(-4_103_500), "-4.10350");
        assert_eq!(degrees(47_997_504), "47.99750");
    }

    #[test]
    fn lambert93_origin_and_a_known_point() {
        let (x, y) = lambert93(46.5, 3.0);
        assert!((x - 700_000.0).abs() < 1e-6 && (y - 6_600_000.0).abs() < 1e-6);
        // Brest city hall, about (145 900, 6 837 000) in Lambert-93.
        let (x, y) = lambert93(48.3904, -4.4861);
        assert!((x - 145_900.0).abs() < 1_500.0, "{x}");
        assert!((y - 6_837_000.0).abs() < 1_500.0, "{y}");
    }

    #[test]
    fn shared_borders_are_one_arc_and_outlines_dissolve() {
        // Two squares side by side and an enclave inside the first.
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"code":"A"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]],[[0.2,0.2],[0.2,0.4],[0.4,0.4],[0.4,0.2],[0.2,0.2]]]}},
          {"type":"Feature","properties":{"code":"B"},"geometry":{"type":"Polygon","coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}},
          {"type":"Feature","properties":{"code":"E"},"geometry":{"type":"Polygon","coordinates":[[[0.2,0.2],[0.4,0.2],[0.4,0.4],[0.2,0.4],[0.2,0.2]]]}}
        ]}"#;
        let o =
            Outlines::from_geojson(text, |c| if c == "E" { "A".into() } else { c.into() }).unwrap();
        // A/B border, A's outer chain, B's outer chain, the enclave ring.
        assert_eq!(o.arcs.len(), 4);
        let two_sided = o.arcs.iter().filter(|a| a.sides[1].is_some()).count();
        assert_eq!(two_sided, 2, "the A/B border and the enclave's ring");
        assert_eq!(o.units["A"].len(), 2, "E is drawn as part of A");
    }

    #[test]
    fn the_bundled_outlines_cover_every_2026_commune() {
        let o = bretagne_communes();
        let geo = crate::geo::Geography::bundled().unwrap();
        for c in &geo.communes {
            assert!(o.has(&c.code), "{} {}", c.code, c.nom);
        }
        assert_eq!(o.units.len(), 1202);
        assert_eq!(o.features.len(), 1232);
        assert!(france_departements().has("29"));
        assert!(france_departements().has("2A"));
    }

    #[test]
    fn classes_by_quantiles_with_a_zero_class() {
        let c = Classes::of(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 5);
        assert_eq!(c.bounds, [3.0, 5.0, 7.0, 9.0]);
        assert_eq!(
            (c.class(1.0), c.class(3.0), c.class(3.5), c.class(10.0)),
            (0, 0, 1, 4)
        );
        let z = Classes::of(&[0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0], 5);
        assert!(z.zero_class);
        assert_eq!(z.class(0.0), 0);
        assert!(z.class(0.5) > 0);
        let one = Classes::of(&[2.0, 2.0], 5);
        assert_eq!(one.count(), 1);
    }

    #[test]
    fn effective_areas_keep_the_ends() {
        let pts = [(0.0, 0.0), (1.0, 0.1), (2.0, 0.0), (3.0, 5.0), (4.0, 0.0)];
        let a = effective_areas(&pts);
        assert!(a[0].is_infinite() && a[4].is_infinite());
        assert!(a[1] < a[3], "{a:?}");
    }
}
