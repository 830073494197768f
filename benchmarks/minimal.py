"""The minimal-work server: the least a rename can cost here, the benchmark's yardstick.

A raw ASGI callable, no framework: bearer check, the body parsed with orjson, the store's own
rename statement run with a blocking driver ON the event loop (no thread hop, no pool), the row
decoded by the store's own `session_from_row`, the same `session_detail` shaping, orjson out.
Served by the same uvicorn as our server. It does no validation and keeps no promise beyond what
the statement itself does, so nothing can be faster and still rename; our server's requests/s over
this row is the figure the targets use.

SQLite: `sqlite3` with the store's pragmas (WAL, synchronous=NORMAL, busy_timeout).
PostgreSQL: one blocking psycopg connection in autocommit (each rename commits on its own).
"""

from __future__ import annotations

import hmac
import sqlite3
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import Receive, Scope, Send

from domain.detail import session_detail
from domain.session import RenameRequest, SessionType
from store.base import DEFAULT_SESSION_TABLE
from store.rows import can_match_a_row, rename_parameters, session_from_row

# The store modules' own statements, so the yardstick runs exactly our SQL.
from store.sqlite import rename_sql as sqlite_rename_sql

Rename = Callable[[dict[str, object]], list[tuple[Any, ...]]]

_JSON = [(b"content-type", b"application/json")]
_NOT_FOUND = b'{"detail":"Session not found","error_code":"NOT_FOUND"}'
_UNAUTHENTICATED = b'{"detail":"Invalid authentication token","error_code":"UNAUTHENTICATED"}'
_BAD_REQUEST = b'{"detail":"Invalid request","error_code":"VALIDATION_ERROR"}'
_PREFIX, _SUFFIX = "/sessions/", "/rename"


def sqlite_renamer(path: str) -> tuple[Rename, Callable[[], None]]:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA busy_timeout = 10000")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    statement = sqlite_rename_sql(DEFAULT_SESSION_TABLE)

    def rename(parameters: dict[str, object]) -> list[tuple[Any, ...]]:
        return connection.execute(statement, parameters).fetchall()

    return rename, connection.close


def postgres_renamer(url: str) -> tuple[Rename, Callable[[], None]]:
    import psycopg
    from psycopg.types.json import set_json_loads

    from store.postgres import parse_url
    from store.postgres import rename_statement as postgres_rename_statement

    options = parse_url(url)
    connection = psycopg.connect(options.conninfo, autocommit=True)
    set_json_loads(orjson.loads, connection)
    statement = postgres_rename_statement(options.schema, DEFAULT_SESSION_TABLE).as_bytes(None)

    def rename(parameters: dict[str, object]) -> list[tuple[Any, ...]]:
        return list(connection.execute(statement, parameters, prepare=True).fetchall())

    return rename, connection.close


def open_renamer(url: str) -> tuple[Rename, Callable[[], None]]:
    if url.startswith("sqlite:///"):
        return sqlite_renamer(url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql://", "postgres://")):
        return postgres_renamer(url)
    raise ValueError(f"the minimal-work server runs over SQLite or PostgreSQL, not {url!r}")


class MinimalApp:
    """ASGI: POST /sessions/{id}/rename and GET /health; the database is opened at startup."""

    def __init__(self, url: str, token: str) -> None:
        self._url = url
        self._expected = f"Bearer {token}".encode()
        self._rename: Rename | None = None
        self._close: Callable[[], None] = lambda: None

    def open(self) -> None:
        """Connect to the database (done at startup when served)."""
        self._rename, self._close = open_renamer(self._url)

    def close(self) -> None:
        self._close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path: str = scope["path"]
        if path == "/health":
            await _answer(send, 200, b'{"status":"ok"}')
            return
        if scope["method"] != "POST" or not (path.startswith(_PREFIX) and path.endswith(_SUFFIX)):
            await _answer(send, 404, b'{"detail":"Not Found","error_code":"NOT_FOUND"}')
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, answer = self._renamed(scope, path[len(_PREFIX) : -len(_SUFFIX)], body)
        await _answer(send, status, answer)

    def _renamed(self, scope: Scope, session_id: str, body: bytes) -> tuple[int, bytes]:
        supplied = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        if not hmac.compare_digest(supplied, self._expected):
            return 401, _UNAUTHENTICATED
        query = dict(parse_qsl(scope["query_string"].decode("latin-1")))
        try:
            request = RenameRequest(
                session_id=session_id,
                session_type=SessionType(query.get("type", "agent")),
                new_name=orjson.loads(body)["session_name"],
                user_id=query.get("user_id"),
                now=int(time.time()),
            )
        except (ValueError, KeyError, TypeError):
            return 422, _BAD_REQUEST
        assert self._rename is not None, "run with lifespan events on (or call open())"
        rows = self._rename(rename_parameters(request)) if can_match_a_row(request) else []
        if not rows:
            return 404, _NOT_FOUND
        return 200, orjson.dumps(session_detail(session_from_row(rows[0])))

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        import gc

        await receive()  # lifespan.startup
        try:
            self.open()
        except Exception as error:
            await send({"type": "lifespan.startup.failed", "message": repr(error)})
            return
        gc.freeze()  # as server/asgi.py does
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        self.close()
        await send({"type": "lifespan.shutdown.complete"})


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [*_JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
