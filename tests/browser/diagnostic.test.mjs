// The Diagnostic in headless Chromium, as an elected official and a
// coordinator use it: an EPCI chosen by name, the synthesis with its map
// (the IGN outlines of the 2026 communes, drawn by the server), the
// synthesis printed on one A4 page, a file imported through the page with
// its preview, and the pages free of any accessibility violation at
// desktop and phone widths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { mkdirSync } from "node:fs";
import { useServerAndBrowser, violationsAtBothWidths } from "./server.mjs";

const world = useServerAndBrowser();
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const shots = join(root, "target", "browser-screenshots");
mkdirSync(shots, { recursive: true });

/** The distinct colours of a PNG (8-bit RGB or RGBA, as Chromium writes them). */
function colours(png) {
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 4;
  const data = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      channels = body[9] === 6 ? 4 : 3;
    } else if (type === "IDAT") data.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const left = x >= channels ? pixels[y * stride + x - channels] : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const corner = y > 0 && x >= channels ? pixels[(y - 1) * stride + x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += left;
      else if (filter === 2) v += up;
      else if (filter === 3) v += (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - corner;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - corner)];
        v += pa <= pb && pa <= pc ? left : pb <= pc ? up : corner;
      }
      pixels[y * stride + x] = v & 0xff;
    }
  }
  const seen = new Set();
  for (let i = 0; i < pixels.length; i += channels) {
    seen.add(`#${[pixels[i], pixels[i + 1], pixels[i + 2]].map((c) => c.toString(16).padStart(2, "0")).join("")}`);
  }
  return seen;
}

