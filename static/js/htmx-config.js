// How htmx answers are handled on every page (loaded after htmx by templates/base.html; the
// settings that must hold before htmx starts are in the <meta name="htmx-config"> tag).
(function () {
  "use strict";
  if (!window.htmx) return;

  // A refused action (bad input, not allowed, already rated …) comes back as a 4xx fragment
  // with its message: show it in place of the widget like a success. A whole error page
  // (e.g. the 403 or 404 page) or a 5xx is not swapped into the widget; a message says the
  // request failed instead, so nothing fails silently.
  function isFragment(xhr) {
    var text = xhr.responseText || "";
    return text.length > 0 && !/^\s*<!doctype|<html[\s>]/i.test(text.slice(0, 500));
  }

  function announce(elt) {
    var region = document.getElementById("flash");
    if (!region) {
      region = document.createElement("div");
      region.id = "flash";
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      var main = document.getElementById("main") || document.body;
      main.insertBefore(region, main.firstChild);
    }
    var message = document.createElement("p");
    message.className = "message error";
    message.textContent = document.body.dataset.htmxFailed || "The request failed.";
    region.replaceChildren(message);
  }

  document.addEventListener("htmx:beforeSwap", function (e) {
    var status = e.detail.xhr.status;
    if (status >= 400 && status < 500 && isFragment(e.detail.xhr)) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  document.addEventListener("htmx:responseError", function (e) { announce(e.target); });
  document.addEventListener("htmx:sendError", function (e) { announce(e.target); });

  // Live search waits for a few characters (data-live-min-chars on the form): typing the first
  // one does not search the whole knowledge base. Emptying the box, pressing Enter or
  // changing the category always asks.
  document.addEventListener("htmx:confirm", function (e) {
    var form = e.detail.elt;
    var min = parseInt(form.getAttribute && form.getAttribute("data-live-min-chars"), 10);
    var trigger = e.detail.triggeringEvent;
    if (!min || !trigger || trigger.type !== "input") return;
    var box = form.querySelector("input[name=q]");
    var length = box ? box.value.trim().length : 0;
    if (length > 0 && length < min) e.preventDefault();
  });
})();
