// Lieux pages, progressive enhancement only: every page works without this
// script.
// - Maps (finder, place page): Leaflet, with the borders of départements and
//   communes drawn under the markers (`data-contours`, served by Passerelle:
//   readable without any tile server), markers grouped when close
//   (leaflet.markercluster), tiles only when the instance has a tile server
//   (`data-tiles`).
// - "Autour de moi": the browser's position, sent as `near`.
// - "Partager": the system's share sheet where the browser has one.
// Every text put in the page is text (textContent, DOM nodes), never HTML:
// place names come from imported files and from people.

const element = document.getElementById("carte");

/** A cluster's icon: a DOM node, its count as text, named for screen readers. */
const ClusterIcon = window.L
  ? L.DivIcon.extend({
      createIcon(old) {
        const div = L.DivIcon.prototype.createIcon.call(this, old);
        div.setAttribute("aria-label", this.options.label);
        div.title = this.options.label;
        return div;
      },
    })
  : null;

function clusterIcon(cluster) {
  const count = cluster.getChildCount();
  const span = document.createElement("span");
  span.textContent = String(count);
  return new ClusterIcon({
    html: span,
    className: "passerelle-grappe",
    iconSize: L.point(40, 40),
    label: `${count} lieux : zoomer pour les voir`,
  });
}

/** Draws the borders of the map's view under its markers, again after each move. */
function drawBorders(map, url) {
  const layer = L.geoJSON(null, {
    interactive: false,
    style: (feature) =>
      feature.properties.niveau === "commune"
        ? { color: "#929292", weight: 0.8, opacity: 0.9 }
        : { color: "#3a3a3a", weight: 1.6, opacity: 0.9 },
  }).addTo(map);
  let controller = null;
  const refresh = () => {
    const b = map.getBounds();
    // Rounded outwards: nearby views ask for the same, cacheable, answer.
    const round = (v, up) => (up ? Math.ceil(v * 10) : Math.floor(v * 10)) / 10;
    const bbox = [round(b.getWest(), false), round(b.getSouth(), false), round(b.getEast(), true), round(b.getNorth(), true)];
    const target = new URL(url, window.location.origin);
    target.searchParams.set("bbox", bbox.join(","));
    target.searchParams.set("zoom", String(Math.round(map.getZoom())));
    controller?.abort();
    controller = new AbortController();
    fetch(target, { signal: controller.signal, headers: { Accept: "application/geo+json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((borders) => {
        if (!borders) return;
        layer.clearLayers();
        layer.addData(borders);
        layer.bringToBack();
        element.dataset.borders = String(borders.features.length);
      })
      .catch((error) => {
        if (error.name !== "AbortError") throw error;
      });
  };
  map.on("moveend", refresh);
  refresh();
}

if (element && window.L) {
  const tiles = element.dataset.tiles;
  // A maximum zoom of its own: without tiles, the cluster layer needs one.
  const map = L.map(element, { scrollWheelZoom: false, maxZoom: 18 });
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  }
  if (element.dataset.lat) {
    const point = [Number(element.dataset.lat), Number(element.dataset.lon)];
    L.marker(point, { title: element.dataset.nom, alt: element.dataset.nom }).addTo(map);
    map.setView(point, 13);
  } else if (element.dataset.geojson) {
    const group = L.markerClusterGroup
      ? L.markerClusterGroup({ iconCreateFunction: clusterIcon, showCoverageOnHover: false, maxClusterRadius: 40 })
      : L.layerGroup();
    fetch(element.dataset.geojson, { headers: { Accept: "application/geo+json" } })
      .then((response) => (response.ok ? response.json() : { features: [] }))
      .then((collection) => {
        L.geoJSON(collection, {
          pointToLayer: (feature, latlng) =>
            L.marker(latlng, { title: feature.properties.nom, alt: feature.properties.nom }),
          onEachFeature: (feature, marker) => {
            const link = document.createElement("a");
            link.href = feature.properties.url;
            link.textContent = feature.properties.nom;
            marker.bindPopup(link);
            // Keep the list in step: a marker's place is shown there.
            marker.on("click", () => {
              const item = document.getElementById(`lieu-${feature.id}`);
              item?.scrollIntoView({ block: "nearest" });
              item?.querySelector("a")?.focus({ preventScroll: true });
            });
            group.addLayer(marker);
          },
        });
        group.addTo(map);
        const bounds = L.geoJSON(collection).getBounds();
        if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 14 });
        // Nothing to show: metropolitan France.
        else map.fitBounds([[41.3, -5.2], [51.1, 9.6]]);
        element.dataset.markers = String(collection.features.length);
      });
  }
  if (element.dataset.contours) {
    map.whenReady(() => drawBorders(map, element.dataset.contours));
  }
}

// "Autour de moi": the position replaces the commune.
const around = document.getElementById("autour-de-moi");
const near = document.getElementById("near");
const commune = document.getElementById("commune");
if (around && near && "geolocation" in navigator) {
  const message = document.getElementById("autour-de-moi-message");
  around.hidden = false;
  around.addEventListener("click", () => {
    around.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        near.value = `${position.coords.latitude.toFixed(5)},${position.coords.longitude.toFixed(5)}`;
        near.disabled = false;
        if (commune) commune.value = "";
        around.form.submit();
      },
      () => {
        around.disabled = false;
        message.hidden = false;
        message.textContent =
          "Votre position n’est pas disponible (refusée ou introuvable) : indiquez plutôt votre commune.";
      },
      { timeout: 10000, maximumAge: 300000 },
    );
  });
  // A commune typed replaces a position found before.
  commune?.addEventListener("input", () => {
    near.value = "";
    near.disabled = true;
  });
}

// "Partager": the system's share sheet.
const share = document.getElementById("partager");
if (share && navigator.share) {
  share.hidden = false;
  share.addEventListener("click", () => {
    navigator.share({ title: share.dataset.titre, url: share.dataset.url }).catch(() => {});
  });
}
