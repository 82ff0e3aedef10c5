// The steps many browser tests take to set people up: an administrator
// creates a structure and invites its first member; invitations are
// accepted with a chosen password.

export async function choosePassword(page, password) {
  await page.getByLabel("Nouveau mot de passe").fill(password);
  await page.getByLabel("Confirmation du mot de passe").fill(password);
}

/** Creates a structure (signed in as an administrator) and invites its
 * first member; returns the invitation link read in the outbox. */
export async function structureWithMember(page, url, { nom, kind, commune, siret, email }) {
  await createStructure(page, url, { nom, kind, commune, siret });
  await page.getByLabel("Adresse électronique").fill(email);
  await page.getByRole("button", { name: "Envoyer l’invitation" }).click();
  await page.goto(`${url}/admin/courriels`);
  const mail = await page.locator("pre").first().innerText();
  return mail.match(/http\S+\/invitation\/[0-9a-f]{64}/)[0];
}

/** Creates a structure, signed in as an administrator; its page then
 * says so. */
export async function createStructure(page, url, { nom, kind, commune, siret }) {
  await page.goto(`${url}/admin/structures`);
  await page.getByLabel("Nom", { exact: true }).fill(nom);
  await page.getByLabel("Type de structure").selectOption(kind);
  await page.getByLabel(/Commune/).fill(commune);
  if (siret) await page.getByLabel(/SIRET/).fill(siret);
  await page.getByRole("button", { name: "Ajouter la structure" }).click();
  await page.getByText("Structure créée.").waitFor();
}

/** Accepts an invitation as a new person: signed in afterwards. */
export async function accept(page, link, name, password) {
  await page.goto(link);
  await page.getByLabel("Prénom et nom").fill(name);
  await choosePassword(page, password);
  await page.getByRole("button", { name: "Accepter l’invitation" }).click();
}

export async function signIn(page, email, password) {
  await page.getByRole("link", { name: "Se connecter" }).click();
  await page.getByLabel("Adresse électronique").fill(email);
  await page.getByLabel("Mot de passe", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Se connecter" }).click();
}

export async function signOut(page) {
  await page.getByRole("button", { name: "Se déconnecter", exact: true }).click();
}

/** A new page where the instance's first administrator (created with
 * the command line) has accepted their invitation and is signed in;
 * `problems` collects the page's script errors. */
export async function asFirstAdmin({ server, browser }, password) {
  const link = server.cli(["accounts", "create-admin", "--email", "admin@hub.bzh"]).trim().split("\n").pop();
  const context = await browser.newContext({ locale: "fr-FR", bypassCSP: true });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await accept(page, link, "Admin", password);
  return { context, page, problems };
}

/** Invites someone from a structure's page, with a role (by its label)
 * and, for a coordinator, a territory (by its name). */
export async function invite(page, email, role, scope) {
  await page.getByLabel("Adresse électronique").fill(email);
  await page.getByLabel("Rôle", { exact: true }).selectOption({ label: role });
  if (scope) {
    await page.getByLabel(/Territoire d’un coordinateur/).selectOption({ label: scope });
  }
  await page.getByRole("button", { name: "Envoyer l’invitation" }).click();
  await page.getByText("Invitation envoyée").waitFor();
}

/** The invitation link last sent (to `email` when given), read in the
 * outbox by an administrator. */
export async function lastInvitationLink(page, url, email) {
  await page.goto(`${url}/admin/courriels`);
  const mails = email ? page.locator(".fr-card").filter({ hasText: `À ${email}` }) : page;
  const mail = await mails.locator("pre").first().innerText();
  return mail.match(/http\S+\/invitation\/[0-9a-f]{64}/)[0];
}
