"""Prometheus metrics: against a real 2-worker server (prometheus-client's multiprocess mode must
add up what every worker counted), and in-process for labels and settings."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from server.app import create_app
from server.cli import build_parser, settings_from_arguments
from server.metrics import forget_dead_workers
from server.metrics_directory import MULTIPROCESS_DIRECTORY_VARIABLE, multiprocess_metrics
from server.settings import Settings
from store.memory import MemoryStore
from tests.conftest import AUTH, TOKEN
from tests.raw_http import assert_error, exchange, parse_answer, read_until_closed
from tests.server_process import running_server, seed

RENAME_ROUTE = "/sessions/{session_id}/rename"
REQUESTS = "agno_rename_http_requests_total"
LATENCY_COUNT = "agno_rename_http_request_duration_seconds_count"
IN_FLIGHT = "agno_rename_http_requests_in_flight"
STORE_ERRORS = "agno_rename_store_errors_total"
ROUND = 24
MAX_ROUNDS = 10
CLIENTS = 8
SCRAPES = 6
FAILING_RENAMES = 3


def _samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def _value(samples: list[tuple[str, dict[str, str], float]], name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels`."""
    return sum(
        value
        for sample_name, sample_labels, value in samples
        if sample_name == name and labels.items() <= sample_labels.items()
    )


def _renames_per_worker(directory: Path) -> dict[int, float]:
    """What each worker process counted itself: its own counter file, read alone."""
    counted = {}
    for path in directory.glob("counter_*.db"):
        merge = MultiProcessCollector.merge
        families = merge([str(path)], accumulate=True)  # type: ignore[no-untyped-call]
        samples = [(s.name, s.labels, s.value) for f in families for s in f.samples]
        pid = int(path.stem.removeprefix("counter_"))
        counted[pid] = _value(samples, REQUESTS, route=RENAME_ROUTE, status="200")
    return counted


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """A real `serve --workers 2` on a seeded SQLite file: (base url, a session id, the
    database file). Its metrics directory is made under tmp_path (TMPDIR)."""
    database = tmp_path / "agno.db"
    sessions_file = tmp_path / "sessions.json"
    seed(f"sqlite:///{database}", sessions_file)
    session = json.loads(sessions_file.read_text())["sessions"][0]
    assert session["type"] == "agent"
    workdir = tmp_path / "server"
    workdir.mkdir()
    with running_server(
        f"sqlite:///{database}",
        workdir,
        token=TOKEN,
        extra_args=["--workers", "2", "--log-level", "warning"],
        env={"TMPDIR": str(tmp_path)},
    ) as server:
        yield server.base_url, session["session_id"], database
    assert list(tmp_path.glob("agno-rename-metrics-*")) == [], "serve left its directory"


def _rename(base_url: str, session_id: str, number: int) -> int:
    # A connection of its own per request, so that both workers get some of them.
    response = httpx.post(
        f"{base_url}/sessions/{session_id}/rename",
        json={"session_name": f"Name {number}"},
        headers={**AUTH, "Connection": "close"},
        timeout=30,
    )
    return response.status_code


