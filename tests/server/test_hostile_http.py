"""Hostile and careless HTTP against a real `agno-rename serve` over raw sockets: unfinished and
slow request heads, oversized and chunked bodies, hostile JSON, odd media types, Host-built
redirects, malformed requests, clients that go away, and secrets on command lines."""

from __future__ import annotations

import json
import os
import re
import socket
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from server.http_protocol import WRITTEN_FOR_UVICORN
from tests.postgres_server import shared_postgres_server
from tests.raw_http import (
    CLOSE_WAIT,
    RSS_GROWTH_BOUND,
    assert_error,
    exchange,
    parse_answer,
    read_until_closed,
    rss_bytes,
)
from tests.server_process import (
    BIN,
    SeededTarget,
    free_port,
    running_process,
    seeded_target,
)

TOKEN = "hostile-token-0123456789"
HEAD_TIMEOUT = 2.0  # seconds; short so the tests do not wait long
BODY_LIMIT = 16 * 1024  # over every hostile JSON body below
UNFINISHED_HEADS = 150
UNFINISHED_HEAD_BYTES = 2 * 1024 * 1024
LONG_QUERY_STRINGS = 1200  # over what any cache of the server holds (1,024 entries)


Target = SeededTarget


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with seeded_target(
        tmp_path_factory.mktemp("hostile"),
        token=TOKEN,
        extra_args=["--head-timeout", str(HEAD_TIMEOUT)],
        # The body limit through its environment variable (flags: test_limit_flags below).
        env={"MAX_BODY_BYTES": str(BODY_LIMIT), "LOG_LEVEL": "info"},
    ) as seeded:
        yield seeded


@pytest.fixture(autouse=True)
def no_internal_error(target: Target) -> Iterator[None]:
    """Whatever a test sends, the server logs no internal error (and no traceback) for it."""
    lines_before = len(target.server.log().splitlines())
    yield
    added = "\n".join(target.server.log().splitlines()[lines_before:])
    assert "internal error" not in added and "Traceback" not in added, added[-3000:]


def rename_request(
    session_id: str,
    body: bytes,
    *,
    content_type: bytes | None = b"application/json",
    host: bytes = b"127.0.0.1",
    path_suffix: bytes = b"",
    extra: bytes = b"",
    length: int | None = None,
) -> bytes:
    head = [
        b"POST /sessions/" + session_id.encode() + b"/rename" + path_suffix + b" HTTP/1.1",
        b"Host: " + host,
        b"Authorization: Bearer " + TOKEN.encode(),
        b"Connection: close",
    ]
    if content_type is not None:
        head.append(b"Content-Type: " + content_type)
    head.append(b"Content-Length: " + str(len(body) if length is None else length).encode())
    return b"\r\n".join(head) + b"\r\n" + extra + b"\r\n" + body


def name_body(name: str) -> bytes:
    return json.dumps({"session_name": name}).encode()


# 1. Bounded before authentication ------------------------------------------------------------
def test_uvicorn_is_the_version_the_protocol_subclass_was_written_for() -> None:
    # server/http_protocol.py subclasses uvicorn internals: a new uvicorn must be looked at.
    assert uvicorn.__version__ == WRITTEN_FOR_UVICORN


