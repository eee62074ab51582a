// Shared behaviour of the public pages: labels, number formats, chart set-up,
// sortable tables and the "as of" form. Data come from data-* attributes (no inline
// scripts, so the pages work under a strict Content-Security-Policy).
(function () {
  "use strict";
  var body = document.body;
  var locale = body.dataset.locale || "zh-Hans";
  var labels = {};
  try { labels = JSON.parse(body.dataset.i18n || "{}"); } catch (e) { labels = {}; }
  var numberFormat = new Intl.NumberFormat(locale);
  var decimalFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });

  function fmt(value, decimals) {
    if (value === null || value === undefined || Number.isNaN(value)) return "—";
    return decimals ? decimalFormat.format(value) : numberFormat.format(value);
  }

  function data(el, name) {
    try { return JSON.parse(el.dataset[name] || "null"); } catch (e) { return null; }
  }

  function chart(el) {
    var instance = echarts.init(el, null, { locale: body.dataset.lang === "zh" ? "ZH" : "EN" });
    window.addEventListener("resize", function () { instance.resize(); });
    return instance;
  }

  function message(el, text) {
    el.classList.add("chart-message");
    el.textContent = text;
  }

  var narrow = function () { return window.innerWidth < 600; };

  // Daily new cases, stacked: local, imported and (where the source does not split
  // them) not split.
  function curveOption(curve) {
    var dates = curve.map(function (d) { return d.date; });
    function series(key, color) {
      return { name: labels[key], type: "bar", stack: "cases", data: curve.map(function (d) { return d[key]; }),
               itemStyle: { color: color }, emphasis: { focus: "series" }, barCategoryGap: "10%" };
    }
    var list = [series("local", "#b42318"), series("imported", "#f79009")];
    if (curve.some(function (d) { return d.unsplit !== null; })) list.push(series("unsplit", "#7a8699"));
    return {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return fmt(v); } },
      legend: { top: 0, data: list.map(function (s) { return s.name; }) },
      grid: { left: 8, right: 12, top: 36, bottom: 56, containLabel: true },
      xAxis: { type: "category", data: dates },
      yAxis: { type: "value", axisLabel: { formatter: function (v) { return fmt(v); } } },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
      series: list
    };
  }

  // Sortable tables: a click (or Enter) on a header sorts by that column; numbers by
  // their data-sort value, text by the locale's collation; missing values last.
  function sortable(table) {
    var heads = table.querySelectorAll("thead th");
    var collator = new Intl.Collator(locale);
    heads.forEach(function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var descending = th.getAttribute("aria-sort") !== "descending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var numeric = th.dataset.type === "num";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        function key(row) {
          var cell = row.cells[index];
          var raw = cell ? (cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent) : "";
          return numeric ? (raw === "" ? null : Number(raw)) : raw;
        }
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          if (x === null || x === undefined) return 1;
          if (y === null || y === undefined) return -1;
          var c = numeric ? x - y : collator.compare(x, y);
          return descending ? -c : c;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }
  document.querySelectorAll("table.sortable").forEach(sortable);

  // The "as of" form submits itself when a value changes (the button stays for
  // keyboard and no-JavaScript use).
  document.querySelectorAll("form.asof .autosubmit").forEach(function (input) {
    input.addEventListener("change", function () {
      if (input.value) input.form.submit();
    });
  });

  window.FK = { labels: labels, fmt: fmt, data: data, chart: chart, message: message,
                curveOption: curveOption, narrow: narrow, locale: locale };
})();
