// Each person's journey (issue 14, "Done when"), walked at desktop
// (1280 px) and phone (390 px) widths: a coordinator of the région drills
// région → département → EPCI → commune in Territoires, Activités and the
// Diagnostic, and reaches the places' data quality; an elected official
// reads an EPCI's Diagnostic and its synthesis; a mediator records an
// accompaniment and handles a referral; a gestionnaire sees her structure,
// its members, places and surveys. (The person looking for a place walks
// hers in lieux.test.mjs, at both widths too.) Every page reached is
// looked at by axe-core at both widths (server.mjs, `watchPages`), and no
// page of a journey scrolls sideways on the phone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser } from "./server.mjs";
import { accept, asFirstAdmin, createStructure, invite, lastInvitationLink, structureWithMember } from "./people.mjs";

const world = useServerAndBrowser();
const WIDTHS = [1280, 390];
const PASSWORD = {
  admin: "la chaloupe verte du blavet",
  coord: "les dunes de keremma au printemps",
  mediation: "la bruyère sur les dunes de keremma",
  gestion: "le phare du petit minou au couchant",
  social: "un goéland sur le port du rosmeur",
};
const NAME = { coord: "Katell", mediation: "Malo", gestion: "Gwenola", social: "Soizic" };
const EMAIL = {
  coord: "coord@hub.bzh",
  mediation: "mediation@plouzane.bzh",
  gestion: "gestion@plouzane.bzh",
  social: "as@ccas-quimper.bzh",
};

/** A browser of this width for someone, signed in when `who` is given. */
async function person(width, who) {
  const context = await world.browser.newContext({
    locale: "fr-FR",
    timezoneId: "Europe/Paris",
    viewport: { width, height: width < 1280 ? 844 : 900 },
  });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  if (who) {
    await page.goto(`${world.server.url}/connexion`);
    await page.getByLabel("Adresse électronique").fill(EMAIL[who]);
    await page.getByLabel("Mot de passe", { exact: true }).fill(PASSWORD[who]);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await page.getByRole("heading", { level: 1, name: /^Bonjour/ }).waitFor();
  }
  return { context, page, problems };
}

/** The page does not scroll sideways (what `watchPages` checks too, at
 * 390 px, of every page: here at the journey's own width). */
async function fits(page) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= width, `${page.url()} is ${scroll} px wide at ${width} px`);
}

/** Follows an item of the main menu, behind the "Menu" button on a phone. */
async function menu(page, name) {
  const button = page.getByRole("button", { name: "Menu", exact: true });
  if (await button.isVisible()) await button.click();
  await page.getByRole("navigation", { name: "Menu principal" }).getByRole("link", { name, exact: true }).click();
}

/** Goes back to the person's home, by the service's name in the header. */
async function home(page) {
  await page.locator(".fr-header__service a").click();
  await page.getByRole("heading", { level: 1, name: /^Bonjour/ }).waitFor();
}

let ready = null;
/** The people, once for the file: a regional coordinator of the hub; a
 * médiathèque running a place of the directory, with its mediator and its
 * gestionnaire; a CCAS whose social worker sends the médiathèque two
 * referrals (one handled at each width). */
