// Starts Swagger UI on /docs with the settings the page carries as JSON (OPENAPI_SWAGGER_UI_CONFIG):
// a file rather than an inline script, so the page's Content-Security-Policy can forbid inline scripts.
"use strict";

window.addEventListener("load", () => {
  const config = JSON.parse(document.getElementById("swagger-ui-config").textContent);
  window.ui = SwaggerUIBundle({ ...config, dom_id: "#swagger-ui-container" });
});
