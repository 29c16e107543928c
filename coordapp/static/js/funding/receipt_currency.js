// A receipt's currency follows its commitment: choosing a commitment in
// <select data-sets-currency="currency_code"> sets that currency box to the commitment's
// currency (each option's data-currency). Choosing another currency afterwards is kept.
// Loaded by the select's widget.
(function () {
  "use strict";
  function attach(select) {
    if (select.dataset.bound) { return; }
    select.dataset.bound = "1";
    var form = select.closest("form");
    var currency = form && form.querySelector('select[name="' + select.dataset.setsCurrency + '"]');
    if (!currency) { return; }
    function follow() {
      var option = select.options[select.selectedIndex];
      var code = option ? option.dataset.currency : "";
      if (code) { currency.value = code; }
    }
    select.addEventListener("change", follow);
    if (!currency.value) { follow(); }
  }
  function start() { document.querySelectorAll("select[data-sets-currency]").forEach(attach); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
