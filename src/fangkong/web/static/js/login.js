// Logs in with JSON so that errors (problem+json) show on the page; without
// JavaScript the form posts normally and the server redirects back with an error code.
(function () {
  var form = document.getElementById("login-form");
  if (!form || !window.fetch) return;
  var box = document.getElementById("login-error");
  function show(text) { box.textContent = text; box.hidden = false; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ username: form.username.value, password: form.password.value })
    }).then(function (response) {
      if (response.ok) {
        window.location.assign(form.dataset.next || "/");
        return null;
      }
      return response.json().then(function (problem) {
        var text = problem.detail || problem.title || ("HTTP " + response.status);
        if (response.status === 401) text = "用户名或密码错误 Invalid username or password.";
        show(text);
      }, function () { show("HTTP " + response.status); });
    }).catch(function () {
      show("网络错误 Network error; please try again.");
    }).finally(function () { button.disabled = false; });
  });
})();
