/*
 * Ctrl+S (Cmd+S on a Mac) in the note form saves and continues editing: it clicks the form's
 * "Save and continue editing" button, as the editor would, instead of opening the browser's
 * "Save page as" dialog. The form's help next to the save buttons names the shortcut.
 * Loaded as a static file on the note admin's pages: the site ships no inline scripts.
 */
(function () {
  "use strict";

  function isSaveKey(event) {
    const key = (event.key || "").toLowerCase();
    return (
      (event.ctrlKey || event.metaKey) &&
      !event.altKey &&
      !event.shiftKey &&
      (key === "s" || event.code === "KeyS")
    );
  }

  function init() {
    const form = document.getElementById("note_form");
    const button = form && form.querySelector("input[name=_continue]");
    if (!button) {
      return; // not the note form, or an editor who may only view it
    }
    button.setAttribute("aria-keyshortcuts", "Control+S Meta+S");
    let submitting = false;
    form.addEventListener("submit", function () {
      submitting = true;
    });
    // Back from the browser's cache (the back button): the form may be sent again.
    window.addEventListener("pageshow", function () {
      submitting = false;
    });
    document.addEventListener("keydown", function (event) {
      if (!isSaveKey(event) || event.isComposing) {
        return;
      }
      event.preventDefault();
      // A held key repeats, an impatient one presses again: the form goes once.
      if (submitting || event.repeat || button.disabled) {
        return;
      }
      // A click, not form.submit(): the submit event reaches the autosave script, and the
      // button's name tells the admin to come back to the form.
      button.click();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
