// The reader's chosen theme, applied before the page is painted (a file, not an inline
// script: the CSP allows scripts from this site only). No choice: the system's theme.
(function () {
  try {
    var theme = localStorage.getItem("theme");
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  } catch (error) {
    /* storage blocked: follow the system */
  }
})();
