// The finder as a person without an account uses it, on a phone (390 px)
// and on a desktop: a commune typed, the results in the first screen, the
// filters folded with the count of those chosen, places whose fees are not
// known counted and included on request, "Autour de moi", "Ouvert
// maintenant"; then a place's page (hours in French, route, share) and its
// printable sheet. A professional orients a person from a place's page; an
// administrator fixes hours with the weekly grid. axe-core finds nothing at
// either width, whatever its impact.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, violationsAtBothWidths } from "./server.mjs";
import { accept, asFirstAdmin, structureWithMember } from "./people.mjs";

const world = useServerAndBrowser();

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const violations = violationsAtBothWidths;

/** A person's browser: French, Paris time, near the Parlement de Bretagne when asked. */
async function personAt(viewport) {
  const context = await world.browser.newContext({
    locale: "fr-FR",
    timezoneId: "Europe/Paris",
    viewport,
    bypassCSP: true,
    geolocation: { latitude: 48.1126, longitude: -1.6784 },
    permissions: ["geolocation"],
  });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  return { context, page, problems };
}

const resultsHeading = (page) => page.locator("h2#resultats");
const results = (page) => page.locator("ol.passerelle-liste-lieux > li");

/** "33 lieux près de Rennes" → 33; "Aucun lieu ouvert maintenant…" → 0. */
async function countShown(page) {
  const text = await resultsHeading(page).innerText();
  return text.startsWith("Aucun lieu") ? 0 : Number(text.match(/^(\d+) lieu/)[1]);
}

/** The page does not scroll sideways. */
async function fitsWidth(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
}

/** No OpenStreetMap syntax ("Mo-Fr 09:00-12:00") anywhere a person reads. */
async function assertNoHoursSyntax(page) {
  const text = await page.locator("main").innerText();
  assert.doesNotMatch(text, /\b(Mo|Tu|We|Th|Fr|Sa|Su|PH)\b|\d\d:\d\d|tels que fournis/);
}

