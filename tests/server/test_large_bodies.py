"""Rename bodies near the 1 MiB limit against a real `agno-rename serve`: answered as a small
body would be, and at a bounded cost to the worker's event loop (server/large_body.py).

Before, a 1 MiB body of empty lists cost the worker ~160 ms of CPU on its event loop (the
standard library's json built every member, twice), and no other request on that worker was
answered meanwhile. The cost is checked as CPU time the server process spent (from /proc, like
the memory bounds elsewhere), with a bound several times what it costs now and a fraction of
what it cost: a resource bound, never a wall-clock one, so a loaded machine does not change it.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.processes import tree_cpu_seconds
from server.settings import DEFAULT_MAX_BODY_BYTES
from tests.direct_db import SqliteDirect
from tests.raw_http import Answer, assert_error, parse_answer, read_until_closed
from tests.server_process import RunningServer, running_server, seed

TOKEN = "large-bodies-token-0123456789"
LARGE_BODIES = 16
CPU_BOUND_PER_BODY = 0.05  # seconds; measured 0.008 now (mostly reading 1 MiB), 0.16 before


@dataclass(frozen=True)
class Target:
    server: RunningServer
    database: Path
    session_id: str

    @property
    def port(self) -> int:
        return int(self.server.base_url.rsplit(":", 1)[1])

    def stored_name(self) -> str | None:
        return SqliteDirect(self.database).names()[self.session_id]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    workdir = tmp_path_factory.mktemp("large-bodies")
    database = workdir / "sessions.db"
    sessions_file = workdir / "sessions.json"
    seed(f"sqlite:///{database}", sessions_file)
    session_id = json.loads(sessions_file.read_text())["sessions"][0]["session_id"]
    # The default body limit (1 MiB) and log level warning (no access line per request).
    with running_server(
        f"sqlite:///{database}", workdir, token=TOKEN, env={"LOG_LEVEL": "warning"}
    ) as server:
        yield Target(server, database, session_id)


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
    with socket.create_connection(("127.0.0.1", target.port)) as connection:
        connection.sendall(request)
        return parse_answer(read_until_closed(connection))


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


def test_large_bodies_cost_the_event_loop_little(target: Target) -> None:
    """LARGE_BODIES bodies of 1 MiB, sent by several clients at once, all answered 200, and the
    server's CPU time for them bounded."""
    bodies = [
        _padded(b'"session_name":' + json.dumps(f"Large {n}").encode()) for n in range(LARGE_BODIES)
    ]
    pid = target.server.process.pid
    before = tree_cpu_seconds(pid)
    with ThreadPoolExecutor(4) as pool:
        statuses = [answer.status for answer in pool.map(lambda b: _send(target, b), bodies)]
    spent = tree_cpu_seconds(pid) - before
    assert statuses == [200] * LARGE_BODIES
    assert spent < LARGE_BODIES * CPU_BOUND_PER_BODY, f"{spent:.2f} s of CPU"
