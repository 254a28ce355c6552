/* Progressive enhancement of erpsync's dialogs. Every dialog works without it.
   Loaded as an external, deferred file (no inline script: a strict CSP works). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function rowBoxes(form) {
    return Array.prototype.filter.call(
      form.querySelectorAll("input[data-row-check]"), function (box) { return !box.disabled; });
  }

  function syncSelectAll(form) {
    var all = form.querySelector("input[data-select-all]");
    if (!all) { return; }
    var boxes = rowBoxes(form);
    all.checked = boxes.length > 0 && boxes.every(function (box) { return box.checked; });
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el.form) { return; }
    if (el.matches("input[data-select-all]")) {
      // Check or uncheck every row on this page.
      rowBoxes(el.form).forEach(function (box) { box.checked = el.checked; });
    } else if (el.matches("input[data-row-check]")) {
      syncSelectAll(el.form);
    } else if (el.dataset.autosubmit) {
      // A choice that changes the rest of the form (connection -> actor types,
      // field -> operators and values): reload the form as its no-JS button does.
      var button = el.form.querySelector('[data-refresh="' + el.dataset.autosubmit + '"]');
      if (button) {
        if (el.form.requestSubmit) { el.form.requestSubmit(button); } else { button.click(); }
      }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form"), syncSelectAll);
  });
}());