test("on a phone, a person without an account finds a free place near Rennes", async () => {
  const { context, page, problems } = await personAt(PHONE);
  const found = [];
  await page.goto(`${world.server.url}/lieux`);
  found.push(...(await violations(page)));
  await page.getByLabel("Près de").fill("Rennes");
  await page.getByRole("button", { name: "Rechercher", exact: true }).click();
  await resultsHeading(page).waitFor();
  assert.match(await resultsHeading(page).innerText(), /lieux près de Rennes/);
  // The results start in the first screen, the filters folded above them.
  const heading = await resultsHeading(page).boundingBox();
  assert.ok(heading.y + heading.height <= PHONE.height, `results heading at ${heading.y} px`);
  const firstPlace = await results(page).first().boundingBox();
  assert.ok(firstPlace.y < PHONE.height, `first place at ${firstPlace.y} px`);
  assert.ok(await fitsWidth(page), "no horizontal scrolling");
  const filters = page.getByRole("button", { name: /^Filtres/ });
  assert.equal(await filters.getAttribute("aria-expanded"), "false");
  assert.equal(await page.getByLabel("Gratuit", { exact: true }).isVisible(), false);

  // Only free places, within 5 km: the count of chosen filters is shown.
  await filters.click();
  await page.getByLabel("Dans un rayon de").selectOption("5");
  await page.locator("label", { hasText: /^Gratuit$/ }).click();
  found.push(...(await violations(page)));
  await page.getByRole("button", { name: "Appliquer les filtres" }).click();
  await resultsHeading(page).waitFor();
  assert.match(await page.getByRole("button", { name: /^Filtres/ }).innerText(), /^Filtres \(1 choisi\)/);
  const free = await countShown(page);
  assert.ok(free > 0, "free places near Rennes");
  for (const text of await results(page).allInnerTexts()) assert.doesNotMatch(text, /Payant/);

  // Unknown is not "no": the places whose fees are not given are counted,
  // and a link shows them too.
  const unknown = page.getByText(/^\d+ lieux? sans information sur les frais/);
  const missing = Number((await unknown.innerText()).match(/^(\d+)/)[1]);
  assert.ok(missing > 0, "some places near Rennes do not give their fees");
  await unknown.getByRole("link", { name: "les afficher aussi" }).click();
  await resultsHeading(page).waitFor();
  assert.equal(await countShown(page), Math.min(free + missing, 50));
  assert.equal(await page.getByText(/sans information sur les frais/).count(), 0);

  // "Aller aux résultats" skips the form.
  await page.getByRole("link", { name: "Aller aux résultats" }).click();
  assert.equal(new URL(page.url()).hash, "#resultats");

  // "Autour de moi": the browser's position, asked once.
  await page.getByRole("button", { name: "Autour de moi" }).click();
  await page.getByRole("heading", { level: 2, name: /lieux? près de vous/ }).waitFor();
  assert.match(page.url(), /near=48\.11260%2C-1\.67840|near=48\.11260,-1\.67840/);
  const around = await results(page).allInnerTexts();
  assert.ok(around.length > 0);
  assert.match(around[0], /à \d+ m|à \d+(,\d)? km/);
  found.push(...(await violations(page)));

  // "Ouvert maintenant": the places open now, or, when none is, when the
  // first opens ("ouvre demain à 8 h").
  await page.locator("label", { hasText: /^Ouvert maintenant$/ }).click();
  await page.getByRole("button", { name: "Rechercher", exact: true }).click();
  await resultsHeading(page).waitFor();
  const openNow = await countShown(page);
  if (openNow > 0) {
    for (const badge of await results(page).locator(".fr-badge").allInnerTexts()) {
      assert.match(badge, /^ouvert/i);
    }
  } else {
    assert.match(await page.locator(".fr-alert--info").innerText(), /ouvre .*à \d+ h/);
  }

  // A place's page: hours in French, a route, a way to share it.
  await page.goto(`${world.server.url}/lieux?commune=Tr%C3%A9guier&q=France+services`);
  await page.getByRole("link", { name: "France services Tréguier", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "France services Tréguier" }).waitFor();
  const hours = page.getByRole("table", { name: /Horaires/ });
  assert.match(await hours.innerText(), /lundi\s+9 h – 12 h, 13 h 30 – 17 h/);
  assert.match(await hours.innerText(), /dimanche\s+fermé/);
  await assertNoHoursSyntax(page);
  assert.match(await page.getByRole("link", { name: /Itinéraire/ }).getAttribute("href"), /^https:\/\/www\.openstreetmap\.org\/directions\?/);
  assert.match(await page.getByRole("link", { name: "Par SMS" }).getAttribute("href"), /^sms:\?&body=.*lieux%2F\d+/);
  assert.equal(await page.getByRole("link", { name: /Orienter une personne/ }).count(), 0, "not offered without an account");
  assert.ok(await fitsWidth(page), "no horizontal scrolling");
  found.push(...(await violations(page)));

  // The printable sheet carries the phone number.
  await page.getByRole("link", { name: /Fiche à imprimer/ }).click();
  await page.getByRole("heading", { level: 1, name: "France services Tréguier" }).waitFor();
  assert.equal(await page.locator("header").count(), 0, "the sheet is just the place");
  assert.match(await page.locator("main, body").first().innerText(), /02 96 92 33 46/);
  await assertNoHoursSyntax(page);
  found.push(...(await violations(page)));

  assert.deepEqual(found, []);
  assert.deepEqual(problems, []);
  await context.close();
});

