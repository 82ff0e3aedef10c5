// Réseau as the hub and professionals use it: an event published,
// registered for until full, the waiting list served when someone
// withdraws, attendance taken and counted in the figures; a resource
// shared and found signed out; a funding call published and sent in the
// weekly digest. Every page checked with axe at desktop and phone widths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, violationsAtBothWidths } from "./server.mjs";
import { accept, asFirstAdmin, signIn, signOut, structureWithMember } from "./people.mjs";

const world = useServerAndBrowser();
const ADMIN = "la chaloupe verte du blavet";
const A = "un phare au bout du monde";
const B = "les mouettes de la pointe du grouin";

async function accessibleAtBothWidths(page) {
  assert.deepEqual(await violationsAtBothWidths(page), []);
}

/** Today in Paris, as a date field takes it. */
function parisToday() {
  return new Intl.DateTimeFormat("fr-CA", { timeZone: "Europe/Paris" }).format(new Date());
}

let people;
/** The administrator and two professionals (one in Quimper, one in Brest),
 * made once for the file's tests. */
async function setUp() {
  if (people) return people;
  const { server } = world;
  const { context, page, problems } = await asFirstAdmin(world, ADMIN);
  const linkA = await structureWithMember(page, server.url, {
    nom: "Médiathèque de Quimper", kind: "mediatheque", commune: "Quimper", email: "anne@quimper.bzh",
  });
  const linkB = await structureWithMember(page, server.url, {
    nom: "CCAS de Brest", kind: "ccas", commune: "Brest", email: "bleuenn@brest.bzh",
  });
  await signOut(page);
  await accept(page, linkA, "Anne", A);
  await signOut(page);
  await accept(page, linkB, "Bleuenn", B);
  await signOut(page);
  people = { context, page, problems };
  return people;
}

async function check(page, label) {
  await page.locator("label", { hasText: label }).first().click();
}

