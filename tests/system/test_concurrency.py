"""Concurrent renames through two real worker processes, on SQLite and on PostgreSQL: nothing is
lost, neither by the renames themselves nor by another program writing the same session."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from tests.direct_db import DirectDatabase, PostgresDirect, SqliteDirect, seed
from tests.factories import chat_run, make_session
from tests.postgres_server import PostgresServer, shared_postgres_server
from tests.worker_server import WorkerServer

pytestmark = pytest.mark.anyio
TOKEN = "concurrency-token-0123456789"
RENAMES = 200
APPENDED_RUNS = 50
MAX_RENAMES_BESIDE_WRITER = 3000
RENAMING_CLIENTS = 16


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> DirectDatabase:
    if request.param == "sqlite":
        return SqliteDirect(tmp_path_factory.mktemp("sqlite") / "sessions.db")
    server: PostgresServer = shared_postgres_server()
    return PostgresDirect(server.create_database())


@pytest.fixture(scope="module")
def server(
    database: DirectDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerServer]:
    sessions = [
        make_session(
            session_id="shared",
            runs=[
                chat_run("Plan a trip", "Where to?", run_id="r1", agent_id="agent-1"),
                chat_run(
                    "Rome",
                    "Rome it is.",
                    "Thanks",
                    run_id="r2",
                    agent_id="agent-1",
                    extra={"k": [1, 2.5]},
                ),
            ],
        ),
        make_session(
            session_id="appended", runs=[chat_run("First", run_id="r0", agent_id="agent-1")]
        ),
    ]
    asyncio.run(seed(database.url, sessions))
    log = tmp_path_factory.mktemp("logs") / "server.log"
    running = WorkerServer(["--workers", "2", "--database-url", database.url], TOKEN, log)
    running.start()
    yield running
    running.stop()


def _client(server: WorkerServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.base_url,
        headers=server.headers,
        timeout=60,
        limits=httpx.Limits(max_connections=RENAMES, max_keepalive_connections=RENAMES),
    )


async def test_200_concurrent_renames_through_two_workers_lose_nothing(
    server: WorkerServer, database: DirectDatabase
) -> None:
    assert len(server.worker_pids()) == 2
    runs_before = database.raw_runs("shared")
    names = [f"Name {number}" for number in range(RENAMES)]

    async with _client(server) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    "/sessions/shared/rename",
                    params={"user_id": "user-1"},
                    json={"session_name": n},
                )
                for n in names
            )
        )

    assert [response.status_code for response in responses] == [200] * RENAMES
    bodies = [response.json() for response in responses]
    assert sorted(body["session_name"] for body in bodies) == sorted(names)
    histories = {orjson.dumps(body["chat_history"]) for body in bodies}
    assert len(histories) == 1
    assert [m["content"] for m in bodies[0]["chat_history"]] == [
        "Plan a trip",
        "Where to?",
        "Rome",
        "Rome it is.",
        "Thanks",
    ]
    assert database.raw_runs("shared") == runs_before
    assert database.names()["shared"] in names
    assert server.alive()
    assert len(server.worker_pids()) == 2


async def test_runs_another_writer_appends_meanwhile_are_all_kept(
    server: WorkerServer, database: DirectDatabase
) -> None:
    writer_done = asyncio.Event()
    first_answer = asyncio.Event()
    sent: list[str] = []
    statuses: list[int] = []
    runs_seen: list[int] = []

    async def keep_renaming(client: httpx.AsyncClient, worker: int) -> None:
        # Until the writer is done, plus one more, so renames bracket all its appends.
        while len(sent) < MAX_RENAMES_BESIDE_WRITER:
            last_round = writer_done.is_set()
            name = f"Worker {worker} rename {len(sent)}"
            sent.append(name)
            response = await client.post(
                "/sessions/appended/rename",
                params={"user_id": "user-1"},
                json={"session_name": name},
            )
            statuses.append(response.status_code)
            if response.status_code == 200:
                runs_seen.append(len(response.json()["chat_history"]))
            first_answer.set()
            if last_round:
                return

    async def append_runs() -> None:
        await first_answer.wait()
        for number in range(APPENDED_RUNS):
            run = chat_run(f"Appended {number}", run_id=f"appended-{number}", agent_id="agent-1")
            await asyncio.to_thread(database.append_run, "appended", run)
        writer_done.set()

    async with _client(server) as client:
        await asyncio.gather(
            append_runs(), *(keep_renaming(client, n) for n in range(RENAMING_CLIENTS))
        )

    assert set(statuses) == {200}
    stored: list[dict[str, Any]] = orjson.loads(_decoded(database.raw_runs("appended")))
    assert [run["run_id"] for run in stored] == [
        "r0",
        *(f"appended-{number}" for number in range(APPENDED_RUNS)),
    ]
    assert database.names()["appended"] in sent
    # Renames answered before the first append and after the last one.
    assert min(runs_seen) == 1
    assert max(runs_seen) == 1 + APPENDED_RUNS


def _decoded(raw: str) -> str:
    """agno's SQLite form is JSON text inside a JSON string; PostgreSQL's is the document."""
    value = orjson.loads(raw)
    return value if isinstance(value, str) else raw
