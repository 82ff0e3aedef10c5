// The Territoires pages in headless Chromium, used as a person would.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, violationsAtBothWidths } from "./server.mjs";

const world = useServerAndBrowser();

/// A page that fails the test on any console error (CSP violations included).
async function openPage(options = {}) {
  const context = await world.browser.newContext({ locale: "fr-FR", ...options });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(e.message));
  return { page, context, problems };
}

test("typing Quimper, picking the commune, shows its EPCI", async () => {
  const { page, context, problems } = await openPage();
  await page.goto(`${world.server.url}/territoires`);
  await page.getByLabel("Rechercher une commune").pressSequentially("Quimper", { delay: 30 });
  // Results appear while typing, without submitting the form.
  const link = page.getByRole("link", { name: "Quimper", exact: true });
  await link.waitFor();
  assert.match(page.url(), /q=Quimper/);
  await link.click();
  await page.getByRole("heading", { level: 1, name: "Quimper" }).waitFor();
  const epci = page.getByRole("link", { name: "CA Quimper Bretagne Occidentale" });
  await epci.waitFor();
  assert.match(await page.locator("dl").innerText(), /29000/);
  // And on to the EPCI, which lists its communes.
  await epci.click();
  await page.getByRole("heading", { level: 1, name: "CA Quimper Bretagne Occidentale" }).waitFor();
  const members = page.getByRole("table", { name: /Communes membres/ });
  assert.ok(await members.getByRole("link", { name: "Quimper", exact: true }).isVisible());
  assert.ok((await members.locator("tbody tr").count()) >= 10);
  assert.deepEqual(problems, []);
  await context.close();
});

test("search works without JavaScript, by postcode too", async () => {
  const { page, context } = await openPage({ javaScriptEnabled: false });
  await page.goto(`${world.server.url}/territoires`);
  await page.getByLabel("Rechercher une commune").fill("29200");
  await page.getByRole("button", { name: "Rechercher" }).click();
  await page.getByRole("link", { name: "Brest", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Brest" }).waitFor();
  assert.ok(await page.getByRole("link", { name: "Brest Métropole" }).isVisible());
  await context.close();
});

test("unknown places get a French 404 page", async () => {
  const { page, context } = await openPage();
  const response = await page.goto(`${world.server.url}/territoires/communes/29999`);
  assert.equal(response.status(), 404);
  await page.getByRole("heading", { level: 1, name: "Page introuvable" }).waitFor();
  await context.close();
});

test("the skip link leads to the content, keyboard only", async () => {
  const { page, context } = await openPage();
  await page.goto(`${world.server.url}/`);
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => document.activeElement?.textContent?.trim());
  assert.equal(focused, "Contenu");
  await page.keyboard.press("Enter");
  assert.match(page.url(), /#contenu$/);
  await context.close();
});

const pages = [
  "/",
  "/territoires",
  "/territoires?q=plou",
  "/territoires/communes/29232",
  "/territoires/epci/200068120",
  "/territoires/departements/29",
  "/territoires/regions/53",
  "/lieux",
  "/accessibilite",
];

test("pages have no accessibility violation at 1280 and 390 px (axe-core)", async () => {
  // axe is injected as an inline script, which the page's CSP rightly forbids.
  const { page, context } = await openPage({ bypassCSP: true });
  const found = [];
  for (const path of pages) {
    await page.goto(`${world.server.url}${path}`);
    assert.equal(await page.getAttribute("html", "lang"), "fr", path);
    assert.equal(await page.locator("h1").count(), 1, `${path}: one h1`);
    found.push(...(await violationsAtBothWidths(page)));
  }
  assert.deepEqual(found, []);
  await context.close();
});
