// Risk zoning map: provinces coloured by their level under the chosen rule set.
(function () {
  "use strict";
  var el = document.getElementById("risk-map");
  if (!el) return;
  var items = FK.data(el, "items") || [];
  var levels = FK.data(el, "levels") || [];
  var COLORS = ["#12b76a", "#fdb022", "#f04438", "#912018"];
  fetch(el.dataset.mapUrl).then(function (r) { return r.json(); }).then(function (geo) {
    echarts.registerMap("china", geo);
    var names = {};
    items.forEach(function (i) { names[i.rank] = FKC.lang === "zh" ? i.level_zh : i.level_en; });
    var chart = FK.chart(el);
    chart.setOption({
      tooltip: { trigger: "item", formatter: function (p) {
        var i = items.filter(function (x) { return x.region_code === p.name; })[0];
        return i ? (FKC.lang === "zh" ? i.name_zh + "<br>" + i.level_zh : i.name_en + "<br>" + i.level_en) : p.name;
      } },
      visualMap: { type: "piecewise", left: 0, bottom: 0, itemWidth: 12, itemHeight: 10,
                   pieces: levels.map(function (lv, n) { return { value: n, label: names[n] || lv, color: COLORS[Math.min(n, 3)] }; }) },
      series: [{ type: "map", map: "china", nameProperty: "id", roam: false, select: { disabled: true },
                 itemStyle: { borderColor: "#98a2b3", borderWidth: 0.5, areaColor: "#eaecf0" },
                 emphasis: { label: { show: false } },
                 data: items.map(function (i) { return { name: i.region_code, value: i.rank }; }) }]
    });
    el.dataset.rendered = String(items.length);
  });
})();
