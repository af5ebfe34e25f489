// The language menu submits itself when changed (no inline handler: the pages' CSP allows
// scripts from this site only).
document.addEventListener("DOMContentLoaded", function () {
  const select = document.getElementById("lang");
  if (select) select.addEventListener("change", function () { select.form.submit(); });
});
