/*
 * Images pasted or dropped into the note body become figures of the note.
 *
 * A saved note (data-paste-mode="upload"): each file is posted to the note's figure endpoint
 * (staff only, CSRF-protected), which stores it through the Figures inline's own checks and
 * answers the figure's Markdown; that replaces a placeholder put at the cursor at once.
 * A new note (data-paste-mode="pending") has nothing to attach a figure to yet: the file is
 * checked by the server now (nothing stored), put in a new row of the Figures inline, and the
 * body gets ![alt](pending-figure:<token>), which the first save replaces with the figure's
 * address (notes/admin/pasting.py).
 * Every change to the text is followed by an input event, so the preview and the autosave
 * take it as typed text. Loaded as a static file: the site ships no inline scripts.
 */
(function () {
  "use strict";

  const PENDING = "pending-figure:";
  const UPLOADING = "uploading:";

  // Figure.markdown's escaping of an alt text: one line, brackets and backslashes as
  // character references ("\[" would open display math).
  function markdownAlt(text) {
    return text
      .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, " ")
      .split(/\s+/)
      .filter(Boolean)
      .join(" ")
      .replace(/\\/g, "&#92;")
      .replace(/\[/g, "&#91;")
      .replace(/\]/g, "&#93;");
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, name) {
      return name in values ? String(values[name]) : whole;
    });
  }

  function randomToken() {
    // crypto.randomUUID needs a secure context; an admin on plain http has getRandomValues.
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, function (byte) {
      return byte.toString(16).padStart(2, "0");
    }).join("");
  }

  // The name a file is sent under: only its extension counts (the server stores it under a
  // random name and takes the alt text from the real name, sent apart). A long name would
  // not fit the image field's 100 characters; a clipboard blob may have none.
  function sentName(file) {
    const name = file.name || "";
    const match = /\.([A-Za-z0-9]{1,16})$/.exec(name);
    if (match && name.length <= 80) {
      return name;
    }
    const subtype = (file.type || "").split("/")[1] || "png";
    return "pasted." + (match ? match[1] : subtype);
  }

  function init() {
    const textarea = document.querySelector("textarea.markdown-editor");
    const form = textarea && textarea.form;
    const endpoint = textarea && textarea.dataset.pasteUrl;
    const mode = textarea && textarea.dataset.pasteMode;
    if (!textarea || !form || !endpoint) {
      return;
    }
    const figuresGroup = document.getElementById("figures-group");
    if (mode === "pending" && !figuresGroup) {
      return; // no Figures inline (no permission to add figures): paste stays plain text
    }
    const words = Object.assign(
      {
        upload_help:
          "Paste or drop images here: each is uploaded as a figure of this note and its " +
          "Markdown is put where the cursor is.",
        pending_help:
          "Paste or drop images here: each is checked now and uploaded when you save the " +
          "note. Until then the text shows it as ![…](pending-figure:…); the save puts the " +
          "image's address there.",
        uploading: "Uploading… %(name)s",
        uploaded: "%(name)s uploaded.",
        pending: "%(name)s will be uploaded when you save the note.",
        refused: "%(name)s was not added: %(error)s",
        failed:
          "%(name)s was not added: the server did not answer (%(reason)s). Your text is " +
          "unchanged.",
        offline: "offline?",
        signed_out: "signed out? Sign in again in another tab, then paste again",
        moved:
          "%(name)s was uploaded, but its placeholder is no longer in the text. " +
          "Its Markdown: %(markdown)s",
        lost:
          "Pasted images are not uploaded yet, and a browser forgets chosen files when the " +
          "form comes back with errors: pick each again in the highlighted Figures rows " +
          "(their alt text is kept), or remove the row and its placeholder from the text.",
      },
      JSON.parse(textarea.dataset.pasteMessages || "{}")
    );
    const csrf = form.querySelector("input[name=csrfmiddlewaretoken]");

    // Above the editor (across the preview split when there is one): what pasting does, what
    // is happening, and what went wrong, read out by screen readers.
    const bar = document.createElement("div");
    bar.className = "paste-bar";
    const help = document.createElement("p");
    help.className = "paste-help";
    help.textContent = mode === "pending" ? words.pending_help : words.upload_help;
    help.id = "paste-help";
    const described = textarea.getAttribute("aria-describedby");
    textarea.setAttribute("aria-describedby", (described ? described + " " : "") + help.id);
    const status = document.createElement("p");
    status.className = "paste-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    const problems = document.createElement("ul");
    problems.className = "paste-errors";
    problems.setAttribute("aria-live", "assertive");
    bar.append(help, status, problems);
    const host = textarea.parentNode;
    host.insertBefore(bar, host.classList.contains("markdown-split") ? host.firstChild : textarea);

    function report(text) {
      const item = document.createElement("li");
      item.textContent = text;
      problems.appendChild(item);
    }

    // Replace [start, end) of the text, keep the editor's cursor where it was in the text
    // around it, and tell the preview and the autosave, as typing would.
    function replaceRange(start, end, text) {
      const selectionStart = textarea.selectionStart;
      const selectionEnd = textarea.selectionEnd;
      const scroll = textarea.scrollTop;
      const delta = text.length - (end - start);
      function shifted(position) {
        if (position >= end) {
          return position + delta;
        }
        return position > start ? start + text.length : position;
      }
      textarea.setRangeText(text, start, end, "preserve");
      textarea.setSelectionRange(shifted(selectionStart), shifted(selectionEnd));
      textarea.scrollTop = scroll;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }

    function replacePlaceholder(placeholder, text) {
      const start = textarea.value.indexOf(placeholder);
      if (start < 0) {
        return false; // the editor deleted it meanwhile
      }
      replaceRange(start, start + placeholder.length, text);
      return true;
    }

    // A refused file's placeholder goes, with the blank lines put around it, so the text is
    // as it was: with the one separating it from the block's next (or previous) image while
    // another of its block is still there, and with the block's own lead and trail if last.
    function removePlaceholder(block, item) {
      const value = textarea.value;
      const start = value.indexOf(item.placeholder);
      item.gone = true;
      if (start < 0) {
        return;
      }
      const before = value.slice(0, start);
      const after = value.slice(start + item.placeholder.length);
      const others = block.items.filter(function (other) {
        return !other.gone;
      });
      let from = start;
      let to = start + item.placeholder.length;
      if (!others.length) {
        if (before.endsWith(block.lead) && after.startsWith(block.trail)) {
          from -= block.lead.length;
          to += block.trail.length;
        }
      } else if (block.items.indexOf(others[0]) > block.items.indexOf(item)) {
        to += after.startsWith("\n\n") ? 2 : 0;
      } else {
        from -= before.endsWith("\n\n") ? 2 : 0;
      }
      replaceRange(from, to, "");
    }

    // Each image its own paragraph, so it renders as a figure and no Markdown around it
    // (an open `code` span, emphasis) runs into it.
    function insertBlock(position, placeholders) {
      const value = textarea.value;
      const before = value.slice(0, position);
      const after = value.slice(position);
      let lead = "";
      if (before && !before.endsWith("\n\n")) {
        lead = before.endsWith("\n") ? "\n" : "\n\n";
      }
      let trail = "\n\n";
      if (after.startsWith("\n\n")) {
        trail = "";
      } else if (after.startsWith("\n") || !after) {
        trail = "\n";
      }
      replaceRange(position, position, lead + placeholders.join("\n\n") + trail);
      return { lead: lead, trail: trail };
    }

    let counter = 0;
    // One file at a time: "Figure N" numbers follow the order the files came in.
    let queue = Promise.resolve();

    async function post(file, extra) {
      const data = new FormData();
      data.append("image", file, sentName(file));
      // The name exactly (a multipart header writes a quote as %22): the alt text comes from it.
      data.append("name", file.name || "");
      for (const name in extra) {
        data.append(name, extra[name]);
      }
      let response;
      try {
        response = await fetch(endpoint, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrf ? csrf.value : "", Accept: "application/json" },
        });
      } catch (error) {
        return { failure: words.offline };
      }
      const json = (response.headers.get("Content-Type") || "").includes("application/json");
      if (response.redirected) {
        return { failure: words.signed_out }; // the admin's sign-in page: the session expired
      }
      if (!json) {
        return { failure: String(response.status) }; // a proxy's error page, a CSRF refusal
      }
      try {
        const result = await response.json();
        if (!response.ok) {
          return result.error ? { error: result.error } : { failure: String(response.status) };
        }
        return { result: result };
      } catch (error) {
        return { failure: String(response.status) };
      }
    }

    function figureRows() {
      return Array.from(
        figuresGroup.querySelectorAll("tr.form-row:not(.empty-form):not(.has_original)")
      );
    }

    function field(row, name) {
      return row.querySelector('[name$="-' + name + '"]');
    }

    // An unused extra row of the Figures inline, or a new one from its "Add another" link.
    function freeRow() {
      const free = figureRows().find(function (row) {
        const image = field(row, "image");
        const alt = field(row, "alt");
        const token = field(row, "paste_token");
        return (
          image && !image.files.length && alt && !alt.value && token && !token.value
        );
      });
      if (free) {
        return free;
      }
      const add = figuresGroup.querySelector(".add-row a");
      const total = document.getElementById("id_figures-TOTAL_FORMS");
      if (!add || !total) {
        return null;
      }
      add.click();
      return document.getElementById("figures-" + (Number(total.value) - 1));
    }

    function figureNumber() {
      return (
        figureRows().filter(function (row) {
          const image = field(row, "image");
          const token = field(row, "paste_token");
          return (image && image.files.length) || (token && token.value);
        }).length + 1
      );
    }

    async function upload(file, block, item) {
      const placeholder = item.placeholder;
      const name = file.name || "image.png";
      status.textContent = format(words.uploading, { name: name });
      const answer = await post(file, {});
      if (answer.result) {
        const markdown = answer.result.markdown;
        if (replacePlaceholder(placeholder, markdown)) {
          status.textContent = format(words.uploaded, { name: name });
        } else {
          status.textContent = "";
          report(format(words.moved, { name: name, markdown: markdown }));
        }
        return;
      }
      removePlaceholder(block, item);
      status.textContent = "";
      report(
        answer.error
          ? format(words.refused, { name: name, error: answer.error })
          : format(words.failed, { name: name, reason: answer.failure })
      );
    }

    async function hold(file, block, item) {
      const placeholder = item.placeholder;
      const name = file.name || "image.png";
      status.textContent = format(words.uploading, { name: name });
      const answer = await post(file, { number: String(figureNumber()) });
      if (!textarea.value.includes(placeholder)) {
        item.gone = true;
        status.textContent = ""; // the editor took the image out again: nothing to upload
        return;
      }
      const row = answer.result ? freeRow() : null;
      if (!row) {
        removePlaceholder(block, item);
        status.textContent = "";
        report(
          answer.error
            ? format(words.refused, { name: name, error: answer.error })
            : format(words.failed, { name: name, reason: answer.failure || "figures" })
        );
        return;
      }
      const token = randomToken();
      const transfer = new DataTransfer();
      transfer.items.add(new File([file], sentName(file), { type: file.type }));
      field(row, "image").files = transfer.files;
      field(row, "alt").value = answer.result.alt;
      field(row, "paste_token").value = token;
      row.classList.add("paste-row");
      const markdown = "![" + markdownAlt(answer.result.alt) + "](" + PENDING + token + ")";
      replacePlaceholder(placeholder, markdown);
      status.textContent = format(words.pending, { name: name });
    }

    function accept(files, position) {
      if (!files.length) {
        return;
      }
      problems.replaceChildren();
      const placeholders = files.map(function (file) {
        counter += 1;
        const label = format(words.uploading, { name: file.name || "image.png" });
        return "![" + markdownAlt(label) + "](" + UPLOADING + counter + ")";
      });
      const block = insertBlock(position, placeholders);
      block.items = placeholders.map(function (placeholder) {
        return { placeholder: placeholder, gone: false };
      });
      files.forEach(function (file, index) {
        const work = mode === "pending" ? hold : upload;
        queue = queue.then(function () {
          return work(file, block, block.items[index]);
        });
      });
    }

    function filesOf(transfer) {
      return transfer ? Array.from(transfer.files || []) : [];
    }

    textarea.addEventListener("paste", function (event) {
      const transfer = event.clipboardData;
      const files = filesOf(transfer);
      // Text copied with a picture of itself (a spreadsheet, a word processor) stays text; a
      // file copied in a file manager comes with its name as the text.
      const text = (transfer.getData("text/plain") || "").trim();
      const named = files.some(function (file) {
        return file.name && text.includes(file.name);
      });
      if (!files.length || (text && !named)) {
        return;
      }
      event.preventDefault();
      const start = textarea.selectionStart;
      if (textarea.selectionEnd > start) {
        replaceRange(start, textarea.selectionEnd, "");
      }
      accept(files, start);
    });

    function carriesFiles(event) {
      return event.dataTransfer && Array.from(event.dataTransfer.types || []).includes("Files");
    }

    // Where in the text a drop at (x, y) lands; the cursor's position if the browser cannot say.
    function offsetAt(x, y) {
      if (document.caretPositionFromPoint) {
        const caret = document.caretPositionFromPoint(x, y);
        if (caret && caret.offsetNode === textarea) {
          return Math.min(caret.offset, textarea.value.length);
        }
      }
      return textarea.selectionStart;
    }

    textarea.addEventListener("dragover", function (event) {
      if (carriesFiles(event)) {
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
        textarea.classList.add("paste-dragover");
      }
    });
    textarea.addEventListener("dragleave", function () {
      textarea.classList.remove("paste-dragover");
    });
    textarea.addEventListener("drop", function (event) {
      textarea.classList.remove("paste-dragover");
      const files = filesOf(event.dataTransfer);
      if (!files.length) {
        return; // dragged text: the browser's own drop
      }
      event.preventDefault();
      accept(files, offsetAt(event.clientX, event.clientY));
    });

    // A new note's form back with errors: its pasted rows hold a token and alt text, but
    // no file any more.
    if (mode === "pending") {
      const lost = figureRows().filter(function (row) {
        const token = field(row, "paste_token");
        const image = field(row, "image");
        return token && token.value && image && !image.files.length;
      });
      lost.forEach(function (row) {
        row.classList.add("paste-refill");
        field(row, "image").addEventListener("change", function () {
          row.classList.remove("paste-refill");
        });
      });
      if (lost.length) {
        // Apart from the paste messages, which the next paste clears: this stays.
        const notice = document.createElement("p");
        notice.className = "paste-lost";
        notice.setAttribute("role", "alert");
        notice.textContent = words.lost;
        bar.insertBefore(notice, status);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