test("on a desktop, the list beside a map of clustered places over the borders", async () => {
  const { context, page, problems } = await personAt(DESKTOP);
  await page.goto(`${world.server.url}/lieux`);
  await page.getByLabel("Près de").fill("Rennes");
  await page.getByRole("button", { name: "Rechercher", exact: true }).click();
  await resultsHeading(page).waitFor();
  // From the search button to the first place: a few Tab presses, not 72.
  await page.getByRole("button", { name: "Rechercher", exact: true }).focus();
  const firstLink = await results(page).first().getByRole("link").innerText();
  let presses = 0;
  while (presses < 30) {
    await page.keyboard.press("Tab");
    presses += 1;
    if ((await page.evaluate(() => document.activeElement?.textContent?.trim())) === firstLink) break;
  }
  assert.ok(presses <= 6, `${presses} Tab presses to the first place`);

  // The markers, clustered, over the communes' and départements' borders.
  await page.locator(".leaflet-marker-icon").first().waitFor();
  await page.locator("#carte path").first().waitFor({ state: "attached" });
  assert.ok((await page.locator("#carte path").count()) >= 2, "borders drawn");
  await page.locator(".passerelle-grappe").first().waitFor();
  const map = await page.locator("#carte").boundingBox();
  const list = await results(page).first().boundingBox();
  assert.ok(map.x > list.x + list.width - 1, "the map beside the list");

  const found = await violations(page);
  await page.getByRole("button", { name: /^Filtres/ }).click();
  found.push(...(await violations(page)));
  await results(page).first().getByRole("link").click();
  await page.locator("h1").waitFor();
  found.push(...(await violations(page)));
  await page.getByRole("link", { name: /Fiche à imprimer/ }).click();
  found.push(...(await violations(page)));
  assert.deepEqual(found, []);
  assert.deepEqual(problems, []);
  await context.close();
});

test("a professional orients a person from a place's page; an administrator fixes its hours with the grid", async () => {
  const { server } = world;
  const { context, page, problems } = await asFirstAdmin(world, "les hortensias de la pointe du raz");
  const link = await structureWithMember(page, server.url, {
    nom: "CCAS de Tréguier", kind: "ccas", commune: "Tréguier", email: "accueil@ccas-treguier.bzh",
  });
  // The place's structure is on Passerelle (its SIRET): it receives referrals.
  await structureWithMember(page, server.url, {
    nom: "France services Tréguier", kind: "france_services", commune: "Tréguier", siret: "20006592800018", email: "fs@treguier.bzh",
  });

  // The administrator fixes the hours with the weekly grid.
  await page.goto(`${server.url}/lieux?commune=Tr%C3%A9guier&q=France+services`);
  await page.getByRole("link", { name: "France services Tréguier", exact: true }).click();
  const placeUrl = page.url();
  await page.getByRole("link", { name: /Modifier ce lieu/ }).click();
  const found = await violations(page);
  await page.getByRole("textbox", { name: /^Téléphone/ }).fill("02 96 92 33 47");
  await page.getByLabel("lundi, ouverture").fill("9h");
  await page.getByLabel("lundi, fermeture").first().fill("25 h");
  await page.getByRole("button", { name: "Enregistrer" }).click();
  // Nothing saved; the French message next to Monday, what was typed kept.
  const mondayError = page.locator("#lundi-erreur");
  await mondayError.waitFor();
  assert.doesNotMatch(await mondayError.innerText(), /[A-Z][a-z]-[A-Z][a-z]|\d\d:\d\d|parse|error/i);
  assert.equal(await page.getByLabel("lundi, fermeture").first().inputValue(), "25 h");
  assert.equal(await page.getByRole("textbox", { name: /^Téléphone/ }).inputValue(), "02 96 92 33 47");
  found.push(...(await violations(page)));
  await page.getByLabel("lundi, fermeture").first().fill("12h30");
  await page.getByRole("button", { name: "Enregistrer" }).click();
  await page.getByText("Vos modifications sont enregistrées et publiées.").waitFor();
  const hours = page.getByRole("table", { name: /Horaires/ });
  assert.match(await hours.innerText(), /lundi\s+9 h – 12 h 30, 13 h 30 – 17 h/);
  assert.match(await page.locator("main").innerText(), /02 96 92 33 47/);
  await assertNoHoursSyntax(page);
  await page.getByRole("button", { name: "Se déconnecter", exact: true }).click();

  // A social worker of the CCAS orients a person from the place's page.
  await accept(page, link, "Gwenola", "le phare des sept îles la nuit");
  await page.goto(placeUrl);
  await page.getByRole("link", { name: "Orienter une personne vers ce lieu" }).click();
  await page.getByRole("heading", { level: 1, name: /Orienter une personne/ }).waitFor();
  const chosen = page.getByLabel("Lieu qui recevra la personne");
  assert.match(await chosen.locator("option:checked").innerText(), /^France services Tréguier/);
  assert.deepEqual(found, []);
  assert.deepEqual(problems, []);
  await context.close();
});
