// The browsable API docs: Swagger UI (served from /static/vendor) on the generated document.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) { return; }
  root.textContent = "";
  window.SwaggerUIBundle({ url: root.getAttribute("data-spec-url"), domNode: root, deepLinking: true });
})();
