// The workbench's charts, drawn with the vendored Chart.js (static/vendor/chartjs/) from the
// figures each panel puts in a json_script block. No inline script or style: Chart.js sizes
// the canvas through the CSSOM, which the Content-Security-Policy allows. Each chart's table
// holds the same figures; it stays visible without script and becomes visually hidden (still
// read by screen readers) once the chart is drawn.
//   window.ggzyCharts.drawIn(root)     draws every chart under root not drawn yet
//   window.ggzyCharts.destroyIn(root)  frees the charts under root (before htmx swaps it)
(function () {
  const COLOURS = ["#b3261e", "#1f7a4d", "#a15c07", "#3e4c59", "#2b6cb0", "#7b3fa0"];

  function draw(canvas) {
    if (!window.Chart || canvas.dataset.drawn) return;
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const figures = JSON.parse(source.textContent);
    const box = canvas.parentElement;
    box.hidden = false;
    new window.Chart(canvas, {
      type: figures.kind === "line" ? "line" : "bar",
      data: {
        labels: figures.labels,
        datasets: figures.series.map((series, index) => ({
          label: series.label,
          data: series.values,
          backgroundColor: COLOURS[index % COLOURS.length],
          borderColor: COLOURS[index % COLOURS.length],
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: figures.series.length > 1 } },
        scales: {
          x: { stacked: figures.stacked },
          y: { stacked: figures.stacked, beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
    canvas.dataset.drawn = "yes";
    const table = document.getElementById(canvas.dataset.table);
    if (table) table.classList.add("visually-hidden");
  }

  function drawIn(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  function destroyIn(root) {
    if (!window.Chart || !root) return;
    root.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const chart = window.Chart.getChart(canvas);
      if (chart) chart.destroy();
    });
  }

  window.ggzyCharts = { drawIn, destroyIn };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => drawIn(document));
  } else {
    drawIn(document);
  }
})();
