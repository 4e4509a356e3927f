// Behaviour shared by every page (loaded by templates/base.html; no inline scripts: the
// Content-Security-Policy allows scripts from our own origin only).
(function () {
  "use strict";
  // One open menu at a time; Escape or a click elsewhere closes it.
  document.addEventListener("click", function (e) {
    document.querySelectorAll(".mainnav details[open]").forEach(function (d) {
      if (!d.contains(e.target)) d.removeAttribute("open");
    });
    var printer = e.target.closest("[data-print]");
    if (printer) window.print();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      document.querySelectorAll(".mainnav details[open]").forEach(function (d) { d.removeAttribute("open"); });
    }
  });
  // Selects marked data-autosubmit submit their form on change (the language switch);
  // a <noscript> button does it without JavaScript.
  document.addEventListener("change", function (e) {
    if (e.target.matches("select[data-autosubmit]")) e.target.form.submit();
  });
})();
