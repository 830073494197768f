"""Clients that hold a real `agno-rename serve` over raw sockets: requests pipelined and never
answered-read, bodies sent without credentials, bodies that never finish, and more connections
than the server takes (server/http_protocol.py, server/body_limit.py)."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.raw_http import (
    CLOSE_WAIT,
    RSS_GROWTH_BOUND,
    Answer,
    assert_error,
    parse_answer,
    read_until_closed,
    rss_bytes,
)
from tests.server_process import RunningServer, running_server, seed

TOKEN = "connections-token-0123456789"
BODY_TIMEOUT = 1.5  # seconds; short so the tests do not wait long
MAX_CONNECTIONS = 4
HEALTH = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
# Answers of ~10 kB: the server's writes stop at its socket buffer, long before the requests end.
DOCUMENT = b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n"
PIPELINING_CONNECTIONS = 10
PIPELINED_BYTES = 1024 * 1024  # per connection: ~24,000 requests the server must not hold
UNAUTHENTICATED_BODIES = 200
CHUNK = b"a" * 4096
CHUNKED_BODY_BYTES = 1024 * 1024


def _port(server: RunningServer) -> int:
    return int(server.base_url.rsplit(":", 1)[1])


def _session_id(workdir: Path) -> tuple[str, str]:
    database = f"sqlite:///{workdir / 'sessions.db'}"
    sessions_file = workdir / "sessions.json"
    seed(database, sessions_file)
    return database, json.loads(sessions_file.read_text())["sessions"][0]["session_id"]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("connections")


@pytest.fixture(scope="module")
def seeded(workdir: Path) -> tuple[str, str]:
    return _session_id(workdir)


@pytest.fixture(scope="module")
def server(workdir: Path, seeded: tuple[str, str]) -> Iterator[RunningServer]:
    """Default limits but a short body timeout (by its environment variable; the flag is used
    by `capped` below)."""
    with running_server(
        seeded[0], workdir, token=TOKEN, env={"BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT)}
    ) as running:
        yield running


@pytest.fixture(scope="module")
def capped(workdir: Path, seeded: tuple[str, str]) -> Iterator[RunningServer]:
    extra = ["--max-connections", str(MAX_CONNECTIONS), "--head-timeout", "600"]
    extra += ["--body-timeout", "600"]
    with running_server(seeded[0], workdir, token=TOKEN, extra_args=extra) as running:
        yield running


def _rename_head(session_id: str, token: str | None, framing: bytes) -> bytes:
    lines = [
        b"POST /sessions/" + session_id.encode() + b"/rename HTTP/1.1",
        b"Host: x",
        b"Content-Type: application/json",
        framing,
    ]
    if token is not None:
        lines.append(b"Authorization: Bearer " + token.encode())
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _send_until_refused(connection: socket.socket, data: bytes, blocked: float = 5.0) -> None:
    """Send `data`; the server may close the connection or stop reading before the end."""
    connection.settimeout(blocked)  # a send blocked this long: the server stopped reading
    with contextlib.suppress(BrokenPipeError, ConnectionResetError, TimeoutError):
        connection.sendall(data)


def _one_answer(connection: socket.socket) -> Answer:
    """One answer framed by its Content-Length, the connection left open."""
    received = b""
    while b"\r\n\r\n" not in received or len(received) < _framed_length(received):
        chunk = connection.recv(65536)
        assert chunk, f"the server closed the connection; got {received!r}"
        received += chunk
    return parse_answer(received)


def _framed_length(received: bytes) -> int:
    head, _, _ = received.partition(b"\r\n\r\n")
    length = parse_answer(head + b"\r\n\r\n").headers["content-length"]
    return len(head) + 4 + int(length)


def _raw_head(raw: bytes) -> list[bytes]:
    return raw.partition(b"\r\n\r\n")[0].lower().split(b"\r\n")


# Pipelining ------------------------------------------------------------------------------------
def test_pipelined_requests_never_read_do_not_grow_the_server(server: RunningServer) -> None:
    pid = server.process.pid
    before = rss_bytes(pid)
    connections = [
        socket.create_connection(("127.0.0.1", _port(server)))
        for _ in range(PIPELINING_CONNECTIONS)
    ]
    pipelined = DOCUMENT * (PIPELINED_BYTES // len(DOCUMENT))
    largest = 0
    try:
        for connection in connections:
            _send_until_refused(connection, pipelined, blocked=1.0)
            largest = max(largest, rss_bytes(pid) - before)
        for _ in range(20):  # the server keeps answering others meanwhile
            with socket.create_connection(("127.0.0.1", _port(server))) as other:
                other.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                assert parse_answer(read_until_closed(other)).status == 200
            largest = max(largest, rss_bytes(pid) - before)
    finally:
        for connection in connections:
            connection.close()
    assert largest < RSS_GROWTH_BOUND, f"the server grew by {largest / 1e6:.0f} MB"


def test_pipelined_requests_are_all_answered_in_order(
    server: RunningServer, seeded: tuple[str, str]
) -> None:
    """Parsing held back while requests wait resumes: one write of many requests, every one of
    them answered, in order, the renames included."""
    names = [f"Pipelined {i:06d}".encode() for i in range(300)]
    bodies = [b'{"session_name": "' + name + b'"}' for name in names]
    rename = _rename_head(seeded[1], TOKEN, b"Content-Length: %d" % len(bodies[0]))
    requests = b"".join(HEALTH + rename + body for body in bodies)
    requests += b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", _port(server))) as connection:
        connection.sendall(requests)
        received = read_until_closed(connection)
    assert received.count(b"HTTP/1.1 200 OK\r\n") == 2 * len(names) + 1
    found = [part.split(b'"', 1)[0] for part in received.split(b'"session_name":"')[1:]]
    assert found == names


# Authentication before the body ---------------------------------------------------------------
def test_a_chunked_body_without_a_token_is_401_unread(
    server: RunningServer, seeded: tuple[str, str]
) -> None:
    """The answer is the 401 before the body ends (it was a 413 once the body had been read up
    to the limit), and the connection is closed rather than the rest of the body read."""
    head = _rename_head(seeded[1], None, b"Transfer-Encoding: chunked")
    with socket.create_connection(("127.0.0.1", _port(server))) as connection:
        connection.sendall(head + b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n")
        raw = read_until_closed(connection)
    answer = parse_answer(raw)
    assert_error(answer, 401, "UNAUTHENTICATED")
    assert answer.headers["connection"] == "close"


def test_unfinished_chunked_bodies_without_a_token_do_not_grow_the_server(
    server: RunningServer, seeded: tuple[str, str]
) -> None:
    pid = server.process.pid
    before = rss_bytes(pid)
    head = _rename_head(seeded[1], None, b"Transfer-Encoding: chunked")
    chunks = (b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n") * (CHUNKED_BODY_BYTES // len(CHUNK) - 1)
    connections = [
        socket.create_connection(("127.0.0.1", _port(server)))
        for _ in range(UNAUTHENTICATED_BODIES)
    ]
    try:
        for connection in connections:
            _send_until_refused(connection, head + chunks)  # just under the limit, unfinished
        grown = rss_bytes(pid) - before
        for connection in connections:
            read_until_closed(connection)  # fails unless the server closes it
    finally:
        for connection in connections:
            connection.close()
    assert grown < RSS_GROWTH_BOUND, f"the server grew by {grown / 1e6:.0f} MB"


# Connections held -------------------------------------------------------------------------------
def test_an_answer_before_the_body_closes_the_connection(
    server: RunningServer, seeded: tuple[str, str]
) -> None:
    """No token, a body promised and trickled: 401, `Connection: close`, and closed (uvicorn
    read and discarded the body for as long as it came, each byte restarting its timer)."""
    head = _rename_head(seeded[1], None, b"Content-Length: 1000000")
    with socket.create_connection(("127.0.0.1", _port(server))) as connection:
        connection.sendall(head + b"{")
        raw = read_until_closed(connection)
    assert_error(parse_answer(raw), 401, "UNAUTHENTICATED")
    assert _raw_head(raw).count(b"connection: close") == 1


@pytest.mark.parametrize("sent", [b"", b'{"session_name": '], ids=["no body", "part of it"])
def test_a_body_that_does_not_arrive_is_408(
    server: RunningServer, seeded: tuple[str, str], sent: bytes
) -> None:
    head = _rename_head(seeded[1], TOKEN, b"Content-Length: 100")
    with socket.create_connection(("127.0.0.1", _port(server))) as connection:
        connection.sendall(head + sent)
        raw = read_until_closed(connection)
    assert_error(parse_answer(raw), 408, "REQUEST_TIMEOUT")
    assert _raw_head(raw).count(b"connection: close") == 1


def test_a_body_trickled_a_byte_at_a_time_is_408(
    server: RunningServer, seeded: tuple[str, str]
) -> None:
    """Each byte arrives well within any idle timeout; the body as a whole does not."""
    head = _rename_head(seeded[1], TOKEN, b"Content-Length: 100000")
    with socket.create_connection(("127.0.0.1", _port(server))) as connection:
        connection.sendall(head)
        connection.settimeout(BODY_TIMEOUT / 10)  # the pace: a byte, then a wait for an answer
        for _ in range(int(CLOSE_WAIT / (BODY_TIMEOUT / 10))):
            connection.sendall(b" ")
            try:
                received = connection.recv(65536)
                break
            except TimeoutError:
                continue
        else:
            pytest.fail("the server read a trickled body for the whole wait")
        received += read_until_closed(connection)
    assert_error(parse_answer(received), 408, "REQUEST_TIMEOUT")


def test_a_body_sent_in_time_keeps_the_connection(
    server: RunningServer, seeded: tuple[str, str]
) -> None:
    """The close after an early answer is only that: a body read in full keeps the connection
    for the next request."""
    body = b'{"session_name": "Kept alive"}'
    rename = _rename_head(seeded[1], TOKEN, b"Content-Length: %d" % len(body)) + body
    with socket.create_connection(("127.0.0.1", _port(server))) as connection:
        connection.settimeout(CLOSE_WAIT)
        for _ in range(3):
            connection.sendall(rename)
            answer = _one_answer(connection)
            assert answer.status == 200, answer
            assert "connection" not in answer.headers


def test_connections_over_the_cap_are_503_and_closed(capped: RunningServer) -> None:
    port = _port(capped)
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(MAX_CONNECTIONS)]
    try:
        # A held connection is open in the server once it answers on it.
        for connection in held:
            connection.sendall(HEALTH)
            connection.settimeout(CLOSE_WAIT)
            assert connection.recv(65536).startswith(b"HTTP/1.1 200 ")
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port)) as extra:
                raw = read_until_closed(extra)
            assert_error(parse_answer(raw), 503, "SERVICE_UNAVAILABLE")
            assert _raw_head(raw).count(b"connection: close") == 1
        held.pop().close()
        for _ in range(100):  # the server notices the close shortly
            with socket.create_connection(("127.0.0.1", port)) as again:
                again.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if parse_answer(read_until_closed(again)).status == 200:
                    break
        else:
            pytest.fail("a closed connection's place was never given to a new one")
    finally:
        for connection in held:
            connection.close()
    assert "new connections refused with 503" in capped.log()


def test_answers_the_client_does_not_read_abort_the_connection(server: RunningServer) -> None:
    """The 1.4 MB Swagger UI bundle asked for 4 times and never read: more than the socket
    buffers take (one answer fits, and its connection is closed by the keep-alive timeout), so
    the server's writes wait; after the body time limit it gives the connection up."""
    requests = 4
    log_before = len(server.log().splitlines())
    with socket.socket() as connection:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        connection.connect(("127.0.0.1", _port(server)))
        connection.sendall(b"GET /docs/swagger-ui-bundle.js HTTP/1.1\r\nHost: x\r\n\r\n" * requests)
        for _ in range(int(CLOSE_WAIT / 0.1)):  # the server logs it once it gave up
            if "answer not read within" in "\n".join(server.log().splitlines()[log_before:]):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the server kept waiting for the client to read")
        received = read_until_closed(connection)
    answer = parse_answer(received)
    assert answer.status == 200
    assert len(received) < requests * int(answer.headers["content-length"])  # cut short
