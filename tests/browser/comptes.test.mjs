// Comptes in headless Chromium: the first administrator accepts their
// invitation, signs out and in, creates a structure and invites a
// gestionnaire, who joins; every page checked by axe-core (every impact)
// at 1280 and 390 px.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, violationsAtBothWidths } from "./server.mjs";

const world = useServerAndBrowser();

async function choosePassword(page, password) {
  await page.getByLabel("Nouveau mot de passe").fill(password);
  await page.getByLabel("Confirmation du mot de passe").fill(password);
}

test("an administrator joins, signs in, creates a structure and invites a gestionnaire", async () => {
  const { server, browser } = world;
  const output = server.cli(["accounts", "create-admin", "--email", "Admin@Hub.bzh"]);
  const link = output.trim().split("\n").pop();
  assert.match(link, /\/invitation\/[0-9a-f]{64}$/);

  // axe runs as an injected script, which the CSP rightly forbids.
  const context = await browser.newContext({ locale: "fr-FR", bypassCSP: true });
  const page = await context.newPage();
  const problems = [];
  const a11y = [];
  page.on("pageerror", (e) => problems.push(e.message));

  await page.goto(link);
  a11y.push(...(await violationsAtBothWidths(page)));
  await page.getByLabel("Prénom et nom").fill("Annaïg Le Gall");
  await choosePassword(page, "azerty123");
  await page.getByRole("button", { name: "Accepter l’invitation" }).click();
  // The problem is said next to the password field; the name stays typed.
  await page.locator("#new_password-error").getByText("au moins 12 caractères").waitFor();
  assert.equal(await page.getByLabel("Nouveau mot de passe").getAttribute("aria-describedby"), "new_password-error");
  assert.equal(await page.getByLabel("Prénom et nom").inputValue(), "Annaïg Le Gall");
  a11y.push(...(await violationsAtBothWidths(page)));
  await choosePassword(page, "la chaloupe verte du blavet");
  await page.getByRole("button", { name: "Accepter l’invitation" }).click();
  // Welcomed on the home, with the administration of the instance.
  await page.getByText("Invitation acceptée").waitFor();
  await page.getByRole("heading", { level: 2, name: "Administration de l’instance", exact: true }).waitFor();
  a11y.push(...(await violationsAtBothWidths(page)));
  await page.getByRole("link", { name: "Annaïg Le Gall" }).click();
  await page.getByRole("heading", { level: 1, name: "Mon compte" }).waitFor();
  a11y.push(...(await violationsAtBothWidths(page)));
  assert.ok(await page.getByText("admin@hub.bzh").isVisible());

  // Sign out, a wrong password, then the right one.
  await page.getByRole("button", { name: "Se déconnecter", exact: true }).click();
  await page.getByRole("link", { name: "Se connecter" }).click();
  a11y.push(...(await violationsAtBothWidths(page)));
  await page.getByLabel("Adresse électronique").fill("admin@hub.bzh");
  await page.getByLabel("Mot de passe", { exact: true }).fill("pas le bon mot de passe");
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.getByText("Adresse électronique ou mot de passe incorrect.").waitFor();
  await page.getByLabel("Mot de passe", { exact: true }).fill("la chaloupe verte du blavet");
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.getByRole("heading", { level: 1, name: "Bonjour Annaïg Le Gall" }).waitFor();

  // Administration: a structure, then an invitation.
  await page.getByRole("link", { name: "Administration", exact: true }).click();
  a11y.push(...(await violationsAtBothWidths(page)));
  await page.getByLabel("Nom", { exact: true }).fill("CCAS de Quimper");
  await page.getByLabel("Type de structure").selectOption("ccas");
  // The commune is picked by its name among those proposed as it is typed.
  await page.getByLabel(/Commune/).pressSequentially("Quimp");
  await page.locator('#communes-proposees option[value="Quimper (Finistère)"]').waitFor({ state: "attached" });
  await page.getByLabel(/Commune/).fill("Quimper (Finistère)");
  await page.getByRole("button", { name: "Ajouter la structure" }).click();
  await page.getByRole("heading", { level: 1, name: "CCAS de Quimper" }).waitFor();
  // A typo in the address: said next to it, the role chosen kept.
  await page.getByLabel("Adresse électronique").fill("gestion.ccas-quimper.fr");
  await page.getByLabel("Rôle", { exact: true }).selectOption("gestionnaire");
  await page.getByRole("button", { name: "Envoyer l’invitation" }).click();
  await page.locator("#email-error").getByText("n’est pas une adresse électronique valide").waitFor();
  assert.equal(await page.getByLabel("Rôle", { exact: true }).inputValue(), "gestionnaire");
  assert.equal(await page.getByLabel("Adresse électronique").inputValue(), "gestion.ccas-quimper.fr");
  a11y.push(...(await violationsAtBothWidths(page)));
  await page.getByLabel("Adresse électronique").fill("gestion@ccas-quimper.fr");
  await page.getByRole("button", { name: "Envoyer l’invitation" }).click();
  await page.getByText("Invitation envoyée.").waitFor();
  a11y.push(...(await violationsAtBothWidths(page)));

  // The e-mail waits in the outbox (no SMTP here); its link works.
  await page.goto(`${server.url}/admin/courriels`);
  const mail = await page.locator("pre").first().innerText();
  const invitation = mail.match(/http\S+\/invitation\/[0-9a-f]{64}/)[0];
  await page.goto(`${server.url}/admin/journal`);
  a11y.push(...(await violationsAtBothWidths(page)));
  assert.ok(await page.getByRole("cell", { name: "Invitation envoyée", exact: true }).first().isVisible());
  // Lieux pages for those who maintain them: an administrator may edit any
  // place and sees the coordination view.
  for (const path of ["/admin/courriels", "/lieux/coordination", "/lieux/1/modifier", "/compte"]) {
    const response = await page.goto(`${server.url}${path}`);
    assert.equal(response.status(), 200, path);
    a11y.push(...(await violationsAtBothWidths(page)));
  }
  // Notifications: each person chooses, per topic, when to be told.
  await page.goto(`${server.url}/compte`);
  const steps = page.getByRole("group", { name: "Une orientation de ma structure avance" });
  await steps.locator("label", { hasText: /^Jamais$/ }).click();
  await page.getByRole("button", { name: "Enregistrer mes notifications" }).click();
  await page.getByText("Vos choix de notifications sont enregistrés.").waitFor();
  assert.ok(await page.getByRole("group", { name: "Une orientation de ma structure avance" }).getByLabel("Jamais").isChecked());
  a11y.push(...(await violationsAtBothWidths(page)));
  await page.goto(`${server.url}/lieux/1/modifier`);
  await page.getByLabel(/^Présentation courte/).fill("Accueil sans rendez-vous le matin.");
  await page.getByRole("button", { name: "Enregistrer" }).click();
  await page.getByText("Accueil sans rendez-vous le matin.").waitFor();
  await context.close();

  const other = await browser.newContext({ locale: "fr-FR" });
  const gestionnaire = await other.newPage();
  gestionnaire.on("pageerror", (e) => problems.push(e.message));
  await gestionnaire.goto(invitation);
  await gestionnaire.getByLabel("Prénom et nom").fill("Yann Moal");
  await choosePassword(gestionnaire, "un phare au bout du monde");
  await gestionnaire.getByRole("button", { name: "Accepter l’invitation" }).click();
  await gestionnaire.getByRole("link", { name: "CCAS de Quimper" }).click();
  await gestionnaire.getByRole("heading", { name: "Inviter une personne" }).waitFor();
  // A gestionnaire is not an administrator.
  assert.equal(await gestionnaire.getByRole("link", { name: "Administration", exact: true }).count(), 0);
  const response = await gestionnaire.goto(`${server.url}/admin/structures`);
  assert.equal(response.status(), 403);
  await other.close();

  assert.deepEqual(problems, []);
  assert.deepEqual(a11y, []);
});
