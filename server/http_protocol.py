"""uvicorn's httptools protocol, bounded before the application runs: the request line and
headers of a request are limited in size and must arrive within a time limit, a body must arrive
within its own time limit, requests sent ahead (pipelined) are parsed only a few at a time, the
open connections are capped, and the HTTP layer's own errors are the documented JSON body.

uvicorn 0.54 with httptools buffers a request head for as long as the client keeps sending it
(150 connections x 2 MB of an unfinished header cost the process ~300 MB) and holds a half-sent
request forever; it has no option for either (uvicorn PR #1684 was not merged). Its h11 mode has
a size limit but no head timeout and is slower, so the fast parser is kept and bounded here.

This is the ONE module that relies on uvicorn's private internals: it subclasses
`uvicorn.protocols.http.httptools_impl.HttpToolsProtocol` and uses its `parser`, `transport`,
`loop`, `server_state` attributes and its `data_received`, `send_400_response`,
`on_headers_complete`, `on_body`, `on_message_complete`, `on_response_complete`, `shutdown` and
`connection_made`/`connection_lost` methods, its `flow` (FlowControl), `pipeline`, `connections`
and `cycle` (whose `keep_alive`, `more_body`, `response_started` and `response_complete` it reads
or sets), the `url` and `headers` it collects for the request being parsed, and the parser's
`get_method` and `get_http_version`.
It refuses to load under a uvicorn it was not written for (tests/server/test_hostile_http.py checks
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
- Body time: from the end of a request's head to the end of its body (for a request queued behind
  another, from when it becomes the one being answered). Over it: 408 if nothing was answered
  yet, else the connection is closed.
- An answer sent before its request's body has fully arrived says `Connection: close` and the
  connection is closed after it: the rest of the body is never read (uvicorn would read and
  discard it for as long as the client kept sending, each byte restarting its keep-alive timer).
- Pipelining: uvicorn parses everything a read holds and, after each answer, reads again however
  many requests are waiting, so a client that sends requests without reading the answers made the
  server hold thousands of them (20 such connections: +1.2 GB). Here a read is parsed in slices of
  PARSE_SLICE bytes and, once MAX_QUEUED requests wait behind the one being answered, the rest is
  held back (at most one read) and reading stops until the queue shrinks. Answers the client does
  not read stop at the transport's high-water mark (uvicorn waits for the buffer to drain).
- Answers not taken: an answer whose writes wait for the client to read (the transport's buffer
  stayed over its high-water mark) for the body time limit aborts the connection; a client must
  read at least ~48 KiB (high- to low-water mark) per that time.
- Transfer codings: only chunked (501 for any other, e.g. `gzip, chunked`); Transfer-Encoding on
  an HTTP/1.0 request is 400 (RFC 9112 section 6.1).
- Every refusal here is counted in the metrics (`agno_rename_http_refusals_total`, by status and
  error code): these answers never reach the application and its metrics middleware.
- Connections: at most `max_connections` per worker; a connection over it gets 503 at once and is
  closed (uvicorn's `limit_concurrency` answers a text/plain 503 only after reading a request head,
  holding the descriptor meanwhile).
"""

from __future__ import annotations

import asyncio
import http
import logging
from typing import Any

import uvicorn
from uvicorn.config import Config
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from server.errors import answer_for, render_error
from server.http_failures import (
    MalformedRequest,
    RequestBodyTimeout,
    RequestHeadTimeout,
    RequestHeadTooLarge,
    TooManyConnections,
    TransferEncodingInHttp10,
    UnsupportedTransferCoding,
)
from server.metrics import count_refusal
from server.settings import (
    DEFAULT_BODY_TIMEOUT_SECONDS,
    DEFAULT_HEAD_TIMEOUT_SECONDS,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_HEAD_BYTES,
)

WRITTEN_FOR_UVICORN = "0.54.0"
if uvicorn.__version__ != WRITTEN_FOR_UVICORN:
    raise RuntimeError(
        f"server/http_protocol.py relies on uvicorn {WRITTEN_FOR_UVICORN}'s internals; uvicorn "
        f"{uvicorn.__version__} is installed. Check the subclassed methods still exist and mean "
        "the same, then update WRITTEN_FOR_UVICORN."
    )

