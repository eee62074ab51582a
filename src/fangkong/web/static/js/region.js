// Region page: epidemic curve, Rt with its 95% credible interval, and the forecast
// fan chart (Rt and forecast are fetched from the public API).
(function () {
  "use strict";
  var L = FK.labels;
  var curveEl = document.getElementById("region-curve");
  var curve = curveEl ? (FK.data(curveEl, "curve") || []) : [];
  if (curveEl) {
    if (curve.length) {
      FK.chart(curveEl).setOption(FK.curveOption(curve));
      curveEl.dataset.rendered = String(curve.length);
    } else {
      FK.message(curveEl, L.no_data);
    }
  }

  function problemText(response) {
    return response.json().then(function (p) { return L.unavailable + (p.detail ? " — " + p.detail : ""); },
                                function () { return L.unavailable; });
  }

  function load(el, draw) {
    if (!el) return;
    fetch(el.dataset.url, { headers: { Accept: "application/json" } }).then(function (response) {
      if (!response.ok) return problemText(response).then(function (t) { FK.message(el, t); el.dataset.rendered = "0"; });
      return response.json().then(function (body) { draw(el, body); });
    }).catch(function () { FK.message(el, L.unavailable); });
  }

  // Cases in the 7 days ending on each date (to hide Rt windows with too few cases).
  var MIN_CASES = 12;
  var byDate = {};
  curve.forEach(function (d) { byDate[d.date] = Math.max(d.new_confirmed || 0, 0); });
  function windowCases(start, end) {
    var total = 0;
    for (var t = new Date(start + "T00:00:00Z"); t <= new Date(end + "T00:00:00Z"); t.setUTCDate(t.getUTCDate() + 1)) {
      total += byDate[t.toISOString().slice(0, 10)] || 0;
    }
    return total;
  }

  load(document.getElementById("region-rt"), function (el, body) {
    var items = body.items.filter(function (w) { return windowCases(w.date_start, w.date_end) >= MIN_CASES; });
    if (!items.length) { FK.message(el, L.too_few); el.dataset.rendered = "0"; return; }
    var dates = items.map(function (w) { return w.date_end; });
    FK.chart(el).setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return FK.fmt(v, 2); } },
      legend: { top: 0, data: [L.rt_mean, L.ci95] },
      grid: { left: 8, right: 12, top: 36, bottom: 24, containLabel: true },
      xAxis: { type: "category", data: dates },
      // Rt after a lull can be huge (few infectors); the axis stops at 4 so that the
      // epidemic's course stays readable (the tooltip gives every value).
      yAxis: { type: "value", min: 0, max: function (v) { return Math.min(Math.max(Math.ceil(v.max), 2), 4); },
               axisLabel: { formatter: function (v) { return FK.fmt(v, 2); } } },
      series: [
        { name: "lower", type: "line", data: items.map(function (w) { return w["q0.025"]; }),
          stack: "ci", lineStyle: { opacity: 0 }, symbol: "none", tooltip: { show: false } },
        { name: L.ci95, type: "line", data: items.map(function (w) { return w["q0.975"] - w["q0.025"]; }),
          stack: "ci", lineStyle: { opacity: 0 }, symbol: "none", areaStyle: { color: "rgba(180,35,24,.2)" },
          itemStyle: { color: "rgba(180,35,24,.4)" }, tooltip: { show: false } },
        { name: L.rt_mean, type: "line", data: items.map(function (w) { return w.mean; }), symbol: "none",
          itemStyle: { color: "#b42318" },
          markLine: { silent: true, symbol: "none", data: [{ yAxis: 1, name: L.threshold }],
                      lineStyle: { color: "#344054", type: "dashed" }, label: { formatter: L.threshold, position: "insideEndTop" } } }
      ]
    });
    el.dataset.rendered = String(items.length);
  });

  load(document.getElementById("region-forecast"), function (el, body) {
    var history = body.history || [];
    var items = body.items || [];
    var dates = history.map(function (h) { return h.date; }).concat(items.map(function (i) { return i.date; }));
    var pad = history.map(function () { return null; });
    function q(key) { return pad.concat(items.map(function (i) { return i[key]; })); }
    function diff(a, b) { return pad.concat(items.map(function (i) { return i[a] - i[b]; })); }
    var observed = items.some(function (i) { return i.observed !== null && i.observed !== undefined; });
    var series = [
      { name: L.history, type: "bar", data: history.map(function (h) { return h.new_confirmed; }),
        itemStyle: { color: "#98a2b3" } },
      { name: "b95", type: "line", data: q("q0.025"), stack: "p95", symbol: "none", lineStyle: { opacity: 0 }, tooltip: { show: false } },
      { name: L.pi95, type: "line", data: diff("q0.975", "q0.025"), stack: "p95", symbol: "none",
        lineStyle: { opacity: 0 }, areaStyle: { color: "rgba(180,35,24,.15)" }, itemStyle: { color: "rgba(180,35,24,.3)" }, tooltip: { show: false } },
      { name: "b50", type: "line", data: q("q0.25"), stack: "p50", symbol: "none", lineStyle: { opacity: 0 }, tooltip: { show: false } },
      { name: L.pi50, type: "line", data: diff("q0.75", "q0.25"), stack: "p50", symbol: "none",
        lineStyle: { opacity: 0 }, areaStyle: { color: "rgba(180,35,24,.3)" }, itemStyle: { color: "rgba(180,35,24,.5)" }, tooltip: { show: false } },
      { name: L.median, type: "line", data: q("q0.5"), symbol: "none", itemStyle: { color: "#b42318" } }
    ];
    if (observed) {
      series.push({ name: L.observed, type: "scatter", data: pad.concat(items.map(function (i) { return i.observed; })),
                    itemStyle: { color: "#101828" }, symbolSize: 6 });
    }
    FK.chart(el).setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return FK.fmt(v); } },
      legend: { top: 0, data: [L.history, L.median, L.pi50, L.pi95].concat(observed ? [L.observed] : []) },
      grid: { left: 8, right: 12, top: 48, bottom: 24, containLabel: true },
      xAxis: { type: "category", data: dates },
      yAxis: { type: "value", min: 0, axisLabel: { formatter: function (v) { return FK.fmt(v); } } },
      series: series
    });
    el.dataset.rendered = String(items.length);
  });
})();
