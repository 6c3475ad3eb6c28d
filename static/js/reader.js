// Reading comforts, all optional: the page works fully without them.
(function () {
  "use strict";
  var root = document.documentElement;
  var messages = JSON.parse(document.body.dataset.messages || "{}");
  var say = function (key, fallback) { return messages[key] || fallback; };

  // Theme switch: remembered per browser; "dark" or "light" overrides the system.
  var toggle = document.querySelector(".theme-toggle");
  if (toggle) {
    var isDark = function () {
      return root.dataset.theme ? root.dataset.theme === "dark"
        : window.matchMedia("(prefers-color-scheme: dark)").matches;
    };
    var label = function () {
      toggle.setAttribute("aria-pressed", String(isDark()));
      toggle.textContent = isDark() ? say("light", "Light") : say("dark", "Dark");
    };
    toggle.hidden = false;
    label();
    toggle.addEventListener("click", function () {
      root.dataset.theme = isDark() ? "light" : "dark";
      try { localStorage.setItem("theme", root.dataset.theme); } catch (error) { /* not kept */ }
      label();
    });
  }

  // Copy buttons on code blocks.
  document.querySelectorAll(".prose .highlight, .cite-box .highlight").forEach(function (block) {
    var code = block.querySelector("code");
    if (!code || !navigator.clipboard) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = say("copy", "Copy");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(code.innerText).then(function () {
        button.textContent = say("copied", "Copied");
        setTimeout(function () { button.textContent = say("copy", "Copy"); }, 2000);
      });
    });
    block.appendChild(button);
  });

  // Heading anchors to copy: a link to each section of the note.
  document.querySelectorAll(".prose h2[id], .prose h3[id], .prose h4[id]").forEach(function (heading) {
    var anchor = document.createElement("a");
    anchor.className = "heading-anchor";
    anchor.href = "#" + encodeURIComponent(heading.id);
    anchor.setAttribute("aria-label", say("anchor", "Link to this section"));
    anchor.textContent = "#";
    heading.appendChild(anchor);
  });

  // Footnotes on hover and focus: the note's text as the reference's tooltip.
  document.querySelectorAll(".prose a.footnote-ref").forEach(function (ref) {
    var note = document.getElementById(decodeURIComponent(ref.hash.slice(1)));
    if (note) ref.title = note.textContent.replace(/↩\s*$/, "").trim();
  });

  // The table of contents marks the section being read.
  var toc = document.querySelector(".toc");
  if (toc && "IntersectionObserver" in window) {
    var links = {};
    toc.querySelectorAll("a[href^='#']").forEach(function (link) {
      links[decodeURIComponent(link.hash.slice(1))] = link;
    });
    var current = null;
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting || !links[entry.target.id]) return;
        if (current) current.removeAttribute("aria-current");
        current = links[entry.target.id];
        current.setAttribute("aria-current", "location");
      });
    }, { rootMargin: "0px 0px -70% 0px" });
    Object.keys(links).forEach(function (id) {
      var heading = document.getElementById(id);
      if (heading) observer.observe(heading);
    });
  }
})();
