// Directives: issue (POST /api/v1/directives), acknowledge and report progress, attach
// a file, withdraw. After a change the page is reloaded to show the stored state.
(function () {
  "use strict";
  var M = FKC.M;

  function after(form, box, url, body, next) {
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    FKC.status(box, M.saving, "");
    return FKC.call("POST", url, body).then(function (r) {
      buttons.forEach(function (b) { b.disabled = false; });
      if (!r.ok) { FKC.showProblem(form, r.body, box); return; }
      FKC.status(box, M.saved, "ok");
      window.location.assign(next(r.body));
    });
  }

  var issue = document.getElementById("directive-form");
  if (issue) {
    var box = document.getElementById("directive-status");
    issue.addEventListener("submit", function (event) {
      event.preventDefault();
      FKC.clearErrors(issue);
      var missing = ["title", "body"].filter(function (n) { return !issue[n].value.trim(); });
      missing.forEach(function (n) { FKC.setError(issue[n], M.required); });
      var due = FKC.isoInstant(issue.due_at.value);
      if (!due) { FKC.setError(issue.due_at, M.required); missing.push("due_at"); }
      var regions = Array.prototype.map.call(issue.regions.selectedOptions, function (o) { return o.value; });
      var teams = Array.prototype.map.call(issue.querySelectorAll("input[name=team_ids]:checked"), function (i) { return Number(i.value); });
      if (!regions.length && !teams.length) { FKC.setError(issue.regions, M.required); missing.push("regions"); }
      if (missing.length) { issue[missing[0]].focus(); return; }
      after(issue, box, "/api/v1/directives",
            { title: issue.title.value.trim(), body: issue.body.value.trim(), priority: issue.priority.value,
              due_at: due, regions: regions, team_ids: teams },
            function (d) { return window.location.pathname + "?saved=" + d.id; });
    });
  }

  var respond = document.getElementById("respond-form");
  if (respond) {
    var rbox = document.getElementById("respond-status");
    var id = respond.dataset.id;
    var back = function () { return window.location.pathname; };
    document.getElementById("acknowledge").addEventListener("click", function () {
      FKC.clearErrors(respond);
      after(respond, rbox, "/api/v1/directives/" + id + "/acknowledge",
            { recipient_id: Number(respond.recipient_id.value), note: respond.note.value.trim() }, back);
    });
    respond.addEventListener("submit", function (event) {
      event.preventDefault();
      FKC.clearErrors(respond);
      var v = respond.percent.value.trim();
      if (!/^\d+$/.test(v) || Number(v) > 100) { FKC.setError(respond.percent, M.whole); respond.percent.focus(); return; }
      after(respond, rbox, "/api/v1/directives/" + id + "/progress",
            { recipient_id: Number(respond.recipient_id.value), percent: Number(v), note: respond.note.value.trim() }, back);
    });
  }

  var attach = document.getElementById("attach-form");
  if (attach) {
    attach.addEventListener("submit", function (event) {
      event.preventDefault();
      FKC.clearErrors(attach);
      if (!attach.file.files.length) { FKC.setError(attach.file, M.required); return; }
      var data = new FormData();
      data.append("file", attach.file.files[0]);
      after(attach, document.getElementById("attach-status"), "/api/v1/directives/" + attach.dataset.id + "/attachments",
            data, function () { return window.location.pathname; });
    });
  }

  var cancel = document.getElementById("cancel-form");
  if (cancel) {
    cancel.addEventListener("submit", function (event) {
      event.preventDefault();
      FKC.clearErrors(cancel);
      if (!cancel.note.value.trim()) { FKC.setError(cancel.note, M.required); cancel.note.focus(); return; }
      after(cancel, document.getElementById("cancel-status"), "/api/v1/directives/" + cancel.dataset.id + "/cancel",
            { note: cancel.note.value.trim() }, function () { return window.location.pathname; });
    });
  }
})();
