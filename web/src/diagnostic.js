// Diagnostic pages. Everything works without this script (the map is an
// SVG drawn by the server, the import a plain form); it adds the "print"
// buttons, the progress of an upload and a word while an import is
// written. Text only goes into the page as text, never as HTML.

for (const button of document.querySelectorAll("#imprimer")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}

const upload = document.getElementById("import-diagnostic");
if (upload && window.XMLHttpRequest && window.FormData) {
  const box = document.getElementById("progression-import");
  const bar = document.getElementById("barre-import");
  const state = document.getElementById("etat-import");
  const error = document.getElementById("fichier-erreur");
  const group = document.getElementById("groupe-fichier");
  const submit = upload.querySelector("button[type=submit]");

  const fail = (message) => {
    box.hidden = true;
    submit.disabled = false;
    error.textContent = message;
    error.hidden = false;
    group.classList.add("fr-input-group--error");
    document.getElementById("fichier").focus();
  };

  upload.addEventListener("submit", (event) => {
    const file = document.getElementById("fichier");
    if (!file.files || file.files.length === 0) return; // the server says what is missing
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", upload.action);
    request.setRequestHeader("Accept", "application/json");
    request.responseType = "json";
    box.hidden = false;
    submit.disabled = true;
    error.hidden = true;
    bar.value = 0;
    state.textContent = "Envoi du fichier : 0 %";
    request.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.round((100 * e.loaded) / e.total);
      bar.value = percent;
      state.textContent = `Envoi du fichier : ${percent} %`;
    });
    request.upload.addEventListener("load", () => {
      bar.removeAttribute("value"); // indeterminate while the server reads it
      state.textContent = "Fichier reçu : lecture et vérification de chaque ligne…";
    });
    request.addEventListener("load", () => {
      const answer = request.response || {};
      if (request.status === 200 && typeof answer.apercu === "string" && answer.apercu.startsWith("/")) {
        window.location.assign(answer.apercu);
      } else {
        fail(typeof answer.erreur === "string" ? answer.erreur : "Le fichier n’a pas pu être envoyé : réessayez.");
      }
    });
    request.addEventListener("error", () => fail("La connexion a été interrompue pendant l’envoi : réessayez."));
    request.send(new FormData(upload));
  });
}

const confirm = document.getElementById("confirmer-import");
if (confirm) {
  confirm.addEventListener("submit", () => {
    const status = document.getElementById("etat-confirmation");
    status.textContent = "Import en cours : les chiffres sont enregistrés en une seule fois, cela peut prendre quelques secondes…";
    confirm.querySelector("button[type=submit]").disabled = true;
  });
}
