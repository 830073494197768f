"""uvicorn's httptools protocol, bounded before the application runs: the request line and
headers of a request are limited in size and must arrive within a time limit, and the HTTP
layer's own errors are the documented JSON body.

uvicorn 0.54 with httptools buffers a request head for as long as the client keeps sending it
(150 connections x 2 MB of an unfinished header cost the process ~300 MB) and holds a half-sent
request forever; it has no option for either (uvicorn PR #1684 was not merged). Its h11 mode has
a size limit but no head timeout and is slower, so the fast parser is kept and bounded here.

This is the ONE module that relies on uvicorn's private internals: it subclasses
`uvicorn.protocols.http.httptools_impl.HttpToolsProtocol` and uses its `parser`, `transport`,
`loop`, `server_state` attributes and its `data_received`, `send_400_response`,
`on_headers_complete`, `on_body`, `on_message_complete` and `connection_made`/`connection_lost`
methods, and the `url` and `headers` it collects for the request being parsed.
It refuses to load under a uvicorn it was not written for (tests/test_hostile_http.py checks
the pinned version is the one named here).

How the limits are counted:
- Size: a complete head is measured when it ends (request line plus each header line as sent,
  less optional whitespace); over the limit it is refused with 431 and never reaches the
  application. An incomplete head is bounded while it arrives: the bytes a connection receives
  while a head is incomplete are counted in whole reads from the socket, so a connection holds
  at most the limit plus one read (asyncio reads at most 256 KiB) before it is refused.
- Time: from a connection's start, or the first byte of a later request, to the end of that
  request's head. Over it, the connection is closed (with a 408 when part of a head arrived).
  Idle keep-alive connections between requests stay uvicorn's `timeout_keep_alive`.
"""

from __future__ import annotations

import asyncio
import http
import logging
from typing import Any

import uvicorn
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from server.errors import render_error
from server.http_failures import MalformedRequest, RequestHeadTimeout, RequestHeadTooLarge
from server.settings import DEFAULT_HEAD_TIMEOUT_SECONDS, DEFAULT_MAX_HEAD_BYTES

WRITTEN_FOR_UVICORN = "0.54.0"
if uvicorn.__version__ != WRITTEN_FOR_UVICORN:
    raise RuntimeError(
        f"server/http_protocol.py relies on uvicorn {WRITTEN_FOR_UVICORN}'s internals; uvicorn "
        f"{uvicorn.__version__} is installed. Check the subclassed methods still exist and mean "
        "the same, then update WRITTEN_FOR_UVICORN."
    )

logger = logging.getLogger("server.http")


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """Built by uvicorn for each connection; the limits come bound in with functools.partial
    (see server/uvicorn_options.py), so worker processes receive them with the pickled config.

    The time limit costs one clock read per request: each connection has one timer, which checks
    when the head in progress began and sleeps again until its deadline (a timer armed and
    cancelled per request cost ~5 us a request)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        max_head_bytes: int = DEFAULT_MAX_HEAD_BYTES,
        head_timeout: float = DEFAULT_HEAD_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._max_head_bytes = max_head_bytes
        self._head_timeout = head_timeout
        self._awaiting_head = True
        self._head_began: float | None = None  # loop time; None: no head in progress
        self._head_bytes = 0  # whole reads counted while the head is incomplete
        self._head_bound = 0  # bytes received for this head, up to the read that ended it
        self._head_started = False  # a byte of the head in progress arrived
        self._message_ended = False
        self._refused = False
        self._head_timer: asyncio.TimerHandle | None = None

    # asyncio.Protocol ---------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_began = self.loop.time()  # a connection that sends nothing is a slow head
        self._head_timer = self.loop.call_later(self._head_timeout, self._check_head_time)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._awaiting_head:
            self._head_started = True
            if self._head_began is None:
                self._head_began = self.loop.time()
            self._head_bound = self._head_bytes + len(data)
        self._message_ended = False
        super().data_received(data)
        if self.transport.is_closing() or not self._awaiting_head or self._message_ended:
            return
        self._head_bytes += len(data)
        if self._head_bytes > self._max_head_bytes:
            self._refuse_large_head()

    # httptools parser callbacks ------------------------------------------------------------------
    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._awaiting_head = False
        self._head_began = None
        # The head is at most what arrived for it: measured only when that could be too much.
        if self._head_bound > self._max_head_bytes and self._head_size() > self._max_head_bytes:
            self._refuse_large_head()
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:  # a refused request has no cycle to take its body
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._awaiting_head = True
        self._head_bytes = 0
        self._head_started = False
        self._message_ended = True
        super().on_message_complete()

    # uvicorn's answer to what httptools cannot parse ---------------------------------------------
    def send_400_response(self, msg: str) -> None:
        self._refuse(MalformedRequest())

    # ---------------------------------------------------------------------------------------------
    def _head_size(self) -> int:
        """The head as sent: `METHOD URL HTTP/1.1` and `name: value` lines, CRLF each."""
        method = self.parser.get_method()
        lines = len(method) + 1 + len(self.url) + len(" HTTP/1.1\r\n") + 2
        return lines + sum(len(name) + len(value) + 4 for name, value in self.headers)

    def _refuse_large_head(self) -> None:
        logger.warning(
            "request head over %d bytes from %s: refused",
            self._max_head_bytes,
            _peer(self.client),
        )
        self._refuse(RequestHeadTooLarge(self._max_head_bytes))

    def _check_head_time(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        began = self._head_began
        remaining = (
            self._head_timeout if began is None else began + self._head_timeout - self.loop.time()
        )
        busy = self.cycle is not None and not self.cycle.response_complete
        if remaining > 0 or busy:
            # No head in progress, time left, or a pipelined head behind a request still being
            # answered (its time keeps counting): look again later.
            self._head_timer = self.loop.call_later(
                max(remaining, 0.1) if not busy else self._head_timeout, self._check_head_time
            )
            return
        logger.info(
            "request head not complete within %g s from %s: connection closed",
            self._head_timeout,
            _peer(self.client),
        )
        if self._head_started:
            self._refuse(RequestHeadTimeout(self._head_timeout))
        else:
            self.transport.close()  # not a byte: nothing to answer

    def _refuse(self, failure: Exception) -> None:
        """Answer with the error table's JSON body and close the connection."""
        if self._refused or self.transport.is_closing():
            return
        self._refused = True
        rendered = render_error(failure)
        phrase = http.HTTPStatus(rendered.status).phrase
        lines = [f"HTTP/1.1 {rendered.status} {phrase}".encode("ascii")]
        lines += [name + b": " + value for name, value in self.server_state.default_headers]
        headers = {
            **rendered.headers,
            "content-type": "application/json",
            "content-length": str(len(rendered.body)),
            "connection": "close",
        }
        lines += [f"{name.lower()}: {value}".encode("latin-1") for name, value in headers.items()]
        self.transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + rendered.body)
        self.transport.close()


def _peer(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "unknown client"
