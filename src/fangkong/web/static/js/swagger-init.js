// Starts the vendored Swagger UI on the OpenAPI document named by the page.
(function () {
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: el.dataset.openapiUrl, dom_id: "#swagger-ui" });
})();
