// Forms that guide (issue 17). Progressive enhancement only: every form
// works without this file (the server re-renders on "Show this kind's
// fields" and "Preview").
(function () {
  "use strict";

  // The new-proposal form: show only the chosen kind's fieldset.
  function kindSwitch(form) {
    var radios = form.querySelectorAll('input[name="kind"]');
    var sets = form.querySelectorAll("fieldset[data-kind]");
    function show() {
      var chosen = form.querySelector('input[name="kind"]:checked');
      var kind = chosen ? chosen.value : "";
      sets.forEach(function (set) {
        var mine = set.getAttribute("data-kind") === kind;
        set.hidden = !mine;
        set.disabled = !mine;
      });
    }
    radios.forEach(function (radio) {
      radio.addEventListener("change", function () {
        show();
        // The address names the kind, so a reload or a shared link opens it again.
        var url = new URL(window.location.href);
        url.searchParams.set("kind", radio.value);
        window.history.replaceState(null, "", url.toString());
      });
    });
    form.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });
    show();
  }

  // A Markdown field's Preview button asks the server (POST /preview, the
  // form's CSRF token) and fills the box in place.
  function previewArea(area) {
    var button = area.querySelector('button[value="preview"]');
    var box = area.querySelector(".preview");
    var body = area.querySelector(".preview-body");
    var source = document.getElementById(area.getAttribute("data-preview-for"));
    var form = area.closest("form");
    if (!button || !box || !body || !source || !form) { return; }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var token = form.querySelector('input[name="csrf_token"]');
      var data = new FormData();
      data.append("text", source.value);
      if (token) { data.append("csrf_token", token.value); }
      button.disabled = true;
      fetch(area.getAttribute("data-preview-url"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: token ? {"X-CSRFToken": token.value} : {}
      }).then(function (response) {
        return response.text().then(function (html) {
          // redirected: the session ended and the login page came back.
          if (response.redirected) {
            throw new Error("You are logged out: log in again in another tab, then preview.");
          }
          if (!response.ok && response.status !== 413) {
            throw new Error("The preview could not be loaded; try again.");
          }
          return html;
        });
      }).then(function (html) {
        body.innerHTML = html;  // sanitised by the server (commons/markdown.py)
        box.hidden = false;
      }).catch(function (error) {
        // A network failure's own message ("Failed to fetch") says nothing useful.
        body.textContent = error instanceof TypeError
          ? "The preview could not be loaded; try again." : error.message;
        box.hidden = false;
      }).finally(function () {
        button.disabled = false;
      });
    });
  }

  document.querySelectorAll("form[data-kind-switch]").forEach(kindSwitch);
  document.querySelectorAll(".preview-area[data-preview-url]").forEach(previewArea);
})();
