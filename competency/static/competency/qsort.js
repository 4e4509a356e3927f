// The two-step Q-sort rater page (round_sort.html): live pile counts, then ordering each
// pile with keyboard-usable buttons; the server validates everything again.
(function () {
  document.body.classList.add("js");
  var sizes = JSON.parse(document.getElementById("qsort-sizes").textContent);
  var form = document.getElementById("qsort-form");
  var rows = Array.prototype.slice.call(form.querySelectorAll("tr[data-item]"));
  var step1 = document.getElementById("step-1"), step2 = document.getElementById("step-2");
  var next = document.getElementById("to-step-2");
  var lists = {};
  next.hidden = false;
  function pileOf(row) { return row.querySelector("select").value; }
  function rankInput(row) { return row.querySelector('input[type="number"]'); }
  function counts() {
    var c = {important: 0, neutral: 0, unimportant: 0};
    rows.forEach(function (r) { if (c.hasOwnProperty(pileOf(r))) { c[pileOf(r)] += 1; } });
    return c;
  }
  function showCounts() {
    var c = counts(), ok = true;
    Object.keys(sizes).forEach(function (pile) {
      var el = form.querySelector('[data-count="' + pile + '"]');
      el.querySelector(".n").textContent = c[pile];
      el.className = c[pile] === sizes[pile] ? "good" : "bad";
      if (c[pile] !== sizes[pile]) { ok = false; }
    });
    return ok;
  }
  function writeRanks() {
    Object.keys(lists).forEach(function (pile) {
      lists[pile].forEach(function (row, i) { rankInput(row).value = i + 1; });
    });
  }
  function render(focusRow, focusDir) {
    Object.keys(lists).forEach(function (pile) {
      var ol = form.querySelector('ol[data-pile="' + pile + '"]');
      ol.innerHTML = "";
      lists[pile].forEach(function (row, i) {
        var li = document.createElement("li");
        li.appendChild(document.createTextNode(row.dataset.name + " "));
        [["up", "▲", form.dataset.upLabel, -1], ["down", "▼", form.dataset.downLabel, 1]].forEach(function (spec) {
          var b = document.createElement("button");
          b.type = "button"; b.className = "secondary"; b.textContent = spec[1];
          b.setAttribute("aria-label", spec[2] + ": " + row.dataset.name);
          var j = i + spec[3];
          b.disabled = j < 0 || j >= lists[pile].length;
          b.addEventListener("click", function () {
            var list = lists[pile], tmp = list[i]; list[i] = list[j]; list[j] = tmp;
            writeRanks(); render(row, spec[0]);
          });
          li.appendChild(b);
          if (row === focusRow && spec[0] === focusDir) { setTimeout(function () { (b.disabled ? li.querySelector("button:not([disabled])") : b).focus(); }, 0); }
        });
        ol.appendChild(li);
      });
    });
  }
  rows.forEach(function (r) { r.querySelector("select").addEventListener("change", showCounts); });
  showCounts();
  next.addEventListener("click", function () {
    var err = document.getElementById("step-1-error");
    if (!showCounts()) { err.textContent = form.dataset.countError; return; }
    err.textContent = "";
    lists = {important: [], neutral: [], unimportant: []};
    rows.forEach(function (r) { lists[pileOf(r)].push(r); });
    Object.keys(lists).forEach(function (pile) {
      // Keep an earlier order (saved sort or typed ranks) where there is one.
      lists[pile].sort(function (a, b) {
        var ra = parseInt(rankInput(a).value, 10) || 1e9, rb = parseInt(rankInput(b).value, 10) || 1e9;
        return ra - rb || rows.indexOf(a) - rows.indexOf(b);
      });
    });
    writeRanks(); render();
    step1.querySelector("table").hidden = true; next.hidden = true; step2.hidden = false;
    step2.querySelector("button").focus();
  });
  document.getElementById("to-step-1").addEventListener("click", function () {
    step2.hidden = true; step1.querySelector("table").hidden = false; next.hidden = false; next.focus();
  });
})();
