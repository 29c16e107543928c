// Dash 4's slider commits a year typed in its number box only when the box loses focus; people
// press Enter. Enter there now commits the value the same way (blur), then gives focus back so
// the keyboard user stays where they were.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || !box || !box.classList) return;
    if (!box.classList.contains("dash-range-slider-input")) return;
    event.preventDefault();
    box.blur();
    window.setTimeout(function () { box.focus(); }, 0);
  });
})();
