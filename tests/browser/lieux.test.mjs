// The public finder in headless Chromium, as a person uses it: search
// "Rennes", tick "Aide aux démarches administratives", see the list and the
// markers, open a place page and its printable sheet.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, seriousViolations } from "./server.mjs";

const world = useServerAndBrowser();

test("finding help for administrative procedures near Rennes", async () => {
  const context = await world.browser.newContext({ locale: "fr-FR" });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  await page.goto(`${world.server.url}/lieux`);
  await page.getByLabel("Près de").fill("Rennes");
  // The DSFR draws the box over the input: a person clicks the label.
  await page.locator("label", { hasText: /^Aide aux démarches administratives$/ }).click();
  assert.ok(await page.getByLabel("Aide aux démarches administratives").isChecked());
  await page.getByRole("button", { name: "Rechercher" }).click();
  const heading = page.getByRole("heading", { level: 2, name: /lieux? près de Rennes/ });
  await heading.waitFor();
  const items = page.locator("ol.passerelle-liste-lieux > li");
  const count = await items.count();
  assert.ok(count >= 10, `${count} places listed`);
  assert.match(await heading.innerText(), new RegExp(`^${count} lieu`));
  // Every listed place offers the service asked for.
  for (const text of await items.allInnerTexts()) {
    assert.match(text, /Aide aux démarches administratives/);
  }
  // The map shows the places of the list that have coordinates.
  await page.locator(".leaflet-marker-icon").first().waitFor();
  const markers = await page.locator(".leaflet-marker-icon").count();
  assert.ok(markers >= 5 && markers <= count, `${markers} markers for ${count} places`);

  const first = items.first().getByRole("link");
  const name = await first.innerText();
  await first.click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
  assert.ok(await page.getByText("Aide aux démarches administratives").first().isVisible());
  await page.getByRole("link", { name: /Fiche à imprimer/ }).click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
  assert.equal(await page.locator("header").count(), 0, "the sheet is just the place");
  assert.deepEqual(problems, []);
  await context.close();
});

test("the finder pages have no serious accessibility violations", async () => {
  const context = await world.browser.newContext({ locale: "fr-FR", bypassCSP: true });
  const page = await context.newPage();
  const found = [];
  for (const path of ["/lieux?commune=Quimper", "/lieux/1", "/lieux/1/fiche"]) {
    await page.goto(`${world.server.url}${path}`);
    found.push(...(await seriousViolations(page)));
  }
  assert.deepEqual(found, []);
  await context.close();
});
