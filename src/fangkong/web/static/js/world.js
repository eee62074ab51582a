// World page: choropleth of the countries (ISO 3166-1 alpha-2), metric selector; a
// click opens the country's page.
(function () {
  "use strict";
  var L = FK.labels;
  var el = document.getElementById("world-map");
  if (!el) return;
  var codes = FK.data(el, "countries") || [];
  var values = FK.data(el, "values") || [];
  var names = FK.data(el, "names") || [];
  var index = {};
  codes.forEach(function (c, i) { index[c] = i; });
  var EDGES = [0, 1, 100, 1000, 10000, 100000, 1000000];
  var COLORS = ["#f2f4f7", "#fde2cf", "#fbc69b", "#f9954e", "#e0561f", "#b42318", "#6b1208"];

  function pieces() {
    return EDGES.map(function (lo, i) {
      var hi = EDGES[i + 1];
      if (lo === 0) return { value: 0, label: "0", color: COLORS[i] };
      if (hi === undefined) return { gte: lo, label: "≥ " + FK.fmt(lo), color: COLORS[i] };
      return { gte: lo, lt: hi, label: FK.fmt(lo) + " – " + FK.fmt(hi), color: COLORS[i] };
    });
  }

  fetch(el.dataset.mapUrl).then(function (r) { return r.json(); }).then(function (geo) {
    echarts.registerMap("world", geo);
    var chart = FK.chart(el);
    function render(metric) {
      chart.setOption({
        tooltip: { trigger: "item", formatter: function (p) {
          var i = index[p.name];
          if (i === undefined) return (p.data && p.data.label) || p.name;
          return names[i] + "<br>" + L[metric] + ": " + FK.fmt(values[i][metric]);
        } },
        visualMap: { type: "piecewise", pieces: pieces(), left: 0, bottom: 0, itemWidth: 12,
                     itemHeight: 10, textStyle: { fontSize: 10 } },
        series: [{ type: "map", map: "world", nameProperty: "iso_a2", roam: true,
                   label: { show: false }, emphasis: { label: { show: false }, itemStyle: { areaColor: "#3b82f6" } },
                   select: { disabled: true },
                   itemStyle: { borderColor: "#98a2b3", borderWidth: 0.3, areaColor: "#eaecf0" },
                   data: codes.map(function (c, i) { return { name: c, value: values[i][metric] }; }) }]
      }, { replaceMerge: ["series", "visualMap"] });
      el.dataset.metric = metric;
    }
    document.querySelectorAll("input[name=map-metric]").forEach(function (radio) {
      radio.addEventListener("change", function () { if (radio.checked) render(radio.value); });
    });
    render((document.querySelector("input[name=map-metric]:checked") || { value: "cumulative_confirmed" }).value);
    chart.on("click", function (p) {
      if (index[p.name] !== undefined) window.location.assign(el.dataset.regionUrl + p.name);
    });
    el.dataset.rendered = String(codes.filter(function (c) { return c; }).length);
  }).catch(function () { FK.message(el, L.unavailable); });
})();
