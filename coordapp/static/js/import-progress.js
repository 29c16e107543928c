// While an import is checked or applied, show how many rows are done: the page stays until the
// server answers, so it polls the progress the server records (rows processed, rows in all).
(function () {
  "use strict";
  function watch(form) {
    var box = document.getElementById(form.dataset.progressBox);
    if (!box) { return; }
    form.addEventListener("submit", function () {
      var bar = box.querySelector("progress");
      var text = box.querySelector("[data-progress-text]");
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      box.hidden = false;
      function poll() {
        fetch(form.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (state) {
            if (state && state.started && state.total) {
              bar.max = state.total;
              bar.value = state.done;
              text.textContent = state.done.toLocaleString() + " of " + state.total.toLocaleString() + " rows processed";
            }
          })
          .catch(function () { /* the next poll tries again */ })
          .finally(function () { window.setTimeout(poll, 700); });
      }
      window.setTimeout(poll, 300);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-progress-url]").forEach(watch);
  });
})();
