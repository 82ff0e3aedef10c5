// Enquêtes: shows a conditional question only when the earlier answer it
// depends on matches, live. Without this script every question is shown
// with a sentence saying when it applies, and the server drops answers to
// questions that do not apply. Hidden questions' fields are disabled so
// that they are not sent.
(function () {
  "use strict";
  var form = document.querySelector("form.enquete");
  if (!form) return;
  var dependent = form.querySelectorAll("fieldset[data-depends-on]");

  function values(name) {
    return Array.prototype.filter
      .call(form.elements, function (el) {
        return el.name === name && !el.disabled && ((el.type !== "radio" && el.type !== "checkbox") || el.checked);
      })
      .map(function (el) { return el.value; })
      .filter(function (v) { return v !== ""; });
  }

  function applies(fieldset) {
    var question = fieldset.getAttribute("data-depends-on");
    var test = fieldset.getAttribute("data-test");
    var colon = test.indexOf(":");
    var kind = test.slice(0, colon);
    var arg = test.slice(colon + 1);
    var own = form.querySelector("#q-" + question);
    if (own && own.hidden) return false;
    if (kind === "any") {
      var chosen = values(question);
      return arg.split(" ").some(function (code) { return chosen.indexOf(code) >= 0; });
    }
    if (kind === "includes") return values(question + "." + arg).indexOf("1") >= 0;
    var number = parseFloat((values(question)[0] || "").replace(",", "."));
    if (isNaN(number)) return false;
    return kind === "min" ? number >= parseFloat(arg) : number <= parseFloat(arg);
  }

  function update() {
    Array.prototype.forEach.call(dependent, function (fieldset) {
      var show = applies(fieldset);
      fieldset.hidden = !show;
      Array.prototype.forEach.call(fieldset.querySelectorAll("input, textarea, select"), function (el) {
        el.disabled = !show;
      });
    });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();

// Enquêtes, building a question: only the fields of the type chosen are
// shown (`data-types` lists the types a field serves). Without this script
// every field is shown with a hint saying which types use it.
(function () {
  "use strict";
  var form = document.querySelector("form.enquete-question");
  if (!form) return;
  var kind = form.querySelector("#type");
  var parts = form.querySelectorAll("[data-types]");

  function update() {
    Array.prototype.forEach.call(parts, function (part) {
      var types = part.getAttribute("data-types").split(" ");
      part.hidden = types.indexOf(kind.value) < 0;
    });
  }

  kind.addEventListener("change", update);
  update();
})();
