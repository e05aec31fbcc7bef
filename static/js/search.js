// "/" focuses the search box in the header, unless the user is typing in a field.
// Loaded as a file (no inline script), so the Content-Security-Policy stays script-src 'self'.
document.addEventListener("keydown", function (event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  var target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  var box = document.getElementById("site-search-q");
  if (!box) return;
  event.preventDefault();
  box.focus();
  box.select();
});
