/* Draws the report charts from the JSON the server embedded in the page (no inline script, so the
   Content-Security-Policy can forbid them). Without JavaScript the tables below carry the same figures. */
(function () {
  "use strict";
  var source = document.getElementById("report-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var ink = "#1f2a37", grid = "#e5e9f0";
  var palette = { blue: "#2f6fde", teal: "#14a39a", amber: "#e8a33d", red: "#d9534f", slate: "#8a97ab", violet: "#7b61d6" };
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = ink;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;

  function axis(title) {
    return { grid: { color: grid }, beginAtZero: true, title: { display: !!title, text: title || "" } };
  }
  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { new Chart(canvas, config); }
  }

  draw("chart-legs", {
    type: "bar",
    data: { labels: data.legs.labels, datasets: [{ label: "mean days", data: data.legs.mean, backgroundColor: palette.blue, borderRadius: 4 }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: axis("days"), y: { grid: { display: false } } } }
  });
  draw("chart-stages", {
    type: "doughnut",
    data: { labels: data.stages.labels, datasets: [{ data: data.stages.counts, borderWidth: 2,
      backgroundColor: [palette.slate, palette.violet, palette.blue, palette.amber, palette.teal] }] },
    options: { cutout: "62%", plugins: { legend: { position: "right" } } }
  });
  draw("chart-carriers", {
    type: "bar",
    data: { labels: data.carriers.labels, datasets: [
      { label: "on time", data: data.carriers.on_time, backgroundColor: palette.teal, borderRadius: 4 },
      { label: "late", data: data.carriers.late, backgroundColor: palette.red, borderRadius: 4 }
    ] },
    options: { scales: { x: { stacked: true, grid: { display: false } }, y: Object.assign(axis("shipped orders"), { stacked: true }) } }
  });
  draw("chart-warehouses", {
    type: "bar",
    data: { labels: data.warehouses.labels, datasets: [
      { label: "orders", data: data.warehouses.orders, backgroundColor: palette.blue, borderRadius: 4, yAxisID: "y" },
      { label: "mean days to ship", data: data.warehouses.days, type: "line", showLine: false, pointRadius: 5,
        pointStyle: "rectRot", borderColor: palette.amber, backgroundColor: palette.amber, yAxisID: "days" }
    ] },
    options: { scales: { x: { grid: { display: false } }, y: axis("orders"),
      days: Object.assign(axis("days"), { position: "right", grid: { display: false } }) } }
  });
})();