function setUp() {
  ready ??= (async () => {
    const { server, browser } = world;
    const { context, page } = await asFirstAdmin(world, PASSWORD.admin);
    await createStructure(page, server.url, { nom: "Hub Bretagne", kind: "hub", commune: "Rennes" });
    await invite(page, EMAIL.coord, "Coordinateur", "Bretagne (Région)");
    const links = { coord: await lastInvitationLink(page, server.url, EMAIL.coord) };
    links.mediation = await structureWithMember(page, server.url, {
      nom: "Médiathèque de Plouzané", kind: "mediatheque", commune: "Plouzané", siret: "21290212600011", email: EMAIL.mediation,
    });
    await page.goto(`${server.url}/admin/structures`);
    await page.getByRole("link", { name: "Médiathèque de Plouzané" }).click();
    await invite(page, EMAIL.gestion, "Gestionnaire de la structure");
    links.gestion = await lastInvitationLink(page, server.url, EMAIL.gestion);
    links.social = await structureWithMember(page, server.url, {
      nom: "CCAS de Quimper", kind: "ccas", commune: "Quimper", email: EMAIL.social,
    });
    await context.close();
    for (const who of ["coord", "mediation", "gestion", "social"]) {
      const own = await browser.newContext({ locale: "fr-FR" });
      const page = await own.newPage();
      await accept(page, links[who], NAME[who], PASSWORD[who]);
      await page.getByRole("heading", { level: 1, name: /^Bonjour/ }).waitFor();
      await own.close();
    }
    const { context: social, page: sender } = await person(1280, "social");
    for (const name of ["Maryvonne", "Yannick"]) {
      await sender.goto(`${server.url}/orientations/nouvelle`);
      await sender.getByLabel("Lieu qui recevra la personne").selectOption({ label: "Médiathèque de Plouzané (Plouzané)" });
      await sender.getByLabel("Besoin", { exact: true }).selectOption("Aide aux démarches administratives");
      await sender.getByLabel(/Organisme concerné/).selectOption("CAF");
      await sender.getByLabel(/Situation/).fill("Déclaration trimestrielle de la prime d’activité à faire en ligne.");
      await sender.getByLabel("Prénom").fill(name);
      await sender.getByLabel(/Numéro, adresse/).fill("06 12 34 56 78");
      await sender.locator("label", { hasText: /^J’ai informé la personne/ }).click();
      await sender.getByRole("button", { name: "Envoyer l’orientation" }).click();
      await sender.getByText("Orientation envoyée.").waitFor();
    }
    await social.close();
  })();
  return ready;
}

