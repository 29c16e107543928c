// Keeps a commitment's partnership select (<select data-partnerships-of-funder="URL">) to the
// partnerships of the organization typed as funder. Loaded by the select's widget.
(function () {
  "use strict";
  function attach(select) {
    if (select.dataset.bound) { return; }
    select.dataset.bound = "1";
    var form = select.closest("form");
    var funder = form && form.querySelector("#funder");
    if (!funder) { return; }
    var lookup = select.dataset.partnershipsOfFunder;
    var lastName = null;
    function refresh() {
      var name = funder.value.trim();
      if (name === lastName) { return; }
      lastName = name;
      var keep = select.value;
      fetch(lookup + "?funder=" + encodeURIComponent(name), {
        credentials: "same-origin", headers: { Accept: "application/json" }
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (choices) {
          if (choices === null) { return; }
          var options = [new Option("— none —", "")];
          choices.forEach(function (pair) { options.push(new Option(pair[1], pair[0])); });
          select.replaceChildren.apply(select, options);
          select.value = choices.some(function (pair) { return pair[0] === keep; }) ? keep : "";
        })
        .catch(function () {});
    }
    funder.addEventListener("change", refresh);
    funder.addEventListener("blur", refresh);
    if (funder.value.trim() && select.options.length <= 1) { refresh(); } else { lastName = funder.value.trim(); }
  }
  function start() { document.querySelectorAll("select[data-partnerships-of-funder]").forEach(attach); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
