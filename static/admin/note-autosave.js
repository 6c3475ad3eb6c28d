/*
 * An editor never loses text: the note form's title, short title, summary and body are kept
 * in this browser (localStorage) as they are typed, and offered back when the form opens
 * with something else in it: after a failed save, an expired session, a crash or a closed
 * tab. Leaving the form with unsaved changes asks first.
 *
 * The copy is keyed by the form's address (one per note, one for "add"). It is dropped once
 * the server holds the same text, or after a save the admin confirms with a success message.
 * Loaded as a static file on the note admin's pages: the site ships no inline scripts.
 */
(function () {
  "use strict";

  const PREFIX = "research-notes:autosave:";
  const SUBMITTED = "research-notes:autosave:submitted";
  const FIELDS = ["title", "short_title", "summary", "body"];

  function storage() {
    try {
      return window.localStorage;
    } catch (error) {
      return null; // storage disabled: the form still works, without the safety net
    }
  }

  function read(store, key) {
    try {
      return JSON.parse(store.getItem(key));
    } catch (error) {
      return null;
    }
  }

  // After a save, the admin lands on a page with a success message (the list, the form again,
  // or a blank "add" form): the copy of the form that was submitted is no longer needed.
  function forgetSavedCopy(store) {
    const submitted = window.sessionStorage.getItem(SUBMITTED);
    if (!submitted) {
      return;
    }
    if (document.querySelector(".messagelist .success")) {
      store.removeItem(submitted);
    }
    if (!document.querySelector(".errornote, .errorlist")) {
      window.sessionStorage.removeItem(SUBMITTED);
    }
  }

  function values(fields) {
    const result = {};
    for (const name in fields) {
      result[name] = fields[name].value;
    }
    return result;
  }

  function same(first, second) {
    return Object.keys(first).every(function (name) {
      return (first[name] || "") === (second[name] || "");
    });
  }

  function debounce(fn, wait) {
    let timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, wait);
    };
  }

  // The admin's words (data-messages on the body field), English if absent.
  let words = {
    kept:
      "This browser kept a version of this note that was not saved (%(time)s). " +
      "Restore it to continue where you left off, or discard it.",
    restore: "Restore unsaved text",
    discard: "Discard it",
  };

  function banner(saved, onRestore, onDiscard) {
    const box = document.createElement("div");
    box.className = "autosave-banner";
    box.setAttribute("role", "alert");
    const text = document.createElement("p");
    const when = new Date(saved.savedAt).toLocaleString();
    text.textContent = words.kept.replace("%(time)s", when);
    const restore = document.createElement("button");
    restore.type = "button";
    restore.className = "button default autosave-restore";
    restore.textContent = words.restore;
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "button autosave-discard";
    discard.textContent = words.discard;
    restore.addEventListener("click", function () {
      onRestore();
      box.remove();
    });
    discard.addEventListener("click", function () {
      onDiscard();
      box.remove();
    });
    box.append(text, restore, discard);
    return box;
  }

  function init() {
    const store = storage();
    if (!store) {
      return;
    }
    forgetSavedCopy(store);
    const form = document.getElementById("note_form");
    if (!form) {
      return; // the list page: only the clean-up above applies
    }
    const key = PREFIX + window.location.pathname;
    const body = form.elements.namedItem("body");
    if (body && body.dataset.messages) {
      try {
        words = Object.assign(words, JSON.parse(body.dataset.messages));
      } catch (error) {
        // keep the English words
      }
    }
    const fields = {};
    for (const name of FIELDS) {
      const field = form.elements.namedItem(name);
      if (field) {
        fields[name] = field;
      }
    }
    const initial = values(fields);
    // A form sent back with errors holds text the server does not have yet.
    const rejected = document.querySelector(".errornote") !== null;
    let submitting = false;
    // While the banner waits for an answer, the kept version is not overwritten by new typing.
    let pending = false;

    function save() {
      if (pending) {
        return;
      }
      const current = values(fields);
      if (same(current, initial) && !rejected) {
        store.removeItem(key);
        return;
      }
      try {
        store.setItem(key, JSON.stringify({ fields: current, savedAt: Date.now() }));
      } catch (error) {
        // Quota exceeded: nothing to do but keep the page's own unsaved-changes prompt.
      }
    }

    const saved = read(store, key);
    if (saved && saved.fields && !same(saved.fields, initial)) {
      pending = true;
      form.parentNode.insertBefore(
        banner(
          saved,
          function () {
            pending = false;
            for (const name in fields) {
              if (typeof saved.fields[name] === "string") {
                fields[name].value = saved.fields[name];
                // The live preview and the slug follow the restored text.
                fields[name].dispatchEvent(new Event("input", { bubbles: true }));
              }
            }
            save();
          },
          function () {
            pending = false;
            store.removeItem(key);
            save();
          }
        ),
        form
      );
    } else if (rejected) {
      save();
    } else if (saved) {
      store.removeItem(key); // the server already holds this text
    }

    const saveSoon = debounce(save, 500);
    for (const name in fields) {
      fields[name].addEventListener("input", saveSoon);
    }
    form.addEventListener("submit", function () {
      submitting = true;
      save();
      window.sessionStorage.setItem(SUBMITTED, key);
    });
    window.addEventListener("pagehide", save);
    window.addEventListener("beforeunload", function (event) {
      if (!submitting && (rejected || !same(values(fields), initial))) {
        event.preventDefault();
        event.returnValue = ""; // older browsers need it set to ask
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
