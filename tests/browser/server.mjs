// Starts a real `passerelle serve` on a free loopback port with an empty
// data directory, as a person would after cloning, and stops it afterwards.
import { spawn, execFileSync } from "node:child_process";
import { before, after } from "node:test";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Starts the server; `setup(cli)`, when given, runs `passerelle` commands
 * on its database first (what a running server would only see after a
 * restart, such as places imported from the command line). `addr` and
 * `env` (more settings) when a test needs them.
 */
export async function startServer({ setup, addr = "127.0.0.1:0", env = {} } = {}) {
  const binary = process.env.PASSERELLE_BIN ?? join(root, "target", "debug", "passerelle");
  const dataDir = mkdtempSync(join(tmpdir(), "passerelle-browser-"));
  const cli = (args, url = "http://127.0.0.1") =>
    execFileSync(binary, args, {
      cwd: root,
      env: { ...process.env, DATABASE_URL: "", PASSERELLE_DATA_DIR: dataDir, PASSERELLE_PUBLIC_URL: url },
      encoding: "utf8",
    });
  setup?.(cli);
  const child = spawn(binary, ["serve"], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: "",
      PASSERELLE_DATA_DIR: dataDir,
      PASSERELLE_ADDR: addr,
      PASSERELLE_ASSETS_DIR: join(root, "web", "dist"),
      PASSERELLE_LOG_FORMAT: "",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = await new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${stderr}`)), 30_000);
    child.stdout.on("data", (d) => {
      stdout += d;
      const match = stdout.match(/listening on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${stderr}`)));
  });
  return {
    url,
    /** What the server wrote to its log so far. */
    log: () => stderr,
    /** Runs a `passerelle` command on the same database. */
    cli(args) {
      return cli(args, url);
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const chromiumOptions = {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

/**
 * Registers hooks that start a server and Chromium before the file's tests
 * and stop them after; returns the object that will hold them.
 */
export function useServerAndBrowser(options) {
  const world = {};
  before(async () => {
    world.server = await startServer(options);
    world.browser = await chromium.launch(chromiumOptions);
    await recordTyping(world.browser);
  });
  after(async () => {
    await world.browser?.close();
    const log = world.server?.log() ?? "";
    await world.server?.stop();
    assertNoPersonalData(log);
  });
  return world;
}

/** Personal data the tests typed into the pages: names, e-mail addresses, phone numbers, passwords, situations. */
const typed = new Set();
const PERSONAL = /Prénom|Adresse électronique|Courriel|Numéro|Téléphone|Mot de passe|Situation/i;

/** Wraps `Locator.fill` once, so that what is typed into a personal field is remembered. */
async function recordTyping(browser) {
  const context = await browser.newContext();
  const proto = Object.getPrototypeOf((await context.newPage()).locator("body"));
  await context.close();
  if (proto.fill.recording) return;
  const fill = proto.fill;
  proto.fill = function (value, options) {
    const text = String(value);
    if (text.length >= 4 && (PERSONAL.test(this.toString()) || text.includes("@"))) typed.add(text);
    return fill.call(this, value, options);
  };
  proto.fill.recording = true;
}

/**
 * The server's log is JSON lines (it is not a terminal) without colour
 * codes, and holds nothing a person typed about themselves or others.
 */
function assertNoPersonalData(log) {
  if (log.includes("\u001b[")) throw new Error(`ANSI colour codes in the server log:\n${log}`);
  for (const line of log.split("\n").filter(Boolean)) {
    try {
      JSON.parse(line);
    } catch {
      throw new Error(`server log line is not JSON: ${line}`);
    }
  }
  const found = [...typed].filter((value) => log.includes(value));
  if (found.length) throw new Error(`personal data in the server log: ${found.join(", ")}`);
}

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/**
 * The serious and critical accessibility violations axe-core finds on the
 * page (which must have been opened in a context with bypassCSP: axe is
 * injected as an inline script).
 */
export async function seriousViolations(page) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations
    .filter((v) => ["serious", "critical"].includes(v.impact))
    .map((v) => `${new URL(page.url()).pathname}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/**
 * Every axe-core violation of the page, whatever its impact, at desktop
 * (1280 px) then phone (390 px) width; the page is left at desktop width.
 * The page must have been opened in a context with bypassCSP.
 */
export async function violationsAtBothWidths(page) {
  const found = [];
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.addScriptTag({ path: axePath });
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    for (const v of result.violations) {
      found.push(`${width}px ${new URL(page.url()).pathname}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  return found;
}
