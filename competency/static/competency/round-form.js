// Q-sort round form: live check that the pile sizes add up to the chosen items.
(function () {
  // Live check that the three pile sizes add up to the number of chosen items.
  var form = document.getElementById("round-form");
  var out = document.getElementById("pile-sum");
  function update() {
    var items = form.querySelectorAll('input[name="items"]:checked').length;
    var sum = ["important_count", "neutral_count", "unimportant_count"].reduce(function (acc, name) {
      return acc + (parseInt(form.elements[name].value, 10) || 0);
    }, 0);
    out.textContent = out.dataset.itemsLabel + ": " + items + " · " + out.dataset.sumLabel + ": " + sum;
    out.classList.toggle("bad", items !== sum);
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
