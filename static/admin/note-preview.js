/*
 * Side-by-side live preview for the note body in the admin.
 *
 * The Markdown goes to a staff-only endpoint (CSRF-protected POST) that runs the same
 * rendering pipeline as saving, so math, code, figures and links look exactly as published.
 * The result is shown in a sandboxed frame holding an empty reader page (the site's own
 * stylesheets, no admin CSS, no scripts); this script fills that page in.
 * Each warning names the line of the body it is about and selects that line when clicked;
 * the preview scrolls to the block the caret is in while the editor types or moves.
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
        warningAt: "Line %(line)s: %(warning)s",
        goToLine: "Select line %(line)s in the body",
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
    let blocks = null; // the preview's blocks, read again after each render

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
      blocks = null;
      if (document.activeElement === textarea) {
        followCaret(); // the new text may have moved the block being edited
      }
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
        warnings.replaceChildren(...result.warnings.map(warningItem));
        status.textContent = words.rendered.replace("%(time)s", new Date().toLocaleTimeString());
      } catch (error) {
        if (current === sequence) {
          status.textContent = words.unavailable.replace("%(reason)s", words.offline);
        }
      }
    }

    // --- Warnings that point at their line -------------------------------------------------

    function warningItem(warning) {
      const item = document.createElement("li");
      if (!warning.line) {
        item.textContent = warning.text;
        return item;
      }
      const button = document.createElement("button");
      button.type = "button";
      button.className = "markdown-preview-warning-line";
      // Replaced by functions: a formula's "$$" in the text is no replacement pattern.
      button.textContent = words.warningAt
        .replace("%(line)s", function () {
          return warning.line;
        })
        .replace("%(warning)s", function () {
          return warning.text;
        });
      button.title = words.goToLine.replace("%(line)s", warning.line);
      button.addEventListener("click", function () {
        selectLine(warning.line);
      });
      item.appendChild(button);
      return item;
    }

    // Offsets of the start and end (before its line break) of a 1-based line of the body.
    function lineRange(line) {
      const text = textarea.value;
      let start = 0;
      for (let number = 1; number < line; number++) {
        const next = text.indexOf("\n", start);
        if (next === -1) {
          break; // the body got shorter since the warning: its last line
        }
        start = next + 1;
      }
      const end = text.indexOf("\n", start);
      return [start, end === -1 ? text.length : end];
    }

    function selectLine(line) {
      const range = lineRange(line);
      textarea.focus();
      textarea.setSelectionRange(range[0], range[1]);
      // Browsers do not scroll a textarea to a selection set by script: a third of the way
      // down, unless the line is already in view.
      const top = offsetTop(range[0]);
      const rowHeight = lineHeight();
      if (top < textarea.scrollTop || top + rowHeight > textarea.scrollTop + textarea.clientHeight) {
        textarea.scrollTop = Math.max(0, top - textarea.clientHeight / 3);
      }
      followCaret();
    }

    // Where the textarea draws the character at `offset`, from the top of its scrolled
    // content (textarea-mirror.js).
    function offsetTop(offset) {
      return window.notesAdmin.measureText(textarea, offset, offset).top;
    }

    function lineHeight() {
      const style = window.getComputedStyle(textarea);
      const height = parseFloat(style.lineHeight);
      return isNaN(height) ? parseFloat(style.fontSize) * 1.2 : height;
    }

    // --- The preview follows the caret ------------------------------------------------------

    // The preview's blocks and their text, whitespace removed (a paragraph's source lines are
    // joined by spaces; a formula's text ends in its LaTeX, kept in its <annotation>).
    const BLOCKS = "p, h1, h2, h3, h4, h5, h6, li, pre, tr, dt, dd, figcaption, .math-display";

    function previewBlocks() {
      const doc = frame.contentDocument;
      const body = doc && doc.querySelector(".note-body");
      if (!body) {
        return [];
      }
      if (blocks === null) {
        blocks = Array.from(body.querySelectorAll(BLOCKS), function (element) {
          return { element: element, text: squeeze(element.textContent) };
        });
      }
      return blocks;
    }

    function squeeze(text) {
      return text.replace(/\s+/g, "");
    }

    // What of a line of Markdown a reader sees: its longest run of letters and digits (marks,
    // link targets and list markers left out), or the line as written (a formula's LaTeX).
    function fragments(line) {
      const written = squeeze(line);
      const prose = line
        .replace(/\]\([^)]*\)/g, " ")
        .replace(/^\s*(?:[#>]+|[-*+]|\d+[.)])\s+/, "")
        .split(/[^\p{L}\p{N}\s]+/u)
        .map(squeeze)
        .sort(function (a, b) {
          return b.length - a.length;
        });
      return [written, prose[0] || ""].filter(function (text) {
        return text.length >= 2;
      });
    }

    // The block the text of a line is in: of those containing it, the one nearest where the
    // line is in the body (a phrase may recur).
    function blockOf(lineIndex, lines) {
      const found = previewBlocks();
      if (!found.length) {
        return null;
      }
      const expected = (lineIndex / Math.max(1, lines.length - 1)) * (found.length - 1);
      for (const fragment of fragments(lines[lineIndex])) {
        let best = null;
        found.forEach(function (block, index) {
          if (block.text.includes(fragment)) {
            if (best === null || Math.abs(index - expected) < Math.abs(best.index - expected)) {
              best = { index: index, element: block.element };
            }
          }
        });
        if (best) {
          return best.element;
        }
      }
      return null;
    }

    function followCaret() {
      const win = frame.contentWindow;
      const doc = frame.contentDocument;
      if (!win || !doc || !doc.querySelector(".note-body")) {
        return;
      }
      const lines = textarea.value.split("\n");
      const caretLine = textarea.value.slice(0, textarea.selectionStart).split("\n").length - 1;
      // The caret's line, else the nearest line above it with text the preview has (a line
      // just typed is not there until the preview renders again).
      let element = null;
      for (let index = caretLine; index >= 0 && index >= caretLine - 20 && !element; index--) {
        if (lines[index].trim()) {
          element = blockOf(index, lines);
        }
      }
      const view = win.innerHeight;
      const scroller = doc.scrollingElement || doc.documentElement;
      let target;
      if (element) {
        const box = element.getBoundingClientRect();
        const tall = box.height > view;
        if (tall ? box.top < view && box.bottom > 0 : box.top >= 0 && box.bottom <= view) {
          return; // already in view (a block taller than the view: partly): no jump
        }
        // Centred; a block taller than the view shows its start.
        target = win.scrollY + box.top - (tall ? 0 : (view - box.height) / 2);
      } else {
        const share = caretLine / Math.max(1, lines.length - 1);
        target = share * (scroller.scrollHeight - view);
      }
      // The frame's own scrolling only: scrollIntoView would scroll the admin page too.
      win.scrollTo({ top: Math.max(0, target), behavior: "instant" });
    }

    const followSoon = debounce(followCaret, 150);
    for (const name of ["input", "keyup", "click", "select"]) {
      textarea.addEventListener(name, followSoon);
    }
    document.addEventListener("selectionchange", function () {
      if (document.activeElement === textarea) {
        followSoon();
      }
    });

    textarea.addEventListener("input", debounce(refresh, 400));
    refresh();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