for (const width of WIDTHS) {
  test(`at ${width} px, a regional coordinator drills down to a commune in Territoires, Activités and the Diagnostic`, async () => {
    await setUp();
    const { context, page, problems } = await person(width, "coord");
    await page.getByRole("heading", { name: "Mon territoire" }).waitFor();
    await fits(page);

    // Territoires: the région, a département, an EPCI, a commune, by name.
    await menu(page, "Territoires");
    for (const [link, heading] of [
      ["Bretagne", "Bretagne"],
      ["Finistère", "Finistère (29)"],
      ["CA Quimper Bretagne Occidentale", "CA Quimper Bretagne Occidentale"],
      ["Quimper", "Quimper"],
    ]) {
      await page.locator("main").getByRole("link", { name: link, exact: true }).first().click();
      await page.getByRole("heading", { level: 1, name: heading, exact: true }).waitFor();
      await fits(page);
    }

    // Activités: the same levels, picked by name in the dashboard.
    await home(page);
    await page.getByRole("link", { name: "Tableau de bord du territoire" }).click();
    await page.getByRole("heading", { level: 1, name: /^Activités : Bretagne, / }).waitFor();
    await fits(page);
    for (const [label, heading] of [
      ["Finistère", /^Activités : Finistère, /],
      ["CA Quimper Bretagne Occidentale", /^Activités : CA Quimper Bretagne Occidentale, /],
      ["Quimper", /^Activités : Quimper, /],
    ]) {
      await page.getByLabel("Territoire", { exact: true }).selectOption({ label });
      await page.getByRole("button", { name: "Afficher", exact: true }).click();
      await page.getByRole("heading", { level: 1, name: heading }).waitFor();
      await fits(page);
    }

    // The Diagnostic: région, département, EPCI, then a commune by its name.
    await home(page);
    await page.locator("main").getByRole("link", { name: "Diagnostic", exact: true }).click();
    for (const [label, heading] of [
      ["Bretagne", "Diagnostic : Bretagne"],
      ["Finistère (29)", "Diagnostic : Finistère"],
      ["CA Quimper Bretagne Occidentale", "Diagnostic : CA Quimper Bretagne Occidentale"],
    ]) {
      await page.getByLabel("Territoire", { exact: true }).selectOption({ label });
      await page.getByRole("button", { name: "Afficher le diagnostic" }).click();
      await page.getByRole("heading", { level: 1, name: heading }).waitFor();
      await fits(page);
    }
    await page.getByLabel(/^ou une commune/).fill("Quimper");
    await page.getByRole("button", { name: "Afficher le diagnostic" }).click();
    await page.getByRole("heading", { level: 1, name: "Diagnostic : Quimper" }).waitFor();
    await fits(page);

    // The places' data quality, from her home.
    await home(page);
    await page.getByRole("link", { name: "Qualité des données des lieux" }).click();
    await page.getByRole("heading", { level: 1, name: "Lieux : coordination" }).waitFor();
    await fits(page);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test(`at ${width} px, an elected official reads an EPCI's Diagnostic and its synthesis`, async () => {
    const { context, page, problems } = await person(width);
    await page.goto(world.server.url);
    await menu(page, "Diagnostic");
    await page.getByLabel("Territoire", { exact: true }).selectOption({ label: "CA Quimper Bretagne Occidentale" });
    await page.getByRole("button", { name: "Afficher le diagnostic" }).click();
    await page.getByRole("heading", { level: 1, name: "Diagnostic : CA Quimper Bretagne Occidentale" }).waitFor();
    const synthesis = page.locator("#synthese");
    await synthesis.getByRole("heading", { name: "Chiffres clés" }).waitFor();
    assert.equal(await synthesis.locator(".passerelle-chiffres-cles li").count(), 5);
    await fits(page);
    await page.getByRole("link", { name: "Synthèse d’une page à imprimer" }).click();
    await page.getByRole("heading", { level: 1, name: "Synthèse du diagnostic : CA Quimper Bretagne Occidentale" }).waitFor();
    assert.match(await page.locator("main").innerText(), /Chiffres clés/);
    await fits(page);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test(`at ${width} px, a mediator records an accompaniment and handles a referral`, async () => {
    await setUp();
    const { context, page, problems } = await person(width, "mediation");
    await fits(page);
    await page.getByRole("link", { name: "Enregistrer un accompagnement" }).click();
    await page.getByRole("heading", { level: 1, name: "Enregistrer une activité" }).waitFor();
    await fits(page);
    await page.locator("label", { hasText: /^Démarche en ligne$/ }).click();
    await page.getByLabel("Organisme concerné").selectOption("CAF");
    await page.locator("label", { hasText: /^Remplissage d'un formulaire$/ }).click();
    await page.getByRole("button", { name: "Enregistrer", exact: true }).click();
    await page.getByText("Activité enregistrée.").waitFor();
    await fits(page);

    // A referral waiting: acknowledged, an appointment, accompanied.
    await home(page);
    await page.getByRole("link", { name: "Orientations à traiter" }).click();
    const received = page.getByRole("table", { name: "Orientations reçues" });
    await received.getByRole("row", { name: /envoyée/ }).first().getByRole("link").first().click();
    await page.getByRole("heading", { level: 1, name: /envoyée/ }).waitFor();
    await fits(page);
    await page.getByRole("button", { name: "Accuser réception" }).click();
    await page.getByRole("heading", { level: 1, name: /reçue/ }).waitFor();
    await fits(page);
    const inAWeek = new Date(Date.now() + 7 * 86400e3).toISOString().slice(0, 10);
    await page.getByLabel("Date du rendez-vous").fill(inAWeek);
    await page.getByRole("button", { name: "Fixer le rendez-vous" }).click();
    await page.getByRole("heading", { level: 1, name: /rendez-vous fixé/ }).waitFor();
    await fits(page);
    await page.getByRole("button", { name: "Personne accompagnée" }).click();
    await page.getByRole("heading", { level: 1, name: /accompagnée/ }).waitFor();
    await fits(page);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test(`at ${width} px, a gestionnaire sees her structure, its members, places and surveys`, async () => {
    await setUp();
    const { context, page, problems } = await person(width, "gestion");
    await page.getByRole("heading", { name: "Ma structure : Médiathèque de Plouzané" }).waitFor();
    await fits(page);
    await page.getByRole("link", { name: "Membres et invitations" }).click();
    await page.getByRole("heading", { level: 1, name: "Médiathèque de Plouzané" }).waitFor();
    const members = page.getByRole("table", { name: /Membres/ });
    assert.match(await members.innerText(), /Malo/);
    await page.getByRole("heading", { name: "Lieux tenus par la structure" }).waitFor();
    assert.ok((await page.locator("#lieux + ul li").count()) >= 1, "the médiathèque runs a place of the directory");
    await fits(page);
    await home(page);
    await page.locator("main").getByRole("link", { name: "Enquêtes", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Enquêtes" }).waitFor();
    assert.ok(await page.getByRole("link", { name: "Nouvelle enquête" }).isVisible());
    await fits(page);
    assert.deepEqual(problems, []);
    await context.close();
  });
}
