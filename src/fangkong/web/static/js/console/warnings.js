// Early warning: a scan with "store" ticked is POSTed to /api/v1/warnings/scan (with the
// CSRF header), then the page is reloaded with the same scan in its query to show the
// signals found and the stored list; without "store" the form is an ordinary GET (a
// read-only scan). Acknowledge / dismiss / reopen POST /api/v1/warnings/{id}/status
// with the note, then reload to show the stored status.
(function () {
  "use strict";
  var M = FKC.M;

  function values(form, name) {
    return Array.prototype.filter.call(form.querySelectorAll("[name=" + name + "]"), function (i) {
      return i.tagName === "SELECT" ? true : i.checked;
    }).reduce(function (all, i) {
      if (i.tagName === "SELECT") return all.concat(Array.prototype.map.call(i.selectedOptions, function (o) { return o.value; }));
      return all.concat([i.value]);
    }, []);
  }

  var scan = document.getElementById("scan-form");
  if (scan) {
    var box = document.getElementById("scan-status");
    var store = document.getElementById("f-store");
    scan.addEventListener("submit", function (event) {
      FKC.clearErrors(scan);
      var missing = ["from", "to"].filter(function (n) { return !/^\d{4}-\d{2}-\d{2}$/.test(scan[n].value); });
      missing.forEach(function (n) { FKC.setError(scan[n], M.date); });
      var methods = values(scan, "methods");
      if (!methods.length) { FKC.setError(scan.querySelector("[name=methods]"), M.required); missing.push("methods"); }
      if (missing.length) {
        event.preventDefault();
        (missing[0] === "methods" ? scan.querySelector("[name=methods]") : scan[missing[0]]).focus();
        return;
      }
      if (!store || !store.checked) return;  // a read-only scan: the GET form as it is
      event.preventDefault();
      var regions = values(scan, "regions").filter(Boolean);
      var body = { from: scan.from.value, to: scan.to.value, methods: methods, store: true };
      if (regions.length) body.regions = regions;
      else {
        body.level = scan.level.value;
        if (scan.parent.value) body.parent = scan.parent.value;
      }
      var button = scan.querySelector("button[type=submit]");
      button.disabled = true;
      FKC.status(box, M.saving, "");
      FKC.call("POST", "/api/v1/warnings/scan", body).then(function (r) {
        button.disabled = false;
        if (!r.ok) { FKC.showProblem(scan, r.body, box); return; }
        FKC.status(box, M.stored, "ok");
        var query = new URLSearchParams();
        query.set("from", body.from);
        query.set("to", body.to);
        query.set("level", scan.level.value);
        query.set("parent", scan.parent.value);
        regions.forEach(function (code) { query.append("regions", code); });
        methods.forEach(function (m) { query.append("methods", m); });
        query.set("inserted", String(r.body.stored.inserted));
        query.set("unchanged", String(r.body.stored.unchanged));
        window.location.assign(window.location.pathname + "?" + query.toString());
      });
    });
  }

  document.querySelectorAll("form.signal-action").forEach(function (form) {
    var box = document.getElementById("signal-status-" + form.dataset.id);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.querySelectorAll("button.set-status").forEach(function (button) {
      button.addEventListener("click", function () {
        FKC.clearErrors(form);
        var buttons = form.querySelectorAll("button");
        buttons.forEach(function (b) { b.disabled = true; });
        FKC.status(box, M.saving, "");
        FKC.call("POST", "/api/v1/warnings/" + form.dataset.id + "/status",
                 { status: button.value, note: form.note.value.trim() }).then(function (r) {
          buttons.forEach(function (b) { b.disabled = false; });
          if (!r.ok) { FKC.showProblem(form, r.body, box); return; }
          FKC.status(box, M.saved, "ok");
          var query = new URLSearchParams(window.location.search);
          query.set("saved", form.dataset.id);
          query.delete("inserted");
          query.delete("unchanged");
          window.location.assign(window.location.pathname + "?" + query.toString());
        });
      });
    });
  });
})();
