// Draws a region's daily new confirmed cases from the API with the vendored ECharts.
(function () {
  var el = document.getElementById("daily-chart");
  if (!el) return;
  var url = "/api/v1/regions/" + el.dataset.region + "/daily?from=" + el.dataset.from +
            "&to=" + el.dataset.to + "&limit=5000";
  fetch(url).then(function (r) { return r.json(); }).then(function (page) {
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 50, right: 16, top: 24, bottom: 40 },
      xAxis: { type: "category", data: page.items.map(function (d) { return d.report_date; }) },
      yAxis: { type: "value", name: "cases" },
      series: [{ name: "新增确诊 new confirmed", type: "bar",
                 data: page.items.map(function (d) { return d.new_confirmed; }) }]
    });
    el.dataset.rendered = String(page.items.length);
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
