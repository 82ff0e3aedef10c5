// A CAF's agent proposes the CAF's referent group: the directory marks it
// "À valider" (and a refused entry says why next to the field); the
// administrator validates it, and the directory says who did. Every state
// is checked with axe at desktop and phone widths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useServerAndBrowser, violationsAtBothWidths } from "./server.mjs";
import { accept, asFirstAdmin, signIn, signOut, structureWithMember } from "./people.mjs";

const world = useServerAndBrowser();

async function accessibleAtBothWidths(page) {
  assert.deepEqual(await violationsAtBothWidths(page), []);
}

test("a referent proposed by a CAF agent awaits validation, then is validated", async () => {
  const { server } = world;
  const { context, page, problems } = await asFirstAdmin(world, "la chaloupe verte du blavet");
  const agentLink = await structureWithMember(page, server.url, {
    nom: "CAF d’Ille-et-Vilaine", kind: "caf", commune: "Rennes", email: "agent@caf35.bzh",
  });
  await signOut(page);

  await accept(page, agentLink, "Katell", "les mouettes de la pointe du grouin");
  await page.goto(`${server.url}/referents`);
  await page.getByLabel("Organisme", { exact: true }).selectOption("CAF");
  await page.getByLabel(/^Territoire/).selectOption({ label: "Ille-et-Vilaine (département)" });
  await page.getByLabel(/^Ce que traite/).fill("Dossiers de prestations bloqués");
  await page.getByLabel(/^Structure de l’organisme/).selectOption({ label: "CAF d’Ille-et-Vilaine" });
  // Without a name or a way to reach it: refused, said next to the fields.
  await page.getByRole("button", { name: "Ajouter" }).click();
  const name = page.getByLabel(/^Référent \(personne/);
  assert.equal(await name.getAttribute("aria-describedby"), "nom-error");
  assert.match(await page.locator("#nom-error").innerText(), /nom du référent/);
  assert.equal(await page.getByLabel(/^Territoire/).inputValue(), "dep:35", "what was typed is kept");
  await accessibleAtBothWidths(page);
  await name.fill("Pôle partenaires");
  await page.getByLabel(/^Adresse électronique/).fill("partenaires@caf35.bzh");
  await page.getByRole("button", { name: "Ajouter" }).click();
  await page.getByText("Référent proposé.").waitFor();
  const row = page.getByRole("row", { name: /Pôle partenaires/ });
  assert.match(await row.innerText(), /À valider/i);
  assert.match(await row.innerText(), /Ajouté par Katell/);
  assert.equal(await row.getByRole("button", { name: /Valider/ }).count(), 0, "not by its own member");
  await accessibleAtBothWidths(page);
  await signOut(page);

  await signIn(page, "admin@hub.bzh", "la chaloupe verte du blavet");
  await page.goto(`${server.url}/referents`);
  await page.getByRole("button", { name: "Valider Pôle partenaires" }).click();
  await page.getByText("Référent validé").waitFor();
  const validated = await page.getByRole("row", { name: /Pôle partenaires/ }).innerText();
  assert.match(validated, /Validé/i);
  assert.doesNotMatch(validated, /À valider/i);
  assert.match(validated, /Par Admin, le \d{1,2}(er)? \S+ \d{4} à \d{1,2} h( \d{2})?/);
  await accessibleAtBothWidths(page);
  assert.deepEqual(problems, []);
  await context.close();
});
