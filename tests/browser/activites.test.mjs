// A mediator records an individual accompaniment on "Démarche en ligne /
// CAF / remplissage d'un formulaire" and sees it counted on the dashboard.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, seriousViolations } from "./server.mjs";

const world = useServerAndBrowser();

async function choosePassword(page, password) {
  await page.getByLabel("Nouveau mot de passe").fill(password);
  await page.getByLabel("Confirmation du mot de passe").fill(password);
}

test("a mediator records a procedure and sees it counted", async () => {
  const { server, browser } = world;
  // An administrator creates a structure and invites the mediator.
  const adminLink = server.cli(["accounts", "create-admin", "--email", "admin@hub.bzh"]).trim().split("\n").pop();
  const context = await browser.newContext({ locale: "fr-FR", bypassCSP: true });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(adminLink);
  await page.getByLabel("Prénom et nom").fill("Admin");
  await choosePassword(page, "la chaloupe verte du blavet");
  await page.getByRole("button", { name: "Accepter l’invitation" }).click();
  await page.goto(`${server.url}/admin/structures`);
  await page.getByLabel("Nom", { exact: true }).fill("Médiathèque de Quimper");
  await page.getByLabel("Type de structure").selectOption("mediatheque");
  await page.getByLabel(/Commune/).fill("29232");
  await page.getByRole("button", { name: "Ajouter la structure" }).click();
  await page.getByLabel("Adresse électronique").fill("mediatrice@quimper.bzh");
  await page.getByRole("button", { name: "Envoyer l’invitation" }).click();
  await page.goto(`${server.url}/admin/courriels`);
  const mail = await page.locator("pre").first().innerText();
  const invitation = mail.match(/http\S+\/invitation\/[0-9a-f]{64}/)[0];
  await page.getByRole("button", { name: "Se déconnecter", exact: true }).click();

  await page.goto(invitation);
  await page.getByLabel("Prénom et nom").fill("Maëlle");
  await choosePassword(page, "un phare au bout du monde");
  await page.getByRole("button", { name: "Accepter l’invitation" }).click();
  await page.getByRole("link", { name: "Activités", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Enregistrer une activité" }).waitFor();
  assert.deepEqual(await seriousViolations(page), []);
  // As a person would: labels, keyboard-friendly controls.
  await page.locator("label", { hasText: /^Aide à une démarche$/ }).click();
  await page.getByLabel("Où").selectOption("autre");
  await page.getByLabel(/^Commune/).fill("29232");
  await page.locator("label", { hasText: /^Démarche en ligne$/ }).click();
  await page.getByLabel("Organisme concerné").selectOption("CAF");
  await page.locator("label", { hasText: /^Remplissage d'un formulaire$/ }).click();
  await page.getByLabel("Âge").selectOption("60-69 ans");
  await page.getByRole("button", { name: "Enregistrer" }).click();
  await page.getByText("Activité enregistrée.").waitFor();
  // The duration is remembered for the next record.
  assert.equal(await page.getByLabel("Durée").inputValue(), "30");
  // A commune the reference does not have: said next to the field, in
  // French, with what was typed kept (it was a server error).
  await page.getByLabel("Où").selectOption("autre");
  await page.getByLabel(/^Commune/).fill("29999");
  await page.locator("label", { hasText: /^Courriels$/ }).click();
  await page.getByRole("button", { name: "Enregistrer" }).click();
  const commune = page.getByLabel(/^Commune/);
  await page.locator("#commune-erreur").waitFor();
  assert.match(await page.locator("#commune-erreur").innerText(), /Aucune commune n’a le code INSEE « 29999 »/);
  assert.equal(await commune.getAttribute("aria-describedby"), "commune-erreur");
  assert.equal(await commune.inputValue(), "29999");
  assert.equal(await page.getByLabel("Courriels").isChecked(), true);
  assert.deepEqual(await seriousViolations(page), []);

  await page.getByRole("link", { name: "Voir les chiffres" }).click();
  const themes = page.getByRole("table", { name: "Thèmes des accompagnements" });
  await themes.waitFor();
  assert.match(await themes.innerText(), /Démarche en ligne\s+1\s+100\s%/);
  assert.match(await page.getByRole("table", { name: /organisme concerné/ }).innerText(), /CAF/);
  assert.match(await page.getByRole("table", { name: /aide apportée/ }).innerText(), /Remplissage d'un formulaire/);
  assert.deepEqual(await seriousViolations(page), []);
  // Every table as a workbook, in one click.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Exporter tous les tableaux (XLSX)" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "passerelle-activites.xlsx");
  assert.deepEqual(problems, []);
  await context.close();
});
