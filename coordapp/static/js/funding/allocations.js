// The pillar rows of a commitment form (<div data-allocations>): what each value works out at,
// and the running total against the pledge. Loaded by the field's widget.
(function () {
  "use strict";
  function number(text) {
    var cleaned = (text || "").replace(/[,%\s]/g, "");
    return cleaned === "" || isNaN(Number(cleaned)) ? null : Number(cleaned);
  }
  function places(text) {
    var part = (text || "").split(".")[1];
    return part ? Math.min(part.replace(/[^0-9]/g, "").length, 4) : 0;
  }
  function attach(box) {
    if (box.dataset.bound) { return; }
    box.dataset.bound = "1";
    var form = box.closest("form");
    if (!form) { return; }
    var amountInput = form.querySelector("#amount");
    var currency = form.querySelector("#currency_code");
    function mode() {
      var checked = form.querySelector("input[name=allocation_mode]:checked");
      return checked ? checked.value : "amount";
    }
    function update() {
      var pledge = number(amountInput && amountInput.value);
      var digits = places(amountInput && amountInput.value);
      var code = currency ? currency.value : "";
      var total = 0;
      box.querySelectorAll("tbody tr").forEach(function (row) {
        var input = row.querySelector("input");
        var value = number(input.value);
        var cell = row.querySelector("[data-counterpart]");
        digits = Math.max(digits, mode() === "amount" ? places(input.value) : 0);
        if (value === null) { cell.textContent = ""; return; }
        total += value;
        if (pledge) {
          cell.textContent = mode() === "amount"
            ? "≈ " + (value / pledge * 100).toFixed(2) + "%"
            : "≈ " + code + " " + (pledge * value / 100).toLocaleString("en", {maximumFractionDigits: 4});
        } else { cell.textContent = ""; }
      });
      var out = box.querySelector("[data-total]");
      if (mode() === "amount") {
        var text = code + " " + total.toLocaleString("en", {minimumFractionDigits: digits, maximumFractionDigits: digits});
        if (pledge !== null) {
          var left = Math.round((pledge - total) * 10000) / 10000;
          text += " of " + code + " " + pledge.toLocaleString("en", {minimumFractionDigits: digits, maximumFractionDigits: digits})
            + (left === 0 ? " ✓" : left > 0 ? " — " + left.toLocaleString("en", {minimumFractionDigits: digits}) + " left to allocate" : " — " + (-left).toLocaleString("en", {minimumFractionDigits: digits}) + " too much");
        }
        out.textContent = text;
      } else {
        out.textContent = (Math.round(total * 10000) / 10000) + "% of 100%";
      }
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  }
  function start() { document.querySelectorAll("[data-allocations]").forEach(attach); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
