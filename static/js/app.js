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
  // A form being sent (POST) disables its submit buttons, so a double click cannot send it
  // twice; GET forms (filters, exports) are idempotent and left alone. They are disabled just after the browser has collected the form's data (a disabled
  // button's name/value would not be sent). Forms marked data-no-disable, forms opened in
  // another window and forms a script handles itself (htmx) are left alone; the buttons come
  // back when the page is shown again from the back/forward cache, or after 20 s (an answer
  // that was a download leaves the page in place).
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || form.method.toLowerCase() !== "post" || form.hasAttribute("data-no-disable") || (form.target && form.target !== "_self")) return;
    var buttons = form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
    window.setTimeout(function () { buttons.forEach(function (b) { setBusy(b, true); }); }, 0);
    window.setTimeout(function () { buttons.forEach(function (b) { setBusy(b, false); }); }, 20000);
  });
  function setBusy(button, busy) {
    button.disabled = busy;
    if (busy) button.setAttribute("aria-busy", "true"); else button.removeAttribute("aria-busy");
  }
  window.addEventListener("pageshow", function (e) {
    if (!e.persisted) return;
    document.querySelectorAll("button[aria-busy=true], input[aria-busy=true]").forEach(function (b) { setBusy(b, false); });
  });
})();
