// Swagger UI at /docs, started from this file rather than an inline script, so the page
// keeps to the Content-Security-Policy (script-src 'self'; api/headers.py).
"use strict";
window.ui = SwaggerUIBundle({
  url: document.getElementById("swagger-ui").getAttribute("data-openapi"),
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null, // no badge from the online validator (a request to the internet)
  presets: [SwaggerUIBundle.presets.apis],
});