def _scrape(base_url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(
        f"{base_url}/metrics",
        headers={**(AUTH if headers is None else headers), "Connection": "close"},
        timeout=30,
    )


def test_two_workers_add_up_to_every_request(
    two_workers: tuple[str, str, Path], tmp_path: Path
) -> None:
    base_url, session_id, database = two_workers
    (directory,) = tmp_path.glob("agno-rename-metrics-*")
    sent = 0
    with ThreadPoolExecutor(CLIENTS) as pool:
        for _ in range(MAX_ROUNDS):
            statuses = list(pool.map(lambda n: _rename(base_url, session_id, n), range(ROUND)))
            assert statuses == [200] * ROUND
            sent += ROUND
            per_worker = _renames_per_worker(directory)
            if len([count for count in per_worker.values() if count > 0]) >= 2:
                break
    per_worker = _renames_per_worker(directory)
    assert len([c for c in per_worker.values() if c > 0]) == 2, per_worker
    assert sum(per_worker.values()) == sent

    # Whichever worker answers a scrape, it reports all of them (not about half).
    for _ in range(SCRAPES):
        scrape = _scrape(base_url)
        assert scrape.status_code == 200, scrape.text
        assert scrape.headers["content-type"].startswith("text/plain")
        samples = _samples(scrape.text)
        assert _value(samples, REQUESTS, method="POST", route=RENAME_ROUTE, status="200") == sent
        assert _value(samples, LATENCY_COUNT, method="POST", route=RENAME_ROUTE) == sent
        # Nothing else is in flight: only the scrape being answered.
        assert _value(samples, IN_FLIGHT) == 1
        assert _value(samples, STORE_ERRORS) == 0

    # The store fails (its table is gone): 500s, counted as store errors.
    with sqlite3.connect(database) as connection:
        connection.execute("DROP TABLE agno_sessions")
    failed = [_rename(base_url, session_id, n) for n in range(FAILING_RENAMES)]
    assert failed == [500] * FAILING_RENAMES
    samples = _samples(_scrape(base_url).text)
    assert _value(samples, STORE_ERRORS) == FAILING_RENAMES
    assert _value(samples, REQUESTS, route=RENAME_ROUTE, status="500") == FAILING_RENAMES
    assert _value(samples, REQUESTS, route=RENAME_ROUTE, status="200") == sent


def test_one_worker_counts_in_its_own_memory(tmp_path: Path) -> None:
    """`serve` with one worker (one process) keeps its counts in memory: no shared directory,
    and a scrape reports every request."""
    database = tmp_path / "agno.db"
    sessions_file = tmp_path / "sessions.json"
    seed(f"sqlite:///{database}", sessions_file)
    session_id = json.loads(sessions_file.read_text())["sessions"][0]["session_id"]
    workdir = tmp_path / "server"
    workdir.mkdir()
    with running_server(
        f"sqlite:///{database}", workdir, token=TOKEN, env={"TMPDIR": str(tmp_path)}
    ) as server:
        assert list(tmp_path.glob("agno-rename-metrics-*")) == []
        statuses = [_rename(server.base_url, session_id, n) for n in range(ROUND)]
        assert statuses == [200] * ROUND
        samples = _samples(_scrape(server.base_url).text)
    assert _value(samples, REQUESTS, method="POST", route=RENAME_ROUTE, status="200") == ROUND
    assert _value(samples, LATENCY_COUNT, method="POST", route=RENAME_ROUTE) == ROUND
    assert _value(samples, IN_FLIGHT) == 1  # the scrape itself


def test_a_scrape_without_the_token_is_refused(two_workers: tuple[str, str, Path]) -> None:
    base_url, _, _ = two_workers
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        refused = _scrape(base_url, headers)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["error_code"] == "UNAUTHENTICATED"
        assert "agno_rename" not in refused.text


def _client(settings: Settings, store: MemoryStore | None = None) -> httpx.AsyncClient:
    app = create_app(store or MemoryStore(), settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.mark.anyio
async def test_labels_are_route_templates_and_bounded() -> None:
    async with _client(Settings(security_key=TOKEN)) as client:
        for session_id in ("one", "two", "three"):
            response = await client.post(
                f"/sessions/{session_id}/rename", json={"session_name": "x"}, headers=AUTH
            )
            assert response.status_code == 404
        assert (await client.get("/nowhere/12345")).status_code == 404
        assert (await client.request("BREW", "/docs/")).status_code == 405
        assert (await client.get("/docs/swagger-ui.css")).status_code == 200
        samples = _samples((await client.get("/metrics", headers=AUTH)).text)
    labels = {tuple(sorted(found.items())) for name, found, _ in samples if name == REQUESTS}
    assert labels == {
        (("method", "POST"), ("route", RENAME_ROUTE), ("status", "404")),
        (("method", "GET"), ("route", "unmatched"), ("status", "404")),
        (("method", "other"), ("route", "/docs/"), ("status", "405")),
        (("method", "GET"), ("route", "/docs/"), ("status", "200")),
    }
    assert _value(samples, REQUESTS, route=RENAME_ROUTE) == 3


@pytest.mark.anyio
async def test_metrics_can_be_off_or_open() -> None:
    async with _client(Settings(security_key=TOKEN, metrics=False)) as client:
        response = await client.get("/metrics", headers=AUTH)
        assert response.status_code == 404
        assert response.json()["error_code"] == "NOT_FOUND"
    async with _client(Settings(security_key=TOKEN, metrics_require_token=False)) as client:
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert IN_FLIGHT in response.text


def _settings(argv: list[str], env: dict[str, str]) -> Settings:
    return settings_from_arguments(build_parser(env).parse_args(["serve", *argv]), env)


def test_settings_defaults_flags_and_environment() -> None:
    default = _settings([], {})
    assert (default.metrics, default.metrics_require_token) == (True, True)
    from_env = _settings([], {"METRICS": "false", "METRICS_REQUIRE_TOKEN": "0"})
    assert (from_env.metrics, from_env.metrics_require_token) == (False, False)
    flags_win = _settings(["--metrics", "--metrics-require-token"], {"METRICS": "off"})
    assert (flags_win.metrics, flags_win.metrics_require_token) == (True, True)
    assert _settings(["--no-metrics-require-token"], {}).metrics_require_token is False
    with pytest.raises(SystemExit, match="METRICS must be true or false"):
        _settings([], {"METRICS": "maybe"})


def test_the_multiprocess_directory_must_come_before_prometheus_client() -> None:
    # This test process has imported prometheus_client (single-process mode) already.
    environ: dict[str, Any] = {}
    with (
        pytest.raises(RuntimeError, match="before its multiprocess directory"),
        multiprocess_metrics(environ),
    ):
        pass
    assert environ == {}


def test_a_dead_workers_in_flight_count_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn replaces a worker that died (SIGKILL, out of memory): the new one drops the dead
    one's in-flight gauge file, whose count would otherwise stay in the sum for ever."""
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(finished.stdout)
    live_pid = os.getpid()
    for pid in (dead_pid, live_pid):
        (tmp_path / f"gauge_livesum_{pid}.db").write_bytes(b"")
    (tmp_path / f"counter_{dead_pid}.db").write_bytes(b"")
    monkeypatch.setenv(MULTIPROCESS_DIRECTORY_VARIABLE, str(tmp_path))
    forget_dead_workers()
    # Its counts stay (they happened); only its live gauge goes.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"counter_{dead_pid}.db", f"gauge_livesum_{live_pid}.db"]
    )


REFUSALS = "agno_rename_http_refusals_total"
REFUSING_HEAD_TIMEOUT = 4.0  # seconds; longer than it takes to open three connections
REFUSING_BODY_TIMEOUT = 1.0


def _refused_by_the_http_layer(port: int, session_id: str) -> None:
    """One of each answer the HTTP protocol sends itself, each read until the server closes."""
    # Over the connection cap (2): the third connection gets 503 at once.
    held = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
    try:
        with socket.create_connection(("127.0.0.1", port)) as third:
            assert_error(parse_answer(read_until_closed(third)), 503, "SERVICE_UNAVAILABLE")
    finally:
        for connection in held:
            connection.close()
    rename = f"POST /sessions/{session_id}/rename HTTP/1.1\r\nHost: x\r\n".encode()
    rename += f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n".encode()
    refused = [
        (b"GARBAGE\r\n\r\n", 400, "BAD_REQUEST"),
        (rename.replace(b"HTTP/1.1", b"HTTP/1.0") + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
         400, "BAD_REQUEST"),
        (rename + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, "NOT_IMPLEMENTED"),
        (rename + b"X-Filler: " + b"a" * 70_000 + b"\r\n\r\n", 431,
         "REQUEST_HEADER_FIELDS_TOO_LARGE"),
        (rename[:20], 408, "REQUEST_TIMEOUT"),  # a head never finished
        (rename + b"Content-Length: 10\r\n\r\n{", 408, "REQUEST_TIMEOUT"),  # a body never finished
    ]  # fmt: skip
    for request, status, error_code in refused:
        assert_error(exchange(port, request), status, error_code)


def test_the_http_layers_own_refusals_are_counted(tmp_path: Path) -> None:
    """The answers server/http_protocol.py sends itself never pass the metrics middleware; they
    are counted by status and error code. A 413 (after authentication, in the application) is a
    request like any other."""
    database = tmp_path / "agno.db"
    sessions_file = tmp_path / "sessions.json"
    seed(f"sqlite:///{database}", sessions_file)
    session_id = json.loads(sessions_file.read_text())["sessions"][0]["session_id"]
    limits = [
        "--max-connections", "2", "--max-body-bytes", "1024",
        "--head-timeout", str(REFUSING_HEAD_TIMEOUT), "--body-timeout", str(REFUSING_BODY_TIMEOUT),
    ]  # fmt: skip
    with running_server(
        f"sqlite:///{database}", tmp_path, token=TOKEN, extra_args=limits,
        env={"TMPDIR": str(tmp_path)},
    ) as server:  # fmt: skip
        port = int(server.base_url.rsplit(":", 1)[1])
        _refused_by_the_http_layer(port, session_id)
        too_large = httpx.post(
            f"{server.base_url}/sessions/{session_id}/rename",
            content=b"{" + b" " * 2048 + b"}",
            headers={**AUTH, "Content-Type": "application/json"},
            timeout=30,
        )
        assert too_large.status_code == 413, too_large.text
        samples = _samples(_scrape(server.base_url).text)
    assert _value(samples, REFUSALS, status="503", error_code="SERVICE_UNAVAILABLE") == 1
    assert _value(samples, REFUSALS, status="400", error_code="BAD_REQUEST") == 2
    assert _value(samples, REFUSALS, status="501", error_code="NOT_IMPLEMENTED") == 1
    assert _value(samples, REFUSALS, status="431") == 1
    assert _value(samples, REFUSALS, status="408", error_code="REQUEST_TIMEOUT") == 2
    assert _value(samples, REFUSALS) == 7
    assert _value(samples, REQUESTS, route=RENAME_ROUTE, status="413") == 1
