// File import (POST /api/v1/imports/daily|cases, multipart) with its report, and the
// bulletin reader (POST /api/v1/imports/bulletin: a dry run shown beside the text, then
// stored on confirmation).
(function () {
  "use strict";
  var M = FKC.M, el = FKC.el;

  // --- files ---------------------------------------------------------------------------
  var form = document.getElementById("file-form");
  var box = document.getElementById("file-status");
  var reportEl = document.getElementById("import-report");

  function syncFormats() {
    var kind = form.kind.value;
    Array.prototype.forEach.call(form.format.options, function (o) {
      var other = o.dataset.kind && o.dataset.kind !== kind;
      o.hidden = !!other; o.disabled = !!other;
    });
    if (form.format.selectedOptions[0] && form.format.selectedOptions[0].disabled) form.format.value = "";
  }
  form.kind.addEventListener("change", syncFormats);
  syncFormats();

  function count(label, value, key) {
    return el("div", { "class": "count", "data-key": key }, [el("span", { text: label }), el("b", { text: FKC.num(value) })]);
  }

  function showReport(r) {
    reportEl.textContent = "";
    reportEl.appendChild(el("h3", { text: "#" + r.import_id + " " + r.filename + " · " + r.format + " · " + r.status }));
    reportEl.appendChild(el("div", { "class": "counts" }, [
      count(M.rows_read, r.rows_read, "rows_read"), count(M.inserted, r.rows_inserted, "rows_inserted"),
      count(M.updated, r.rows_updated, "rows_updated"), count(M.unchanged, r.rows_unchanged, "rows_unchanged"),
      count(M.rows_rejected, r.rows_rejected, "rows_rejected"), count(M.rows_repaired, r.rows_repaired, "rows_repaired"),
      count(M.revisions, r.revisions, "revisions")
    ]));
    (r.notes || []).forEach(function (n) { reportEl.appendChild(el("p", { "class": "note", text: n })); });
    var issues = r.issues || [];
    if (!issues.length) {
      reportEl.appendChild(el("p", { "class": "muted", text: M.no_issues }));
    } else {
      var rows = issues.map(function (i) {
        return el("tr", { "class": "sev-" + i.severity, "data-line": String(i.line) }, [
          el("td", { "class": "num", text: String(i.line) }), el("td", { text: i.column }),
          el("td", {}, [el("code", { text: i.value })]), el("td", { "class": "wrap", text: i.reason }),
          el("td", { text: i.severity })
        ]);
      });
      var head = el("tr", {}, [M.line, M.column, M.value, M.reason, M.severity].map(function (h) { return el("th", { scope: "col", text: h }); }));
      reportEl.appendChild(el("div", { "class": "table-wrap" }, [
        el("table", { "class": "data", id: "import-issues" }, [el("thead", {}, [head]), el("tbody", {}, rows)])
      ]));
      if (r.rows_rejected + (r.rows_repaired || 0) > issues.length) reportEl.appendChild(el("p", { "class": "note", text: M.more_issues }));
    }
    if (r.reject_file) {
      reportEl.appendChild(el("p", {}, [el("a", { href: "/console/imports/" + r.import_id + "/rejects", id: "reject-link", download: "" , text: M.reject_file })]));
    }
    reportEl.hidden = false;
    reportEl.dataset.importId = String(r.import_id);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    FKC.clearErrors(form);
    reportEl.hidden = true;
    if (!form.file.files.length) { FKC.setError(form.file, M.required); form.file.focus(); return; }
    var data = new FormData();
    data.append("file", form.file.files[0]);
    if (form.format.value) data.append("format", form.format.value);
    if (form.source.value.trim()) data.append("source", form.source.value.trim());
    data.append("strict", form.strict.checked ? "true" : "false");
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    FKC.status(box, M.saving, "");
    FKC.call("POST", "/api/v1/imports/" + form.kind.value, data).then(function (r) {
      button.disabled = false;
      if (!r.ok) { FKC.showProblem(form, r.body, box); return; }
      FKC.status(box, M.saved, "ok");
      showReport(r.body);
    });
  });

  // --- bulletins -----------------------------------------------------------------------
  var bform = document.getElementById("bulletin-form");
  var bbox = document.getElementById("bulletin-status");
  var review = document.getElementById("bulletin-review");
  var labels = JSON.parse(bform.dataset.labels || "{}");
  var storeButton = document.getElementById("bulletin-store");
  var storeBox = document.getElementById("store-status");
  var filename = null;

  // Bulletins saved from Chinese sites are often GB18030: try UTF-8 first, strictly.
  document.getElementById("b-file").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) return;
    filename = file.name;
    file.arrayBuffer().then(function (buf) {
      var text;
      try { text = new TextDecoder("utf-8", { fatal: true }).decode(buf); }
      catch (e) { text = new TextDecoder("gb18030").decode(buf); }
      bform.text.value = text.replace(/^\uFEFF/, "");
    });
  });

  function body(dry) {
    var b = { text: bform.text.value, dry_run: dry };
    if (bform.date.value) b.date = bform.date.value;
    if (bform.region_code.value.trim()) b.region_code = bform.region_code.value.trim();
    if (filename) b.filename = filename;
    return b;
  }

  function showReading(r) {
    document.getElementById("bulletin-source").textContent = bform.text.value;
    var tbody = document.querySelector("#bulletin-figures tbody");
    tbody.textContent = "";
    tbody.appendChild(el("tr", { "data-key": "date" }, [el("th", { scope: "row", text: "date" }), el("td", { text: r.date || "—" })]));
    tbody.appendChild(el("tr", { "data-key": "region_code" }, [el("th", { scope: "row", text: "region_code" }), el("td", { text: r.region_code || "—" })]));
    Object.keys(labels).forEach(function (key) {
      var has = r[key] !== undefined && r[key] !== null;
      tbody.appendChild(el("tr", { "data-key": key, "class": has ? "" : "muted" }, [
        el("th", { scope: "row", text: labels[key] }),
        el("td", { "class": "num", text: has ? FKC.num(r[key]) : M.not_found })
      ]));
    });
    var extra = document.getElementById("bulletin-extra");
    extra.textContent = "";
    if (r.flags && r.flags.length) extra.appendChild(el("p", { "class": "flags", text: M.flags + ": " + r.flags.join("; ") }));
    if (r.unread && r.unread.length) {
      extra.appendChild(el("h4", { text: M.unread + " (" + r.unread.length + ")" }));
      extra.appendChild(el("ul", { "class": "unread" }, r.unread.map(function (s) { return el("li", { text: s }); })));
    }
    review.hidden = false;
    review.dataset.date = r.date || "";
    review.dataset.region = r.region_code || "";
  }

  bform.addEventListener("submit", function (event) {
    event.preventDefault();
    FKC.clearErrors(bform);
    FKC.status(storeBox, "", "");
    if (!bform.text.value.trim()) { FKC.setError(bform.text, M.choose_file); return; }
    FKC.status(bbox, M.reading, "");
    FKC.call("POST", "/api/v1/imports/bulletin", body(true)).then(function (r) {
      if (!r.ok) { review.hidden = true; FKC.showProblem(bform, r.body, bbox); return; }
      FKC.status(bbox, "", "");
      showReading(r.body);
    });
  });

  storeButton.addEventListener("click", function () {
    storeButton.disabled = true;
    FKC.status(storeBox, M.saving, "");
    FKC.call("POST", "/api/v1/imports/bulletin", body(false)).then(function (r) {
      storeButton.disabled = false;
      if (!r.ok) { FKC.showProblem(bform, r.body, storeBox); return; }
      var s = r.body.stored || {};
      var parts = Object.keys(s).filter(function (k) { return typeof s[k] === "number"; })
        .map(function (k) { return k + " " + s[k]; });
      FKC.status(storeBox, M.stored + (parts.length ? " " + parts.join(", ") : ""), "ok");
      review.dataset.stored = "true";
    });
  });
})();
