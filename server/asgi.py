"""The application as uvicorn's worker processes build it (`--factory`), from settings that the
parent process passed in the environment. Stores open on the worker's own event loop."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from starlette.types import ASGIApp, Receive, Scope, Send

from server.app import create_app
from server.logs import configure_logging
from server.metrics import forget_dead_workers, worker_stopped
from server.settings import Settings
from store.catalog import Databases
from store.factory import open_store

SETTINGS_ENVIRONMENT_VARIABLE = "AGNO_RENAME_SETTINGS"


async def open_databases(settings: Settings) -> Databases:
    stores = {}
    try:
        for config in settings.databases:
            stores[config.db_id] = await open_store(config.url, config.tables)
    except BaseException:
        for store in stores.values():
            await store.close()
        raise
    return Databases(stores)


class ServerApp:
    """ASGI app that opens the configured databases at startup, then serves create_app()."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._app: ASGIApp | None = None

    @asynccontextmanager
    async def _running(self) -> AsyncIterator[None]:
        databases = await open_databases(self._settings)
        try:
            forget_dead_workers()
            self._app = create_app(databases, self._settings)
            # What exists now (modules, the document, Connexion's routes and validators) lives as
            # long as the process: exempt it from the cyclic garbage collector, whose full passes
            # over it took 15-35 ms, a pause every request in flight waited out.
            gc.freeze()
            yield
        finally:
            await databases.close()
            worker_stopped()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if self._app is None:
            raise RuntimeError("the server must be run with lifespan events enabled")
        await self._app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        try:
            context = self._running()
            await context.__aenter__()
        except Exception as error:
            await send({"type": "lifespan.startup.failed", "message": str(error)})
            return
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await context.__aexit__(None, None, None)
        await send({"type": "lifespan.shutdown.complete"})


def app_from_environment(environ: Mapping[str, str] = os.environ) -> ServerApp:
    settings = Settings.from_json(environ[SETTINGS_ENVIRONMENT_VARIABLE])
    # uvicorn starts extra workers as fresh (spawned) processes: without this they would write
    # no access log and no JSON logs at all.
    configure_logging(settings.log_level)
    return ServerApp(settings)
