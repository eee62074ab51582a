// Medical resources: every change is a form.api-form POSTed (or PUT, data-method) as JSON
// to its data-url with the session's CSRF header; the API's problem+json errors are shown
// beside their fields. On success the page goes to data-next ("{id}" is the answer's id;
// a "?…" query is kept on this page), or reloads.
//
// Fields: an input's name is its key in the body; "a.b" nests (approved.n95 → {approved:
// {n95: …}}); data-type="int" sends a whole number; data-type="packs" sends packs × the
// pack size (the input's data-pack, or the data-pack of the item chosen on its row);
// data-optional fields are left out when empty. Rows of fieldset[data-list=NAME] become
// the list NAME of objects (rows without a quantity are skipped).
(function () {
  "use strict";
  var M = FKC.M;
  var nav = document.getElementById("resources-nav");
  var R = {};
  try { R = JSON.parse((nav && nav.dataset.messages) || "{}"); } catch (e) { R = {}; }

  function packSize(input) {
    if (input.dataset.pack) return Number(input.dataset.pack);
    var row = input.closest(".line-row");
    var select = row && row.querySelector("select[name=item_code]");
    var option = select && select.selectedOptions[0];
    return option ? Number(option.dataset.pack || 1) : 1;
  }

  // The value of one input, or undefined to leave it out; sets the field's error.
  function valueOf(input, errors) {
    var raw = input.value.trim();
    var type = input.dataset.type;
    if (raw === "") {
      if (input.required) { FKC.setError(input, M.required); errors.push(input); }
      return (input.dataset.optional !== undefined || type) ? undefined : "";
    }
    if (type === "signed") {
      if (!/^-?\d+$/.test(raw)) { FKC.setError(input, M.whole); errors.push(input); return undefined; }
      return Number(raw);
    }
    if (type === "int" || type === "packs") {
      if (!/^\d+$/.test(raw)) {
        FKC.setError(input, type === "packs" ? R.packs : M.whole);
        errors.push(input);
        return undefined;
      }
      return type === "packs" ? Number(raw) * packSize(input) : Number(raw);
    }
    return raw;
  }

  function put(body, name, value) {
    var parts = name.split(".");
    var at = body;
    for (var i = 0; i < parts.length - 1; i += 1) {
      if (typeof at[parts[i]] !== "object" || at[parts[i]] === null) at[parts[i]] = {};
      at = at[parts[i]];
    }
    at[parts[parts.length - 1]] = value;
  }

  function bodyOf(form, errors) {
    var body = {};
    var lists = Array.prototype.slice.call(form.querySelectorAll("[data-list]"));
    form.querySelectorAll("input[name], select[name], textarea[name]").forEach(function (input) {
      if (lists.some(function (list) { return list.contains(input); })) return;
      var value = valueOf(input, errors);
      if (value !== undefined) put(body, input.name, value);
    });
    lists.forEach(function (list) {
      var rows = [];
      list.querySelectorAll(".line-row").forEach(function (row) {
        var qty = row.querySelector("[name=quantity]");
        if (qty && qty.value.trim() === "") return;
        var item = {};
        row.querySelectorAll("[name]").forEach(function (input) {
          var value = valueOf(input, errors);
          if (value !== undefined) item[input.name] = value;
        });
        if (item.quantity === 0) return;
        rows.push(item);
      });
      body[list.dataset.list] = rows;
    });
    return body;
  }

  function next(form, answer) {
    var target = form.dataset.next;
    if (!target) { window.location.reload(); return; }
    target = target.replace("{id}", answer && answer.id !== undefined ? answer.id : "");
    var where = form.querySelector("[name=warehouse]");
    target = target.replace("{warehouse}", where ? encodeURIComponent(where.value) : "");
    if (target.charAt(0) === "?") target = window.location.pathname + target;
    window.location.assign(target);
  }

  function send(form, body) {
    var box = form.querySelector(".form-status");
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    FKC.status(box, M.saving, "");
    form.dataset.result = "saving";
    return FKC.call(form.dataset.method || "POST", form.dataset.url, body).then(function (r) {
      buttons.forEach(function (b) { b.disabled = false; });
      if (!r.ok) {
        form.dataset.result = "error";
        FKC.showProblem(form, r.body, box);
        return;
      }
      form.dataset.result = "saved";
      FKC.status(box, M.saved, "ok");
      next(form, r.body);
    });
  }

  // A movement names the warehouse(s) by its kind: issues and write-offs leave the
  // warehouse, adjustments correct it, transfers go from it to another.
  function movement(body) {
    var here = body.warehouse;
    var to = body.to;
    delete body.warehouse;
    delete body.to;
    if (body.kind === "adjustment") body.to_warehouse = here;
    else body.from_warehouse = here;
    if (body.kind === "transfer") body.to_warehouse = to;
  }
  var kind = document.getElementById("m-kind");
  if (kind) {
    var toField = document.getElementById("m-to-field");
    var showTo = function () { toField.hidden = kind.value !== "transfer"; };
    kind.addEventListener("change", showTo);
    showTo();
  }

  document.querySelectorAll("form.api-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      FKC.clearErrors(form);
      var errors = [];
      var body = bodyOf(form, errors);
      var action = event.submitter ? event.submitter.value : "";
      if (action === "reject") {
        // A rejection approves every line at 0 and says why.
        Object.keys(body.approved || {}).forEach(function (k) { body.approved[k] = 0; });
        if (!body.note) {
          var note = form.querySelector("[name=note]");
          FKC.setError(note, R.reject_note);
          errors.push(note);
        }
      }
      if (form.id === "movement-form") movement(body);
      var list = form.querySelector("[data-list]");
      if (list && !errors.length && !(body[list.dataset.list] || []).length) {
        var first = list.querySelector("[name=quantity]");
        FKC.setError(first, R.one_line);
        errors.push(first);
      }
      if (errors.length) { errors[0].focus(); return; }
      send(form, body);
    });
  });

  // Requests: more lines, and the units a number of packs makes.
  function hint(row) {
    var qty = row.querySelector("[name=quantity]");
    var out = row.querySelector(".unit-hint");
    if (!qty || !out) return;
    var n = Number(qty.value);
    out.textContent = /^\d+$/.test(qty.value.trim()) && n > 0 ? "= " + FKC.num(n * packSize(qty)) : "";
  }
  document.querySelectorAll(".line-row").forEach(function (row) {
    row.addEventListener("input", function () { hint(row); });
    row.addEventListener("change", function () { hint(row); });
  });
  var add = document.getElementById("add-line");
  if (add) {
    add.addEventListener("click", function () {
      var rows = add.parentNode.querySelectorAll(".line-row");
      var last = rows[rows.length - 1];
      var copy = last.cloneNode(true);
      var n = rows.length;
      copy.querySelectorAll("[id]").forEach(function (el) { el.id = el.id.replace(/-\d+$/, "-" + n); });
      copy.querySelectorAll("label[for]").forEach(function (el) { el.htmlFor = el.htmlFor.replace(/-\d+$/, "-" + n); });
      copy.querySelectorAll("[data-pointer]").forEach(function (el) {
        el.dataset.pointer = el.dataset.pointer.replace(/\/lines\/\d+\//, "/lines/" + n + "/");
      });
      copy.querySelector("[name=quantity]").value = "";
      copy.querySelector(".unit-hint").textContent = "";
      copy.querySelectorAll(".field-error").forEach(function (el) { el.hidden = true; });
      copy.addEventListener("input", function () { hint(copy); });
      copy.addEventListener("change", function () { hint(copy); });
      add.parentNode.insertBefore(copy, add);
      copy.querySelector("select").focus();
    });
  }

  // Occupancy: file the day's report from the census of the patients' stays.
  var census = document.getElementById("from-census");
  if (census) {
    census.addEventListener("click", function () {
      var form = census.closest("form");
      FKC.clearErrors(form);
      var day = form.querySelector("[name=report_date]");
      if (!day.value) { FKC.setError(day, M.required); day.focus(); return; }
      var saved = form.dataset.url;
      form.dataset.url = census.dataset.url;
      form.dataset.method = "POST";
      send(form, { report_date: day.value }).then(function () {
        form.dataset.url = saved;
        form.dataset.method = "PUT";
      });
    });
  }
})();
