// Signing in with ProConnect in headless Chromium, against a real OpenID
// Connect provider on loopback set up like ProConnect
// (tests/oidc/provider.mjs): click "S’identifier avec ProConnect", sign in
// at the provider, land signed in; sign out at the provider too.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer, chromiumOptions, violationsAtBothWidths, watchPages } from "./server.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A loopback port nobody listens on now. */
async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const world = {};

before(async () => {
  const port = await freePort();
  const site = `http://127.0.0.1:${port}`;
  world.provider = spawn(
    process.execPath,
    [
      "tests/oidc/provider.mjs",
      "--client-id", "passerelle",
      "--client-secret", "secret-de-test",
      "--redirect-uri", `${site}/connexion/proconnect/retour`,
      "--post-logout-redirect-uri", `${site}/`,
    ],
    { cwd: root, stdio: ["ignore", "pipe", "ignore"] },
  );
  const lines = createInterface({ input: world.provider.stdout });
  const issuer = await new Promise((resolve) =>
    lines.on("line", (line) => line.startsWith("ISSUER ") && resolve(line.slice(7))),
  );
  world.server = await startServer({
    addr: `127.0.0.1:${port}`,
    env: {
      PASSERELLE_OIDC_ISSUER: issuer,
      PASSERELLE_OIDC_CLIENT_ID: "passerelle",
      PASSERELLE_OIDC_CLIENT_SECRET: "secret-de-test",
    },
  });
  world.browser = await chromium.launch(chromiumOptions);
  world.pages = watchPages(world.browser, world.server.url);
});

// Every page of Passerelle the test landed on, at both widths.
afterEach(async () => assert.deepEqual(await world.pages.verdict(), []));

after(async () => {
  await world.pages?.close();
  await world.browser?.close();
  await world.server?.stop();
  world.provider?.kill();
});

test("a professional signs in with ProConnect and lands signed in", async () => {
  const { server, browser } = world;
  const context = await browser.newContext({ locale: "fr-FR", bypassCSP: true });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));

  await page.goto(`${server.url}/connexion`);
  const a11y = await violationsAtBothWidths(page);
  const button = page.getByRole("button", { name: "S’identifier avec ProConnect" });
  await button.waitFor();
  assert.ok(await page.getByRole("link", { name: /Qu’est-ce que ProConnect/ }).isVisible());
  assert.ok(await page.getByLabel("Mot de passe", { exact: true }).isVisible(), "passwords stay");
  await button.click();

  // At the provider.
  await page.getByRole("heading", { name: "Fournisseur d’identité de test" }).waitFor();
  await page.getByLabel("Adresse électronique").fill("anne.le-goff@exemple.fr");
  await page.getByLabel("Prénom").fill("Anne");
  await page.getByLabel("Nom d’usage").fill("Le Goff");
  await page.getByRole("button", { name: "Se connecter" }).click();

  // Back on Passerelle, signed in.
  await page.getByRole("heading", { level: 1, name: "Bonjour Anne Le Goff" }).waitFor();
  assert.equal(new URL(page.url()).origin, server.url);
  a11y.push(...(await violationsAtBothWidths(page)));

  // Signing out ends the session at the provider too, then comes back.
  await page.getByRole("button", { name: "Se déconnecter", exact: true }).click();
  await page.waitForURL((url) => url.pathname.startsWith("/session/end"));
  await page.getByRole("button", { name: /sign me out/i }).click();
  await page.waitForURL((url) => url.origin === server.url);
  await page.goto(`${server.url}/connexion`);
  await page.getByRole("button", { name: "S’identifier avec ProConnect" }).waitFor();

  await context.close();
  assert.deepEqual(problems, []);
  assert.deepEqual(a11y, []);
});

test("the sign-in page with ProConnect is accessible at 390 px", async () => {
  const { server, browser } = world;
  const context = await browser.newContext({ locale: "fr-FR", bypassCSP: true, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/connexion`);
  assert.deepEqual(await violationsAtBothWidths(page), []);
  await context.close();
});
