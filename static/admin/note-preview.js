/*
 * Side-by-side live preview for the note body in the admin.
 *
 * The Markdown goes to a staff-only endpoint (CSRF-protected POST) that runs the same
 * rendering pipeline as saving, so math, code, figures and links look exactly as published.
 * Loaded as a static file: the site ships no inline scripts.
 */
(function () {
  "use strict";

  function debounce(fn, wait) {
    let timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, wait);
    };
  }

  function init() {
    const textarea = document.querySelector("textarea.markdown-editor");
    const form = textarea && textarea.form;
    const endpoint = textarea && textarea.dataset.previewUrl;
    if (!textarea || !form || !endpoint) {
      return;
    }
    const csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
    const noteId = textarea.dataset.noteId || "";

    const wrapper = document.createElement("div");
    wrapper.className = "markdown-split";
    textarea.parentNode.insertBefore(wrapper, textarea);
    wrapper.appendChild(textarea);

    const pane = document.createElement("section");
    pane.className = "markdown-preview";
    pane.setAttribute("aria-label", "Preview");
    pane.setAttribute("aria-live", "polite");
    const status = document.createElement("p");
    status.className = "markdown-preview-status";
    const warnings = document.createElement("ul");
    warnings.className = "markdown-preview-warnings";
    const body = document.createElement("div");
    body.className = "markdown-preview-body prose";
    pane.append(status, warnings, body);
    wrapper.appendChild(pane);

    let sequence = 0;

    async function refresh() {
      const current = ++sequence;
      status.textContent = "Rendering…";
      const data = new FormData();
      data.append("body", textarea.value);
      data.append("note_id", noteId);
      try {
        const response = await fetch(endpoint, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrf ? csrf.value : "" },
        });
        if (current !== sequence) {
          return; // a newer keystroke already asked again
        }
        if (!response.ok) {
          status.textContent = "Preview unavailable (" + response.status + "). Your text is safe in the editor.";
          return;
        }
        const result = await response.json();
        // The HTML comes from the server's sanitizing pipeline, the same one readers get.
        body.innerHTML = result.html;
        warnings.replaceChildren(
          ...result.warnings.map(function (text) {
            const item = document.createElement("li");
            item.textContent = text;
            return item;
          })
        );
        status.textContent = "Preview · " + new Date().toLocaleTimeString();
      } catch (error) {
        if (current === sequence) {
          status.textContent = "Preview unavailable (offline?). Your text is safe in the editor.";
        }
      }
    }

    textarea.addEventListener("input", debounce(refresh, 400));
    refresh();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
