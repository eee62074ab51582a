// Declare, raise, lower or lift a response level (POST /api/v1/response/declarations).
// The action the change implies is shown before it is sent; after saving, the page is
// reloaded with the new change highlighted in the history.
(function () {
  "use strict";
  var form = document.getElementById("response-form");
  if (!form) return;
  var M = FKC.M;
  var box = document.getElementById("response-status");
  var own = JSON.parse(form.dataset.own || "{}");
  var measures = JSON.parse(form.dataset.measures || "{}");
  var RANK = { none: 0, IV: 1, III: 2, II: 3, I: 4 };

  function describe() {
    var current = own[form.region_code.value] || "none";
    var next = form.level.value;
    var key = next === current ? "action_none" : current === "none" ? "action_declare"
      : next === "none" ? "action_lift" : RANK[next] > RANK[current] ? "action_raise" : "action_lower";
    document.getElementById("action-note").textContent = form.region_code.value in own ? M[key] : "";
    var list = document.getElementById("measures-list");
    list.textContent = "";
    (measures[next] || []).forEach(function (m) {
      list.appendChild(FKC.el("li", { text: FKC.lang === "zh" ? m.text_zh : m.text_en }));
    });
    document.getElementById("measures-box").hidden = !(measures[next] || []).length;
  }
  form.region_code.addEventListener("change", describe);
  form.level.addEventListener("change", describe);
  describe();

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    FKC.clearErrors(form);
    if (!form.reason.value.trim()) { FKC.setError(form.reason, M.required); form.reason.focus(); return; }
    var body = { region_code: form.region_code.value, level: form.level.value, reason: form.reason.value.trim() };
    if (form.authority.value.trim()) body.authority = form.authority.value.trim();
    var at = FKC.isoInstant(form.effective_at.value);
    // "now" (the default, unedited) is sent as no time: the server's clock decides.
    if (at && form.effective_at.value !== form.effective_at.defaultValue) body.effective_at = at;
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    FKC.status(box, M.saving, "");
    FKC.call("POST", "/api/v1/response/declarations", body).then(function (r) {
      button.disabled = false;
      if (!r.ok) { FKC.showProblem(form, r.body, box); return; }
      FKC.status(box, M.saved, "ok");
      window.location.assign(window.location.pathname + "?saved=" + r.body.id + "#history");
    });
  });
})();
