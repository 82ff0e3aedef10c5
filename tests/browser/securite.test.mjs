// Text that people typed never becomes HTML in the maps (finding M3 of the
// security review): a place whose name is markup shows as that text in the
// finder's popup and in the Diagnostic's map, without an image loaded or a
// link to another site.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useServerAndBrowser } from "./server.mjs";

const HOSTILE = '<img src=x onerror=alert(1)><a href="https://evil.example/">Cliquez ici</a>';

const world = useServerAndBrowser({
  setup(cli) {
    const dir = mkdtempSync(join(tmpdir(), "passerelle-hostile-"));
    const file = join(dir, "lieux.csv");
    writeFileSync(
      file,
      "id,pivot,nom,commune,code_postal,code_insee,adresse,latitude,longitude,services,date_maj,source\n" +
        `hostile-1,00000000000000,"${HOSTILE.replaceAll('"', '""')}",Quimper,29000,29232,1 rue du Port,47.99,-4.10,Aide aux démarches administratives,2026-11-01,essai\n`,
    );
    cli(["places", "import", file]);
  },
});

async function injected(page) {
  return page.evaluate(() => ({
    links: [...document.querySelectorAll(".leaflet-pane a")].filter((a) => a.href.includes("evil.example")).length,
    images: document.querySelectorAll('img[src="x"]').length,
  }));
}

test("a place named with markup shows as text on every map", async () => {
  const context = await world.browser.newContext({ locale: "fr-FR" });
  const page = await context.newPage();
  const dialogs = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.dismiss();
  });

  // The finder: the place's marker (alone, not in a cluster), its popup.
  await page.goto(`${world.server.url}/lieux?commune=Quimper&q=Cliquez`);
  const marker = page.locator(`.leaflet-marker-icon[title="${HOSTILE.replaceAll('"', '\\"')}"]`);
  await marker.waitFor();
  await marker.dispatchEvent("click");
  const popup = page.locator(".leaflet-popup-content");
  await popup.waitFor();
  assert.equal(await popup.innerText(), HOSTILE);
  assert.deepEqual(await injected(page), { links: 0, images: 0 });

  // The Diagnostic's map, drawn by the server: the place's name is the
  // text of its circle's title, nothing else.
  await page.goto(
    `${world.server.url}/diagnostic?territoire=epci:200068120&service=${encodeURIComponent("Aide aux démarches administratives")}`,
  );
  const titles = await page.locator("svg.passerelle-carte-svg circle > title").allTextContents();
  assert.ok(titles.includes(HOSTILE), `the place's title among ${titles.length}`);
  assert.deepEqual(await injected(page), { links: 0, images: 0 });
  assert.equal(await page.locator('svg a, svg foreignObject, img[src="x"]').count(), 0);
  assert.deepEqual(dialogs, []);
  await context.close();
});
