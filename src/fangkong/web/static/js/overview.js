// National overview: the province choropleth (metric selector; a click opens the
// province's page) and the national epidemic curve. The "risk level" and "response
// level" layers are fetched from the public API when first chosen.
(function () {
  "use strict";
  var L = FK.labels;

  var SCALES = {
    new_confirmed: [0, 1, 10, 100, 1000, 10000],
    current_confirmed: [0, 1, 10, 100, 1000, 10000],
    incidence_14d: [0, 0.01, 1, 10, 50, 100],
    rt: [0, 0.5, 0.9, 1.1, 1.5, 2]
  };
  var COLORS = ["#f2f4f7", "#fde2cf", "#f9b47c", "#f0703c", "#c4320a", "#7a1a0a"];

  function pieces(metric) {
    var edges = SCALES[metric];
    var out = [];
    for (var i = 0; i < edges.length; i++) {
      var lo = edges[i], hi = edges[i + 1];
      var piece = { color: COLORS[i] };
      if (metric !== "rt" && lo === 0) { piece.value = 0; piece.label = "0"; }
      else if (hi === undefined) { piece.gte = lo; piece.label = "≥ " + FK.fmt(lo, 2); }
      else { piece.gte = lo; piece.lt = hi; piece.label = FK.fmt(lo, 2) + " – " + FK.fmt(hi, 2); }
      out.push(piece);
    }
    return out;
  }

  // Categorical layers: code -> {rank, name, note}; colours by rank.
  var LAYER_COLORS = {
    response_level: ["#eaecf0", "#1d4ed8", "#facc15", "#f97316", "#b91c1c"],
    risk_level: ["#12b76a", "#fdb022", "#f04438", "#912018"]
  };
  var layers = {};

  function layerPieces(metric) {
    var layer = layers[metric];
    return layer.legend.map(function (entry) {
      return { value: entry.rank, label: entry.label, color: LAYER_COLORS[metric][Math.min(entry.rank, LAYER_COLORS[metric].length - 1)] };
    });
  }

  function loadLayer(el, metric) {
    if (layers[metric]) return Promise.resolve(layers[metric]);
    var T = FK.data(el, "layerLabels") || {};
    var lang = document.body.dataset.lang;
    var url = metric === "risk_level" ? el.dataset.riskUrl : el.dataset.responseUrl;
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (body) {
      var byCode = {};
      var legend;
      if (metric === "response_level") {
        legend = ["none", "IV", "III", "II", "I"].map(function (lv, rank) { return { rank: rank, label: T[lv] || lv }; });
        body.items.forEach(function (i) {
          byCode[i.region_code] = { rank: i.rank, level: i.level, name: lang === "zh" ? i.level_zh : i.level_en,
                                    note: i.inherited ? T.inherited + " " + i.source_region : "" };
        });
      } else {
        var names = {};
        body.items.forEach(function (i) {
          names[i.rank] = lang === "zh" ? i.level_zh : i.level_en;
          byCode[i.region_code] = { rank: i.rank, level: i.level, name: names[i.rank],
                                    note: lang === "zh" ? i.explanation_zh : i.explanation_en };
        });
        legend = body.ruleset.levels.map(function (lv, rank) { return { rank: rank, label: names[rank] || lv }; });
      }
      layers[metric] = { byCode: byCode, legend: legend };
      return layers[metric];
    });
  }

  function value(row, metric) {
    if (layers[metric]) {
      var entry = layers[metric].byCode[row.region_code];
      return entry ? entry.rank : null;
    }
    var f = row.figures;
    if (!f) return null;
    if (metric === "rt") return f.rt && f.rt.mean !== null ? f.rt.mean : null;
    return f[metric];
  }

  function drawMap(el, geo) {
    var rows = FK.data(el, "provinces") || [];
    var byCode = {};
    rows.forEach(function (r) { byCode[r.region_code] = r; });
    var lang = document.body.dataset.lang;
    echarts.registerMap("china", geo);
    var chart = FK.chart(el);
    var metricLabels = { new_confirmed: L.new_cases, current_confirmed: L.current_confirmed,
                         incidence_14d: L.incidence_14d, rt: L.rt };

    function render(metric) {
      chart.setOption({
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            var row = byCode[p.name];
            if (!row) return p.name;
            var name = lang === "zh" ? row.name_zh : row.name_en;
            var v = value(row, metric);
            if (layers[metric]) {
              var entry = layers[metric].byCode[row.region_code];
              return name + "<br>" + (entry ? entry.name + (entry.note ? "<br><small>" + entry.note + "</small>" : "") : L.no_data);
            }
            var text = v === null ? (metric === "rt" && row.figures ? L.too_few : L.no_data)
                                  : FK.fmt(v, metric === "rt" || metric === "incidence_14d");
            if (metric === "rt" && v !== null) {
              text += " (" + FK.fmt(row.figures.rt.lower, 2) + "–" + FK.fmt(row.figures.rt.upper, 2) + ")";
            }
            return name + "<br>" + metricLabels[metric] + ": " + text;
          }
        },
        visualMap: { type: "piecewise", pieces: layers[metric] ? layerPieces(metric) : pieces(metric), left: 0, bottom: 0,
                     itemWidth: 12, itemHeight: 10, textStyle: { fontSize: 10 } },
        series: [{
          type: "map", map: "china", nameProperty: "id", roam: false,
          layoutCenter: ["50%", FK.narrow() ? "42%" : "50%"], layoutSize: FK.narrow() ? "105%" : "95%",
          label: { show: false },
          emphasis: { label: { show: false }, itemStyle: { areaColor: "#3b82f6" } },
          select: { disabled: true },
          itemStyle: { borderColor: "#98a2b3", borderWidth: 0.5, areaColor: "#eaecf0" },
          data: rows.map(function (r) { return { name: r.region_code, value: value(r, metric) }; })
        }]
      }, { replaceMerge: ["series", "visualMap"] });
      el.dataset.metric = metric;
      if (layers[metric]) {
        var shown = {};
        Object.keys(layers[metric].byCode).forEach(function (code) { shown[code] = layers[metric].byCode[code].level; });
        el.dataset.layer = JSON.stringify(shown);
      } else {
        delete el.dataset.layer;
      }
    }

    function choose(metric) {
      if (!LAYER_COLORS[metric]) { render(metric); return; }
      el.dataset.loading = metric;
      loadLayer(el, metric).then(function () {
        delete el.dataset.loading;
        var checked = document.querySelector("input[name=map-metric]:checked");
        if (checked && checked.value === metric) render(metric);
      }).catch(function () {
        delete el.dataset.loading;
        var note = document.createElement("p");
        note.className = "note";
        note.setAttribute("role", "status");
        note.textContent = (FK.data(el, "layerLabels") || {}).unavailable || L.unavailable;
        el.parentNode.insertBefore(note, el);
        el.dataset.layerError = metric;
      });
    }

    var radios = document.querySelectorAll("input[name=map-metric]");
    radios.forEach(function (radio) {
      radio.addEventListener("change", function () { if (radio.checked) choose(radio.value); });
    });
    var checked = document.querySelector("input[name=map-metric]:checked");
    choose(checked ? checked.value : "new_confirmed");
    chart.on("click", function (p) {
      if (!byCode[p.name]) return;
      var date = el.dataset.date;
      window.location.assign(el.dataset.regionUrl + p.name + (date ? "?date=" + date : ""));
    });
    el.dataset.regions = String(geo.features.length);
    el.dataset.withData = String(rows.filter(function (r) { return r.figures; }).length);
    el.dataset.rendered = "true";
  }

  var mapEl = document.getElementById("province-map");
  if (mapEl) {
    fetch(mapEl.dataset.mapUrl).then(function (r) { return r.json(); })
      .then(function (geo) { drawMap(mapEl, geo); })
      .catch(function () { FK.message(mapEl, L.unavailable); });
  }

  var curveEl = document.getElementById("national-curve");
  if (curveEl) {
    var curve = FK.data(curveEl, "curve") || [];
    if (curve.length) {
      FK.chart(curveEl).setOption(FK.curveOption(curve));
      curveEl.dataset.rendered = String(curve.length);
    } else {
      FK.message(curveEl, L.no_data);
    }
  }
})();
