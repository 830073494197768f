"""`GET /ready`: whether every configured database can be used now. `GET /health` stays liveness
(the process answers); readiness is what a load balancer or orchestrator should route by."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from domain.errors import StoreFailure
from server.http_failures import NotReady
from store.catalog import Databases

logger = logging.getLogger("server.readiness")
READY_BODY = b'{"status":"ready"}'
NOT_READY_DETAIL = "A configured database cannot be used"


def readiness_endpoint(databases: Databases) -> Callable[[Request], Awaitable[Response]]:
    async def ready(_request: Request) -> Response:
        try:
            await databases.check()
        except StoreFailure as failure:
            # Which database and why go to the log; the answer names neither.
            logger.warning("not ready: %s", failure)
            raise NotReady(NOT_READY_DETAIL) from failure
        return Response(READY_BODY, media_type="application/json")

    return ready
