// Enquêtes in headless Chromium: a survey put online from the command line
// is answered anonymously on its public form; conditional questions appear
// and disappear as answers change; the response is in the export.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, violationsAtBothWidths } from "./server.mjs";

const world = useServerAndBrowser();

test("a mediator answers the Hub Bretagne questionnaire", async () => {
  const { server, browser } = world;
  // The first administrator's structure runs the survey.
  const adminLink = server.cli(["accounts", "create-admin", "--email", "admin@hub.bzh"]).trim().split("\n").pop();
  const published = server.cli([
    "survey", "publish", "--questionnaire", "hub-bretagne-2023", "--slug", "hub-2023", "--structure", "1",
  ]);
  assert.match(published, /\/enquetes\/hub-2023/);

  const context = await browser.newContext({ locale: "fr-FR", bypassCSP: true });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`${server.url}/enquetes/hub-2023`);
  await page.getByRole("heading", { level: 1 }).waitFor();
  assert.deepEqual(await violationsAtBothWidths(page), []);

  // The browser checks required answers before anything is sent.
  await page.getByRole("button", { name: "Envoyer mes réponses" }).click();
  assert.equal(await page.locator("#fiche_de_poste-1").evaluate((el) => el.validity.valueMissing), true);
  assert.equal(await page.getByText("Merci pour vos réponses").count(), 0);

  const why = page.locator("#q-pourquoi_pas");
  const kinds = page.locator("#q-types_accompagnement");
  assert.equal(await why.isVisible(), false, "conditional questions wait for their answer");
  const accompagne = page.locator("#q-accompagne");
  await accompagne.locator("label", { hasText: /^Non$/ }).click();
  assert.equal(await why.isVisible(), true);
  assert.equal(await kinds.isVisible(), false);
  await accompagne.locator("label", { hasText: /^Oui$/ }).click();
  assert.equal(await why.isVisible(), false);
  assert.equal(await kinds.isVisible(), true);
  await accompagne.locator("label", { hasText: /^Non$/ }).click();

  await page.locator("#q-poste label", { hasText: /^Conseiller-ère numérique$/ }).click();
  await page.locator("#q-lieux label", { hasText: /^Mairie$/ }).click();
  await page.locator("#q-fiche_de_poste label", { hasText: /^Non$/ }).click();
  await why.locator("label", { hasText: /^Je ne sais pas le faire$/ }).click();
  await page.locator("#q-france_services label", { hasText: /^Oui$/ }).click();
  await page.getByRole("button", { name: "Envoyer mes réponses" }).click();
  await page.getByRole("heading", { name: "Merci pour vos réponses" }).waitFor();
  assert.deepEqual(problems, []);

  // The administrator reads the tables, builds a crosstab.
  await page.goto(adminLink);
  await page.getByLabel("Prénom et nom").fill("Admin");
  await page.getByLabel("Nouveau mot de passe").fill("la chaloupe verte du blavet");
  await page.getByLabel("Confirmation du mot de passe").fill("la chaloupe verte du blavet");
  await page.getByRole("button", { name: "Accepter l’invitation" }).click();
  await page.getByRole("heading", { level: 1, name: "Bonjour Admin" }).waitFor();
  await page.goto(`${server.url}/enquetes`);
  await page.getByRole("link", { name: /^Résultats/ }).click();
  await page.getByLabel("En lignes").selectOption("fiche_de_poste");
  await page.getByLabel("En colonnes").selectOption("accompagne");
  await page.getByRole("button", { name: "Afficher" }).click();
  await page.getByRole("table", { name: /Croisement/ }).waitFor();
  assert.deepEqual(await violationsAtBothWidths(page), []);
  assert.deepEqual(problems, []);

  const csv = server.cli(["survey", "responses", "hub-2023"]).trim().split("\n");
  assert.equal(csv.length, 2);
  const row = Object.fromEntries(csv[0].split(",").map((c, i) => [c, csv[1].split(",")[i]]));
  assert.equal(row["poste"], "conseiller");
  assert.equal(row["pourquoi_pas.ne_sais_pas"], "1");
  assert.equal(row["types_accompagnement.compte"], "");
  await context.close();
});
