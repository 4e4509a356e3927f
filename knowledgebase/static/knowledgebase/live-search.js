// Results as you type: re-fetch the server-rendered result list ~200 ms after the last key.
(function () {
  document.querySelectorAll("form[data-live-search]").forEach(function (form) {
    var target = document.getElementById(form.getAttribute("data-live-search"));
    var input = form.querySelector("input[name=q]");
    var timer = null, seq = 0;
    function run() {
      var params = new URLSearchParams(new FormData(form));
      params.set("partial", "1");
      var mine = ++seq;
      fetch(form.getAttribute("action") + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null && mine === seq) { target.innerHTML = html; } });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 200); });
    form.querySelectorAll("select").forEach(function (s) { s.addEventListener("change", run); });
  });
})();
