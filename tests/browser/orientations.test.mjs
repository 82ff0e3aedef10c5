// A social worker of a CCAS refers a person to a médiathèque for "Aide aux
// démarches administratives / CAF"; the mediator signs in, opens it, fixes
// an appointment, marks it accompagnée; the social worker sees
// "accompagnée" in the list of what they sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, violationsAtBothWidths } from "./server.mjs";
import { accept, asFirstAdmin, structureWithMember } from "./people.mjs";

const world = useServerAndBrowser();

test("a referral from a CCAS to a médiathèque, followed to the end", async () => {
  const { server } = world;
  const { context, page, problems } = await asFirstAdmin(world, "la chaloupe verte du blavet");
  const socialWorkerLink = await structureWithMember(page, server.url, {
    nom: "CCAS de Quimper", kind: "ccas", commune: "Quimper", email: "as@ccas-quimper.bzh",
  });
  // The médiathèque runs a place of the bundled directory (its SIRET).
  const mediatorLink = await structureWithMember(page, server.url, {
    nom: "Médiathèque de Plouzané", kind: "mediatheque", commune: "Plouzané", siret: "21290212600011", email: "mediation@plouzane.bzh",
  });
  await page.getByRole("button", { name: "Se déconnecter", exact: true }).click();

  // The social worker refers Maryvonne.
  await accept(page, socialWorkerLink, "Soizic", "un goéland sur le port du rosmeur");
  await page.getByRole("link", { name: "Orientations", exact: true }).click();
  await page.getByRole("link", { name: "Orienter une personne" }).click();
  assert.deepEqual(await violationsAtBothWidths(page), []);
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
  assert.deepEqual(await violationsAtBothWidths(page), []);
  const inAWeek = new Date(Date.now() + 7 * 86400e3).toISOString().slice(0, 10);
  await page.getByLabel("Date du rendez-vous").fill(inAWeek);
  await page.getByLabel(/Heure du rendez-vous/).fill("14:30");
  await page.getByRole("button", { name: "Fixer le rendez-vous" }).click();
  await page.getByRole("heading", { level: 1, name: /rendez-vous fixé/ }).waitFor();
  // The appointment is said with its time, in French.
  await page.getByText(/Rendez-vous le \d{1,2}(er)? \S+ \d{4} à 14 h 30/).waitFor();
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
  assert.deepEqual(await violationsAtBothWidths(page), []);

  // Erasing the person's data asks first, then says it is done.
  await sent.getByRole("link").first().click();
  await page.getByRole("link", { name: "Effacer les données de la personne…" }).click();
  await page.getByRole("heading", { name: "Effacer les données de la personne ?" }).waitFor();
  assert.deepEqual(await violationsAtBothWidths(page), []);
  await page.getByRole("link", { name: "Ne rien effacer" }).click();
  assert.ok(await page.getByText("Maryvonne").isVisible());
  await page.getByRole("link", { name: "Effacer les données de la personne…" }).click();
  await page.getByRole("button", { name: "Effacer définitivement" }).click();
  await page.getByText("Les données de la personne ont été effacées.").waitFor();
  assert.equal(await page.getByText("Maryvonne").count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});
