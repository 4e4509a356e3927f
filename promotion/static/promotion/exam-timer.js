// The exam page's countdown (the server enforces the deadline; this only shows it) and the
// warning about unanswered questions before the answers are sent.
(function () {
  "use strict";
  var el = document.getElementById("timer");
  if (el) {
    var left = parseInt(el.dataset.seconds, 10);
    var show = function () { el.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0"); };
    show();
    setInterval(function () { left = Math.max(left - 1, 0); show(); }, 1000);
  }
  var form = document.getElementById("exam-form");
  var warning = document.getElementById("unanswered-warning");
  if (!form || !warning) return;
  var warnedFor = null;
  // First press with unanswered questions: say which, and stay. A second press with the same
  // questions unanswered submits (leaving a question blank is allowed; it counts as wrong).
  form.addEventListener("submit", function (e) {
    if (e.submitter && e.submitter.hasAttribute("data-save-only")) return;  // saving is not submitting
    var missing = [];
    form.querySelectorAll("fieldset").forEach(function (fieldset, index) {
      if (fieldset.querySelector("input[type=radio]") && !fieldset.querySelector("input[type=radio]:checked")) {
        missing.push(index + 1);
      }
    });
    var key = missing.join(",");
    if (missing.length === 0 || key === warnedFor) return;
    e.preventDefault();
    warnedFor = key;
    var template = missing.length === 1 ? form.dataset.unansweredOne : form.dataset.unansweredMany;
    warning.textContent = template.replace("{numbers}", missing.join(", "));
    warning.hidden = false;
    warning.scrollIntoView({block: "center"});
  });
})();
