"""The ceiling: the same rename over the same store, served by bare Starlette.

No Connexion, no request validation, no error table: the bearer check, JSON in, `store.rename`,
`session_detail`, JSON out. Whatever our server costs above this is the price of the contract
machinery, which is what the benchmark measures.
"""

from __future__ import annotations

import hmac
import time

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.detail import session_detail
from domain.session import RenameRequest, SessionType
from store.base import DEFAULT_SESSION_TABLE, SessionStore

_NOT_FOUND = b'{"detail":"Session not found","error_code":"NOT_FOUND"}'
_UNAUTHENTICATED = b'{"detail":"Invalid authentication token","error_code":"UNAUTHENTICATED"}'


def ceiling_app(store: SessionStore, token: str) -> Starlette:
    expected = f"Bearer {token}".encode()

    async def rename(request: Request) -> Response:
        supplied = request.headers.get("authorization", "").encode("latin-1", "replace")
        if not hmac.compare_digest(supplied, expected):
            return Response(_UNAUTHENTICATED, 401, media_type="application/json")
        body = orjson.loads(await request.body())
        renamed = await store.rename(
            RenameRequest(
                session_id=request.path_params["session_id"],
                session_type=SessionType(request.query_params.get("type", "agent")),
                new_name=body["session_name"],
                user_id=request.query_params.get("user_id"),
                now=int(time.time()),
            ),
            DEFAULT_SESSION_TABLE,
        )
        if renamed is None:
            return Response(_NOT_FOUND, 404, media_type="application/json")
        return Response(orjson.dumps(session_detail(renamed)), media_type="application/json")

    async def health(_request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(
        routes=[
            Route("/sessions/{session_id}/rename", rename, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
