"""Swagger UI at /docs/ (and /docs, with no redirect), reading the OpenAPI 3.1 original
(/openapi.json).

Connexion 3.3's Swagger UI is the `swagger-ui-bundle` package, whose newest release (1.1.0) ships
Swagger UI 4.15, which cannot read OpenAPI 3.1 ("does not specify a valid version field").
Swagger UI 5 can; `swagger-ui-py` ships its distribution files (and needs nothing beyond Jinja2,
packaging and PyYAML, which we already have). We use only those files: the page and its start
script are ours, below, and every asset is served from the installed package, so the page loads
nothing from the internet. The start script is a file, not inline, so the page also works under
a `script-src 'self'` Content-Security-Policy.
"""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

DOCS_PATH = "/docs"
# Relative to /docs/, so the page also works behind a proxy that adds a path prefix.
DOCUMENT_URL = "../openapi.json"
_ASSETS_PACKAGE = "swagger_ui"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">{base}
  <title>Agno Rename Session - Swagger UI</title>
  <link rel="stylesheet" href="./swagger-ui.css">
  <link rel="icon" type="image/png" href="./favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="./swagger-ui-bundle.js" charset="utf-8"></script>
  <script src="./start.js" charset="utf-8"></script>
</body>
</html>
"""


def _page_response(base: str) -> Response:
    page = _PAGE.format(base=base).encode()
    return Response(page, media_type="text/html", headers={"Cache-Control": "no-cache"})


def _start_script(document_url: str) -> bytes:
    configuration = {
        "url": document_url,
        "dom_id": "#swagger-ui",
        "deepLinking": True,
        # Swagger UI's default sends the document to validator.swagger.io for a badge: off.
        "validatorUrl": None,
    }
    return (
        f"window.ui = SwaggerUIBundle(Object.assign({json.dumps(configuration)}, "
        "{presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout'}));\n"
    ).encode()


def assets_directory() -> Path:
    """The Swagger UI 5 distribution files installed by `swagger-ui-py`."""
    directory = Path(str(importlib.resources.files(_ASSETS_PACKAGE) / "static"))
    if not (directory / "swagger-ui-bundle.js").is_file():
        raise RuntimeError(f"Swagger UI assets not found in {directory}")
    return directory


class SwaggerUI:
    """ASGI middleware serving Swagger UI under `path`; every other request goes to `app`.

    Paths under `path` that are not a Swagger UI file answer Starlette's 404, which the
    application's error handler turns into the usual JSON error."""

    def __init__(
        self, app: ASGIApp, *, path: str = DOCS_PATH, document_url: str = DOCUMENT_URL
    ) -> None:
        self.app = app
        self._path = path.rstrip("/")
        self._folder = self._path + "/"
        self._page = _page_response("")
        # The page at the folder's name too, without a redirect (a redirect's Location would be
        # built from the Host header): its base makes the relative addresses the folder's.
        folder_name = self._path.rsplit("/", 1)[-1]
        self._page_outside = _page_response(f'\n  <base href="{folder_name}/">')
        self._start = Response(
            _start_script(document_url),
            media_type="text/javascript",
            headers={"Cache-Control": "no-cache"},
        )
        self._assets = StaticFiles(directory=assets_directory())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route_path = scope["path"]
        if route_path != self._path and not route_path.startswith(self._folder):
            await self.app(scope, receive, send)
        elif scope["method"] not in ("GET", "HEAD"):
            await self._assets(scope, receive, send)  # Starlette's 405
        elif route_path == self._path:
            await self._page_outside(scope, receive, send)
        elif route_path in (self._folder, self._folder + "index.html"):
            await self._page(scope, receive, send)
        elif route_path == self._folder + "start.js":
            await self._start(scope, receive, send)
        else:
            root_path = scope.get("root_path", "") + self._path
            await self._assets({**scope, "root_path": root_path}, receive, send)
