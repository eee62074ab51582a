// Daily-report entry: the server's checks mirrored in the browser (required region and
// date, ISO date not in the future, whole numbers, negatives only for the daily figures a
// publisher may correct). Choosing a region, date and source loads the stored report, if
// any, with its version (hidden field "version", the ETag); submitting PUTs the figures
// to /api/v1/daily/{source}/{region}/{date} with If-Match (or If-None-Match: * for a new
// report), so that an edit made meanwhile by someone else is refused (412) and shown as
// a conflict instead of being overwritten. Other problem+json errors are shown beside
// the field their pointer (/<field>) or parameter names.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var M = FKC.M;
  var box = document.getElementById("report-status");
  var correctable = JSON.parse(form.dataset.correctable || "[]");
  var names = {};
  document.querySelectorAll("#region-codes option").forEach(function (o) { names[o.value] = o.textContent; });

  // Latest acceptable date: today somewhere on Earth (UTC+14), as the server decides.
  function latest() { return new Date(Date.now() + 14 * 3600 * 1000).toISOString().slice(0, 10); }

  function check(input) {
    var v = input.value.trim();
    if (input.name === "region_code") {
      var hint = document.getElementById("h-region_code");
      hint.textContent = names[v] || "";
      if (!v) return M.required;
      if (!/^[A-Za-z0-9-]{2,16}$/.test(v)) return M.code;
      return "";
    }
    if (input.name === "report_date") {
      if (!v) return M.required;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(new Date(v + "T00:00:00Z").getTime())) return M.date;
      if (v > latest()) return M.future;
      return "";
    }
    if (input.name === "source") return /^[a-z0-9_-]{1,32}$/.test(v) ? "" : M.required;
    if (input.dataset.count) {
      if (!v) return "";
      if (!/^[+-]?\d+$/.test(v)) return M.whole;
      if (Number(v) < 0 && correctable.indexOf(input.name) < 0) return M.negative;
    }
    return "";
  }

  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[name]"));
  inputs.forEach(function (input) {
    input.addEventListener("blur", function () { FKC.setError(input, check(input)); });
    input.addEventListener("input", function () {
      if (input.getAttribute("aria-invalid")) FKC.setError(input, check(input));
    });
  });

  function itemUrl() {
    return form.dataset.item
      .replace("{source}", encodeURIComponent(form.source.value.trim()))
      .replace("{region_code}", encodeURIComponent(form.region_code.value.trim()))
      .replace("{report_date}", encodeURIComponent(form.report_date.value));
  }

  function keyValid() {
    return ["region_code", "report_date", "source"].every(function (n) { return !check(form[n]); });
  }

  // The stored report of the chosen region, date and source: its figures and version.
  var loading = 0;
  function load(announce) {
    if (!keyValid()) return Promise.resolve(null);
    var ticket = ++loading;
    return FKC.call("GET", itemUrl()).then(function (r) {
      if (ticket !== loading) return null;  // a later choice superseded this one
      if (r.status === 404) {
        form.version.value = "";
        form.dataset.loaded = "new";
        if (announce) FKC.status(box, M.new_report, "");
        return r;
      }
      if (!r.ok) return r;
      inputs.forEach(function (input) {
        if (input.dataset.count) {
          var v = r.body[input.name];
          input.value = v === null || v === undefined ? "" : String(v);
          FKC.setError(input, "");
        }
      });
      form.version.value = String(r.body.version);
      form.dataset.loaded = "stored";
      if (announce) FKC.status(box, M.editing + " " + M.version + " " + r.body.version + ".", "");
      return r;
    });
  }
  ["region_code", "report_date", "source"].forEach(function (n) {
    form[n].addEventListener("change", function () { load(true); });
  });

  function conflict(problem) {
    var reload = FKC.el("button", { type: "button", id: "report-reload", text: M.reload });
    reload.addEventListener("click", function () { load(true); });
    var current = problem && problem.etag ? " (" + M.version + " " + String(problem.etag).replace(/"/g, "") + ")" : "";
    FKC.status(box, FKC.el("span", {}, [M.conflict + current + " ", reload]), "error");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    FKC.clearErrors(form);
    var bad = inputs.filter(function (input) {
      var problem = check(input);
      FKC.setError(input, problem);
      return !!problem;
    });
    if (bad.length) { bad[0].focus(); FKC.status(box, "", ""); return; }
    var figures = {};
    inputs.forEach(function (input) {
      if (input.dataset.count && input.value.trim() !== "") figures[input.name] = Number(input.value.trim());
    });
    ++loading;  // a load still in flight must not overwrite what this save answers
    var version = form.version.value;
    var precondition = version ? { "If-Match": "\"" + version + "\"" } : { "If-None-Match": "*" };
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    FKC.status(box, M.saving, "");
    FKC.call("PUT", itemUrl(), figures, undefined, precondition).then(function (r) {
      button.disabled = false;
      if (r.status === 412 || r.status === 428) { conflict(r.body); form.dataset.result = "conflict"; return; }
      if (!r.ok) { FKC.showProblem(form, r.body, box); form.dataset.result = "error"; return; }
      var b = r.body;
      form.version.value = String(b.version);
      form.dataset.loaded = "stored";
      FKC.status(box, M.saved + " " + (M[b.result] || b.result) + ", " + M.version + " " + b.version + ".", "ok");
      form.dataset.result = "saved";
    });
  });
})();
