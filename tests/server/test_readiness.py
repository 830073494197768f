"""GET /ready against a real server: 200 while every configured database is usable, the JSON 503
NOT_READY when one is not (a SQLite file removed, a PostgreSQL stopped), 200 again when it is
back; GET /health stays liveness throughout."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.ports import free_port
from tests.postgres_server import PostgresServer, private_postgres_server
from tests.server_process import BIN, running_process, running_server, seed

TOKEN = "ready-token-0123456789"
READY = {"status": "ready"}


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PostgresServer]:
    yield from private_postgres_server()


def assert_not_ready(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"detail", "error_code"} and body["error_code"] == "NOT_READY", body
    assert isinstance(body["detail"], str)


def test_ready_while_the_database_is_usable_and_503_once_the_sqlite_file_is_gone(
    tmp_path: Path,
) -> None:
    database = tmp_path / "sessions.db"
    seed(f"sqlite:///{database}", tmp_path / "sessions.json")
    with running_server(f"sqlite:///{database}", tmp_path, token=TOKEN) as server:
        ready = httpx.get(f"{server.base_url}/ready")
        assert ready.status_code == 200 and ready.json() == READY
        database.unlink()
        assert_not_ready(httpx.get(f"{server.base_url}/ready"))
        assert httpx.get(f"{server.base_url}/health").status_code == 200  # still alive
        assert "not ready" in server.log()


def test_ready_follows_a_postgresql_that_stops_and_starts_again(
    private_postgres: PostgresServer, tmp_path: Path
) -> None:
    url = private_postgres.create_database()
    seed(url, tmp_path / "sessions.json")
    with running_server(url, tmp_path, token=TOKEN) as server:
        assert httpx.get(f"{server.base_url}/ready").json() == READY
        private_postgres.stop()
        try:
            assert_not_ready(httpx.get(f"{server.base_url}/ready", timeout=60))
            assert httpx.get(f"{server.base_url}/health").status_code == 200
        finally:
            private_postgres.start()
        answer = httpx.get(f"{server.base_url}/ready", timeout=60)
        assert answer.status_code == 200 and answer.json() == READY


def test_ready_checks_every_configured_database(tmp_path: Path) -> None:
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    seed(f"sqlite:///{first}", tmp_path / "first.json")
    seed(f"sqlite:///{second}", tmp_path / "second.json")
    port = free_port()
    command = [
        str(BIN / "agno-rename"), "serve", "--port", str(port),
        "--db", f"one=sqlite:///{first}", "--db", f"two=sqlite:///{second}",
    ]  # fmt: skip
    environment = {**os.environ, "OS_SECURITY_KEY": TOKEN}
    with running_process(command, tmp_path / "two.log", environment, port) as (base_url, _):
        assert httpx.get(f"{base_url}/ready").json() == READY
        second.unlink()  # only the second one
        answer = httpx.get(f"{base_url}/ready")
        assert_not_ready(answer)
        assert "two" not in json.dumps(answer.json())  # which one is in the log only
    assert "database 'two'" in (tmp_path / "two.log").read_text()
