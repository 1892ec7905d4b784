/* Bureau charts: turn each <figure data-chart="{json}"> into an ECharts chart.
   The server-drawn SVG inside stays as the picture when scripts are off or fail. */
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var PALETTE = ["#1d6b3a", "#c0781a", "#2f6fb0", "#a3211b", "#6b4fa0", "#4a8f8c", "#8a6d3b",
    "#5a5a5a", "#b0487a"];

  function barsOrLines(spec, kind) {
    var series = spec.series.map(function (one, index) {
      var item = { name: one.name, type: kind, data: one.values, stack: spec.stacked ? "all" : undefined,
        showSymbol: false, itemStyle: { color: PALETTE[index % PALETTE.length] } };
      if (index === 0 && spec.marker !== null && spec.marker !== undefined) {
        item.markLine = { symbol: "none", label: { formatter: spec.marker_label || "" },
          lineStyle: { color: "#a3211b", type: "dashed" },
          data: [{ xAxis: spec.labels[spec.marker] }] };
      }
      return item;
    });
    return {
      color: PALETTE,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 40, right: 12, top: 16, bottom: 56 },
      xAxis: { type: "category", data: spec.labels },
      yAxis: { type: "value", minInterval: 1 },
      series: series
    };
  }

  function heatmap(spec) {
    var data = [];
    var peak = 0;
    spec.grid.forEach(function (row, r) {
      row.forEach(function (value, hour) { data.push([hour, r, value]); peak = Math.max(peak, value); });
    });
    var hours = [];
    for (var h = 0; h < 24; h += 1) { hours.push(String(h)); }
    return {
      tooltip: { position: "top" },
      grid: { left: 48, right: 12, top: 8, bottom: 64 },
      xAxis: { type: "category", data: hours, splitArea: { show: true } },
      yAxis: { type: "category", data: spec.rows, inverse: true },
      visualMap: { min: 0, max: peak || 1, orient: "horizontal", left: "center", bottom: 0,
        calculable: true, inRange: { color: ["#f0f5f0", "#1d6b3a"] } },
      series: [{ type: "heatmap", data: data }]
    };
  }

  function draw(figure) {
    var spec;
    try { spec = JSON.parse(figure.getAttribute("data-chart")); } catch (error) { return; }
    var box = document.createElement("div");
    box.className = "chart";
    figure.insertBefore(box, figure.firstChild);
    var option = spec.type === "heatmap" ? heatmap(spec)
      : barsOrLines(spec, spec.type === "lines" ? "line" : "bar");
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption(option);
    var fallback = figure.querySelector(".chart-fallback");
    if (fallback) { fallback.hidden = true; }
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.querySelectorAll("figure[data-chart]").forEach(draw);
}());
