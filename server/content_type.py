"""A request body without a Content-Type is read as JSON, everywhere.

Connexion 3.3 validates such a body as JSON (its "best guess" is the operation's one media type),
but then hands the handler the raw bytes, which failed with a 500. Saying it once, at the edge,
makes validation and the handler agree (FastAPI, and so AgentOS, also read it as JSON).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

_CONTENT_TYPE = b"content-type"
_JSON = (_CONTENT_TYPE, b"application/json")


class DefaultJsonContentType:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not any(
            name.lower() == _CONTENT_TYPE for name, _ in scope["headers"]
        ):
            scope = {**scope, "headers": [*scope["headers"], _JSON]}
        await self.app(scope, receive, send)
