// Small conveniences on top of server-rendered pages; everything works without them.
(function () {
  "use strict";

  // Copy buttons: the text of an element, the value of an input, or a file from the server
  // (results and logs, whose page shows only part of them).
  function copied(button) {
    var label = button.textContent;
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = label; }, 1500);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target], [data-copy-url], [data-copy-value-of]");
    if (!button || !navigator.clipboard) return;
    var text;
    if (button.dataset.copyUrl) {
      text = fetch(button.dataset.copyUrl, { credentials: "same-origin" }).then(function (response) {
        return response.text();
      });
    } else if (button.dataset.copyValueOf) {
      text = Promise.resolve(document.getElementById(button.dataset.copyValueOf).value);
    } else {
      text = Promise.resolve(document.getElementById(button.dataset.copyTarget).textContent);
    }
    text.then(function (value) { return navigator.clipboard.writeText(value); })
      .then(function () { copied(button); });
  });

  // Searching the logs hides the lines that do not contain the words typed.
  document.addEventListener("input", function (event) {
    var input = event.target.closest("[data-log-filter]");
    if (!input) return;
    var needle = input.value.trim().toLowerCase();
    input.closest(".block").querySelectorAll(".log").forEach(function (log) {
      var lines = log.querySelectorAll(".log-lines li");
      var shown = 0;
      lines.forEach(function (line) {
        var match = !needle || line.textContent.toLowerCase().indexOf(needle) !== -1;
        line.hidden = !match;
        if (match) shown += 1;
      });
      var count = log.querySelector(".log-filter-count");
      if (count) {
        count.hidden = !needle;
        count.textContent = shown + " of " + lines.length + " lines match.";
      }
    });
  });

  // A table's filter hides the rows without every word typed; its "select all" and
  // "select none" buttons tick the rows shown (without JavaScript they ask the server).
  function rowsOf(id) {
    var body = document.getElementById(id);
    return body ? Array.prototype.slice.call(body.rows) : [];
  }
  function countRows(id) {
    var count = document.querySelector("[data-row-count='" + id + "']");
    if (!count) return;
    var rows = rowsOf(id);
    var ticked = rows.filter(function (row) {
      var box = row.querySelector("input[type=checkbox]");
      return box && box.checked;
    }).length;
    var shown = rows.filter(function (row) { return !row.hidden; }).length;
    count.textContent = ticked + " of " + rows.length + " selected" +
      (shown < rows.length ? ", " + shown + " shown" : "") + "." +
      (rows.length && !shown ? " No function matches the filter." : "");
  }
  // A row's own instance, token, package or version: its summary says so once closed.
  document.addEventListener("change", function (event) {
    var override = event.target.closest && event.target.closest("details.row-override");
    var label = override && override.querySelector("[data-override-label]");
    if (!label) return;
    var own = Array.prototype.some.call(override.querySelectorAll(".wiring select, .wiring input"), function (field) {
      return field.value.trim() !== "";
    });
    label.textContent = own ? "Changed for this function" : "As for every function";
  });
  document.addEventListener("input", function (event) {
    var input = event.target.closest && event.target.closest("[data-row-filter]");
    if (!input) return;
    var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var id = input.getAttribute("data-row-filter");
    rowsOf(id).forEach(function (row) {
      var text = row.getAttribute("data-search") || "";
      row.hidden = !words.every(function (word) { return text.indexOf(word) !== -1; });
    });
    countRows(id);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.closest && event.target.closest("[data-row-filter]")) {
      event.preventDefault();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-check-rows]");
    if (!button) return;
    event.preventDefault();
    var id = button.getAttribute("data-check-rows");
    var checked = button.getAttribute("data-checked") === "true";
    rowsOf(id).forEach(function (row) {
      var box = row.querySelector("input[type=checkbox]");
      if (box && !row.hidden) box.checked = checked;
    });
    countRows(id);
  });
  document.addEventListener("change", function (event) {
    var body = event.target.closest && event.target.closest("tbody[id]");
    if (body && event.target.type === "checkbox") countRows(body.id);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-row-filter]").forEach(function (input) {
      input.hidden = false;
      countRows(input.getAttribute("data-row-filter"));
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

  // A file over the upload limit is flagged before it is sent (the server stops reading
  // it anyway).
  document.addEventListener("change", function (event) {
    var input = event.target.closest("input[type=file][data-max-bytes]");
    if (!input) return;
    var limit = Number(input.dataset.maxBytes);
    var tooLarge = Array.prototype.some.call(input.files, function (file) { return file.size > limit; });
    input.setCustomValidity(tooLarge ? "This file is over " + Math.round(limit / 1048576 * 10) / 10 + " MB: is it a manifest.json?" : "");
    if (tooLarge) input.reportValidity();
  });

  // One submit per click: the server also refuses a repeated submission id. (A form that
  // htmx sends shows the same while its request is on the way.)
  function runButtonBusy(form, busy) {
    var button = form.querySelector(".run-button");
    if (!button) return;
    if (busy) {
      button.dataset.label = button.dataset.label || button.textContent;
      button.setAttribute("aria-busy", "true");
      button.textContent = "Starting…";
    } else {
      button.removeAttribute("aria-busy");
      if (button.dataset.label) button.textContent = button.dataset.label;
    }
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.matches && event.detail.elt.matches("form.run-form")) runButtonBusy(event.detail.elt, true);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt.matches && event.detail.elt.matches("form.run-form")) runButtonBusy(event.detail.elt, false);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("run-form") || form.hasAttribute("hx-post")) return;
    if (event.submitter && event.submitter.name === "editor_action") return;
    var button = form.querySelector(".run-button");
    if (form.dataset.submitted) {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "true";
    if (button) runButtonBusy(form, true);
  });

  // A run in progress counts its time from its start, on the server's clock: the page says
  // when the run started and what time the server had when it answered, so the count
  // neither lags by the time the page took to come nor follows a viewer's clock set wrong.
  // Like a stopwatch, it shows only what has fully elapsed.
  function formatSeconds(total) {
    if (total < 1) return Math.floor(total * 1000) + " ms";
    if (total < 60) return (Math.floor(total * 10) / 10).toFixed(1) + " s";
    var whole = Math.floor(total);
    var minutes = Math.floor(whole / 60);
    if (minutes < 60) return minutes + " min " + (whole % 60) + " s";
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }
  function countElapsed() {
    document.querySelectorAll("[data-started-at]").forEach(function (element) {
      if (!element.dataset.clockOffset) {
        element.dataset.clockOffset = String(Date.now() - Number(element.dataset.serverNow));
      }
      var serverNow = Date.now() - Number(element.dataset.clockOffset);
      var total = Math.max(0, (serverNow - Number(element.dataset.startedAt)) / 1000);
      var text = element.querySelector("[data-elapsed]");
      var bar = element.querySelector("progress");
      if (text) text.textContent = formatSeconds(total);
      if (bar) bar.value = Math.floor(total);
    });
  }
  document.addEventListener("DOMContentLoaded", countElapsed);
  document.addEventListener("htmx:load", countElapsed);
  setInterval(countElapsed, 100);

  // The Run bar covers the bottom of the form: what scrolls into view stops above it.
  function measureRunBar() {
    var bar = document.querySelector(".run-bar");
    if (!bar || !window.ResizeObserver || bar.dataset.measured) return;
    bar.dataset.measured = "true";
    new ResizeObserver(function () {
      document.documentElement.style.setProperty("--run-bar-height", bar.offsetHeight + "px");
    }).observe(bar);
  }
  document.addEventListener("DOMContentLoaded", measureRunBar);
  document.addEventListener("htmx:load", measureRunBar);

  // Live parts of a page ask the server for news and get an answer when there is some. A
  // tab in the background stops asking (browsers allow few connections per site) and
  // asks again when it is shown.
  document.addEventListener("htmx:confirm", function (event) {
    var element = event.detail.elt;
    if (document.hidden && element.hasAttribute && element.hasAttribute("data-live")) {
      event.preventDefault();
      element.setAttribute("data-live-paused", "");
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) return;
    document.querySelectorAll("[data-live-paused]").forEach(function (element) {
      element.removeAttribute("data-live-paused");
      htmx.trigger(element, "live-resume");
    });
  });

  // What is typed into a run form is kept in this tab (sessionStorage, per function, never
  // the token), so a page left for the login, or for another page, can offer it back.
  var NOT_KEPT = /^(csrfmiddlewaretoken|token|submission_id|preset_name|editor_action)$/;
  function typedPairs(form) {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (!NOT_KEPT.test(name) && typeof value === "string") pairs.push([name, value]);
    });
    return pairs;
  }
  function keepTyped(form) {
    if (!form || !form.dataset.draftKey) return;
    try {
      sessionStorage.setItem(form.dataset.draftKey, JSON.stringify({ pairs: typedPairs(form), at: Date.now() }));
    } catch (error) { /* storage full or disabled: nothing to keep */ }
  }
  function keptDraft(form) {
    try { return JSON.parse(sessionStorage.getItem(form.dataset.draftKey) || "null"); } catch (error) { return null; }
  }
  function restoreTyped(form, draft, notice) {
    var values = {};
    draft.pairs.forEach(function (pair) {
      if (!(pair[0] in values)) values[pair[0]] = pair[1];
      else values[pair[0]] = [].concat(values[pair[0]], pair[1]);
    });
    values.editor_action = "mode:" + (values.editor_mode || "form");
    htmx.ajax("POST", form.dataset.editorUrl, { target: "#inputs-editor", swap: "outerHTML", values: values })
      .then(function () {
        notice.querySelector("[data-draft-message]").textContent = "Restored what you typed.";
        notice.querySelectorAll("button").forEach(function (button) { button.hidden = true; });
      });
  }
  function offerDraft(form) {
    var notice = document.querySelector("[data-draft-notice]");
    var draft = form.dataset.draftKey && keptDraft(form);
    if (!notice || !draft || !draft.pairs) return;
    if (JSON.stringify(draft.pairs) === JSON.stringify(typedPairs(form))) return;
    var navigation = (performance.getEntriesByType("navigation") || [])[0];
    notice.hidden = false;
    notice.querySelector("[data-draft-message]").textContent =
      "You typed other inputs here at " + new Date(draft.at).toLocaleTimeString() + ".";
    notice.querySelector("[data-draft-restore]").onclick = function () { restoreTyped(form, draft, notice); };
    notice.querySelector("[data-draft-discard]").onclick = function () {
      sessionStorage.removeItem(form.dataset.draftKey);
      keepTyped(form);
      notice.hidden = true;
    };
    // Back or Forward to the form: what was typed comes back at once, lists included.
    if (navigation && navigation.type === "back_forward") restoreTyped(form, draft, notice);
  }
  ["input", "change"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      keepTyped(event.target.closest && event.target.closest("form.run-form"));
    });
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    keepTyped(event.target.closest && event.target.closest("form.run-form"));
  });
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.run-form[data-draft-key]");
    if (form) offerDraft(form);
  });

  // Text fields grow with their lines; browsers without CSS field-sizing are sized here.
  if (!(window.CSS && CSS.supports && CSS.supports("field-sizing", "content"))) {
    var grow = function (area) {
      area.style.height = "auto";
      area.style.height = area.scrollHeight + 2 + "px";
    };
    document.addEventListener("input", function (event) {
      if (event.target.matches && event.target.matches("textarea[data-grow]")) grow(event.target);
    });
    ["DOMContentLoaded", "htmx:afterSettle"].forEach(function (type) {
      document.addEventListener(type, function () {
        document.querySelectorAll("textarea[data-grow]").forEach(grow);
      });
    });
  }

  // Filters left empty stay out of the address, so a shared link says only what it filters.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-drop-empty") || event.defaultPrevented) return;
    var emptied = [];
    Array.prototype.forEach.call(form.elements, function (element) {
      if (element.name && !element.disabled && element.value === "" && element.type !== "submit") {
        element.disabled = true;
        emptied.push(element);
      }
    });
    // Enabled again once the browser has read the form, for Back and for the next change.
    setTimeout(function () { emptied.forEach(function (element) { element.disabled = false; }); }, 0);
  });

  // Times are shown in the viewer's time zone: the server reads it from this cookie.
  (function rememberTimeZone() {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) return;
    var cookie = "console_tz=" + encodeURIComponent(zone);
    if (document.cookie.split("; ").indexOf(cookie) === -1) {
      document.cookie = cookie + "; path=/; max-age=31536000; SameSite=Lax";
    }
  })();

  // The theme toggle answers with the theme chosen; the page follows without reloading.
  document.addEventListener("themeChanged", function (event) {
    document.documentElement.dataset.theme = event.detail.value;
  });
  // The toggle switches straight to the opposite of what is on screen (the server, which
  // cannot see the system's theme, would go from "system" to light even on a light system).
  function aimThemeToggle() {
    var toggle = document.querySelector(".theme-toggle");
    if (!toggle) return;
    var theme = document.documentElement.dataset.theme;
    var systemDark = window.matchMedia("(prefers-color-scheme: dark)").matches;
    var shown = theme === "dark" || (theme === "auto" && systemDark) ? "dark" : "light";
    var opposite = shown === "dark" ? "light" : "dark";
    toggle.querySelector("input[name=theme]").value = opposite;
    var button = toggle.querySelector("[data-theme-button]");
    var label = "Theme: " + (theme === "auto" ? "system" : theme) + " (switch to " + opposite + ")";
    button.title = label;
    button.querySelector(".visually-hidden").textContent = label;
  }
  document.addEventListener("DOMContentLoaded", aimThemeToggle);
  document.addEventListener("htmx:load", aimThemeToggle);

  // On a phone the menu scrolls sideways: it says on which side more links wait.
  function markMenuEdges() {
    var nav = document.querySelector(".nav");
    if (!nav) return;
    var more = nav.scrollWidth - nav.clientWidth;
    nav.classList.toggle("more-left", nav.scrollLeft > 2);
    nav.classList.toggle("more-right", more - nav.scrollLeft > 2);
    nav.setAttribute("title", more > 2 ? "Swipe the menu for more links" : "");
  }
  document.addEventListener("DOMContentLoaded", function () {
    var nav = document.querySelector(".nav");
    if (!nav) return;
    var current = nav.querySelector("[aria-current=page]");
    if (current && nav.scrollWidth > nav.clientWidth) current.scrollIntoView({ block: "nearest", inline: "nearest" });
    markMenuEdges();
    nav.addEventListener("scroll", markMenuEdges, { passive: true });
    window.addEventListener("resize", markMenuEdges);
  });

  // Pickers: person, group, DataSet and account inputs suggest from the instance as one
  // types (with the token chosen on the form); the id chosen is what is sent, and typing an
  // id still works.
  var pickerTimer = null;
  function pickerList(input) {
    var list = document.getElementById(input.id + "-picks");
    if (!list) {
      list = document.createElement("ul");
      list.id = input.id + "-picks";
      list.className = "picker-list";
      list.setAttribute("role", "listbox");
      list.setAttribute("aria-label", "Suggestions");
      list.hidden = true;
      input.insertAdjacentElement("afterend", list);
      input.setAttribute("role", "combobox");
      input.setAttribute("aria-autocomplete", "list");
      input.setAttribute("aria-controls", list.id);
      input.setAttribute("aria-expanded", "false");
    }
    return list;
  }
  function showPicks(input, shown) {
    var list = pickerList(input);
    list.hidden = !shown;
    input.setAttribute("aria-expanded", shown ? "true" : "false");
    if (!shown) input.removeAttribute("aria-activedescendant");
  }
  function pickOption(input, option) {
    pickerList(input).querySelectorAll("[role=option]").forEach(function (each) {
      each.setAttribute("aria-selected", each === option ? "true" : "false");
    });
    if (option) input.setAttribute("aria-activedescendant", option.id);
  }
  function choosePick(input, option) {
    input.value = option.dataset.value;
    showPicks(input, false);
    // Named as the instance names it under the field (name and e-mail or size), as the
    // server's own check would.
    var label = option.querySelector(".picker-label");
    showNamed(input, label ? '<span class="picker-named">' + label.innerHTML + "</span>" : "");
    input.dataset.namedValue = input.value;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }
  // The instance's directory, asked through the console with the token chosen on the form:
  // suggestions (q) or the name of one id (id), as HTML.
  function askDirectory(form, input, parameter, value) {
    var token = form.querySelector("[name=token]");
    var url = form.dataset.directoryUrl.replace("KIND", input.dataset.picker) + "?" + parameter +
      "=" + encodeURIComponent(value) + "&token=" + encodeURIComponent(token ? token.value : "");
    return fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : ""; });
  }
  // The name of the id in a picker, under it: chosen from the suggestions, or checked with
  // the instance when an id is typed, pasted or prefilled.
  function namedSpot(input) {
    var spot = document.getElementById(input.id + "-named");
    if (!spot) {
      spot = document.createElement("span");
      spot.id = input.id + "-named";
      spot.className = "picker-named-spot";
      spot.setAttribute("aria-live", "polite");
      var anchor = document.getElementById(input.id + "-picks") || input;
      anchor.insertAdjacentElement("afterend", spot);
    }
    return spot;
  }
  function showNamed(input, html) { namedSpot(input).innerHTML = html; }
  function checkNamed(input) {
    var form = input.closest("form[data-directory-url]");
    var value = input.value.trim();
    if (!form || input.dataset.namedValue === value) return;
    input.dataset.namedValue = value;
    if (!value) { showNamed(input, ""); return; }
    askDirectory(form, input, "id", value)
      .then(function (html) { if (input.value.trim() === value) showNamed(input, html); });
  }
  document.addEventListener("change", function (event) {
    var input = event.target.closest && event.target.closest("input[data-picker]");
    if (input) checkNamed(input);
  });
  function nameAll(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("input[data-picker]").forEach(function (input) {
      if (input.value.trim()) checkNamed(input);
    });
  }
  document.addEventListener("htmx:load", function (event) { nameAll(event.target); });
  document.addEventListener("DOMContentLoaded", function () { nameAll(document); });
  // A chip list's "Add" brings a new, empty chip: the cursor goes into it once it is there
  // (another part of the page may settle first: its swap is not the one awaited).
  var chipListToFocus = null, chipsBefore = 0;
  function chipsOf(id) { return document.querySelectorAll("#" + id + " .chip-input"); }
  document.addEventListener("click", function (event) {
    var adder = event.target.closest && event.target.closest("[data-focus-new-chip]");
    if (!adder) return;
    chipListToFocus = adder.closest(".chip-list").id;
    chipsBefore = chipsOf(chipListToFocus).length;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!chipListToFocus) return;
    var chips = chipsOf(chipListToFocus);
    if (chips.length <= chipsBefore) return;
    chipListToFocus = null;
    chips[chips.length - 1].focus();
  });
  document.addEventListener("input", function (event) {
    var input = event.target.closest && event.target.closest("input[data-picker]");
    var form = input && input.closest("form[data-directory-url]");
    if (!form) return;
    clearTimeout(pickerTimer);
    pickerTimer = setTimeout(function () {
      askDirectory(form, input, "q", input.value)
        .then(function (html) {
          var list = pickerList(input);
          list.innerHTML = html;
          list.querySelectorAll("[role=option]").forEach(function (option) { option.id = list.id + "-" + option.id; });
          showPicks(input, html.trim() !== "" && document.activeElement === input);
          if (!list.hidden) list.scrollIntoView({ block: "nearest" });
        });
    }, 150);
  });
  document.addEventListener("keydown", function (event) {
    var input = event.target.closest && event.target.closest("input[data-picker]");
    if (!input || input.getAttribute("aria-expanded") !== "true") return;
    var options = Array.prototype.slice.call(pickerList(input).querySelectorAll("[role=option]"));
    var current = options.indexOf(pickerList(input).querySelector("[aria-selected=true]"));
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var next = event.key === "ArrowDown" ? Math.min(current + 1, options.length - 1) : Math.max(current - 1, 0);
      pickOption(input, options[next] || null);
    } else if (event.key === "Enter" && current >= 0) {
      event.preventDefault();
      choosePick(input, options[current]);
    } else if (event.key === "Escape") {
      showPicks(input, false);
    }
  });
  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest(".picker-list [role=option]");
    if (!option) return;
    event.preventDefault();
    choosePick(option.closest(".field, .chip-item").querySelector("input[data-picker]"), option);
  });
  document.addEventListener("focusout", function (event) {
    var input = event.target.closest && event.target.closest("input[data-picker]");
    if (input) setTimeout(function () { showPicks(input, false); }, 100);
  });

  // Keyboard shortcuts (listed in the help overlay).
  function isTyping(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }
  function historySearch() {
    return document.querySelector("[data-history-search]");
  }
  function openShortcuts() {
    var dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open) dialog.showModal();
  }
  // The function switcher: Ctrl/Cmd+K, type to filter, arrows to choose, Enter to open.
  function switcherOptions(dialog) {
    return Array.prototype.filter.call(dialog.querySelectorAll("[role=option]"), function (option) { return !option.hidden; });
  }
  function chooseOption(dialog, option) {
    var input = dialog.querySelector("#switcher-search");
    dialog.querySelectorAll("[role=option]").forEach(function (each) { each.setAttribute("aria-selected", each === option ? "true" : "false"); });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function filterSwitcher(dialog) {
    var words = dialog.querySelector("#switcher-search").value.toLowerCase().split(/\s+/).filter(Boolean);
    dialog.querySelectorAll("[role=option]").forEach(function (option) {
      var text = option.dataset.search;
      option.hidden = !words.every(function (word) { return text.indexOf(word) !== -1; });
    });
    var shown = switcherOptions(dialog);
    var none = dialog.querySelector("[data-switcher-none]");
    if (none) none.hidden = shown.length > 0;
    chooseOption(dialog, shown[0] || null);
  }
  function openSwitcher() {
    var dialog = document.getElementById("switcher");
    if (!dialog || dialog.open) return;
    var input = dialog.querySelector("#switcher-search");
    input.value = "";
    dialog.showModal();
    input.focus();
    fetch(dialog.dataset.switcherUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (response.redirected || !response.ok) throw new Error("not loaded");
        return response.text();
      })
      .then(function (html) {
        dialog.querySelector("[data-switcher-results]").innerHTML = html;
        filterSwitcher(dialog);
      })
      .catch(function () {
        dialog.querySelector("[data-switcher-results]").innerHTML =
          '<p class="muted">The functions could not be loaded: <a href="' + window.location.pathname + '">reload the page</a>.</p>';
      });
  }
  function openChosen(dialog, option) {
    if (option) window.location.assign(option.dataset.href);
  }
  document.addEventListener("input", function (event) {
    if (event.target.id === "switcher-search") filterSwitcher(event.target.closest("dialog"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.target.id !== "switcher-search") return;
    var dialog = event.target.closest("dialog");
    var options = switcherOptions(dialog);
    var current = options.indexOf(dialog.querySelector("[role=option][aria-selected=true]"));
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var next = event.key === "ArrowDown" ? Math.min(current + 1, options.length - 1) : Math.max(current - 1, 0);
      chooseOption(dialog, options[next] || null);
    } else if (event.key === "Enter") {
      event.preventDefault();
      openChosen(dialog, options[current]);
    }
  });
  document.addEventListener("click", function (event) {
    var option = event.target.closest("#switcher [role=option]");
    if (option) openChosen(option.closest("dialog"), option);
  });

  document.addEventListener("keydown", function (event) {
    if ((event.key === "k" || event.key === "K") && (event.ctrlKey || event.metaKey) && !event.altKey) {
      if (!document.getElementById("switcher")) return;
      event.preventDefault();
      openSwitcher();
      return;
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      var forms = document.querySelectorAll("form.run-form");
      var form = event.target.closest ? event.target.closest("form.run-form") : null;
      if (!form && forms.length === 1 && !isTyping(event.target)) form = forms[0];
      if (!form) return;
      event.preventDefault();
      var button = form.querySelector(".run-button");
      if (button && !button.disabled) form.requestSubmit(button);
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    if (document.querySelector("dialog[open]")) return;
    if (event.key === "/") {
      event.preventDefault();
      var search = historySearch();
      if (search) {
        search.focus();
        search.select();
      } else if (document.body.dataset.historyUrl) {
        window.location.assign(document.body.dataset.historyUrl + "#search");
      }
    } else if (event.key === "?") {
      event.preventDefault();
      openShortcuts();
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-shortcuts-open]")) openShortcuts();
  });
  document.addEventListener("DOMContentLoaded", function () {
    var search = historySearch();
    if (search && window.location.hash === "#search") search.focus();
  });
})();
