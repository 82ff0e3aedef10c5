// Diagnostic page: communes as circles whose area is proportional to their
// population, coloured by the chosen indicator (five classes), places on
// top, and a legend; the "print" button opens the browser's print dialog
// (save as PDF). Progressive enhancement: the tables give the same figures.

const printButton = document.getElementById("imprimer");
printButton?.addEventListener("click", () => window.print());

const element = document.getElementById("carte-diagnostic");
const legend = document.getElementById("legende-diagnostic");

// Colour-blind-safe sequential palette (light = low, dark = high).
const COLOURS = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
const INDICATORS = {
  priorite: { label: "Priorité (0–100)", value: (p) => (p.priority == null ? null : p.priority * 100) },
  distance: { label: "Distance au lieu le plus proche (km)", value: (p) => p.nearest_km },
  ifn: { label: "Indice de fragilité numérique (0–10)", value: (p) => p.ifn_score },
  fragilite: {
    label: "Taux de fragilité PORTREA (%)",
    value: (p) => (p.fragility == null || !p.population ? null : (100 * p.fragility) / p.population),
  },
  chomage: {
    label: "Chômeurs 15–64 ans pour 100 habitants",
    value: (p) =>
      p.census_unemployed_15_64 == null || !p.population ? null : (100 * p.census_unemployed_15_64) / p.population,
  },
};

// Leaflet puts a string tooltip in the page as HTML: names come from the
// places' sources and from whoever edits a place, so they go in as text.
function asText(text) {
  const span = document.createElement("span");
  span.textContent = text;
  return span;
}

function format(v) {
  return v.toLocaleString("fr-FR", { maximumFractionDigits: 1 });
}

function quantiles(values) {
  const sorted = values.slice().sort((a, b) => a - b);
  return [0.2, 0.4, 0.6, 0.8].map((q) => sorted[Math.floor(q * (sorted.length - 1))]);
}

function showLegend(indicator, breaks, missing) {
  if (!legend) return;
  legend.replaceChildren();
  const title = document.createElement("p");
  title.className = "fr-text--sm fr-mb-1v";
  title.textContent = `Cercles : surface proportionnelle à la population ; couleur : ${indicator.label}.`;
  legend.append(title);
  const list = document.createElement("ul");
  list.className = "passerelle-legende__classes";
  const bounds = breaks.length ? breaks : [];
  COLOURS.forEach((colour, i) => {
    if (!bounds.length && i > 0) return;
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "passerelle-legende__pastille";
    swatch.style.background = colour;
    item.append(swatch);
    const low = i === 0 ? null : bounds[i - 1];
    const high = i < bounds.length ? bounds[i] : null;
    item.append(
      !bounds.length ? " une seule valeur" : low == null ? ` jusqu’à ${format(high)}` : high == null ? ` plus de ${format(low)}` : ` de ${format(low)} à ${format(high)}`,
    );
    list.append(item);
  });
  if (missing) {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "passerelle-legende__pastille passerelle-legende__pastille--vide";
    item.append(swatch, " données non chargées");
    list.append(item);
  }
  const place = document.createElement("li");
  const dot = document.createElement("span");
  dot.className = "passerelle-legende__pastille passerelle-legende__pastille--lieu";
  place.append(dot, " lieu d’aide offrant le service");
  list.append(place);
  legend.append(list);
}

if (element && window.L) {
  const map = L.map(element, { scrollWheelZoom: false });
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  }
  const chosen = new URLSearchParams(window.location.search).get("indicateur") || "priorite";
  const indicator = INDICATORS[chosen] || INDICATORS.priorite;
  const json = (url) =>
    fetch(url, { headers: { Accept: "application/geo+json" } }).then((r) => (r.ok ? r.json() : { features: [] }));
  Promise.all([json(element.dataset.communes), json(element.dataset.lieux)]).then(([communes, places]) => {
    const values = communes.features.map((f) => indicator.value(f.properties)).filter((v) => v != null);
    const breaks = values.length > 1 ? quantiles(values) : [];
    const colour = (v) => {
      if (v == null) return "#ffffff";
      let k = 0;
      while (k < breaks.length && v > breaks[k]) k += 1;
      return COLOURS[k];
    };
    const maxPopulation = Math.max(1, ...communes.features.map((f) => f.properties.population || 0));
    const layer = L.geoJSON(communes, {
      pointToLayer: (feature, latlng) => {
        const p = feature.properties;
        const v = indicator.value(p);
        return L.circleMarker(latlng, {
          radius: 3 + 27 * Math.sqrt((p.population || 0) / maxPopulation),
          color: "#3a3a3a",
          weight: 1,
          fillColor: colour(v),
          fillOpacity: 0.8,
        }).bindTooltip(asText(`${p.nom} : ${v == null ? "données non chargées" : format(v)}`));
      },
    }).addTo(map);
    L.geoJSON(places, {
      pointToLayer: (feature, latlng) =>
        L.circleMarker(latlng, { radius: 3, color: "#000091", weight: 1, fillColor: "#000091", fillOpacity: 1 }).bindTooltip(
          asText(feature.properties.nom),
        ),
    }).addTo(map);
    const bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 12 });
    else map.setView([48.2, -2.9], 7);
    showLegend(indicator, breaks, values.length < communes.features.length);
    element.dataset.communesShown = String(communes.features.length);
    element.dataset.placesShown = String(places.features.length);
  });
}
