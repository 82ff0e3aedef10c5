// Territoires page: refreshes the commune results while the person types.
// Progressive enhancement only: without this script the form submits and the
// server renders the same results. The results come from the server as an
// HTML fragment (/territoires/resultats), already escaped by the templates,
// so the markup lives in one place.

const form = document.getElementById("recherche-commune");
const input = document.getElementById("q");
const results = document.getElementById(form?.dataset.results ?? "");

if (form && input && results) {
  let timer = 0;
  let controller = null;

  const refresh = async () => {
    const q = input.value.trim();
    controller?.abort();
    controller = new AbortController();
    const url = new URL("/territoires/resultats", window.location.origin);
    url.searchParams.set("q", q);
    try {
      const response = await fetch(url, { signal: controller.signal, headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const html = await response.text();
      const fragment = document.createRange().createContextualFragment(html);
      results.replaceChildren(fragment);
      const page = new URL(window.location.href);
      if (q) page.searchParams.set("q", q);
      else page.searchParams.delete("q");
      window.history.replaceState(null, "", page);
    } catch (error) {
      if (error.name !== "AbortError") throw error;
    }
  };

  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 200);
  });
}
