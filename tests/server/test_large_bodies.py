"""Rename bodies near the 1 MiB limit against a real `agno-rename serve`: answered as a small
body would be, without building what a rename ignores (server/large_body.py).

Before, a 1 MiB body of empty lists made the standard library's json build ~350,000 lists (about
24 MB, ~160 ms of the worker's event loop, during which no other request on it was answered).
What is checked is the mechanism, as memory: the server's peak resident memory (VmHWM) barely
moves while it answers such bodies (measured: 5 MiB for 16 bodies, 104 MiB with the standard
library). The time it saves (~160 ms of CPU per body before, ~8 ms now) is measured, never
asserted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from server.settings import DEFAULT_MAX_BODY_BYTES
from tests.raw_http import Answer, assert_error, exchange, rss_bytes
from tests.server_process import SeededTarget, seeded_target

TOKEN = "large-bodies-token-0123456789"
LARGE_BODIES = 16
PEAK_GROWTH_BOUND = 24 * 1024 * 1024  # measured: 5 MiB digested, 104 MiB built (json, twice)


Target = SeededTarget
# The default body limit (1 MiB) and log level warning (no access line per request).
_ENV = {"LOG_LEVEL": "warning"}


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with seeded_target(tmp_path_factory.mktemp("large-bodies"), token=TOKEN, env=_ENV) as seeded:
        yield seeded


def _padded(members: bytes, size: int = DEFAULT_MAX_BODY_BYTES) -> bytes:
    """`{<members>, "junk": [[], [], ...]}` of exactly `size` bytes: about the costliest JSON
    per byte to build (a Python list per three bytes; the standard library took ~250 ms for
    1 MiB of it, msgspec checks it in ~7 ms)."""
    opening, closing = b"{" + members + b',"junk":[', b"[]]}"
    count, spare = divmod(size - len(opening) - len(closing), 3)
    return opening + b"[]," * count + b" " * spare + closing


def _send(
    target: Target, body: bytes, *, chunked: bool = False, media: bytes = b"application/json"
) -> Answer:
    head = (
        (
            f"POST /sessions/{target.session_id}/rename HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {TOKEN}\r\nConnection: close\r\n"
        ).encode()
        + b"Content-Type: "
        + media
        + b"\r\n"
    )
    if chunked:
        framed = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
        request = head + b"Transfer-Encoding: chunked\r\n\r\n" + framed
    else:
        request = head + b"Content-Length: %d\r\n\r\n" % len(body) + body
    return exchange(target.port, request)


def test_a_large_valid_body_is_a_rename(target: Target) -> None:
    for chunked in (False, True):
        name = f"Padded to 1 MiB (chunked: {chunked})"
        body = _padded(b'"session_name":' + json.dumps(name).encode())
        assert len(body) == DEFAULT_MAX_BODY_BYTES
        answer = _send(target, body, chunked=chunked)
        assert answer.status == 200, answer
        assert json.loads(answer.body)["session_name"] == name
        assert target.stored_name() == name


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (_padded(b'"session_name":"x"')[:-1], 422, "not valid JSON"),  # malformed at the end
        (b"[" + b"1," * (DEFAULT_MAX_BODY_BYTES // 2 - 2) + b"1]", 422, "not a JSON object"),
        (_padded(b'"other":"x"'), 422, "'session_name' is a required property"),
        (_padded(b'"session_name":12'), 422, "'session_name' is not of type 'string'"),
        (_padded(b'"session_name":"' + b"n" * 300_000 + b'"'), 400, "at most 255 characters"),
    ],
    ids=["malformed", "array", "no-name", "number-name", "long-name"],
)
def test_a_large_body_that_is_no_rename_is_refused(
    target: Target, body: bytes, status: int, detail: str
) -> None:
    before = target.stored_name()
    answer = _send(target, body)
    code = "VALIDATION_ERROR" if status == 422 else "BAD_REQUEST"
    assert_error(answer, status, code)
    message = json.loads(answer.body)["detail"]
    assert detail in message and len(message) <= 500, message[:1000]
    assert target.stored_name() == before


def test_a_large_body_of_another_media_type_is_still_422(target: Target) -> None:
    answer = _send(target, _padded(b'"session_name":"x"'), media=b"text/plain")
    assert_error(answer, 422, "VALIDATION_ERROR")


def test_large_bodies_are_not_built(tmp_path: Path) -> None:
    """LARGE_BODIES bodies of 1 MiB of empty lists, sent by several clients at once to a fresh
    server, all answered 200, and the server's peak memory grows by less than building the
    members of one of them would take."""
    with seeded_target(tmp_path, token=TOKEN, env=_ENV) as fresh:
        assert _send(fresh, _padded(b'"session_name":"warm-up"', 1024)).status == 200
        pid = fresh.server.process.pid
        before = rss_bytes(pid, "VmHWM")
        bodies = [
            _padded(b'"session_name":' + json.dumps(f"Large {n}").encode())
            for n in range(LARGE_BODIES)
        ]
        with ThreadPoolExecutor(4) as pool:
            statuses = [answer.status for answer in pool.map(lambda b: _send(fresh, b), bodies)]
        grown = rss_bytes(pid, "VmHWM") - before
    assert statuses == [200] * LARGE_BODIES
    assert grown < PEAK_GROWTH_BOUND, f"peak memory grew by {grown / 2**20:.1f} MiB"