test("an elected official reads the diagnostic of an EPCI: synthesis, map, tables", async () => {
  const context = await world.browser.newContext({ locale: "fr-FR", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  await page.goto(`${world.server.url}/diagnostic`);
  await page.getByLabel("Territoire", { exact: true }).selectOption({ label: "CA Quimper Bretagne Occidentale" });
  await page.getByLabel("Service", { exact: true }).selectOption("Aide aux démarches administratives");
  await page.getByLabel("La carte montre", { exact: true }).selectOption({ label: "Distance au lieu d’aide le plus proche" });
  await page.getByRole("button", { name: "Afficher le diagnostic" }).click();
  await page.getByRole("heading", { level: 1, name: "Diagnostic : CA Quimper Bretagne Occidentale" }).waitFor();

  // The synthesis comes first: key figures in sentences, the priorities.
  const synthesis = page.locator("#synthese");
  await synthesis.getByRole("heading", { name: "Chiffres clés" }).waitFor();
  assert.equal(await synthesis.locator(".passerelle-chiffres-cles li").count(), 5);
  assert.equal(await synthesis.locator(".passerelle-priorites li").count(), 5);
  assert.match(await synthesis.innerText(), /lieux offrant « Aide aux démarches administratives »/);

  // The map: one outline per commune, the places on top, a legend, and
  // the same figures in a table.
  const rows = page.locator("table", { has: page.locator("caption", { hasText: "de la plus prioritaire" }) }).locator("tbody tr");
  const communes = await rows.count();
  assert.equal(communes, 14);
  const map = page.locator("svg#carte-diagnostic");
  assert.equal(await map.locator("path[data-code]").count(), communes);
  assert.ok((await map.locator(".passerelle-carte-lieux circle").count()) >= 1);
  assert.match(await page.locator(".passerelle-legende").first().innerText(), /lieu d’aide/);
  await page.getByText(/Le tableau des 14 communes/).click();
  assert.ok(await page.getByRole("rowheader", { name: "Plogonnec" }).first().isVisible());
  assert.ok(await page.getByRole("link", { name: "Communes (CSV)" }).isVisible());
  assert.deepEqual(problems, []);
  await context.close();
});

test("the map draws the 2026 communes from the IGN outlines (screenshot)", async () => {
  const context = await world.browser.newContext({ locale: "fr-FR", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // Lamballe Terre et Mer: Lamballe-Armor (22093) absorbed Lamballe (22093)
  // and Morieux (22154) and Planguenoual (22173) since 2018.
  await page.goto(`${world.server.url}/diagnostic?commune=Lamballe-Armor,Andel,Coëtmieux&carte=distance`);
  const map = page.locator("svg#carte-diagnostic");
  await map.waitFor();
  const lamballe = map.locator('path[data-code="22093"]');
  assert.equal(await lamballe.count(), 1, "one 2026 commune");
  const parts = (await lamballe.getAttribute("d")).match(/M/g).length;
  assert.ok(parts >= 3, `drawn from its 2018 outlines (${parts} rings)`);
  assert.equal(await map.locator('path[data-code="22154"]').count(), 0, "no 2018 commune of its own");
  const box = await lamballe.boundingBox();
  assert.ok(box.width > 50 && box.height > 50, JSON.stringify(box));
  const png = await page.locator(".passerelle-carte-cadre").first().screenshot({ path: join(shots, "diagnostic-carte.png") });
  const seen = colours(png);
  // The classes of the legend are painted, and the surrounding communes
  // in grey.
  const legend = await page.locator(".passerelle-legende__classes rect").evaluateAll((rects) =>
    rects.map((r) => r.getAttribute("fill")).filter((f) => f !== "#ffffff"),
  );
  assert.ok(legend.length >= 2, legend.join(" "));
  for (const fill of legend) assert.ok(seen.has(fill), `${fill} painted (${seen.size} colours)`);
  assert.ok(seen.has("#e5e5e5"), "the communes around");
  await context.close();
});

test("coordinators import the official files through the page, and the synthesis prints on one A4 page", async () => {
  const { server, browser } = world;
  const adminLink = server.cli(["accounts", "create-admin", "--email", "coordination@hub.bzh"]).trim().split("\n").pop();
  const context = await browser.newContext({ locale: "fr-FR", bypassCSP: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  /** axe at desktop and phone widths. */
  const accessible = async () => assert.deepEqual(await violationsAtBothWidths(page), []);
  await page.goto(adminLink);
  await page.getByLabel("Prénom et nom").fill("Coordination");
  await page.getByLabel("Nouveau mot de passe").fill("la pointe du raz au matin");
  await page.getByLabel("Confirmation du mot de passe").fill("la pointe du raz au matin");
  await page.getByRole("button", { name: "Accepter l’invitation" }).click();

  // Where a figure is missing, the page says what to import and links to
  // the import page.
  await page.goto(`${server.url}/diagnostic?commune=Brest`);
  await page.getByRole("link", { name: "Importer des données" }).first().click();
  await page.getByRole("heading", { level: 1, name: "Importer des données pour le diagnostic" }).waitFor();
  await accessible();

  const files = [
    join(root, "data", "diagnostic", "extraits", "caf_iris_2021_bretagne.csv"),
    join(root, "data", "diagnostic", "extraits", "defm_2019_communes_qpv_bretagne.csv"),
    join(root, "crates", "diagnostic", "tests", "fixtures", "base-ic-evol-struct-pop-2021.csv"),
    join(root, "crates", "diagnostic", "tests", "fixtures", "base-ic-diplomes-formation-2021.csv"),
  ];
  for (const file of files) {
    await page.goto(`${server.url}/diagnostic/import`);
    await page.getByLabel(/Fichier à importer/).setInputFiles(file);
    await page.getByRole("button", { name: "Envoyer et voir l’aperçu" }).click();
    await page.getByRole("heading", { level: 1, name: "Aperçu avant import" }).waitFor();
    if (file.includes("caf_iris")) {
      const preview = await page.locator(".passerelle-fiche").innerText();
      assert.match(preview, /IRIS couverts\s+632/);
      assert.match(preview, /Communes couvertes\s+97/);
      await accessible();
    }
    await page.getByRole("button", { name: "Confirmer l’import" }).click();
    await page.getByText("Import terminé").waitFor();
  }
  assert.equal(await page.locator("table tbody tr").count(), 4);
  await accessible();

  // Brest, down to its IRIS.
  await page.goto(`${server.url}/diagnostic?commune=Brest`);
  await page.getByRole("heading", { name: "Les quartiers (IRIS) des communes découpées" }).waitFor();
  assert.ok(await page.getByText("Les contours des IRIS ne sont pas disponibles hors ligne", { exact: false }).first().isVisible());
  await accessible();

  // The synthesis, printed: one A4 page, for an EPCI and for the région.
  for (const query of ["territoire=epci:242900314&service=Aide+aux+d%C3%A9marches+administratives", "", "commune=Brest"]) {
    const print = await context.newPage();
    await print.goto(`${server.url}/diagnostic/synthese?${query}`);
    const pdf = await print.pdf({ format: "A4", preferCSSPageSize: true, printBackground: true });
    const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) || []).length;
    assert.equal(pages, 1, `the synthesis of ${query || "the région"} prints on ${pages} pages`);
    await print.close();
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test("the diagnostic pages have no accessibility violation at 1280 and 390 px", async () => {
  const context = await world.browser.newContext({ locale: "fr-FR" });
  const page = await context.newPage();
  for (const path of [
    "/diagnostic?territoire=dep:29",
    "/diagnostic/synthese?territoire=epci:200068120",
    "/diagnostic/comparer",
    "/diagnostic?commune=Plouhinec",
  ]) {
    await page.goto(`${world.server.url}${path}`);
    assert.deepEqual(await violationsAtBothWidths(page), [], path);
  }
  await context.close();
});