def test_a_head_over_the_limit_is_refused_with_431_json(target: Target) -> None:
    big_header = b"X-Filler: " + b"a" * (70 * 1024) + b"\r\n"
    answer = exchange(target.port, rename_request(target.session_id, b"{}", extra=big_header))
    assert_error(answer, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE")


def test_unfinished_heads_without_a_token_do_not_grow_the_server(target: Target) -> None:
    pid = target.server.process.pid
    before = rss_bytes(pid)
    connections = [socket.create_connection(("127.0.0.1", target.port)) for _ in range(150)]
    chunk = b"a" * (64 * 1024)
    refused = [False] * len(connections)
    try:
        for connection in connections:
            connection.settimeout(CLOSE_WAIT)
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: ")
        for _ in range(UNFINISHED_HEAD_BYTES // len(chunk)):
            for index, connection in enumerate(connections):
                if refused[index]:
                    continue
                try:
                    connection.sendall(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    refused[index] = True
        grown = rss_bytes(pid) - before
        for index, connection in enumerate(connections):
            if not refused[index]:
                read_until_closed(connection)  # fails unless the server closes it
    finally:
        for connection in connections:
            connection.close()
    assert grown < RSS_GROWTH_BOUND, f"the server grew by {grown / 1e6:.0f} MB"


def test_distinct_long_query_strings_do_not_grow_the_server(target: Target) -> None:
    """Valid query strings of 48 KiB, each different, with the token: whatever the server
    remembers per query string must not grow with them (97 MiB before the key-length bound)."""
    pid = target.server.process.pid
    headers = {"Authorization": f"Bearer {TOKEN}"}
    url = f"{target.server.base_url}/sessions/{target.session_id}/rename"
    with httpx.Client(headers=headers, timeout=CLOSE_WAIT) as client:
        # One first, so that whatever the first request builds is not counted.
        client.post(url, params={"user_id": "warm-up"}, json={"session_name": "x"})
        before = rss_bytes(pid)
        for number in range(LONG_QUERY_STRINGS):
            owner = f"{number:08d}" + "u" * (48 * 1024)
            response = client.post(url, params={"user_id": owner}, json={"session_name": "x"})
            assert response.status_code == 404, response.text[:300]
        grown = rss_bytes(pid) - before
    assert grown < RSS_GROWTH_BOUND, f"grew by {grown / 2**20:.0f} MiB"


def test_half_sent_request_lines_are_closed_after_the_head_timeout(target: Target) -> None:
    connections = [socket.create_connection(("127.0.0.1", target.port)) for _ in range(20)]
    try:
        for connection in connections:
            connection.sendall(b"POST /sessions/" + target.session_id.encode()[:8])
        for connection in connections:
            answer = parse_answer(read_until_closed(connection))
            assert_error(answer, 408, "REQUEST_TIMEOUT")
    finally:
        for connection in connections:
            connection.close()


def test_a_connection_that_sends_nothing_is_closed(target: Target) -> None:
    with socket.create_connection(("127.0.0.1", target.port)) as connection:
        assert read_until_closed(connection) == b""


def test_a_head_sent_a_byte_at_a_time_is_closed_after_the_head_timeout(target: Target) -> None:
    with socket.create_connection(("127.0.0.1", target.port)) as connection:
        connection.settimeout(CLOSE_WAIT)
        sent_for = 0.0
        try:
            for byte in b"GET /health HTTP/1.1\r\nX-Slow: " + b"a" * 1000:
                connection.sendall(bytes([byte]))
                time.sleep(0.2)
                sent_for += 0.2
                if sent_for > CLOSE_WAIT:
                    pytest.fail("the server kept a dribbling head for the whole wait")
        except (BrokenPipeError, ConnectionResetError):
            return  # closed while we were still sending
        pytest.fail("the server read the whole dribbled head")  # pragma: no cover


def test_a_keep_alive_connection_serves_several_requests(target: Target) -> None:
    """The head limit restarts at each request: many small requests on one connection pass."""
    request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", target.port)) as connection:
        connection.settimeout(CLOSE_WAIT)
        for _ in range(300):  # 300 x 36 bytes: over no limit one at a time, over 8 KiB in sum
            connection.sendall(request)
            received = b""
            while not received.endswith(b'{"status":"ok"}'):
                received += connection.recv(65536)
            assert received.startswith(b"HTTP/1.1 200 ")


# 2. Body limit -----------------------------------------------------------------------------------
def test_a_declared_body_over_the_limit_is_413_before_it_is_sent(target: Target) -> None:
    # Only the head is sent: the answer cannot have waited for the body.
    request = rename_request(target.session_id, b"", length=50 * 1024 * 1024)
    answer = exchange(target.port, request)
    assert_error(answer, 413, "PAYLOAD_TOO_LARGE")
    assert answer.headers["connection"] == "close"


def test_a_chunked_body_over_the_limit_is_413(target: Target) -> None:
    head = rename_request(target.session_id, b"").split(b"Content-Length")[0]
    chunk = b"a" * 1000
    body = (
        b"".join(b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(BODY_LIMIT // 1000 + 1))
        + b"0\r\n\r\n"
    )
    answer = exchange(target.port, head + b"Transfer-Encoding: chunked\r\n\r\n" + body)
    assert_error(answer, 413, "PAYLOAD_TOO_LARGE")


def test_a_body_at_the_limit_is_read(target: Target) -> None:
    name = "At the limit"
    prefix, suffix = b'{"session_name": "' + name.encode() + b'", "padding": "', b'"}'
    body = prefix + b"p" * (BODY_LIMIT - len(prefix) - len(suffix)) + suffix
    assert len(body) == BODY_LIMIT
    answer = exchange(target.port, rename_request(target.session_id, body))
    assert answer.status == 200, answer
    assert target.stored_name() == name


# 3. JSON -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"session_name": "x", "a": ' + b"9" * 5000 + b"}", id="5000-digit int"),
        pytest.param(b'{"session_name": ' + b"9" * 5000 + b"}", id="5000-digit name"),
        pytest.param(b'{"session_name": "x", "a": ' + b"[" * 1000 + b"]" * 1000 + b"}", id="deep"),
        pytest.param(b"[" * 2000 + b"]" * 2000, id="deep array"),
        pytest.param(b'{"session_name": "x"', id="truncated"),
        pytest.param(b'{"session_name": "x"}}', id="trailing"),
        pytest.param(b'{"session_name": "x", "a": NaN}', id="NaN"),
        pytest.param(b'{"session_name": "x", "a": [-Infinity]}', id="-Infinity"),
        pytest.param(b'{"session_name": "x", "a": Infinity}', id="Infinity"),
    ],
)
def test_hostile_json_is_422(target: Target, body: bytes) -> None:
    assert_error(
        exchange(target.port, rename_request(target.session_id, body)), 422, "VALIDATION_ERROR"
    )


def test_a_422_detail_does_not_echo_the_body(target: Target) -> None:
    """jsonschema's message starts with the failing value: an array of BODY_LIMIT bytes made
    a detail longer than the body itself."""
    body = b"[" + b"1," * (BODY_LIMIT // 2 - 2) + b"1]"
    answer = exchange(target.port, rename_request(target.session_id, body))
    assert_error(answer, 422, "VALIDATION_ERROR")
    detail = json.loads(answer.body)["detail"]
    assert detail.startswith("[1, 1, ") and len(detail) <= 500, detail[:600]


def test_no_nesting_depth_is_a_500(target: Target) -> None:
    """Where the parser gives up depends on the stack depth it runs at; every depth around
    Python's recursion limit answers 200 or 422."""
    for depth in range(900, 1001, 4):
        body = b'{"session_name": "Deep", "a": ' + b"[" * depth + b"]" * depth + b"}"
        answer = exchange(target.port, rename_request(target.session_id, body))
        assert answer.status in (200, 422), (depth, answer)


# 4. Media types and chunked bodies ------------------------------------------------------------
@pytest.mark.parametrize(
    "content_type",
    [b"Application/JSON", b"APPLICATION/JSON; charset=UTF-8", b"application/json;charset=utf-8"],
)
def test_json_media_types_are_case_insensitive(target: Target, content_type: bytes) -> None:
    name = f"Typed {content_type.decode()}"
    request = rename_request(target.session_id, name_body(name), content_type=content_type)
    answer = exchange(target.port, request)
    assert answer.status == 200, answer
    assert target.stored_name() == name


def test_another_media_type_is_422(target: Target) -> None:
    request = rename_request(target.session_id, name_body("x"), content_type=b"Text/Plain")
    assert_error(exchange(target.port, request), 422, "VALIDATION_ERROR")


def test_a_chunked_body_is_read_like_any_other(target: Target) -> None:
    name = "Sent in chunks"
    body = name_body(name)
    head = rename_request(target.session_id, b"").split(b"Content-Length")[0]
    chunks = b"".join(b"%x\r\n" % len(part) + part + b"\r\n" for part in (body[:5], body[5:]))
    answer = exchange(
        target.port, head + b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    )
    assert answer.status == 200, answer
    assert json.loads(answer.body)["session_name"] == name
    assert target.stored_name() == name


def _transfer_encoded(session_id: str, body: bytes, coding: bytes, version: bytes) -> bytes:
    """A rename whose body is sent chunked under the Transfer-Encoding `coding`."""
    head = rename_request(session_id, b"").split(b"Content-Length")[0]
    head = head.replace(b" HTTP/1.1\r\n", b" HTTP/" + version + b"\r\n", 1)
    chunks = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    return head + b"Transfer-Encoding: " + coding + b"\r\n\r\n" + chunks


@pytest.mark.parametrize(
    ("coding", "version", "status", "error_code"),
    [
        # RFC 9112 section 6.1: a coding the server does not implement is 501; httptools would
        # take the chunks off and hand on the rest as if it were the body.
        (b"gzip, chunked", b"1.1", 501, "NOT_IMPLEMENTED"),
        (b"identity, chunked", b"1.1", 501, "NOT_IMPLEMENTED"),
        (b"chunked\r\nTransfer-Encoding: chunked", b"1.1", 400, "BAD_REQUEST"),
        # Section 6.3: chunked not last, the length of the body cannot be known.
        (b"gzip", b"1.1", 400, "BAD_REQUEST"),
        # Section 6.1: Transfer-Encoding in an HTTP/1.0 message is faulty framing.
        (b"chunked", b"1.0", 400, "BAD_REQUEST"),
    ],
)
def test_a_transfer_coding_other_than_chunked_is_refused(
    target: Target, coding: bytes, version: bytes, status: int, error_code: str
) -> None:
    before = target.stored_name()
    name = f"Transfer-Encoding {coding!r} over HTTP/{version.decode()}"
    # Not Connection: close, so that the server's closing is what the read waits for.
    request = _transfer_encoded(target.session_id, name_body(name), coding, version)
    answer = exchange(target.port, request.replace(b"Connection: close\r\n", b""))
    assert_error(answer, status, error_code)
    assert answer.headers["connection"] == "close"
    assert target.stored_name() == before  # nothing written


def test_chunked_in_any_case_is_chunked(target: Target) -> None:
    name = "Sent in CHUNKED chunks"
    answer = exchange(
        target.port, _transfer_encoded(target.session_id, name_body(name), b"Chunked", b"1.1")
    )
    assert answer.status == 200, answer
    assert target.stored_name() == name


# 5. No redirects, JSON errors from the HTTP layer -------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        (b"POST", b"/sessions/{id}/rename/"),
        (b"GET", b"/health/"),
        (b"GET", b"/ready/"),
        (b"GET", b"/openapi.json/"),
        (b"GET", b"/no/such/path"),
    ],
)
def test_no_redirect_is_built_from_the_host_header(
    target: Target, method: bytes, path: bytes
) -> None:
    path = path.replace(b"{id}", target.session_id.encode())
    request = (
        method + b" " + path + b" HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer "
        + TOKEN.encode() + b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    )  # fmt: skip
    answer = exchange(target.port, request)
    assert "location" not in answer.headers
    assert_error(answer, 404, "NOT_FOUND")


@pytest.mark.parametrize("path", ["/docs", "/docs/"])
def test_the_docs_page_is_served_at_both_paths_without_a_redirect(
    target: Target, path: str
) -> None:
    request = f"GET {path} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    answer = exchange(target.port, request.encode())
    assert answer.status == 200 and "location" not in answer.headers, answer
    assert answer.headers["content-type"].startswith("text/html")
    # Its stylesheet, where a browser looks for it from that address.
    base = re.search(rb'<base href="([^"]+)">', answer.body)
    page_url = urllib.parse.urljoin(f"http://x{path}", base.group(1).decode() if base else "")
    stylesheet = urllib.parse.urljoin(page_url, "./swagger-ui.css")
    asset = exchange(
        target.port,
        f"GET {urllib.parse.urlsplit(stylesheet).path} HTTP/1.1\r\nHost: x\r\n"
        "Connection: close\r\n\r\n".encode(),
    )
    assert asset.status == 200 and asset.headers["content-type"].startswith("text/css"), asset


def test_another_method_is_the_json_405(target: Target) -> None:
    request = (
        b"GET /sessions/" + target.session_id.encode() + b"/rename HTTP/1.1\r\nHost: x\r\n"
        b"Connection: close\r\n\r\n"
    )
    assert_error(exchange(target.port, request), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize(
    "request_bytes",
    [b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET /health HTTP/1.1\r\nBad Header\r\n\r\n"],
)
def test_a_malformed_request_is_the_json_400(target: Target, request_bytes: bytes) -> None:
    assert_error(exchange(target.port, request_bytes), 400, "BAD_REQUEST")


# 6. Client disconnects -----------------------------------------------------------------------
def test_a_client_that_leaves_mid_body_is_logged_as_such_and_nothing_is_written(
    target: Target,
) -> None:
    before = target.stored_name()
    log_before = len(target.server.log().splitlines())
    # A body that is valid JSON so far, though the request promised more.
    request = rename_request(target.session_id, name_body("Left early"), length=200)
    with socket.create_connection(("127.0.0.1", target.port)) as connection:
        connection.sendall(request)
    lines: list[dict[str, object]] = []
    for _ in range(100):  # the server logs it shortly after the connection closes
        lines = [json.loads(x) for x in target.server.log().splitlines()[log_before:]]
        if any("client disconnected" in str(line.get("message")) for line in lines):
            break
        time.sleep(0.1)
    messages = [str(line.get("message")) for line in lines]
    assert sum("client disconnected" in m for m in messages) == 1, messages
    assert not any("internal error" in m for m in messages), messages
    assert not any("exception" in line for line in lines), lines
    assert target.stored_name() == before


# 7. Secrets never on a command line -------------------------------------------------------------
def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def test_workers_get_the_token_and_database_password_through_the_environment(
    tmp_path: Path,
) -> None:
    password = "pw-never-in-ps-4711"
    url = shared_postgres_server().create_database()
    url_with_password = url.replace("postgres@", f"postgres:{password}@", 1)
    assert password in url_with_password
    port = free_port()
    command = [str(BIN / "agno-rename"), "serve", "--port", str(port), "--workers", "2"]
    environment = {
        **os.environ,
        "OS_SECURITY_KEY": TOKEN,
        "DATABASE_URL": url_with_password,  # as `make run` passes it: not as a flag
    }
    with running_process(command, tmp_path / "workers.log", environment, port) as (_, process):
        processes = [process.pid, *_descendants(process.pid)]
        command_lines = {
            pid: Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ") for pid in processes
        }
        workers = [pid for pid, line in command_lines.items() if b"multiprocessing" in line]
        assert len(workers) >= 2, command_lines  # the workers are there, and were looked at
        for pid, line in command_lines.items():
            assert TOKEN.encode() not in line, (pid, line)
            assert password.encode() not in line, (pid, line)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/sessions/unknown/rename",
            json={"session_name": "x"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert answer.status_code == 404  # the workers have the token and the database


def test_limit_flags_and_their_defaults() -> None:
    from server.cli import build_parser, settings_from_arguments

    defaults = settings_from_arguments(build_parser({}).parse_args(["serve"]), {})
    assert (defaults.max_head_bytes, defaults.head_timeout_seconds) == (64 * 1024, 20.0)
    assert defaults.max_body_bytes == 1024 * 1024
    flags = ["serve", "--max-head-bytes", "1000", "--head-timeout", "3.5"]
    flags += ["--max-body-bytes", "2000"]
    given = settings_from_arguments(build_parser({}).parse_args(flags), {})
    assert (given.max_head_bytes, given.head_timeout_seconds, given.max_body_bytes) == (
        1000,
        3.5,
        2000,
    )
    environment = {"MAX_HEAD_BYTES": "10", "HEAD_TIMEOUT_SECONDS": "1", "MAX_BODY_BYTES": "20"}
    from_env = settings_from_arguments(build_parser(environment).parse_args(["serve"]), {})
    assert (from_env.max_head_bytes, from_env.head_timeout_seconds) == (10, 1.0)
    assert from_env.max_body_bytes == 20
