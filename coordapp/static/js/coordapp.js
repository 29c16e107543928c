// Small behaviours the templates declare with data- attributes (the Content-Security-Policy
// allows no inline scripts, event handler attributes or style attributes):
//   <div data-width="42.5">                a bar's width in percent (progress bars)
//   <form data-confirm="Delete …?">        asks before submitting
//   <button data-print>                    prints the page
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
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
