// The Diagnostic in headless Chromium: a coordinator chooses an EPCI and a
// service, sees the communes as circles on the map with a legend, the tables
// and the print button; the page has no serious accessibility violation.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, seriousViolations } from "./server.mjs";

const world = useServerAndBrowser();

test("the diagnostic of an EPCI shows the map and the tables", async () => {
  const context = await world.browser.newContext({ locale: "fr-FR" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  await page.goto(`${world.server.url}/diagnostic`);
  await page.getByLabel("Territoire").selectOption({ label: "CA Quimper Bretagne Occidentale" });
  await page.getByLabel("Service").selectOption("Aide aux démarches administratives");
  await page.getByRole("button", { name: "Afficher le diagnostic" }).click();
  await page.getByRole("heading", { level: 1, name: "Diagnostic : CA Quimper Bretagne Occidentale" }).waitFor();

  // The commune table lists every commune of the EPCI, by priority.
  const table = page.locator("table", { has: page.locator("caption", { hasText: "de la plus prioritaire" }) });
  const rows = table.locator("tbody tr");
  const communes = await rows.count();
  assert.ok(communes >= 10, `${communes} communes`);
  assert.match(await rows.first().locator("td").first().innerText(), /^1$/);
  assert.ok(await page.getByText("Quimper (29232)").isVisible());
  assert.ok(await page.getByRole("cell", { name: "données non chargées" }).first().isVisible());

  // The map draws one circle per commune, places on top, and a legend.
  const map = page.locator("#carte-diagnostic");
  await page.waitForFunction(() => document.getElementById("carte-diagnostic")?.dataset.communesShown);
  assert.equal(Number(await map.getAttribute("data-communes-shown")), communes);
  const places = Number(await map.getAttribute("data-places-shown"));
  assert.ok(places >= 1, `${places} places`);
  const circles = await map.locator("path.leaflet-interactive").count();
  assert.equal(circles, communes + places);
  assert.match(await page.locator("#legende-diagnostic").innerText(), /surface proportionnelle à la population/);

  assert.ok(await page.getByRole("button", { name: /Imprimer le rapport/ }).isVisible());
  assert.ok(await page.getByRole("link", { name: "Communes (CSV)" }).isVisible());
  assert.deepEqual(problems, []);
  await context.close();
});

test("the diagnostic page has no serious accessibility violations", async () => {
  const context = await world.browser.newContext({ locale: "fr-FR", bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${world.server.url}/diagnostic?territoire=dep:29`);
  await page.waitForFunction(() => document.getElementById("carte-diagnostic")?.dataset.communesShown);
  assert.deepEqual(await seriousViolations(page), []);
  await context.close();
});
