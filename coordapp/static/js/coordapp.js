// Small behaviours the templates declare with data- attributes (the Content-Security-Policy
// allows no inline scripts, event handler attributes or style attributes):
//   <div data-width="42.5">                a bar's width in percent (progress bars)
//   <form data-confirm="Delete …?">        asks before submitting
//   <button data-print>                    prints the page
//   <select data-fills="currency_code">    choosing an option with data-fill="USD" sets the
//                                          form's field currency_code to USD (a receipt's
//                                          currency follows its commitment); also on load
//                                          while that field is blank
(function () {
  "use strict";
  function start() {
    document.querySelectorAll("[data-width]").forEach(function (bar) {
      var percent = Number(bar.dataset.width);
      if (!isNaN(percent)) { bar.style.width = Math.max(0, Math.min(percent, 100)) + "%"; }
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
      });
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll("select[data-fills]").forEach(function (select) {
      var target = select.form && select.form.elements.namedItem(select.dataset.fills);
      if (!target) { return; }
      function fill() {
        var option = select.options[select.selectedIndex];
        if (option && option.dataset.fill) { target.value = option.dataset.fill; }
      }
      select.addEventListener("change", fill);
      if (!target.value) { fill(); }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
