// Starts a real `passerelle serve` on a free loopback port with an empty
// data directory, as a person would after cloning, and stops it afterwards.
import { spawn, execFileSync } from "node:child_process";
import { before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
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
    world.pages = watchPages(world.browser, world.server.url);
  });
  // Every page the test landed on, at both widths.
  afterEach(async () => {
    if (world.pages) assert.deepEqual(await world.pages.verdict(), []);
  });
  after(async () => {
    await world.pages?.close();
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

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The widths every page is looked at: a desktop, then a phone. */
export const WIDTHS = [1280, 390];

/**
 * What axe-core finds on the page as it is now, at one width, whatever
 * the impact, and at phone width any horizontal scrolling. axe is run from
 * the test's side (as DevTools would), so the page's CSP stays on.
 */
async function problemsAt(page, width) {
  await page.setViewportSize({ width, height: 900 });
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const where = `${width} px ${new URL(page.url()).pathname}`;
  const found = result.violations.map(
    (v) => `${where}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
  if (width < 1280) {
    const [scroll, wide] = await page.evaluate(() => {
      const wide = [...document.body.querySelectorAll("*")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5);
      const leaves = wide.filter((e) => !wide.some((o) => o !== e && e.contains(o)));
      return [document.documentElement.scrollWidth, leaves.map((e) => `${e.localName}#${e.id}.${[...e.classList].join(".")}`).join(", ")];
    });
    if (scroll > width) found.push(`${where}: scrolls sideways (${scroll} px wide: ${wide})`);
  }
  return found;
}

/**
 * Every axe-core violation of the page as it is now, whatever its impact,
 * at desktop (1280 px) then phone (390 px) width, and horizontal scrolling
 * at phone width; the page gets its viewport back afterwards. For states a
 * script draws (a menu opened, a field typed in): the pages a test lands
 * on are looked at anyway (`watchPages`).
 */
export async function violationsAtBothWidths(page) {
  const viewport = page.viewportSize() ?? { width: 1280, height: 900 };
  const found = [];
  try {
    for (const width of WIDTHS) found.push(...(await problemsAt(page, width)));
  } finally {
    await page.setViewportSize(viewport);
  }
  return found;
}

/** The kinds of elements of a page: each tag with its classes, once. */
function shape(html) {
  const kinds = new Set();
  for (const [, tag, attributes] of html.matchAll(/<([a-z][a-z0-9-]*)([^>]*)>/g)) {
    const classes = attributes.match(/\bclass="([^"]*)"/)?.[1].split(/\s+/).filter(Boolean).sort() ?? [];
    kinds.add([tag, ...classes].join("."));
  }
  return [...kinds].sort().join(" ");
}

/**
 * Looks at every page a test lands on, so that none can be forgotten:
 * every context made by `browser.newContext` keeps the HTML of each page
 * the server sends to its tabs (whatever the status, after a form's
 * submission too), and `verdict()` opens those pages again, as they were
 * sent, in a context of its own (scripts and styles from the server) and
 * returns (and forgets) what `violationsAtBothWidths` finds on them. When
 * the test left a page before its HTML could be read, a plain visit is
 * asked again with the same cookies; the answer to a form left at once is
 * not looked at (sending the form again would act twice). A page is
 * opened again only when its HTML has another set of kinds of elements
 * (`shape`) than those already looked at on that path, such as a form
 * with its errors: the hundredth visit of a page costs nothing. States a script draws after a person's gesture (a menu opened)
 * are for explicit `violationsAtBothWidths` calls. `useServerAndBrowser`
 * asserts the verdict is empty after each test.
 */
export function watchPages(browser, origin) {
  const seen = new Set();
  const sent = [];
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    // A context closed by the test first lets its pages' HTML be read
    // (or asked again), so no check races the test's own teardown.
    const pending = [];
    const close = context.close.bind(context);
    context.close = async (...args) => {
      await Promise.allSettled(pending);
      return close(...args);
    };
    context.on("response", (response) => {
      const request = response.request();
      const html = (response.headers()["content-type"] ?? "").startsWith("text/html");
      if (!html || !request.isNavigationRequest() || !response.url().startsWith(origin)) return;
      if (request.frame() !== request.frame().page()?.mainFrame() || (response.status() >= 300 && response.status() < 400)) return;
      const page = { url: response.url(), status: response.status(), headers: response.headers() };
      const read = response.body().then(
        (body) => ({ ...page, body }),
        // The test left the page before its HTML could be read: asked
        // again (with the same cookies) when it was a plain visit.
        async () => (request.method() === "GET" ? { ...page, body: await (await context.request.get(page.url)).body() } : null),
      );
      pending.push(read);
      sent.push(read);
    });
    return context;
  };
  let again = null;
  return {
    async verdict() {
      const pages = await Promise.all(sent.splice(0));
      if (!pages.length) return [];
      again ??= await (await newContext({ locale: "fr-FR", timezoneId: "Europe/Paris" })).newPage();
      const found = [];
      for (const { url, status, headers, body } of pages.filter(Boolean)) {
        const path = new URL(url).pathname.replace(/\/([0-9]+|[0-9a-f]{16,})(?=\/|$)/g, "/…");
        const key = createHash("sha256").update(`${path}\n${shape(body.toString("utf8"))}`).digest("hex");
        if (seen.has(key)) continue;
        seen.add(key);
        const exact = (u) => u.href === url;
        const { "content-encoding": _, "content-length": __, ...kept } = headers;
        await again.route(exact, (route) => route.fulfill({ status, headers: kept, body }), { times: 1 });
        await again.goto(url);
        await again.unroute(exact);
        found.push(...(await violationsAtBothWidths(again)));
      }
      return found;
    },
    async close() {
      await again?.context().close();
    },
  };
}
