"""Raw HTTP/1.1 over a socket, for tests of the HTTP layer itself (what a client library would
tidy up or refuse to send): an answer parsed from bytes, reading until the server closes, the
error-body assertion and the process memory those tests bound."""

from __future__ import annotations

import contextlib
import json
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

CLOSE_WAIT = 30.0  # how long a test waits for the server to close a connection (a bound only)
RSS_GROWTH_BOUND = 50 * 1024 * 1024  # the unbounded server grew by ~300 MB here


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def parse_answer(raw: bytes) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(status, headers, body)


def read_until_closed(connection: socket.socket, wait: float = CLOSE_WAIT) -> bytes:
    """Everything the server sends until it closes the connection; fails if it does not close
    it within `wait` seconds."""
    connection.settimeout(wait)
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {wait} s; got {received[:200]!r}")
    return received


def exchange(port: int, request: bytes) -> Answer:
    """Send `request`, then read the answer until the server closes the connection. A server
    may answer (and close) before it has read all of a large body, as it does for a refusal:
    the send then fails, and the answer is still read."""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(request)
        return parse_answer(read_until_closed(connection))


def assert_error(answer: Answer, status: int, error_code: str) -> None:
    assert answer.status == status, answer
    assert answer.headers["content-type"] == "application/json", answer
    body = answer.json()
    assert isinstance(body, dict) and set(body) == {"detail", "error_code"}, body
    assert body["error_code"] == error_code and isinstance(body["detail"], str), body


def rss_bytes(pid: int, field: str = "VmRSS") -> int:
    """The process's resident memory now (VmRSS) or at its highest so far (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field}")
