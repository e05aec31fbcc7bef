// Open and close <dialog> elements from buttons: data-opens="id" shows it as a modal, data-closes
// closes it. Browsers that support invoker commands (commandfor/command) do this themselves.
document.addEventListener("click", function (event) {
  if ("commandForElement" in HTMLButtonElement.prototype) return;
  var button = event.target.closest("button[data-opens], button[data-closes]");
  if (!button) return;
  var dialog = document.getElementById(button.dataset.opens || button.dataset.closes);
  if (!dialog) return;
  if (button.dataset.opens && !dialog.open) dialog.showModal();
  if (button.dataset.closes) dialog.close();
});
