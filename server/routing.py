"""No redirects built from the request: a path with or without a trailing slash is answered as
itself (the JSON 404 or 405), never with a redirect.

Starlette routers redirect `/x/` to `/x` when only the other one is a route, and they build that
`Location` from the request's Host header (`Host: evil.example` -> `http://evil.example/...`).
Connexion 3.3 creates its routers itself (one per middleware and per API, some only when the
middleware stack is first built), with no option for this. So on the first request the chain of
applications is walked once and every router found gets `redirect_slashes = False`.
tests/server/test_hostile_http.py checks every route of the running server answers its slash variant
with the JSON 404.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Router
from starlette.types import ASGIApp, Receive, Scope, Send

# Where Connexion's middlewares, operations and Starlette's routes keep the next application.
_NEXT_APP_ATTRIBUTES = ("app", "next_app", "router", "default")
_MAX_VISITED = 10_000  # a bound in case some object answers every attribute name


def disable_slash_redirects(root: Any) -> int:
    """Turn off `redirect_slashes` on every Starlette router reachable from `root`; returns how
    many routers were found."""
    seen: set[int] = set()
    pending = [root]
    routers = 0
    while pending and len(seen) < _MAX_VISITED:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, Router):
            current.redirect_slashes = False
            routers += 1
            pending.extend(current.routes)
        elif isinstance(current, BaseRoute) and hasattr(current, "routes"):
            pending.extend(current.routes)  # a Mount
        pending.extend(getattr(current, name, None) for name in _NEXT_APP_ATTRIBUTES)
    return routers


class NoSlashRedirects:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._done = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._done and scope["type"] == "http":
            # Connexion adds the APIs' routes right after building the middlewares: by the first
            # request every router exists.
            disable_slash_redirects(self.app)
            self._done = True
        await self.app(scope, receive, send)
