// Activités as a mediator lives them between two visitors: a procedure
// recorded and counted on the dashboard; the common case in a few clicks
// with the last place and duration remembered; a form that adapts to the
// type and keeps what was typed; a phone's width; a confirmation before
// withdrawing; no accessibility violation at 1280 and 390 px.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, violationsAtBothWidths } from "./server.mjs";
import { asFirstAdmin, structureWithMember, accept, signOut, signIn } from "./people.mjs";

const world = useServerAndBrowser();

/** No violation at 1280 nor at 390 px, and no horizontal scrolling on a phone. */
async function clean(page) {
  assert.deepEqual(await violationsAtBothWidths(page), []);
}

let mediator = null;

/** A mediator of a médiathèque in Quimper, signed in, on the entry form. */
async function signedInMediator() {
  const { context, page, problems } = await asFirstAdmin(world, "la chaloupe verte du blavet");
  const invitation = await structureWithMember(page, world.server.url, {
    nom: "Médiathèque de Quimper",
    kind: "mediatheque",
    commune: "Quimper",
    email: "mediatrice@quimper.bzh",
  });
  await signOut(page);
  await accept(page, invitation, "Maëlle", "un phare au bout du monde");
  await page.getByRole("link", { name: "Activités", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Enregistrer une activité" }).waitFor();
  return { context, page, problems };
}

test("a mediator records a procedure and sees it counted", async () => {
  mediator = await signedInMediator();
  const { page } = mediator;
  await clean(page);
  // As a person would: labels, keyboard-friendly controls; the commune
  // by its name.
  await page.locator("label", { hasText: /^Aide à une démarche$/ }).click();
  await page.getByLabel("Où").selectOption("autre");
  await page.getByLabel(/^Commune/).fill("Quimper");
  await page.locator("label", { hasText: /^Démarche en ligne$/ }).click();
  await page.getByLabel("Organisme concerné").selectOption("CAF");
  await page.locator("label", { hasText: /^Remplissage d'un formulaire$/ }).click();
  await page.getByLabel("Âge").selectOption("60-69 ans");
  await page.getByRole("button", { name: "Enregistrer" }).click();
  await page.getByText("Activité enregistrée.").waitFor();
  // The duration and the place are remembered for the next record.
  assert.equal(await page.getByLabel("Durée").inputValue(), "30");
  assert.equal(await page.getByLabel("Où").inputValue(), "autre");
  // A commune the reference does not have: said next to the field, in
  // French, with what was typed kept (it was a server error).
  await page.getByLabel(/^Commune/).fill("29999");
  await page.locator("label", { hasText: /^Courriels$/ }).click();
  await page.getByRole("button", { name: "Enregistrer" }).click();
  const commune = page.getByLabel(/^Commune/);
  await page.locator("#commune-erreur").waitFor();
  assert.match(await page.locator("#commune-erreur").innerText(), /Aucune commune n’a le code INSEE « 29999 »/);
  assert.equal(await commune.getAttribute("aria-describedby"), "commune-erreur");
  assert.equal(await commune.inputValue(), "29999");
  assert.equal(await page.getByLabel("Courriels").isChecked(), true);
  await clean(page);

  await page.getByRole("link", { name: "Voir les chiffres" }).click();
  const themes = page.getByRole("table", { name: "Thèmes des accompagnements" });
  await themes.waitFor();
  assert.match(await themes.innerText(), /Démarche en ligne\s+1\s+100\s%/);
  assert.match(await page.getByRole("table", { name: /organisme concerné/ }).innerText(), /CAF/);
  assert.match(await page.getByRole("table", { name: /aide apportée/ }).innerText(), /Remplissage d'un formulaire/);
  await clean(page);
  // Every table as a workbook, in one click; as CSV for French Excel.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Exporter tous les tableaux (XLSX)" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "passerelle-activites.xlsx");
  const href = await page.getByRole("link", { name: /CSV pour Excel/ }).getAttribute("href");
  const csv = await page.request.get(new URL(href, page.url()).href);
  const bytes = await csv.body();
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 with BOM");
  assert.match(bytes.toString("utf8"), /Thèmes des accompagnements;Démarche en ligne;1;100;1/);
});

test("the common case takes a few clicks, the last place and duration remembered", async () => {
  const { page } = mediator;
  await page.goto(`${world.server.url}/activites`);
  let clicks = 0;
  const click = async (locator) => {
    clicks += 1;
    await locator.click();
  };
  // A select is two clicks: open it, pick the option.
  const choose = async (locator, value) => {
    clicks += 2;
    await locator.selectOption(value);
  };
  // Individual is the default; the procedure's fields come with the theme.
  assert.equal(await page.getByLabel("Accompagnement individuel").isChecked(), true);
  assert.equal(await page.getByLabel("Organisme concerné").isVisible(), false);
  await click(page.locator("label", { hasText: /^Démarche en ligne$/ }));
  await choose(page.getByLabel("Organisme concerné"), "CAF");
  await click(page.locator("label", { hasText: /^Remplissage d'un formulaire$/ }));
  await click(page.getByRole("button", { name: "Enregistrer" }));
  await page.getByText("Activité enregistrée.").waitFor();
  assert.ok(clicks <= 8, `${clicks} clicks`);
  const latest = page.locator(".passerelle-recentes li").first();
  assert.match(await latest.innerText(), /Accompagnement individuel — Démarche en ligne/);
  // "Répéter la dernière activité": one click fills it all again.
  await page.getByRole("link", { name: "Répéter la dernière activité" }).click();
  assert.equal(await page.getByLabel("Organisme concerné").inputValue(), "CAF");
  assert.equal(await page.getByLabel("Remplissage d'un formulaire").isChecked(), true);
});

test("the form adapts to the type and keeps what was typed", async () => {
  const { page } = mediator;
  await page.goto(`${world.server.url}/activites`);
  assert.equal(await page.getByLabel("Nombre de participants").isVisible(), false);
  assert.equal(await page.getByLabel("Âge").isVisible(), true);
  await page.locator("label", { hasText: /^Atelier collectif$/ }).click();
  assert.equal(await page.getByLabel("Nombre de participants").isVisible(), true);
  assert.equal(await page.getByLabel("Âge").isVisible(), false, "ages are counted per bracket");
  await page.getByLabel("Titre").fill("Premiers courriels");
  await page.getByLabel("Nombre de participants").fill("8");
  await page.getByLabel("Niveau").selectOption("débutant");
  await page.locator("label", { hasText: /^Courriels$/ }).click();
  await page.getByLabel("60-69 ans").fill("3");
  await page.getByLabel("70 ans et plus").fill("2");
  await page.getByRole("button", { name: "Enregistrer" }).click();
  const error = page.locator("#nb_age-erreur");
  await error.waitFor();
  assert.equal(await error.innerText(), "Les nombres font 5 en tout, pas les 8 participants");
  assert.match(await page.locator("#nb_age").getAttribute("aria-describedby"), /nb_age-erreur/);
  // Nothing reset: type, participants, title, level, the counts.
  assert.equal(await page.getByLabel("Atelier collectif").isChecked(), true);
  assert.equal(await page.getByLabel("Nombre de participants").inputValue(), "8");
  assert.equal(await page.getByLabel("Titre").inputValue(), "Premiers courriels");
  assert.equal(await page.getByLabel("Niveau").inputValue(), "débutant");
  assert.equal(await page.getByLabel("60-69 ans").inputValue(), "3");
  await clean(page);
  await page.getByLabel("40-59 ans").fill("3");
  await page.getByRole("button", { name: "Enregistrer" }).click();
  await page.getByText("Activité enregistrée.").waitFor();
});

test("withdrawing asks first, then says it is done", async () => {
  const { page, problems, context } = mediator;
  await page.goto(`${world.server.url}/activites`);
  const before = await page.locator(".passerelle-recentes li").count();
  await page.locator(".passerelle-recentes li").first().getByRole("link", { name: /^Retirer/ }).click();
  await page.getByRole("heading", { level: 1, name: "Retirer une activité ?" }).waitFor();
  await clean(page);
  await page.getByRole("link", { name: "Annuler" }).click();
  assert.equal(await page.locator(".passerelle-recentes li").count(), before, "nothing withdrawn");
  await page.locator(".passerelle-recentes li").first().getByRole("link", { name: /^Retirer/ }).click();
  await page.getByRole("button", { name: "Retirer cette activité" }).click();
  await page.getByText("Activité retirée").waitFor();
  assert.equal(await page.locator(".passerelle-recentes li").count(), before - 1);
  assert.deepEqual(problems, []);
  await context.close();
});

test("a shared view is read signed out, and framed", async () => {
  const context = await world.browser.newContext({ locale: "fr-FR", bypassCSP: true });
  const page = await context.newPage();
  await page.goto(world.server.url);
  await signIn(page, "admin@hub.bzh", "la chaloupe verte du blavet");
  await page.goto(`${world.server.url}/activites/statistiques?territory=dep:29&by=theme`);
  await page.getByRole("heading", { level: 1, name: "Statistiques détaillées des activités" }).waitFor();
  await clean(page);
  await page.getByLabel(/^Partager cette vue/).fill("Finistère, cette année");
  await page.getByRole("button", { name: "Créer le lien de partage" }).click();
  await page.getByRole("heading", { level: 1, name: "Mes liens de partage" }).waitFor();
  await clean(page);
  const link = await page.getByRole("link", { name: /\/partage\/activites\// }).getAttribute("href");
  await context.close();

  // Someone else, never signed in.
  const visitor = await world.browser.newContext({ locale: "fr-FR", bypassCSP: true });
  const reader = await visitor.newPage();
  const response = await reader.goto(link);
  assert.equal(response.status(), 200);
  await reader.getByRole("heading", { level: 1, name: "Finistère, cette année" }).waitFor();
  assert.match(await reader.locator(".fr-text--lead").innerText(), /^Finistère : \d+ personnes accompagnées/);
  await reader.getByText(/Données à jour au/).waitFor();
  await reader.getByRole("table", { name: "Thèmes des accompagnements" }).waitFor();
  await clean(reader);
  const framed = await reader.goto(`${link}/integrer`);
  assert.match(framed.headers()["content-security-policy"], /frame-ancestors \*/);
  assert.equal(framed.headers()["x-frame-options"], undefined);
  await reader.getByRole("table", { name: "Thèmes des accompagnements" }).waitFor();
  await visitor.close();
});
