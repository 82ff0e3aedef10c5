// Commune fields (`input[data-communes][list]`): the communes of the loaded
// reference are proposed by name while the person types (the territories
// API), as "Quimper (Finistère)" — or, with `data-communes="nom"` (the place
// editor, which takes the postcode beside), as the name alone with its
// postcodes and département shown —, so that a commune is picked by its
// name, never by its code. Progressive enhancement only: without this script the
// server resolves the name typed (crates/web/src/communes.rs). Options only
// get a `value`, set as a property: never HTML.

for (const input of document.querySelectorAll("input[data-communes][list]")) {
  const list = document.getElementById(input.getAttribute("list"));
  if (!list) continue;
  let timer = 0;
  let controller = null;

  const propose = async () => {
    const q = input.value.trim();
    // A name chosen from the list already carries its département.
    if (q.length < 2 || /\(/.test(q)) return;
    controller?.abort();
    controller = new AbortController();
    const url = new URL("/api/v1/territories/communes", window.location.origin);
    url.searchParams.set("q", q);
    url.searchParams.set("limit", "8");
    try {
      const response = await fetch(url, { signal: controller.signal, headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const communes = await response.json();
      list.replaceChildren(
        ...communes.map((c) => {
          const option = document.createElement("option");
          if (input.dataset.communes === "nom") {
            option.value = c.nom;
            option.label = `${c.postcodes.join(", ")} · ${c.departement.nom}`;
          } else {
            option.value = `${c.nom} (${c.departement.nom})`;
          }
          return option;
        }),
      );
    } catch (error) {
      if (error.name !== "AbortError") throw error;
    }
  };

  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(propose, 150);
  });
}
