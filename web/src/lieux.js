// Lieux pages: a Leaflet map of the places the list shows (finder) or of
// one place (place page). Progressive enhancement: the list and the page
// work without it. Tiles are optional (data-tiles); without them the map
// still shows the markers.

const element = document.getElementById("carte");

if (element && window.L) {
  const tiles = element.dataset.tiles;
  const map = L.map(element, { scrollWheelZoom: false });
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  }
  if (element.dataset.lat) {
    const point = [Number(element.dataset.lat), Number(element.dataset.lon)];
    L.marker(point, { title: element.dataset.nom, alt: element.dataset.nom }).addTo(map);
    map.setView(point, 15);
  } else if (element.dataset.geojson) {
    fetch(element.dataset.geojson, { headers: { Accept: "application/geo+json" } })
      .then((response) => (response.ok ? response.json() : { features: [] }))
      .then((collection) => {
        const layer = L.geoJSON(collection, {
          pointToLayer: (feature, latlng) =>
            L.marker(latlng, { title: feature.properties.nom, alt: feature.properties.nom }),
          onEachFeature: (feature, marker) => {
            const link = document.createElement("a");
            link.href = feature.properties.url;
            link.textContent = feature.properties.nom;
            marker.bindPopup(link);
            // Keep the list in step: a marker's place is highlighted there.
            marker.on("click", () => {
              const item = document.getElementById(`lieu-${feature.id}`);
              item?.scrollIntoView({ block: "nearest" });
              item?.querySelector("a")?.focus({ preventScroll: true });
            });
          },
        }).addTo(map);
        const bounds = layer.getBounds();
        if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 14 });
        else map.setView([48.2, -2.9], 7);
        element.dataset.markers = String(collection.features.length);
      });
  }
}
