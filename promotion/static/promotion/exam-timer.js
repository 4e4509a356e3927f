// The exam page's countdown (the server enforces the deadline; this only shows it).
(function () {
  "use strict";
  var el = document.getElementById("timer");
  if (!el) return;
  var left = parseInt(el.dataset.seconds, 10);
  function show() { el.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0"); }
  show();
  setInterval(function () { left = Math.max(left - 1, 0); show(); }, 1000);
})();
