"""The API's documentation pages, `/docs` (Swagger UI) and `/redoc`, working without internet.

FastAPI's own pages load their scripts from a CDN and start them with inline script, which a
machine on an intranet cannot fetch and our CSP forbids. Here the assets come from the
`fastapi-offline` package (Swagger UI and ReDoc builds, installed from PyPI with the service) and
each page starts from a small script file of ours.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from registration.errors import NotFound

router = APIRouter(include_in_schema=False)

_VENDOR: Final = Path(str(resources.files("fastapi_offline").joinpath("static")))
_OURS: Final = Path(__file__).with_name("static")
_ASSETS: Final = {
    "swagger-ui-bundle.js": (_VENDOR, "text/javascript"),
    "swagger-ui.css": (_VENDOR, "text/css"),
    "redoc.standalone.js": (_VENDOR, "text/javascript"),
    "favicon.png": (_VENDOR, "image/png"),
    "swagger-init.js": (_OURS, "text/javascript"),
    "redoc-init.js": (_OURS, "text/javascript"),
}

_SWAGGER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bizreg API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/docs/assets/favicon.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-init.js"></script></body></html>
"""

_REDOC = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bizreg API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/docs/assets/favicon.png"></head>
<body><div id="redoc"></div>
<script src="/docs/assets/redoc.standalone.js"></script>
<script src="/docs/assets/redoc-init.js"></script></body></html>
"""

# Swagger UI and ReDoc set element styles from script (allowed) but also inject <style>
# elements, so these two pages allow inline style — never inline script.
DOCS_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui() -> HTMLResponse:
    return HTMLResponse(_SWAGGER, headers={"Content-Security-Policy": DOCS_POLICY})


@router.get("/redoc", response_class=HTMLResponse)
def redoc() -> HTMLResponse:
    return HTMLResponse(_REDOC, headers={"Content-Security-Policy": DOCS_POLICY})


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    # Browsers ask for it on every page; answering spares a 404 in each page's console.
    return FileResponse(
        _VENDOR / "favicon.png", media_type="image/png", headers={"Cache-Control": "max-age=86400"}
    )


@router.get("/docs/assets/{name}")
def asset(name: str) -> FileResponse:
    if name not in _ASSETS:
        raise NotFound(f"no documentation asset {name!r}")
    folder, media_type = _ASSETS[name]
    return FileResponse(
        folder / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
    )
