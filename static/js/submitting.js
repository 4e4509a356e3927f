// A plain form being sent (POST) shows it: its submit buttons are disabled (a second click
// cannot send it twice), marked aria-busy, and the button used reads "Submitting…" (the
// translated label comes from this script's data-label, set by templates/base.html: the
// Content-Security-Policy allows no inline script). GET forms (filters, exports) are
// idempotent and left alone, and so are forms marked data-no-disable, forms opened in
// another window and forms handled by a script: htmx forms (hx-post…, whose requests
// disable their own elements with hx-disabled-elt) and any form whose submit a handler
// cancelled (the exam's unanswered-question check). The buttons come back when the page is
// shown again from the back/forward cache, or after 20 s (an answer that was a download
// leaves the page in place).
(function () {
  "use strict";
  var script = document.currentScript;
  var label = (script && script.getAttribute("data-label")) || "Submitting…";
  var HTMX = ["hx-post", "hx-get", "hx-put", "hx-patch", "hx-delete"];
  var saved = new WeakMap(); // button → its own content, put back when it is re-enabled

  function handledByHtmx(form) {
    return HTMX.some(function (name) { return form.hasAttribute(name) || form.hasAttribute("data-" + name); });
  }

  function setBusy(button, busy, showLabel) {
    button.disabled = busy;
    if (busy) {
      button.setAttribute("aria-busy", "true");
      if (showLabel && !saved.has(button)) {
        saved.set(button, button.tagName === "INPUT" ? button.value : button.innerHTML);
        if (button.tagName === "INPUT") button.value = label; else button.textContent = label;
      }
    } else {
      button.removeAttribute("aria-busy");
      if (saved.has(button)) {
        if (button.tagName === "INPUT") button.value = saved.get(button); else button.innerHTML = saved.get(button);
        saved.delete(button);
      }
    }
  }

  function release(form) {
    form.removeAttribute("aria-busy");
    form.querySelectorAll("[aria-busy=true]").forEach(function (b) { setBusy(b, false); });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    var target = form.getAttribute("target");
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post" || form.hasAttribute("data-no-disable")
        || handledByHtmx(form) || (target && target !== "_self")) return;
    var submitter = e.submitter;
    // After every other handler had its say and the browser collected the form's data (a
    // disabled button's name/value would not be sent).
    window.setTimeout(function () {
      if (e.defaultPrevented) return;
      var buttons = Array.prototype.slice.call(
        form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]"));
      if (!buttons.length) return;
      var shown = buttons.indexOf(submitter) >= 0 ? submitter : buttons[0];
      form.setAttribute("aria-busy", "true");
      buttons.forEach(function (b) { setBusy(b, true, b === shown); });
      window.setTimeout(function () { release(form); }, 20000);
    }, 0);
  });

  window.addEventListener("pageshow", function (e) {
    if (!e.persisted) return;
    document.querySelectorAll("form[aria-busy=true]").forEach(release);
  });
})();
