/*
 * [[ completion in the note body: typing "[[" offers note titles (drafts too, and old titles,
 * which insert the current one) from a staff-only endpoint that matches titles the way the
 * site search does (notes/admin/completion.py).
 *
 * The list is an ARIA listbox by the caret, placed with a mirror of the textarea: ArrowUp and
 * ArrowDown move, Enter, Tab or a click inserts "[[Exact title]]", Escape closes (Ctrl+Space
 * opens it again). Nothing happens while an input method is composing (pinyin, kana…).
 * Loaded as a static file: the site ships no inline scripts. Positions are set through the
 * CSSOM (element.style), which the admin's `style-src 'self'` allows.
 */
(function () {
  "use strict";

  // The server cuts what was typed there anyway; a longer "[[…" is not a title being typed.
  const MAX_TYPED = 200;
  const WAIT_MS = 120; // a pause in typing before asking the server
  const KEEP_MS = 30000; // an answer is reused this long (typing back and forth)
  // A link target being typed: "[[" then no bracket, pipe or newline up to the caret.
  const TARGET = /\[\[([^[\]|\n]*)$/;
  // What is left of a target after the caret, up to its "]]" or its alias pipe (kept).
  const REST = /^[^[\]|\n]*?(\]\]|\\?\|)/;

  function init() {
    const textarea = document.querySelector("textarea.markdown-editor");
    const endpoint = textarea && textarea.dataset.titlesUrl;
    if (!textarea || !endpoint) {
      return;
    }
    let words = {
      label: "Note titles",
      old: "old title: %(title)s",
      empty: "No note has a title like this yet.",
      draft: "Draft",
      published: "Published",
      scheduled: "Scheduled",
    };
    try {
      words = Object.assign(words, JSON.parse(textarea.dataset.completionMessages || "{}"));
    } catch (error) {
      // keep the English words
    }

    const popup = document.createElement("div");
    popup.className = "note-complete";
    popup.hidden = true;
    const listbox = document.createElement("ul");
    listbox.id = "note-complete-list";
    listbox.className = "note-complete-list";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", words.label);
    const empty = document.createElement("p");
    empty.className = "note-complete-empty";
    empty.setAttribute("role", "status");
    popup.append(listbox, empty);
    // Within the page's main landmark, where a screen reader reading on finds it.
    (textarea.closest("main") || document.body).append(popup);

    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-haspopup", "listbox");
    textarea.setAttribute("aria-controls", listbox.id);

    let trigger = null; // the "[[" being completed: {start, end, query}
    let shown = null; // the query whose answer the list shows
    let items = [];
    let active = -1;
    let composing = false;
    let inserting = false;
    let dismissed = -1; // where the "[[" the editor closed with Escape starts
    let sequence = 0; // each request and each close counts: a late answer is dropped
    let timer = null;
    let controller = null;
    const cache = new Map();

    function currentTrigger() {
      if (textarea.selectionStart !== textarea.selectionEnd) {
        return null;
      }
      const end = textarea.selectionEnd;
      const before = textarea.value.slice(Math.max(0, end - MAX_TYPED - 2), end);
      const match = TARGET.exec(before);
      return match ? { start: end - match[0].length, end: end, query: match[1] } : null;
    }

    function close() {
      sequence++;
      clearTimeout(timer);
      trigger = shown = null;
      items = [];
      active = -1;
      if (!popup.hidden) {
        popup.hidden = true;
        listbox.replaceChildren();
        empty.textContent = "";
      }
      textarea.removeAttribute("aria-activedescendant");
    }

    function update() {
      if (composing || inserting) {
        return;
      }
      const found = currentTrigger();
      if (!found) {
        dismissed = -1;
        close();
        return;
      }
      if (found.start === dismissed) {
        close();
        return;
      }
      trigger = found;
      if (!popup.hidden && shown === found.query) {
        place(); // only the caret moved
        return;
      }
      ask(found.query);
    }

    function ask(query) {
      const current = ++sequence;
      clearTimeout(timer);
      const kept = cache.get(query);
      if (kept && Date.now() - kept.at < KEEP_MS) {
        show(query, kept.results);
        return;
      }
      timer = setTimeout(async function () {
        if (controller) {
          controller.abort();
        }
        controller = new AbortController();
        try {
          const response = await fetch(endpoint + "?q=" + encodeURIComponent(query), {
            credentials: "same-origin",
            headers: { Accept: "application/json" },
            signal: controller.signal,
          });
          const type = response.headers.get("Content-Type") || "";
          // Signed out, the admin answers with its sign-in page: no list then.
          if (!response.ok || !type.startsWith("application/json")) {
            throw new Error(String(response.status));
          }
          const results = (await response.json()).results;
          cache.set(query, { at: Date.now(), results: results });
          if (current === sequence) {
            show(query, results);
          }
        } catch (error) {
          if (current === sequence) {
            close();
          }
        }
      }, WAIT_MS);
    }

    function option(entry, index) {
      const item = document.createElement("li");
      item.id = "note-complete-option-" + index;
      item.className = "note-complete-option";
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      const title = document.createElement("span");
      title.className = "note-complete-title";
      title.textContent = entry.title;
      const status = document.createElement("span");
      status.className = "note-complete-status";
      status.dataset.status = entry.status;
      status.textContent = words[entry.status] || entry.status;
      item.append(title, " ", status);
      if (entry.old_title) {
        const old = document.createElement("span");
        old.className = "note-complete-old";
        // A function, so a "$&" in the title is not read as a replacement pattern.
        old.textContent = words.old.replace("%(title)s", function () {
          return entry.old_title;
        });
        item.append(" ", old);
      }
      // Pressed, the list must not take the focus (and the caret) from the textarea.
      item.addEventListener("mousedown", function (event) {
        event.preventDefault();
      });
      item.addEventListener("click", function () {
        choose(index);
      });
      item.addEventListener("mousemove", function () {
        if (active !== index) {
          active = index;
          mark();
        }
      });
      return item;
    }

    function show(query, results) {
      shown = query;
      items = results;
      active = results.length ? 0 : -1;
      listbox.replaceChildren.apply(listbox, results.map(option));
      listbox.hidden = !results.length;
      empty.textContent = results.length ? "" : words.empty;
      popup.hidden = false;
      place();
      mark();
    }

    function mark() {
      listbox.querySelectorAll("[role=option]").forEach(function (item, index) {
        item.setAttribute("aria-selected", index === active ? "true" : "false");
      });
      const chosen = active >= 0 ? document.getElementById("note-complete-option-" + active) : null;
      if (chosen) {
        textarea.setAttribute("aria-activedescendant", chosen.id);
        // Scrolled within the list only (scrollIntoView could scroll the page as well).
        const bottom = chosen.offsetTop + chosen.offsetHeight;
        if (chosen.offsetTop < listbox.scrollTop) {
          listbox.scrollTop = chosen.offsetTop;
        } else if (bottom > listbox.scrollTop + listbox.clientHeight) {
          listbox.scrollTop = bottom - listbox.clientHeight;
        }
      } else {
        textarea.removeAttribute("aria-activedescendant");
      }
    }

    function place() {
      if (popup.hidden || !trigger) {
        return;
      }
      const box = textarea.getBoundingClientRect();
      const caret = window.notesAdmin.measureText(textarea, trigger.start, trigger.end);
      const lineTop = box.top + textarea.clientTop + caret.top - textarea.scrollTop;
      let x = box.left + textarea.clientLeft + caret.left - textarea.scrollLeft;
      // Under the line; kept within the textarea when that line has scrolled out of it.
      let y = Math.min(Math.max(lineTop + caret.height + 2, box.top), box.bottom);
      const width = popup.offsetWidth;
      const height = popup.offsetHeight;
      const view = document.documentElement;
      x = Math.max(4, Math.min(x, view.clientWidth - width - 4));
      if (y + height > view.clientHeight && lineTop - height - 2 >= 0) {
        y = lineTop - height - 2; // no room below: above the line
      }
      // From the viewport to the popup's containing block (the page, unless an ancestor is
      // positioned).
      const parent = popup.offsetParent;
      let originX = -window.scrollX;
      let originY = -window.scrollY;
      if (parent && parent !== document.body && parent !== document.documentElement) {
        const frame = parent.getBoundingClientRect();
        originX = frame.left + parent.clientLeft - parent.scrollLeft;
        originY = frame.top + parent.clientTop - parent.scrollTop;
      }
      popup.style.left = x - originX + "px";
      popup.style.top = y - originY + "px";
    }

    // Replaces start..end with the text as typing would: the undo history keeps it, and the
    // input event it fires tells the live preview and the autosave.
    function replace(start, end, text) {
      textarea.focus();
      textarea.setSelectionRange(start, end);
      let done = false;
      try {
        done = document.execCommand("insertText", false, text);
      } catch (error) {
        done = false;
      }
      if (!done) {
        textarea.setRangeText(text, start, end, "end");
        textarea.dispatchEvent(new Event("input", { bubbles: true }));
      }
    }

    function choose(index) {
      const entry = items[index];
      const found = currentTrigger();
      if (!entry || !found) {
        close();
        return;
      }
      // A title with a bracket or pipe cannot be written in a link: its slug can.
      const target = entry.link || entry.title;
      const rest = REST.exec(textarea.value.slice(found.end));
      let end = found.end;
      let text = "[[" + target + "]]";
      if (rest && rest[1] === "]]") {
        end += rest[0].length; // "[[扩|]]": the closing brackets are already there
      } else if (rest) {
        end += rest[0].length - rest[1].length; // "[[old|shown]]": the alias stays
        text = "[[" + target;
      }
      inserting = true;
      try {
        replace(found.start, end, text);
      } finally {
        inserting = false;
      }
      close();
    }

    textarea.addEventListener("keydown", function (event) {
      // Keys that pick a character in an input method belong to it.
      if (composing || event.isComposing || event.keyCode === 229) {
        return;
      }
      if (popup.hidden) {
        if (event.key === " " && event.ctrlKey && !event.altKey && !event.metaKey) {
          dismissed = -1;
          if (currentTrigger()) {
            event.preventDefault();
            update();
          }
        }
        return;
      }
      const count = items.length;
      const plain = !(event.shiftKey || event.altKey || event.ctrlKey || event.metaKey);
      if (event.key === "ArrowDown" && count && plain) {
        active = (active + 1) % count;
        mark();
      } else if (event.key === "ArrowUp" && count && plain) {
        active = (active - 1 + count) % count;
        mark();
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0 && plain) {
        choose(active);
      } else if (event.key === "Escape") {
        dismissed = trigger ? trigger.start : -1;
        close();
      } else {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
    });
    textarea.addEventListener("input", function (event) {
      if (!event.isComposing) {
        update();
      }
    });
    textarea.addEventListener("compositionstart", function () {
      composing = true;
      clearTimeout(timer);
    });
    textarea.addEventListener("compositionend", function () {
      composing = false;
      update(); // the committed characters: what was typed, at last
    });
    // The caret moved without typing (a click, the arrow keys the list leaves alone): an
    // open list follows it, or closes once it leaves the link; a closed one stays closed.
    function moved() {
      if (trigger) {
        update();
      }
    }
    textarea.addEventListener("click", moved);
    textarea.addEventListener("keyup", function (event) {
      const along = ["ArrowLeft", "ArrowRight", "Home", "End"];
      const across = ["ArrowUp", "ArrowDown", "PageUp", "PageDown"];
      if (along.includes(event.key) || (popup.hidden && across.includes(event.key))) {
        moved();
      }
    });
    textarea.addEventListener("blur", close);
    textarea.addEventListener("scroll", place);
    window.addEventListener("resize", place);
    popup.addEventListener("mousedown", function (event) {
      event.preventDefault(); // its scroll bar too: the textarea keeps the focus
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
