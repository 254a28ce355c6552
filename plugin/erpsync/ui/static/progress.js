/* The progress page of an import: poll the JSON progress and move the bar;
   when the job is finished, go to the page that shows its outcome. Without
   this script the page reloads itself (<noscript> refresh). No inline code. */
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box || !window.fetch) { return; }
  var bar = box.querySelector("[data-bar]");
  var label = box.querySelector("[data-phase]");
  var delay = 400;

  function later(fn, ms) { window.setTimeout(fn, ms); }

  function poll() {
    window.fetch(box.getAttribute("data-progress-url"), {
      credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" }
    }).then(function (response) {
      // A login page or an error page instead of JSON: let the server decide.
      if (!response.ok || response.redirected) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      if (bar) { bar.value = data.percent; bar.textContent = String(data.percent); }
      if (label && data.label && label.textContent !== data.label) { label.textContent = data.label; }
      if (data.finished) {
        window.location.replace(data.next || box.getAttribute("data-next-url"));
        return;
      }
      delay = Math.min(Math.round(delay * 1.4), 2000);
      later(poll, delay);
    }).catch(function () {
      later(function () { window.location.reload(); }, 3000);
    });
  }

  later(poll, delay);
}());