logger = logging.getLogger("server.http")

PARSE_SLICE = 4096
"""Bytes of a read parsed at a time: at most ~200 requests (`GET / HTTP/1.1` and a blank line)."""
MAX_QUEUED = 16
"""Requests parsed and waiting behind the one being answered before parsing stops."""
_CAP_WARNING_INTERVAL = 10.0  # seconds between two "too many connections" warnings


class _HoldableFlow(FlowControl):
    """uvicorn's read flow control, which also stays paused while `held` (uvicorn resumes
    reading after every answer and whenever the application asks for the body)."""

    held = False

    def resume_reading(self) -> None:
        if not self.held:
            super().resume_reading()


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """Built by uvicorn for each connection; the limits come bound in with functools.partial
    (see server/uvicorn_options.py), so worker processes receive them with the pickled config.

    The time limit costs one clock read per request: each connection has one timer, which checks
    when the head in progress began and sleeps again until its deadline (a timer armed and
    cancelled per request cost ~5 us a request)."""

    _flow: _HoldableFlow  # self.flow, set when the connection is made

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        max_head_bytes: int = DEFAULT_MAX_HEAD_BYTES,
        head_timeout: float = DEFAULT_HEAD_TIMEOUT_SECONDS,
        body_timeout: float = DEFAULT_BODY_TIMEOUT_SECONDS,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._max_head_bytes = max_head_bytes
        self._head_timeout = head_timeout
        self._body_timeout = body_timeout
        self._check_interval = min(head_timeout, body_timeout)
        self._max_connections = max_connections
        self._body_began: float | None = None  # loop time the head ended; None: no body awaited
        self._keep_alive = False  # the cycle's keep_alive, restored when its body has arrived
        self._unparsed = b""  # held back while MAX_QUEUED requests wait
        self._write_timer: asyncio.TimerHandle | None = None  # armed while writing is paused
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
        over_capacity = len(self.connections) >= self._max_connections
        super().connection_made(transport)
        self._flow = self.flow = _HoldableFlow(transport)
        if over_capacity:
            _warn_over_capacity(self._max_connections, self.loop.time())
            self._refuse(TooManyConnections(self._max_connections))
            return
        self._head_began = self.loop.time()  # a connection that sends nothing is a slow head
        self._head_timer = self.loop.call_later(self._check_interval, self._check_deadlines)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None
        self._unparsed = b""
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(self._body_timeout, self._write_stalled)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._flow.held:  # reading was paused; at most the read in flight arrives
            self._unparsed += data
            return
        if len(data) <= PARSE_SLICE:
            self._parse(data)
            if len(self.pipeline) >= MAX_QUEUED:
                self._hold(b"")
        else:
            self._parse_in_slices(data)

    def _parse_in_slices(self, data: bytes) -> None:
        for start in range(0, len(data), PARSE_SLICE):
            self._parse(data[start : start + PARSE_SLICE])
            if self._refused or self.transport.is_closing():
                return
            if len(self.pipeline) >= MAX_QUEUED:
                self._hold(data[start + PARSE_SLICE :])
                return

    def _hold(self, unparsed: bytes) -> None:
        """Stop reading until fewer than MAX_QUEUED requests wait (on_response_complete)."""
        self._unparsed = unparsed
        self.flow.pause_reading()
        self._flow.held = True

    def _parse(self, data: bytes) -> None:
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
        framing = _framing_failure(self.headers, self.parser.get_http_version())
        if framing is not None:
            self._refuse(framing)
            return
        previous = self.cycle
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not previous and cycle is not None:
            # Until the body has arrived, an answer closes the connection (on_message_complete).
            self._keep_alive = cycle.keep_alive
            cycle.keep_alive = False
            self._body_began = self.loop.time()

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
        if self._body_began is not None:
            self._body_began = None
            if not self.cycle.response_started:
                self.cycle.keep_alive = self._keep_alive
        super().on_message_complete()

    # uvicorn's end of an answer and graceful shutdown -------------------------------------------
    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if self._body_began is not None and not self.pipeline:
            # The request whose body is arriving is now the one being answered: its time starts.
            self._body_began = self.loop.time()
        if self._flow.held and len(self.pipeline) < MAX_QUEUED:
            data, self._unparsed = self._unparsed, b""
            self._flow.held = False
            self._parse_in_slices(data)
            if not self._flow.held:
                self.flow.resume_reading()

    def shutdown(self) -> None:
        self._keep_alive = False
        super().shutdown()

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

    def _check_deadlines(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        now = self.loop.time()
        if self._body_began is not None and not self.pipeline:
            remaining = self._body_began + self._body_timeout - now
            if remaining > 0:
                self._head_timer = self.loop.call_later(remaining, self._check_deadlines)
            else:
                self._body_too_slow()
            return
        began = self._head_began
        busy = self.cycle is not None and not self.cycle.response_complete
        if began is None or busy:
            # No head in progress, or a pipelined head behind a request still being answered (its
            # time keeps counting): look again later.
            self._head_timer = self.loop.call_later(self._check_interval, self._check_deadlines)
            return
        remaining = began + self._head_timeout - now
        if remaining > 0:
            self._head_timer = self.loop.call_later(max(remaining, 0.1), self._check_deadlines)
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

    def _write_stalled(self) -> None:
        self._write_timer = None
        logger.info(
            "answer not read within %g s by %s: connection aborted",
            self._body_timeout,
            _peer(self.client),
        )
        self.transport.abort()  # close() would wait for the buffer to drain

    def _body_too_slow(self) -> None:
        logger.info(
            "request body not complete within %g s from %s: connection closed",
            self._body_timeout,
            _peer(self.client),
        )
        if self.cycle.response_started:
            self.transport.close()  # too late for another answer
        else:
            self._refuse(RequestBodyTimeout(self._body_timeout))

    def _refuse(self, failure: Exception) -> None:
        """Answer with the error table's JSON body and close the connection."""
        if self._refused or self.transport.is_closing():
            return
        self._refused = True
        rendered = render_error(failure)
        count_refusal(rendered.status, answer_for(failure).error_code)
        phrase = http.HTTPStatus(rendered.status).phrase
        lines = [f"HTTP/1.1 {rendered.status} {phrase}".encode("ascii")]
        lines += [name + b": " + value for name, value in self.server_state.default_headers]
        headers = {name.lower(): value for name, value in rendered.headers.items()}
        headers["content-type"] = "application/json"
        headers["content-length"] = str(len(rendered.body))
        headers["connection"] = "close"
        lines += [f"{name}: {value}".encode("latin-1") for name, value in headers.items()]
        self.transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + rendered.body)
        self.transport.close()


