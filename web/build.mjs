// Builds the served assets into web/dist from the npm packages (installed
// from the committed package-lock.json) and from web/src, our own files.
// Only the parts of the DSFR that pages use are copied, keeping their
// relative layout so the stylesheets' url(...) references still resolve.
import { cpSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dsfr = join(root, "node_modules", "@gouvfr", "dsfr", "dist");
const out = join(root, "web", "dist");

if (!existsSync(dsfr)) {
  console.error("web/build.mjs: node_modules/@gouvfr/dsfr is missing; run `npm ci` first");
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const dsfrParts = [
  "dsfr.min.css",
  "dsfr.module.min.js",
  "dsfr.nomodule.min.js",
  "utility/icons/icons.min.css",
  "icons",
  "fonts",
  "favicon",
  "artwork",
];
for (const part of dsfrParts) {
  cpSync(join(dsfr, part), join(out, "dsfr", part), { recursive: true });
}
const leaflet = join(root, "node_modules", "leaflet", "dist");
for (const part of ["leaflet.js", "leaflet.css", "images"]) {
  cpSync(join(leaflet, part), join(out, "leaflet", part), { recursive: true });
}
// Markers grouped when close (the finder shows hundreds of places).
const cluster = join(root, "node_modules", "leaflet.markercluster", "dist");
for (const part of ["leaflet.markercluster.js", "MarkerCluster.css"]) {
  cpSync(join(cluster, part), join(out, "markercluster", part));
}
cpSync(join(root, "web", "src"), join(out, "app"), { recursive: true });
console.log(`web/build.mjs: assets written to ${out}`);
