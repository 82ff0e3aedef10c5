// A social worker of a CCAS refers a person to a médiathèque for "Aide aux
// démarches administratives / CAF"; the mediator signs in, opens it, fixes
// an appointment, marks it accompagnée; the social worker sees
// "accompagnée" in the list of what they sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, seriousViolations } from "./server.mjs";

const world = useServerAndBrowser();

async function choosePassword(page, password) {
  await page.getByLabel("Nouveau mot de passe").fill(password);
  await page.getByLabel("Confirmation du mot de passe").fill(password);
}

async function structureWithMember(page, url, { nom, kind, commune, siret, email }) {
  await page.goto(`${url}/admin/structures`);
  await page.getByLabel("Nom", { exact: true }).fill(nom);
  await page.getByLabel("Type de structure").selectOption(kind);
  await page.getByLabel(/Commune/).fill(commune);
  if (siret) await page.getByLabel(/SIRET/).fill(siret);
  await page.getByRole("button", { name: "Ajouter la structure" }).click();
  await page.getByLabel("Adresse électronique").fill(email);
  await page.getByRole("button", { name: "Envoyer l’invitation" }).click();
  await page.goto(`${url}/admin/courriels`);
  const mail = await page.locator("pre").first().innerText();
  return mail.match(/http\S+\/invitation\/[0-9a-f]{64}/)[0];
}

async function accept(page, link, name, password) {
  await page.goto(link);
  await page.getByLabel("Prénom et nom").fill(name);
  await choosePassword(page, password);
  await page.getByRole("button", { name: "Accepter l’invitation" }).click();
}

test("a referral from a CCAS to a médiathèque, followed to the end", async () => {
  const { server, browser } = world;
  const adminLink = server.cli(["accounts", "create-admin", "--email", "admin@hub.bzh"]).trim().split("\n").pop();
  const context = await browser.newContext({ locale: "fr-FR", bypassCSP: true });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await accept(page, adminLink, "Admin", "la chaloupe verte du blavet");
  const socialWorkerLink = await structureWithMember(page, server.url, {
    nom: "CCAS de Quimper", kind: "ccas", commune: "29232", email: "as@ccas-quimper.bzh",
  });
  // The médiathèque runs a place of the bundled directory (its SIRET).
  const mediatorLink = await structureWithMember(page, server.url, {
    nom: "Médiathèque de Plouzané", kind: "mediatheque", commune: "29212", siret: "21290212600011", email: "mediation@plouzane.bzh",
  });
  await page.getByRole("button", { name: "Se déconnecter", exact: true }).click();

  // The social worker refers Maryvonne.
  await accept(page, socialWorkerLink, "Soizic", "un goéland sur le port du rosmeur");
  await page.getByRole("link", { name: "Orientations", exact: true }).click();
  await page.getByRole("link", { name: "Orienter une personne" }).click();
  assert.deepEqual(await seriousViolations(page), []);
  await page.getByLabel("Lieu qui recevra la personne").selectOption({ label: "Médiathèque de Plouzané (Plouzané)" });
  await page.getByLabel("Besoin", { exact: true }).selectOption("Aide aux démarches administratives");
  await page.getByLabel(/Organisme concerné/).selectOption("CAF");
  await page.getByLabel(/Situation/).fill("Déclaration trimestrielle de la prime d’activité à faire en ligne.");
  await page.getByLabel("Prénom").fill("Maryvonne");
  await page.getByLabel(/Numéro, adresse/).fill("06 12 34 56 78");
  await page.getByRole("button", { name: "Envoyer l’orientation" }).click();
  // Without the person's agreement, nothing is sent.
  await page.getByText("confirmez que la personne a été informée").waitFor();
  await page.locator("label", { hasText: /^J’ai informé la personne/ }).click();
  await page.getByRole("button", { name: "Envoyer l’orientation" }).click();
  await page.getByText("Orientation envoyée.").waitFor();
  await page.getByRole("button", { name: "Se déconnecter", exact: true }).click();

  // The mediator opens it, fixes an appointment, then marks it accompagnée.
  await accept(page, mediatorLink, "Malo", "la bruyère sur les dunes de keremma");
  await page.getByRole("link", { name: "Orientations", exact: true }).click();
  const received = page.getByRole("table", { name: "Orientations reçues" });
  assert.match(await received.innerText(), /CCAS de Quimper/);
  await received.getByRole("link").first().click();
  await page.getByRole("heading", { level: 1, name: /envoyée/ }).waitFor();
  assert.ok(await page.getByText("Maryvonne").isVisible());
  await page.getByRole("button", { name: "Accuser réception" }).click();
  await page.getByRole("heading", { level: 1, name: /reçue/ }).waitFor();
  assert.deepEqual(await seriousViolations(page), []);
  const inAWeek = new Date(Date.now() + 7 * 86400e3).toISOString().slice(0, 10);
  await page.getByLabel("Date du rendez-vous").fill(inAWeek);
  await page.getByRole("button", { name: "Fixer le rendez-vous" }).click();
  await page.getByRole("heading", { level: 1, name: /rendez-vous fixé/ }).waitFor();
  await page.getByRole("button", { name: "Personne accompagnée" }).click();
  await page.getByRole("heading", { level: 1, name: /accompagnée/ }).waitFor();
  await page.getByRole("button", { name: "Se déconnecter", exact: true }).click();

  // The social worker sees it in what they sent.
  await page.getByRole("link", { name: "Se connecter" }).click();
  await page.getByLabel("Adresse électronique").fill("as@ccas-quimper.bzh");
  await page.getByLabel("Mot de passe", { exact: true }).fill("un goéland sur le port du rosmeur");
  await page.getByRole("button", { name: "Se connecter" }).click();
  await page.goto(`${server.url}/orientations`);
  const sent = page.getByRole("table", { name: "Orientations envoyées" });
  assert.match(await sent.innerText(), /Médiathèque de Plouzané[\s\S]*accompagnée/);
  assert.deepEqual(await seriousViolations(page), []);
  assert.deepEqual(problems, []);
  await context.close();
});
