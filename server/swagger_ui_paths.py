"""Connexion's Swagger UI middleware, whose router runs only for its own paths."""

from __future__ import annotations

from typing import Any

from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.options import SwaggerUIConfig


class SwaggerUIOnItsPaths(SwaggerUIMiddleware):  # type: ignore[misc]
    """Connexion's Swagger UI middleware, whose router runs only for paths that contain one of
    its own (the UI's folder, the 3.0 document's name without its extension).

    For every other path that router can only fall through to the next app, with a copy of the
    scope taken before routing; this passes the same copy straight on. The check is a substring
    test, so a prefix (root_path) or a trailing-slash variant still reaches the router.
    """

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self._own_paths: list[str] = []

    def add_api(self, specification: Any, base_path: Any = None, **kwargs: Any) -> None:
        super().add_api(specification, base_path=base_path, **kwargs)
        config = SwaggerUIConfig(
            kwargs.get("swagger_ui_options"), oas_version=specification.version
        )
        if config.openapi_spec_available:
            self._own_paths.append(config.openapi_spec_path.removesuffix("json"))
        if config.swagger_ui_available:
            self._own_paths.append(config.swagger_ui_path.strip().rstrip("/"))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not any(own in scope["path"] for own in self._own_paths):
            await self.app(scope.copy(), receive, send)
            return
        await super().__call__(scope, receive, send)
