// Mapping rows on the integration form: add a row and move rows up or down.
// Without JavaScript the form still works: one blank row and editable order numbers.
document.addEventListener("DOMContentLoaded", function () {
  var rows = document.getElementById("mapping-rows");
  var template = document.getElementById("mapping-template");
  var add = document.getElementById("add-mapping");
  var total = document.getElementById("id_mappings-TOTAL_FORMS");
  if (!rows || !template || !add || !total) return;

  function renumber() {
    rows.querySelectorAll("tr.mapping-row").forEach(function (row, index) {
      var order = row.querySelector("input[name$='-ORDER']");
      if (order) order.value = index + 1;
    });
  }
  function reveal(scope) {
    scope.querySelectorAll("button[hidden]").forEach(function (b) { b.hidden = false; });
  }

  add.hidden = false;
  reveal(rows);
  add.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/(mapping) new/gi, "$1 " + (index + 1));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var added = rows.lastElementChild;
    reveal(added);
    renumber();
    added.querySelector("input[name$='-source']").focus();
  });
  rows.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) return;
    var row = button.closest("tr");
    if (button.classList.contains("move-up") && row.previousElementSibling) {
      rows.insertBefore(row, row.previousElementSibling);
    } else if (button.classList.contains("move-down") && row.nextElementSibling) {
      rows.insertBefore(row.nextElementSibling, row);
    } else {
      return;
    }
    renumber();
    button.focus();
  });
});
