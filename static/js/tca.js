// TCA pages: draw the server's plotly figures (json_script "tca-charts") in the app's dark theme.
(function () {
  const source = document.getElementById("tca-charts");
  if (!source || !window.Plotly) return;
  const dark = {
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: "#c9d1d9", size: 11 },
    legend: { orientation: "h", y: -0.2 },
  };
  const axis = { gridcolor: "#30363d", zerolinecolor: "#8b949e" };
  for (const [name, figure] of Object.entries(JSON.parse(source.textContent))) {
    const el = document.getElementById("chart-" + name);
    if (!el) continue;
    // the card grows to the figure's own height: a taller figure would print over the next card
    if (figure.layout.height) el.style.height = figure.layout.height + "px";
    const layout = Object.assign({}, figure.layout, dark);
    layout.legend = Object.assign({}, dark.legend, figure.layout.legend);
    layout.title = Object.assign({}, figure.layout.title, { font: { size: 13 } });
    layout.xaxis = Object.assign({}, figure.layout.xaxis, axis);
    layout.yaxis = Object.assign({}, figure.layout.yaxis, axis);
    Plotly.newPlot(el, figure.data, layout, { displayModeBar: false, responsive: true });
  }
})();
