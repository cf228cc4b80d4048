// Small conveniences on top of server-rendered pages; everything works without them.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var source = document.getElementById(button.dataset.copyTarget);
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // Empty date-time fields start in the browser's own time zone (the server says UTC).
  function defaultTimeZones(root) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) return;
    root.querySelectorAll("input.zone-input[data-default-zone]").forEach(function (input) {
      input.value = zone;
      input.removeAttribute("data-default-zone");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { defaultTimeZones(document); });
  document.addEventListener("htmx:load", function (event) { defaultTimeZones(event.target); });

  // An object or list sent as null is dimmed while its "Send null" box is ticked.
  document.addEventListener("change", function (event) {
    var toggle = event.target.closest(".null-toggle input");
    if (toggle) toggle.closest("fieldset").classList.toggle("is-null", toggle.checked);
  });

  // One submit per click: the server also refuses a repeated submission id.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("run-form")) return;
    if (event.submitter && event.submitter.name === "editor_action") return;
    var button = form.querySelector(".run-button");
    if (form.dataset.submitted) {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "true";
    if (button) {
      button.setAttribute("aria-busy", "true");
      button.textContent = "Starting…";
    }
  });
})();
