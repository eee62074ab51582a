// Daily bulletins in the console: compose a draft (POST /api/v1/bulletins/drafts), give
// the revision reasons of falling cumulative figures and compose again, then approve and
// publish (POST /api/v1/bulletins/{id}/publish). A refusal (problem+json, e.g. 409 with
// the failed checks) is shown beside the form; success reloads the page on the bulletin.
(function () {
  "use strict";
  var M = FKC.M;
  var draftForm = document.getElementById("bulletin-draft-form");
  var review = document.getElementById("review");

  function show(id) {
    // no fragment: the same address again is a full load (a fragment alone would not be)
    window.location.assign(window.location.pathname + "?draft=" + id);
  }

  function compose(form, box, reasons) {
    var body = {
      region_code: draftForm.region_code.value,
      report_date: draftForm.report_date.value,
      reasons: reasons || []
    };
    if (!body.report_date) { FKC.setError(draftForm.report_date, M.date); draftForm.report_date.focus(); return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    FKC.status(box, M.saving, "");
    FKC.call("POST", "/api/v1/bulletins/drafts", body).then(function (r) {
      button.disabled = false;
      if (!r.ok) { FKC.showProblem(form, r.body, box); return; }
      show(r.body.id);
    });
  }

  if (draftForm) {
    draftForm.addEventListener("submit", function (event) {
      event.preventDefault();
      FKC.clearErrors(draftForm);
      compose(draftForm, document.getElementById("draft-status"), []);
    });
  }

  var reasonsForm = document.getElementById("bulletin-reasons-form");
  if (reasonsForm && review) {
    reasonsForm.addEventListener("submit", function (event) {
      event.preventDefault();
      FKC.clearErrors(reasonsForm);
      var reasons = [];
      var missing = null;
      reasonsForm.querySelectorAll("input[name=reason]").forEach(function (input) {
        if (!input.value.trim()) { FKC.setError(input, M.required); missing = missing || input; return; }
        reasons.push({ region_code: input.dataset.region, field: input.dataset.field, reason: input.value.trim() });
      });
      if (missing) { missing.focus(); return; }
      draftForm.region_code.value = review.dataset.region;
      draftForm.report_date.value = review.dataset.date;
      compose(reasonsForm, document.getElementById("reasons-status"), reasons);
    });
  }

  var publishForm = document.getElementById("bulletin-publish-form");
  if (publishForm && review) {
    publishForm.addEventListener("submit", function (event) {
      event.preventDefault();
      FKC.clearErrors(publishForm);
      var box = document.getElementById("publish-status");
      var reason = publishForm.reason.value.trim();
      var button = publishForm.querySelector("button[type=submit]");
      button.disabled = true;
      FKC.status(box, M.saving, "");
      FKC.call("POST", "/api/v1/bulletins/" + review.dataset.id + "/publish", reason ? { reason: reason } : {})
        .then(function (r) {
          button.disabled = false;
          if (!r.ok) { FKC.showProblem(publishForm, r.body, box); return; }
          show(r.body.id);
        });
    });
  }
})();
