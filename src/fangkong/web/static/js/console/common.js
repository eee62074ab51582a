// Console helpers: calls to the JSON API with the session cookie and its CSRF token
// (X-CSRF-Token, read from the fangkong_csrf cookie), and problem+json errors (RFC 9457)
// shown next to the field their JSON pointer or parameter names.
(function () {
  "use strict";
  var root = document.getElementById("console");
  var M = {};
  try { M = JSON.parse(root.dataset.messages || "{}"); } catch (e) { M = {}; }
  var locale = document.body.dataset.locale || "zh-Hans";

  function csrf() {
    var found = document.cookie.match(/(?:^|;\s*)fangkong_csrf=([^;]+)/);
    return found ? decodeURIComponent(found[1]) : root.dataset.csrf;
  }

  // fetch with the session: resolves to {ok, status, body, etag}; never rejects on HTTP
  // errors. ``extra`` adds request headers (e.g. If-Match for an edit).
  function call(method, url, body, type, extra) {
    var headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = csrf();
    Object.keys(extra || {}).forEach(function (k) { headers[k] = extra[k]; });
    var payload = body;
    if (body !== undefined && body !== null && !(body instanceof FormData)) {
      if (type) headers["Content-Type"] = type;
      else { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    }
    return fetch(url, { method: method, headers: headers, body: payload, credentials: "same-origin" })
      .then(function (response) {
        var ct = response.headers.get("content-type") || "";
        var parsed = ct.indexOf("json") >= 0 ? response.json() : response.text();
        return parsed.then(function (data) {
          if (response.status === 401) data = { title: "Unauthorized", detail: M.signed_out, status: 401 };
          return { ok: response.ok, status: response.status, body: data, etag: response.headers.get("etag") };
        });
      }, function () {
        return { ok: false, status: 0, body: { detail: M.network } };
      });
  }

  function errorBox(input) {
    var field = input.closest(".field");
    return field ? field.querySelector(".field-error") : null;
  }

  function setError(input, text) {
    var box = errorBox(input);
    if (text) {
      input.setAttribute("aria-invalid", "true");
      if (box) { box.textContent = text; box.hidden = false; }
    } else {
      input.removeAttribute("aria-invalid");
      if (box) { box.textContent = ""; box.hidden = true; }
    }
  }

  function clearErrors(form) {
    form.querySelectorAll("[aria-invalid]").forEach(function (input) { setError(input, ""); });
  }

  function status(box, text, kind) {
    box.textContent = "";
    box.className = "form-status" + (kind ? " " + kind : "");
    if (typeof text === "string") box.textContent = text; else if (text) box.appendChild(text);
    box.hidden = !text;
  }

  // The input an error names: by JSON pointer (data-pointer), else by parameter name.
  function fieldFor(form, error) {
    var inputs = Array.prototype.slice.call(form.querySelectorAll("[name]"));
    var match = null;
    if (error.pointer !== undefined) {
      match = inputs.filter(function (i) { return i.dataset.pointer === error.pointer; })[0];
      if (!match) {
        var last = error.pointer.split("/").pop();
        match = inputs.filter(function (i) { return i.name === last; })[0];
      }
    }
    if (!match && error.parameter) {
      var name = String(error.parameter).split(/[./]/).pop();
      match = inputs.filter(function (i) { return i.name === name || i.dataset.param === name; })[0];
    }
    return match || null;
  }

  // Show a problem document: each error beside its field, the rest in the status box.
  function showProblem(form, problem, box) {
    var placed = 0;
    var rest = [];
    (problem.errors || []).forEach(function (error) {
      var input = fieldFor(form, error);
      var text = error.detail + (error.value !== undefined && error.value !== null && error.value !== "" ? " (" + error.value + ")" : "");
      if (input) {
        var current = errorBox(input);
        setError(input, current && !current.hidden ? current.textContent + " " + text : text);
        placed += 1;
      } else {
        rest.push(text);
      }
    });
    var summary = (M.failed || "") + " " + (problem.detail || problem.title || ("HTTP " + problem.status));
    if (rest.length) summary += " — " + rest.join("; ");
    status(box, summary, "error");
    var first = form.querySelector("[aria-invalid]");
    if (first) first.focus();
    return placed;
  }

  // Times from the server are UTC: show them in the reader's time zone.
  var timeFormat = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  function localTimes(scope) {
    (scope || document).querySelectorAll("time.ts[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!Number.isNaN(when.getTime())) { el.textContent = timeFormat.format(when); el.title = el.getAttribute("datetime"); }
    });
  }
  localTimes();

  // A local "YYYY-MM-DDTHH:MM" (datetime-local) as an ISO instant with the device's offset.
  function isoInstant(local) {
    if (!local) return null;
    var when = new Date(local);
    return Number.isNaN(when.getTime()) ? null : when.toISOString();
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  var numberFormat = new Intl.NumberFormat(locale);
  function num(v) { return v === null || v === undefined ? "—" : numberFormat.format(v); }

  window.FKC = { M: M, call: call, setError: setError, clearErrors: clearErrors, status: status,
                 showProblem: showProblem, localTimes: localTimes, isoInstant: isoInstant, el: el,
                 num: num, lang: document.body.dataset.lang };
})();