test("an event: published, full, the waiting list served, attendance taken, counted", async () => {
  const { server } = world;
  const { page, problems } = await setUp();
  await signIn(page, "admin@hub.bzh", ADMIN);
  await page.getByRole("link", { name: "Réseau", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Le réseau de la médiation numérique" }).waitFor();
  await accessibleAtBothWidths(page);
  await page.getByRole("link", { name: "Événements" }).first().click();
  await page.getByRole("link", { name: "Publier un événement" }).click();
  await page.locator("#type").selectOption("rencontre");
  // Missing title and date: refused, said next to the fields.
  await page.getByRole("button", { name: "Publier" }).click();
  assert.equal(await page.locator("#titre").getAttribute("aria-describedby"), "titre-error");
  assert.match(await page.locator("#titre-error").innerText(), /Indiquez le titre/);
  await accessibleAtBothWidths(page);
  await page.locator("#titre").fill("Rencontre départementale du Finistère");
  await check(page, "Pédagogie et animation d’ateliers");
  await page.locator("#date").fill(parisToday());
  await page.locator("#debut").fill("23:58");
  await page.locator("#fin").fill("23:59");
  await page.locator("#adresse").fill("Médiathèque, 1 rue de la Providence");
  await page.locator("#commune").fill("Quimper");
  await page.locator("#public").selectOption("professionnels");
  await page.locator("#capacite").fill("1");
  await page.getByRole("button", { name: "Publier" }).click();
  await page.getByText("Événement publié.").waitFor();
  const eventUrl = page.url().split("?")[0];
  assert.match(await page.locator("main").innerText(), /à 23 h 58 – 23 h 59/);
  assert.match(await page.locator("main").innerText(), /Quimper \(Finistère\)/);
  await accessibleAtBothWidths(page);
  await signOut(page);

  // Anne takes the only seat; Bleuenn goes on the waiting list.
  await signIn(page, "anne@quimper.bzh", A);
  await page.goto(eventUrl);
  await page.getByRole("button", { name: "M’inscrire", exact: true }).click();
  await page.getByText("Vous êtes inscrit·e. Un rappel vous sera envoyé la veille.").waitFor();
  await signOut(page);
  await signIn(page, "bleuenn@brest.bzh", B);
  await page.goto(eventUrl);
  await page.getByRole("button", { name: "M’inscrire sur la liste d’attente" }).click();
  await page.getByText(/liste d’attente, en position 1/).first().waitFor();
  await accessibleAtBothWidths(page);
  await signOut(page);

  // Anne withdraws: the seat goes to Bleuenn, who is told by e-mail.
  await signIn(page, "anne@quimper.bzh", A);
  await page.goto(eventUrl);
  await page.getByRole("button", { name: "Me désinscrire" }).click();
  await page.getByText(/Vous êtes désinscrit·e/).first().waitFor();
  await signOut(page);
  await signIn(page, "bleuenn@brest.bzh", B);
  await page.goto(eventUrl);
  await page.getByText("Vous êtes inscrit·e.").waitFor();
  await signOut(page);

  // The organiser takes attendance; the figures count it.
  await signIn(page, "admin@hub.bzh", ADMIN);
  await page.goto(`${server.url}/admin/courriels`);
  assert.match(await page.locator("main").innerText(), /Une place s’est libérée : Rencontre départementale du Finistère/);
  await page.goto(eventUrl);
  await page.getByRole("link", { name: "Prendre les présences" }).click();
  await accessibleAtBothWidths(page);
  await page.locator("label", { hasText: /^Présent·e : Bleuenn$/ }).click();
  await page.getByRole("button", { name: "Enregistrer les présences" }).click();
  await page.getByText("Présences enregistrées.").waitFor();
  await page.goto(`${server.url}/reseau/bilan`);
  const finistere = await page.getByRole("row", { name: /^Finistère/ }).innerText();
  assert.deepEqual(finistere.split(/\s+/).slice(-3), ["1", "1", "1"], finistere);
  await accessibleAtBothWidths(page);
  await signOut(page);
  assert.deepEqual(problems, []);
});

test("a resource shared by a professional is found signed out", async () => {
  const { server } = world;
  const { page, problems } = await setUp();
  await signIn(page, "bleuenn@brest.bzh", B);
  await page.goto(`${server.url}/reseau/ressources/nouvelle`);
  await page.locator("#titre").fill("Fiche : créer son adresse électronique");
  await page.locator("#description").fill("Pas à pas illustré pour un premier atelier.");
  await page.locator("#lien").fill("https://exemple.org/fiche-courriel");
  await check(page, "Usages du quotidien (matériel, internet, courriels)");
  await check(page, "Seniors");
  await page.locator("#format").selectOption("fiche");
  await accessibleAtBothWidths(page);
  await page.getByRole("button", { name: "Partager" }).click();
  await page.getByText("Ressource partagée : merci !").waitFor();
  await signOut(page);
  await page.goto(`${server.url}/reseau/ressources`);
  await page.getByLabel(/^Rechercher/).fill("premier atelier");
  await page.getByRole("button", { name: "Chercher" }).click();
  await page.getByRole("link", { name: "Fiche : créer son adresse électronique" }).click();
  await page.getByRole("heading", { level: 1, name: "Fiche : créer son adresse électronique" }).waitFor();
  assert.match(await page.locator("main").innerText(), /Creative Commons BY-SA/);
  await accessibleAtBothWidths(page);
  await page.goto(`${server.url}/reseau/ressources`);
  await accessibleAtBothWidths(page);
  assert.deepEqual(problems, []);
});

test("a funding call published by the hub reaches the weekly digest", async () => {
  const { server } = world;
  const { page, problems } = await setUp();
  await signIn(page, "anne@quimper.bzh", A);
  await page.goto(`${server.url}/reseau/veille`);
  await page.locator("#territoire").selectOption({ label: "Finistère" });
  await check(page, "Financements et modèle économique");
  await page.getByRole("button", { name: "Recevoir la veille" }).click();
  await page.getByText(/Veille enregistrée/).waitFor();
  await accessibleAtBothWidths(page);
  await signOut(page);

  await signIn(page, "admin@hub.bzh", ADMIN);
  await page.goto(`${server.url}/reseau/opportunites/nouvelle`);
  await page.locator("#titre").fill("Appel à projets Inclusion numérique 2027");
  await page.locator("#organisme").fill("Région Bretagne");
  await check(page, "Financements et modèle économique");
  const deadline = new Date(Date.now() + 20 * 86400e3).toISOString().slice(0, 10);
  await page.locator("#date_limite").fill(deadline);
  await page.locator("#lien").fill("https://www.bretagne.bzh/aap-inclusion");
  await page.locator("#territoire").selectOption({ label: "Bretagne" });
  await page.locator("#montant").fill("20000");
  await accessibleAtBothWidths(page);
  await page.getByRole("button", { name: "Publier" }).click();
  await page.getByText(/Opportunité publiée/).waitFor();
  await accessibleAtBothWidths(page);
  await page.goto(`${server.url}/reseau/opportunites`);
  await accessibleAtBothWidths(page);

  const out = server.cli(["network", "digest"]);
  assert.match(out, /1 lettres de la semaine envoyées/);
  await page.goto(`${server.url}/admin/courriels`);
  const outbox = await page.locator("main").innerText();
  assert.match(outbox, /anne@quimper\.bzh/);
  assert.match(outbox, /Veille du réseau : 1 nouvelle opportunité/);
  assert.match(outbox, /Appel à projets Inclusion numérique 2027 — Région Bretagne/);
  assert.deepEqual(problems, []);
});
