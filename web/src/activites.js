// Activités entry form: commune names proposed while the person types
// (the territories API), so that a commune is picked by its name. Progressive
// enhancement only: without this script the server resolves the name typed.
// Options only get a `value`, set as a property: never HTML.

const input = document.getElementById("commune");
const list = document.getElementById("communes-proposees");

if (input && list) {
  let timer = 0;
  let controller = null;

  const propose = async () => {
    const q = input.value.trim();
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
          option.value = `${c.nom} (${c.departement.nom})`;
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
