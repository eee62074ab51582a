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

  // Risk level and response level badges (public API); a badge is shown only when the
  // API answers: no placeholder figures.
  var badges = document.getElementById("status-badges");
  if (badges) {
    var T = FK.data(badges, "labels") || {};
    var lang = document.body.dataset.lang;
    var code = badges.dataset.region;
    var json = function (url) {
      return fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; }, function () { return null; });
    };
    var badge = function (kind, cls, label, text, title) {
      var el = document.createElement("span");
      el.className = "badge " + cls;
      el.dataset.kind = kind;
      el.title = title || "";
      var b = document.createElement("b");
      b.textContent = label + ": ";
      el.appendChild(b);
      el.appendChild(document.createTextNode(text));
      return el;
    };
    var at = badges.dataset.at ? "?at=" + encodeURIComponent(badges.dataset.at) : "";
    var risk = badges.dataset.date
      ? json("/api/v1/risk/regions/" + code + "/history?until=" + badges.dataset.date) : Promise.resolve(null);
    Promise.all([json("/api/v1/response/regions/" + code + at), risk]).then(function (got) {
      var response = got[0], riskBody = got[1];
      if (response) {
        var note = response.inherited ? " (" + T.inherited + " " + response.source_region + ")" : "";
        var measures = (response.measures || []).map(function (m) { return lang === "zh" ? m.text_zh : m.text_en; });
        var el = badge("response", "level-" + response.level, T.response,
                       (lang === "zh" ? response.level_zh : response.level_en) + note,
                       measures.length ? T.measures + ": " + measures.join("; ") : "");
        el.dataset.level = response.level;
        badges.appendChild(el);
      }
      if (riskBody && riskBody.current) {
        var c = riskBody.current;
        var r = badge("risk", "risk-" + c.rank, T.risk, lang === "zh" ? c.level_zh : c.level_en,
                      (lang === "zh" ? c.explanation_zh + " " + c.strategy_zh : c.explanation_en + " " + c.strategy_en));
        r.dataset.level = c.level;
        var why = document.createElement("small");
        why.textContent = " " + (lang === "zh" ? c.explanation_zh : c.explanation_en);
        r.appendChild(why);
        badges.appendChild(r);
      }
      badges.hidden = !badges.children.length;
      badges.dataset.rendered = String(badges.children.length);
    });
  }
})();
