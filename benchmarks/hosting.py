"""What the benchmark's uvicorn workers run: a store opened at startup (and, for `memory://`,
filled with the benchmark sessions, since a memory store lives in one process), then either our
application (`create_app`, exactly as `agno-rename serve` builds it) or the ceiling over it.

BENCH_APP=minimal serves benchmarks/minimal.py instead, which opens its own blocking connection.

Settings come from the environment because uvicorn starts workers with `--factory` and no
arguments: BENCH_APP (ours | ceiling | minimal), BENCH_DATABASE_URL, BENCH_TOKEN, BENCH_SESSIONS,
BENCH_MESSAGES.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from benchmarks.ceiling import ceiling_app
from benchmarks.minimal import MinimalApp
from benchmarks.sessions import bench_session
from server.app import create_app
from server.settings import Settings
from store.base import DEFAULT_SESSION_TABLE, SessionStore
from store.factory import open_store
from store.memory import MemoryStore

AppBuilder = Callable[[SessionStore], ASGIApp]


async def open_bench_store(url: str, sessions: int, messages: int) -> SessionStore:
    if url.startswith("memory:"):
        memory = MemoryStore()
        await memory.put(
            (bench_session(n, messages) for n in range(sessions)), DEFAULT_SESSION_TABLE
        )
        return memory
    return await open_store(url)


class StoreHostingApp:
    """Opens the store on the worker's event loop at startup, builds the app over it, closes the
    store at shutdown."""

    def __init__(self, url: str, sessions: int, messages: int, build: AppBuilder) -> None:
        self._url = url
        self._sessions = sessions
        self._messages = messages
        self._build = build
        self._app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            assert self._app is not None, "run with lifespan events on"
            await self._app(scope, receive, send)
            return
        await receive()  # lifespan.startup
        try:
            store = await open_bench_store(self._url, self._sessions, self._messages)
        except Exception as error:
            await send({"type": "lifespan.startup.failed", "message": repr(error)})
            return
        self._app = self._build(store)
        gc.freeze()  # as server/asgi.py does, for every app served here
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await store.close()
        await send({"type": "lifespan.shutdown.complete"})


def app_from_environment(environ: Mapping[str, str] = os.environ) -> ASGIApp:
    token = environ["BENCH_TOKEN"]
    kind = environ["BENCH_APP"]
    if kind == "minimal":
        return MinimalApp(environ["BENCH_DATABASE_URL"], token)
    if kind == "ceiling":
        build: AppBuilder = lambda store: ceiling_app(store, token)  # noqa: E731
    elif kind == "ours":
        settings = Settings(security_key=token)
        build = lambda store: create_app(store, settings)  # noqa: E731
    else:
        raise ValueError(f"BENCH_APP must be ours, ceiling or minimal, not {kind!r}")
    return StoreHostingApp(
        environ["BENCH_DATABASE_URL"],
        int(environ.get("BENCH_SESSIONS", "0")),
        int(environ.get("BENCH_MESSAGES", "3")),
        build,
    )
