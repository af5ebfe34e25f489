// The pages' charts (dashboard, rule back-test, operator profile), drawn from the data the page
// embeds with json_script and the translated labels it carries as data-* attributes of
// #chart-labels: no inline script, so the pages' CSP allows scripts from this site only.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof Chart === "undefined") return;
  const labels = (document.getElementById("chart-labels") || {dataset: {}}).dataset;
  const byId = (id) => document.getElementById(id);
  const base = {animation: false, maintainAspectRatio: false};

  const dashboard = byId("volume-chart") && byId("chart-data");
  if (dashboard) {
    const data = JSON.parse(JSON.parse(byId("chart-data").textContent));
    // Each bar opens the list of consignments behind it (the all-consignments list's facets).
    const tiles = byId("kpi-tiles");
    const listBase = tiles ? tiles.dataset.list : null;
    const opens = (query) => listBase ? Object.assign({
      onClick: (e, els) => { if (els.length) { const q = query(els[0].index); if (q !== null) window.location = listBase + q; } },
      onHover: (e, els) => { e.native.target.style.cursor = els.length ? "pointer" : "default"; }}, base) : base;
    new Chart(byId("volume-chart"), {type: "bar", data: {labels: data.days, datasets: [{label: labels.declarations, data: data.volume, backgroundColor: "#0b5cad"}]}, options: Object.assign({plugins: {legend: {display: false}}}, opens((i) => "&received_from=" + data.days[i] + "&received_to=" + data.days[i]))});
    new Chart(byId("mix-chart"), {type: "bar", data: {labels: data.channels, datasets: [
      {label: labels.share, data: data.mix, backgroundColor: data.colours},
      {label: labels.target, data: data.targets, backgroundColor: "#12263f55", borderColor: "#12263f", borderWidth: 1}]}, options: opens((i) => "&channel=" + data.channel_codes[i])});
    new Chart(byId("release-chart"), {type: "bar", data: {labels: data.release.labels, datasets: [
      {label: labels.median, data: data.release.p50, backgroundColor: "#0b5cad"},
      {label: labels.p90, data: data.release.p90, backgroundColor: "#f9a825"}]}, options: opens((i) => "&status=released" + (data.release.codes[i] ? "&channel=" + data.release.codes[i] : ""))});
    new Chart(byId("revenue-chart"), {type: "bar", data: {labels: data.revenue_models, datasets: [
      {label: labels.assessed, data: data.revenue_assessed, backgroundColor: "#0b5cad"},
      {label: labels.collected, data: data.revenue_collected, backgroundColor: "#2e7d32"},
      {label: labels.precollected, data: data.revenue_pre, backgroundColor: "#f9a825"}]}, options: opens(() => "")});
    return;
  }

  const backtest = byId("mix-chart") && byId("chart-data");
  if (backtest) {
    const data = JSON.parse(JSON.parse(byId("chart-data").textContent));
    if (!data) return;
    new Chart(byId("mix-chart"), {type: "bar", data: {labels: data.channels, datasets: [
      {label: labels.now, data: data.current, backgroundColor: "#12263f55"},
      {label: labels.draft, data: data.draft, backgroundColor: data.colours},
      {label: labels.target, data: data.target, backgroundColor: "#ffffff", borderColor: "#12263f", borderWidth: 1}]},
      options: base});
    return;
  }

  if (byId("profile-chart") && byId("profile-data")) {
    const data = JSON.parse(byId("profile-data").textContent);
    new Chart(byId("profile-chart"), {data: {labels: data.labels, datasets: [
      {type: "bar", label: labels.declarations, data: data.declarations, backgroundColor: "#0b5cad", yAxisID: "y"},
      {type: "line", label: labels.dq, data: data.dq, borderColor: "#f9a825", yAxisID: "dq", spanGaps: true}]},
      options: Object.assign({scales: {y: {beginAtZero: true}, dq: {position: "right", min: 0, max: 100}}}, base)});
  }
});
