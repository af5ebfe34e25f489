// Keyboard triage: j/k or arrows move the selection, Enter opens the consignment, "/" jumps to the
// filters, "n" loads the next page. The selection survives htmx swaps of the rows.
(function () {
  function rows() { return Array.from(document.querySelectorAll("tr[data-href]")); }
  let index = -1;
  function select(i) {
    const all = rows(); if (!all.length) return;
    index = Math.max(0, Math.min(all.length - 1, i));
    all.forEach((r, j) => r.classList.toggle("selected", j === index));
    all[index].focus();
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName)) {
      if (e.key === "Escape") document.activeElement.blur();
      return;
    }
    if (e.key === "j" || e.key === "ArrowDown") { select(index + 1); e.preventDefault(); }
    else if (e.key === "k" || e.key === "ArrowUp") { select(index - 1); e.preventDefault(); }
    else if (e.key === "Enter" && index >= 0) { window.location = rows()[index].dataset.href; }
    else if (e.key === "/") {
      const first = document.querySelector("#queue-filters select, #queue-filters input");
      if (first) { first.focus(); e.preventDefault(); }
    } else if (e.key === "n") {
      const more = document.getElementById("next-page");
      if (more) { more.click(); e.preventDefault(); }
    }
  });
  document.addEventListener("focusin", function (e) {
    const tr = e.target.closest && e.target.closest("tr[data-href]");
    if (tr) { index = rows().indexOf(tr); rows().forEach((r) => r.classList.toggle("selected", r === tr)); }
  });
  document.addEventListener("click", function (e) {
    const tr = e.target.closest("tr[data-href]");
    if (tr && !e.target.closest("a,button,input,label,select")) window.location = tr.dataset.href;
  });
})();
