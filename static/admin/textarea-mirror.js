/*
 * Where a textarea draws its text, for the note form's scripts: the [[ completion list opens
 * under the caret's line (note-complete.js), and a warning's line is scrolled into view
 * (note-preview.js). Browsers tell neither, so the text is laid out again in a hidden element
 * with the textarea's fonts, padding and wrapping width, with markers in it.
 */
(function () {
  "use strict";

  // What decides where the textarea's text wraps, copied to the mirror that measures it.
  const MIRRORED = [
    "direction", "font-family", "font-size", "font-style", "font-variant", "font-weight",
    "font-stretch", "font-size-adjust", "font-feature-settings", "font-kerning", "line-height",
    "letter-spacing", "word-spacing", "text-transform", "text-indent", "text-align", "tab-size",
    "white-space", "word-break", "overflow-wrap", "padding-top", "padding-right",
    "padding-bottom", "padding-left",
  ];
  let mirror = null;

  // The text from `start` to `end` as the textarea draws it, from the top left of its
  // scrolled content: the left of `start` (of `end` when the text wraps in between), the top
  // and height of the line `end` is on.
  function measure(textarea, start, end) {
    if (!mirror) {
      mirror = document.createElement("div");
      mirror.className = "textarea-mirror";
      mirror.setAttribute("aria-hidden", "true");
      document.body.append(mirror);
    }
    const style = window.getComputedStyle(textarea);
    for (const name of MIRRORED) {
      mirror.style.setProperty(name, style.getPropertyValue(name));
    }
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    // The content box without the scrollbar: where the lines wrap.
    mirror.style.setProperty("width", textarea.clientWidth - padding + "px");
    const first = document.createElement("span");
    const last = document.createElement("span");
    first.textContent = last.textContent = "\u200b";
    mirror.replaceChildren(
      textarea.value.slice(0, start),
      first,
      textarea.value.slice(start, end),
      last
    );
    const position = {
      left: first.offsetTop === last.offsetTop ? first.offsetLeft : last.offsetLeft,
      top: last.offsetTop,
      height: last.offsetHeight,
    };
    mirror.replaceChildren();
    return position;
  }

  window.notesAdmin = Object.assign(window.notesAdmin || {}, { measureText: measure });
})();
