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

  // One submit per click: the server also refuses a repeated submission id.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("run-form")) return;
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
