"""THE uvicorn options: what `agno-rename serve` and the benchmarks (benchmarks/serve.py) both run
with, so a benchmark measures the real server."""

from __future__ import annotations

import functools
from typing import Any

from server.http_protocol import BoundedHttpToolsProtocol
from server.settings import Settings


def uvicorn_options(app: str, settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run(**...)` serving the factory `app` ("module:function")."""
    return {
        "app": app,
        "factory": True,
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "log_level": settings.log_level,
        "log_config": None,
        "access_log": False,  # RequestIdMiddleware writes the access log, with request ids
        "lifespan": "on",
        "server_header": False,
        # A class, bound to its limits; a partial of a module-level class pickles, so uvicorn's
        # spawned workers get the same limits.
        "http": functools.partial(
            BoundedHttpToolsProtocol,
            max_head_bytes=settings.max_head_bytes,
            head_timeout=settings.head_timeout_seconds,
            body_timeout=settings.body_timeout_seconds,
            max_connections=settings.max_connections,
        ),
    }
