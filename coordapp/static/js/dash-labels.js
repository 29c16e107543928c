// Dash 4's dropdowns are named by their current value and its slider (thumb and number box) by
// nothing, and none of them takes an aria attribute from Python. Each filter control is laid out
// under a visible <label class="form-label"> (dashboards/layout.py `labelled`); this names the
// controls after that label, again whenever Dash re-renders them.
(function () {
  "use strict";
  var CONTROLS = "button.dash-dropdown, [role=slider], input:not([type=hidden]):not([aria-hidden=true])";
  var counter = 0;

  function nameControls() {
    document.querySelectorAll("label.form-label:not([for])").forEach(function (label) {
      var column = label.parentElement;
      if (!column) return;
      if (!label.id) label.id = "dash-label-" + (++counter);
      column.querySelectorAll(CONTROLS).forEach(function (control) {
        if (control.type === "radio" || control.type === "checkbox") {
          // Options carry their own labels; the group takes the column's label.
          var group = control.parentElement && control.parentElement.closest("[id]");
          if (group && group !== control && !group.hasAttribute("role")) {
            group.setAttribute("role", "radiogroup");
            group.setAttribute("aria-labelledby", label.id);
          }
          return;
        }
        var ids = (control.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean);
        if (ids.indexOf(label.id) === -1) {
          // The label first, then whatever named the control before (a dropdown's value).
          control.setAttribute("aria-labelledby", [label.id].concat(ids).join(" "));
        }
      });
    });
  }

  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      nameControls();
    });
  }

  function start() {
    nameControls();
    new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
