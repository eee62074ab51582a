// Daily-report entry: the server's checks mirrored in the browser (required region and
// date, ISO date not in the future, whole numbers, negatives only for the daily figures a
// publisher may correct), then POST /api/v1/daily; the server's problem+json errors are
// shown beside the field their pointer (/items/0/<field>) names.
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

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    FKC.clearErrors(form);
    var bad = inputs.filter(function (input) {
      var problem = check(input);
      FKC.setError(input, problem);
      return !!problem;
    });
    if (bad.length) { bad[0].focus(); FKC.status(box, "", ""); return; }
    var item = { region_code: form.region_code.value.trim(), report_date: form.report_date.value };
    inputs.forEach(function (input) {
      if (input.dataset.count && input.value.trim() !== "") item[input.name] = Number(input.value.trim());
    });
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    FKC.status(box, M.saving, "");
    FKC.call("POST", form.dataset.action, { source: form.source.value.trim(), items: [item] }).then(function (r) {
      button.disabled = false;
      if (!r.ok) { FKC.showProblem(form, r.body, box); form.dataset.result = "error"; return; }
      var b = r.body;
      var text = M.saved + " " + [b.inserted + " " + M.inserted, b.updated + " " + M.updated,
                                   b.unchanged + " " + M.unchanged, b.revisions + " " + M.revisions].join(", ") +
                 (b.notes && b.notes.length ? " — " + b.notes.join("; ") : "");
      FKC.status(box, text, "ok");
      form.dataset.result = "saved";
    });
  });
})();
