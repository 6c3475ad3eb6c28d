/*
 * Side-by-side live preview for the note body in the admin.
 *
 * The Markdown goes to a staff-only endpoint (CSRF-protected POST) that runs the same
 * rendering pipeline as saving, so math, code, figures and links look exactly as published.
 * The result is shown in a sandboxed frame holding an empty reader page (the site's own
 * stylesheets, no admin CSS, no scripts); this script fills that page in.
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
    const words = Object.assign(
      {
        preview: "Preview as readers see it",
        rendering: "Rendering…",
        rendered: "Preview · %(time)s",
        unavailable: "Preview unavailable (%(reason)s). Your text is safe in the editor.",
        offline: "offline?",
      },
      JSON.parse(textarea.dataset.messages || "{}")
    );
    const noteId = textarea.dataset.noteId || "";

    const wrapper = document.createElement("div");
    wrapper.className = "markdown-split";
    textarea.parentNode.insertBefore(wrapper, textarea);
    wrapper.appendChild(textarea);

    const pane = document.createElement("section");
    pane.className = "markdown-preview";
    pane.setAttribute("aria-label", words.preview);
    pane.setAttribute("aria-live", "polite");
    const status = document.createElement("p");
    status.className = "markdown-preview-status";
    const warnings = document.createElement("ul");
    warnings.className = "markdown-preview-warnings";
    const frame = document.createElement("iframe");
    frame.className = "markdown-preview-frame";
    frame.title = words.preview;
    // Same origin, so this script can write into it; no scripts run inside it.
    frame.setAttribute("sandbox", "allow-same-origin allow-popups allow-popups-to-escape-sandbox");
    frame.src = textarea.dataset.previewFrameUrl;
    pane.append(status, warnings, frame);
    wrapper.appendChild(pane);

    const titleInput = form.querySelector("#id_title");
    let pending = null;

    function show(html) {
      const doc = frame.contentDocument;
      const body = doc && doc.querySelector(".note-body");
      if (!body) {
        pending = html; // the frame is still loading: shown from its load event
        return;
      }
      // The HTML comes from the server's sanitizing pipeline, the same one readers get.
      body.innerHTML = html;
      doc.querySelector(".note-title").textContent = titleInput ? titleInput.value : "";
    }

    frame.addEventListener("load", function () {
      if (pending !== null) {
        show(pending);
        pending = null;
      }
    });
    if (titleInput) {
      titleInput.addEventListener("input", function () {
        const heading = frame.contentDocument && frame.contentDocument.querySelector(".note-title");
        if (heading) {
          heading.textContent = titleInput.value;
        }
      });
    }

    let sequence = 0;

    async function refresh() {
      const current = ++sequence;
      status.textContent = words.rendering;
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
          status.textContent = words.unavailable.replace("%(reason)s", response.status);
          return;
        }
        const result = await response.json();
        show(result.html);
        warnings.replaceChildren(
          ...result.warnings.map(function (text) {
            const item = document.createElement("li");
            item.textContent = text;
            return item;
          })
        );
        status.textContent = words.rendered.replace("%(time)s", new Date().toLocaleTimeString());
      } catch (error) {
        if (current === sequence) {
          status.textContent = words.unavailable.replace("%(reason)s", words.offline);
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
