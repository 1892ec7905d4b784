/* Bureau charts: turn each <figure data-chart="{json}"> into an ECharts chart, with the
   title and axis names the server-drawn SVG has (that SVG stays as the picture when scripts
   are off or fail). */
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var PALETTE = ["#1d6b3a", "#c0781a", "#2f6fb0", "#a3211b", "#6b4fa0", "#4a8f8c", "#8a6d3b",
    "#5a5a5a", "#b0487a"];

  var MUTED = "#4a524e";

  function title(spec) {
    return { text: spec.title || "", left: 0, top: 0,
      textStyle: { fontSize: 14, fontWeight: "bold", color: "#1b1f1d" } };
  }

  function axisName(text, location) {
    return { name: text || "", nameLocation: location, nameTextStyle: { color: MUTED },
      nameGap: location === "middle" ? 28 : 12 };
  }

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
    var xAxis = axisName(spec.x_label, "middle");
    xAxis.type = "category";
    xAxis.data = spec.labels;
    var yAxis = axisName(spec.y_label, "end");
    yAxis.type = "value";
    yAxis.minInterval = 1;
    yAxis.nameTextStyle.align = "left";
    return {
      color: PALETTE,
      title: title(spec),
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 40, right: 12, top: 56, bottom: 76 },
      xAxis: xAxis,
      yAxis: yAxis,
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
    var xAxis = axisName(spec.x_label, "middle");
    xAxis.type = "category";
    xAxis.data = hours;
    xAxis.splitArea = { show: true };
    var yAxis = axisName(spec.y_label, "end");
    yAxis.type = "category";
    yAxis.data = spec.rows;
    yAxis.inverse = true;
    yAxis.nameLocation = "start";  /* above the first row: the axis is inverted */
    return {
      title: title(spec),
      tooltip: { position: "top" },
      grid: { left: 48, right: 12, top: 56, bottom: 104 },
      xAxis: xAxis,
      yAxis: yAxis,
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
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", spec.title || "");
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
