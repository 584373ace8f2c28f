// Starts ReDoc on /openapi.json (a file, not inline script: the CSP forbids inline).
Redoc.init("/openapi.json", {}, document.getElementById("redoc"));