_TRANSFER_ENCODING = b"transfer-encoding"


def _framing_failure(headers: list[tuple[bytes, bytes]], version: str) -> Exception | None:
    """RFC 9112 section 6.1 for what httptools lets through: an HTTP/1.0 request with
    Transfer-Encoding is faulty framing (400, closed); a list that does not end in chunked cannot
    be framed (400, section 6.3); a coding other than chunked before it is 501 (for `gzip,
    chunked` httptools takes the chunks off and would hand on still-gzipped bytes). httptools
    itself refuses chunked twice (400)."""
    codings: list[str] = []
    for name, value in headers:
        if name == _TRANSFER_ENCODING:  # uvicorn lower-cases header names
            codings += value.decode("latin-1").split(",")
    if not codings:
        return None
    if version == "1.0":
        return TransferEncodingInHttp10()
    names = [coding.strip(" \t") for coding in codings]
    if names[-1].lower() != "chunked":
        return MalformedRequest()  # section 6.3: the body's length cannot be known, 400
    for coding in names:
        if coding.lower() != "chunked":
            return UnsupportedTransferCoding(coding)
    return None


_last_cap_warning = -_CAP_WARNING_INTERVAL


def _warn_over_capacity(limit: int, now: float) -> None:
    """One warning per interval: a flood of connections must not become a flood of log lines."""
    global _last_cap_warning
    if now - _last_cap_warning >= _CAP_WARNING_INTERVAL:
        _last_cap_warning = now
        logger.warning("%d connections open: new connections refused with 503", limit)


def _peer(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "unknown client"
