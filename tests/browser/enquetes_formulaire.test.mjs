// Enquêtes without TOML, in headless Chromium: a gestionnaire builds a
// questionnaire in the form (four questions, one shown on an earlier
// answer, one refused then fixed, one moved), puts it online, shares its
// link and QR code; a respondent answers on a phone (390 px); the
// gestionnaire builds a crosstab, shown where it was asked. Every page has
// no axe-core violation at 1280 and 390 px and never scrolls sideways;
// screenshots go to $ENQUETES_SHOTS (default /tmp/enquetes-shots).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { useServerAndBrowser, violationsAtBothWidths } from "./server.mjs";
import { accept, asFirstAdmin, structureWithMember } from "./people.mjs";

const world = useServerAndBrowser();

const shots = process.env.ENQUETES_SHOTS ?? "/tmp/enquetes-shots";

/** The page at 1280 and 390 px: a screenshot of each, no axe violation,
 * no horizontal scrolling on the phone. */
async function look(page, name) {
  mkdirSync(shots, { recursive: true });
  const before = page.viewportSize();
  for (const [label, width] of [["1280", 1280], ["390", 390]]) {
    await page.setViewportSize({ width, height: label === "390" ? 844 : 900 });
    await page.screenshot({ path: join(shots, `${name}.${label}.png`), fullPage: true });
  }
  await page.setViewportSize(before);
  assert.deepEqual(await violationsAtBothWidths(page), [], name);
}

