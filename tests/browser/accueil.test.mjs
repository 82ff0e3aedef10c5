// Each role lands where its work is (issue 14 §1), every action is
// answered by an alert (§6), and the footer's pages exist (§9): an
// administrator creates a médiathèque (an alert says so) and invites its
// gestionnaire (listed as pending); the gestionnaire accepts and lands on
// her structure with the place it runs; a regional coordinator lands on
// her territory and every item of her menu opens. Every page is looked at
// by axe-core (every impact, not only serious) at 1280 and 390 px.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, violationsAtBothWidths } from "./server.mjs";
import { accept, asFirstAdmin, createStructure, invite, lastInvitationLink } from "./people.mjs";

const world = useServerAndBrowser();

test("each role lands on its work, every action is answered, the footer's pages are there", async () => {
  const { server } = world;
  const { context, page, problems } = await asFirstAdmin(world, "la pointe du raz sous la brume");
  await page.setViewportSize({ width: 1280, height: 900 });

  // The administrator creates the médiathèque: an alert, then a pending invitation.
  await createStructure(page, server.url, {
    nom: "Médiathèque de Plouzané", kind: "mediatheque", commune: "Plouzané", siret: "21290212600011",
  });
  assert.deepEqual(await violationsAtBothWidths(page), []);
  await invite(page, "gestion@plouzane.bzh", "Gestionnaire de la structure");
  const pending = page.getByRole("table", { name: /Invitations en attente/ });
  assert.match(await pending.innerText(), /gestion@plouzane\.bzh[\s\S]*Gestionnaire de la structure/);
  assert.deepEqual(await violationsAtBothWidths(page), []);
  const gestionLink = await lastInvitationLink(page, server.url);

  await createStructure(page, server.url, { nom: "Hub Bretagne", kind: "hub", commune: "Rennes" });
  await invite(page, "coord@hub.bzh", "Coordinateur", "Bretagne (Région)");
  const coordLink = await lastInvitationLink(page, server.url);
  await page.getByRole("button", { name: "Se déconnecter", exact: true }).click();

  // The public home: no badge, the finder first; the footer's pages.
  await page.goto(server.url);
  assert.equal(await page.getByText("Disponible", { exact: true }).count(), 0);
  await page.getByRole("link", { name: "Trouver un lieu d’aide au numérique" }).waitFor();
  assert.deepEqual(await violationsAtBothWidths(page), []);
  for (const name of ["Plan du site", "Accessibilité : non conforme", "Mentions légales", "Données personnelles"]) {
    await page.goto(server.url);
    await page.getByRole("contentinfo").getByRole("link", { name, exact: true }).click();
    await page.getByRole("heading", { level: 1 }).waitFor();
    assert.deepEqual(await violationsAtBothWidths(page), [], name);
  }
  assert.match(await page.locator("main").innerText(), /effacées 6 mois après la fin de l’orientation/);

  // The gestionnaire accepts: welcomed on her home, her structure and its place.
  await accept(page, gestionLink, "Gwenola", "le phare du petit minou au couchant");
  await page.getByText("Invitation acceptée").waitFor();
  await page.getByRole("heading", { name: "Ma structure : Médiathèque de Plouzané" }).waitFor();
  await page.getByText("Enregistrer un accompagnement").waitFor();
  assert.deepEqual(await violationsAtBothWidths(page), []);
  await page.getByRole("link", { name: "Membres et invitations" }).click();
  await page.getByRole("heading", { name: "Lieux tenus par la structure" }).waitFor();
  assert.ok((await page.locator("#lieux + ul li").count()) >= 1, "the médiathèque runs a place of the directory");
  assert.deepEqual(await violationsAtBothWidths(page), []);
  await page.screenshot({ path: "/tmp/look/accueil-structure.png", fullPage: true });
  await page.getByRole("button", { name: "Se déconnecter", exact: true }).click();

  // The regional coordinator: her territory by name, every menu item opens.
  await accept(page, coordLink, "Katell", "les dunes de keremma au printemps");
  await page.getByRole("heading", { name: "Mon territoire" }).waitFor();
  assert.match(await page.locator("main").innerText(), /Vous coordonnez : Bretagne/);
  assert.ok(await page.locator('main a[href="/lieux/coordination"]').count());
  assert.deepEqual(await violationsAtBothWidths(page), []);
  await page.screenshot({ path: "/tmp/look/accueil-coordinatrice.png", fullPage: true });
  const menu = await page.locator("a.fr-nav__link").evaluateAll((links) => links.map((a) => a.getAttribute("href")));
  assert.equal(menu.length, 7);
  assert.ok(menu.includes("/reseau"), menu.join(" "));
  for (const href of menu) {
    const answer = await page.goto(`${server.url}${href}`);
    assert.equal(answer.status(), 200, href);
    assert.equal(await page.getByText("Accès refusé").count(), 0, href);
  }
  assert.deepEqual(problems, []);
  await context.close();
});
