// Type-ahead for fields that name a record (e.g. an organization among thousands):
// <input data-lookup="/lookup/organizations" list="organization-names">
(function () {
  "use strict";
  function attach(input) {
    var listId = input.getAttribute("list");
    var list = document.getElementById(listId);
    if (!list) {
      list = document.createElement("datalist");
      list.id = listId;
      document.body.appendChild(list);
    }
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var base = input.dataset.lookup;
        var url = base + (base.indexOf("?") === -1 ? "?" : "&") + "q=" + encodeURIComponent(input.value);
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (names) {
            list.replaceChildren.apply(list, names.map(function (name) {
              var option = document.createElement("option");
              option.value = name;
              return option;
            }));
          })
          .catch(function () {});
      }, 150);
    });
  }
  document.querySelectorAll("input[data-lookup]").forEach(attach);
})();