test("a gestionnaire builds a questionnaire in the form, shares it, reads a crosstab", async () => {
  const { server, browser } = world;
  const { context, page, problems } = await asFirstAdmin(world, "les goélands de la pointe du raz");
  await structureWithMember(page, server.url, {
    nom: "Médiathèque de Plouzané", kind: "mediatheque", commune: "Plouzané", email: "accueil@plouzane.bzh",
  });
  // A gestionnaire for the médiathèque, invited from its page.
  await page.goto(`${server.url}/admin/structures`);
  await page.getByRole("link", { name: "Médiathèque de Plouzané" }).click();
  await page.getByLabel("Adresse électronique").fill("direction@plouzane.bzh");
  await page.getByLabel("Rôle", { exact: true }).selectOption("gestionnaire");
  await page.getByRole("button", { name: "Envoyer l’invitation" }).click();
  await page.goto(`${server.url}/admin/courriels`);
  const mail = await page.locator(".fr-card").filter({ hasText: "À direction@plouzane.bzh" }).locator("pre").innerText();
  const link = mail.match(/http\S+\/invitation\/[0-9a-f]{64}/)[0];
  await page.getByRole("button", { name: "Se déconnecter", exact: true }).click();
  await accept(page, link, "Gwenaëlle", "la marée monte à la pointe saint-mathieu");

  // A new survey, started empty: no TOML, no command line.
  await page.goto(`${server.url}/enquetes`);
  await page.getByRole("link", { name: "Nouvelle enquête" }).click();
  await look(page, "nouvelle");
  assert.equal(await page.getByText("TOML").count(), 0);
  await page.getByLabel("Titre de l’enquête").fill("Les usagers de la médiathèque");
  await page.getByRole("button", { name: "Créer le brouillon" }).click();
  await page.getByText("Enquête créée").waitFor();

  const add = async (fill) => {
    await fill();
    await page.getByRole("button", { name: "Ajouter la question" }).click();
  };
  await add(async () => {
    await page.getByLabel("Question", { exact: true }).fill("Êtes-vous déjà venu·e à un atelier numérique ?");
    await page.getByLabel("Type de réponse").selectOption("single");
    await page.getByLabel(/^Réponses proposées/).fill("Oui\nNon");
    await page.locator("label", { hasText: /^Réponse obligatoire$/ }).click();
  });
  await page.getByText("Question ajoutée.").waitFor();
  await add(async () => {
    await page.getByLabel("Question", { exact: true }).fill("Pourquoi pas ?");
    await page.getByLabel("Type de réponse").selectOption("multiple");
    await page.getByLabel(/^Réponses proposées/).fill("Je ne savais pas\nLes horaires ne me vont pas\nJe n’en ai pas besoin");
    await page.getByLabel(/^Réponse « Autre »/).fill("Autre, précisez");
    await page.getByLabel("Quand poser cette question").selectOption({ label: "Si la réponse est « Non »" });
  });
  await page.getByText("Question ajoutée.").waitFor();
  // A scale without its top: said next to the field, the text kept.
  await add(async () => {
    await page.getByLabel("Question", { exact: true }).fill("Êtes-vous satisfait·e de l’accueil ?");
    await page.getByLabel("Type de réponse").selectOption("scale");
    assert.equal(await page.getByLabel(/^Réponses proposées/).isVisible(), false, "only the fields of a scale");
    await page.getByLabel("Minimum").fill("1");
  });
  await page.locator("#max-erreur").waitFor();
  assert.match(await page.locator("#max-erreur").innerText(), /donnez les deux/);
  assert.equal(await page.getByLabel("Question", { exact: true }).inputValue(), "Êtes-vous satisfait·e de l’accueil ?");
  await look(page, "question-refusee");
  await page.getByLabel("Maximum").fill("5");
  await page.getByLabel(/^Ce que veut dire la note la plus basse/).fill("pas du tout");
  await page.getByLabel(/^Ce que veut dire la note la plus haute/).fill("tout à fait");
  await page.getByRole("button", { name: "Ajouter la question" }).click();
  await page.getByText("Question ajoutée.").waitFor();
  await add(async () => {
    await page.getByLabel("Question", { exact: true }).fill("Quel âge avez-vous ?");
    await page.getByLabel("Type de réponse").selectOption("integer");
    await page.getByLabel("Minimum").fill("12");
  });
  await page.getByText("Question ajoutée.").waitFor();
  // Reorder: the age before the satisfaction.
  await page.getByRole("button", { name: "Monter la question 4" }).click();
  await page.getByText("Question déplacée.").waitFor();
  const order = await page.locator("ol.enquete-questions > li strong").allInnerTexts();
  assert.deepEqual(order, [
    "Êtes-vous déjà venu·e à un atelier numérique ?",
    "Pourquoi pas ?",
    "Quel âge avez-vous ?",
    "Êtes-vous satisfait·e de l’accueil ?",
  ]);
  assert.ok(await page.getByText("Seulement si vous avez répondu « Non » à la question 1.").isVisible());
  await look(page, "questionnaire");

  // Online: the link and its QR code, never a command line.
  await page.getByRole("button", { name: "Mettre en ligne" }).click();
  await page.getByRole("heading", { name: /Enquête mise en ligne/ }).waitFor();
  const address = await page.getByLabel("Adresse de l’enquête").inputValue();
  assert.match(address, /\/enquetes\/les-usagers-de-la-mediatheque$/);
  const qr = page.getByRole("img", { name: /QR code/ });
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), "the QR code is drawn");
  assert.equal(await page.getByText("passerelle survey").count(), 0);
  await look(page, "partage");

  // A respondent answers on a phone.
  const phone = await browser.newContext({ locale: "fr-FR", bypassCSP: true, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const mobile = await phone.newPage();
  mobile.on("pageerror", (e) => problems.push(e.message));
  await mobile.goto(address);
  await mobile.getByRole("heading", { level: 1, name: "Les usagers de la médiathèque" }).waitFor();
  const why = mobile.locator("#q-q2");
  assert.equal(await why.isVisible(), false);
  await mobile.locator("#q-q1 label", { hasText: /^Non$/ }).click();
  assert.equal(await why.isVisible(), true);
  await why.locator("label", { hasText: "Les horaires ne me vont pas" }).click();
  await mobile.getByLabel("Nombre").fill("34");
  await mobile.locator("#q-q3 label", { hasText: /^4$/ }).click();
  await mobile.screenshot({ path: join(shots, "formulaire.390.png"), fullPage: true });
  assert.deepEqual(await violationsAtBothWidths(mobile), []);
  assert.ok(await mobile.evaluate(() => document.documentElement.scrollWidth <= 390), "no sideways scrolling");
  await mobile.getByRole("button", { name: "Envoyer mes réponses" }).click();
  await mobile.getByRole("heading", { name: "Merci pour vos réponses" }).waitFor();
  await phone.close();

  // The gestionnaire reads the results and builds a crosstab.
  await page.getByRole("link", { name: "Voir les résultats" }).click();
  await page.getByRole("navigation", { name: "Sommaire" }).waitFor();
  await page.getByLabel("En lignes").selectOption("q1");
  await page.getByLabel("En colonnes").selectOption("q2.les_horaires_ne_me_vont_pas");
  await page.getByRole("button", { name: "Afficher" }).click();
  const crosstab = page.getByRole("table", { name: /Croisement/ });
  await crosstab.waitFor();
  assert.ok(page.url().endsWith("#construits"), page.url());
  const top = await crosstab.evaluate((t) => t.getBoundingClientRect().top);
  assert.ok(top >= 0 && top < 900, `the crosstab is on screen where it was asked (${top} px)`);
  await look(page, "resultats");
  assert.deepEqual(problems, []);
  await context.close();
});
