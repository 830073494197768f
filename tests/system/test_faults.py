"""Faults with real processes: the server killed with SIGKILL mid-stream (SQLite and PostgreSQL),
and PostgreSQL stopped under a running server, then started again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from domain.errors import StoreFailure
from domain.session import RenameRequest, SessionType
from store.postgres import PostgresStore
from tests.direct_db import TABLE, DirectDatabase, PostgresDirect, SqliteDirect, seed
from tests.factories import make_session
from tests.postgres_server import PostgresServer, private_postgres_server, shared_postgres_server
from tests.worker_server import WorkerServer

pytestmark = pytest.mark.anyio
TOKEN = "faults-token-0123456789"
INTERNAL_ERROR_BODY = {"detail": "Internal server error", "error_code": "INTERNAL_SERVER_ERROR"}
STREAM_SESSIONS = 400
KILL_AFTER_ANSWERS = 100
STREAM_CLIENTS = 8
RECOVERY_ATTEMPTS = 40
RECOVERY_PAUSE_SECONDS = 0.25
# How long a request waits for a connection while PostgreSQL is away (a URL option of ours).
POOL_TIMEOUT = "pool_timeout=2"


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PostgresServer]:
    """A server of this module's own: stopping it disturbs no other test."""
    yield from private_postgres_server()


def _database(backend: str, tmp_path: Path) -> DirectDatabase:
    if backend == "sqlite":
        return SqliteDirect(tmp_path / "sessions.db")
    return PostgresDirect(shared_postgres_server().create_database())


def _client(server: WorkerServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.base_url, headers=server.headers, timeout=30)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_kill_9_mid_stream_keeps_every_answered_rename(backend: str, tmp_path: Path) -> None:
    database = _database(backend, tmp_path)
    await seed(
        database.url,
        [make_session(session_id=f"k-{n}", name="Before") for n in range(STREAM_SESSIONS)],
    )
    server = WorkerServer(
        ["--workers", "2", "--database-url", database.url], TOKEN, tmp_path / "a.log"
    )
    server.start()
    pending = iter(range(STREAM_SESSIONS))
    answered: list[int] = []
    unanswered: list[int] = []
    killed = asyncio.Event()

    async def rename_stream(client: httpx.AsyncClient) -> None:
        for number in pending:  # shared by the clients: each session is renamed at most once
            try:
                response = await client.post(
                    f"/sessions/k-{number}/rename",
                    params={"user_id": "user-1"},
                    json={"session_name": f"After {number}"},
                )
            except httpx.TransportError:
                unanswered.append(number)
                continue
            assert response.status_code == 200, response.text
            answered.append(number)
            if len(answered) >= KILL_AFTER_ANSWERS and not killed.is_set():
                killed.set()
                await asyncio.to_thread(server.kill)

    try:
        async with _client(server) as client:
            await asyncio.gather(*(rename_stream(client) for _ in range(STREAM_CLIENTS)))
    finally:
        server.stop()

    assert killed.is_set() and not server.alive()
    assert unanswered, "the kill came after the stream ended"
    if isinstance(database, SqliteDirect):
        assert database.integrity() == "ok"
    names = database.names()
    assert len(names) == STREAM_SESSIONS
    assert [n for n in answered if names[f"k-{n}"] != f"After {n}"] == []
    # Unanswered renames may or may not have been committed, but nothing is half-written.
    assert all(names[f"k-{n}"] in ("Before", f"After {n}") for n in range(STREAM_SESSIONS))

    restarted = WorkerServer(
        ["--workers", "2", "--database-url", database.url], TOKEN, tmp_path / "b.log"
    )
    restarted.start()
    try:
        async with _client(restarted) as client:
            response = await client.post(
                f"/sessions/k-{unanswered[-1]}/rename",
                params={"user_id": "user-1"},
                json={"session_name": "After restart"},
            )
        assert response.status_code == 200
        assert response.json()["session_name"] == "After restart"
    finally:
        restarted.stop()


async def test_postgres_stopped_answers_500_and_the_server_recovers_by_itself(
    private_postgres: PostgresServer, tmp_path: Path
) -> None:
    url = private_postgres.create_database()
    await seed(url, [make_session(session_id="s-1")])
    server = WorkerServer(
        ["--workers", "2", "--database-url", f"{url}?{POOL_TIMEOUT}"], TOKEN, tmp_path / "s.log"
    )
    server.start()
    try:
        async with _client(server) as client:

            async def rename(name: str) -> httpx.Response:
                return await client.post(
                    "/sessions/s-1/rename",
                    params={"user_id": "user-1"},
                    json={"session_name": name},
                )

            assert (await rename("Before the outage")).status_code == 200
            await asyncio.to_thread(private_postgres.stop)
            try:
                during = await asyncio.gather(*(rename(f"During {n}") for n in range(4)))
                assert [(r.status_code, r.json()) for r in during] == [
                    (500, INTERNAL_ERROR_BODY)
                ] * 4
                assert server.alive()
                assert len(server.worker_pids()) == 2
                assert (await client.get("/health")).status_code == 200
            finally:
                await asyncio.to_thread(private_postgres.start)

            statuses = []
            for attempt in range(RECOVERY_ATTEMPTS):
                statuses.append((await rename(f"After {attempt}")).status_code)
                if statuses[-1] == 200:
                    break
                await asyncio.sleep(RECOVERY_PAUSE_SECONDS)
            assert statuses[-1] == 200, statuses
            # Both workers are back: a burst spreads over them and every rename succeeds.
            burst = await asyncio.gather(*(rename(f"Burst {n}") for n in range(20)))
            assert [r.status_code for r in burst] == [200] * 20
    finally:
        server.stop()
    assert str(PostgresDirect(url).names()["s-1"]).startswith("Burst ")


async def test_a_server_started_while_postgres_is_down_starts_and_recovers(
    private_postgres: PostgresServer, tmp_path: Path
) -> None:
    # uvicorn stops the whole server when a worker fails to start: a worker (re)started during
    # an outage must come up anyway.
    url = private_postgres.create_database()
    await asyncio.to_thread(private_postgres.stop)
    server = WorkerServer(
        ["--workers", "2", "--database-url", f"{url}?{POOL_TIMEOUT}"], TOKEN, tmp_path / "d.log"
    )
    try:
        try:
            server.start()
            async with _client(server) as client:
                response = await client.post(
                    "/sessions/s-1/rename", json={"session_name": "While down"}
                )
                assert (response.status_code, response.json()) == (500, INTERNAL_ERROR_BODY)
        finally:
            await asyncio.to_thread(private_postgres.start)
        await seed(url, [make_session(session_id="s-1", user_id=None)])
        statuses = []
        async with _client(server) as client:
            for attempt in range(RECOVERY_ATTEMPTS):
                response = await client.post(
                    "/sessions/s-1/rename", json={"session_name": f"Back {attempt}"}
                )
                statuses.append(response.status_code)
                if response.status_code == 200:
                    break
                await asyncio.sleep(RECOVERY_PAUSE_SECONDS)
        assert statuses[-1] == 200, statuses
        assert server.alive()
        assert len(server.worker_pids()) == 2
    finally:
        server.stop()


async def test_the_store_fails_as_a_store_failure_and_reconnects(
    private_postgres: PostgresServer,
) -> None:
    url = private_postgres.create_database()
    store = await PostgresStore.open(f"{url}?{POOL_TIMEOUT}")
    try:
        await store.put([make_session(session_id="s-1")], TABLE)
        request = RenameRequest("s-1", SessionType.AGENT, "Name", "user-1", 1_800_000_000)
        await asyncio.to_thread(private_postgres.stop)
        try:
            with pytest.raises(StoreFailure):
                await store.rename(request, TABLE)
            with pytest.raises(StoreFailure):
                await store.get("s-1", TABLE)
        finally:
            await asyncio.to_thread(private_postgres.start)
        # Without reopening: the pool replaces its dead connections by itself.
        failures = 0
        for _ in range(RECOVERY_ATTEMPTS):
            try:
                renamed = await store.rename(request, TABLE)
                break
            except StoreFailure:
                failures += 1
                await asyncio.sleep(RECOVERY_PAUSE_SECONDS)
        assert failures < RECOVERY_ATTEMPTS
        assert renamed is not None
        assert renamed.session_name == "Name"
        assert await store.count(TABLE) == 1
    finally:
        await store.close()


async def test_check_fails_while_postgres_is_stopped_and_passes_when_it_is_back(
    private_postgres: PostgresServer,
) -> None:
    url = private_postgres.create_database()
    store = await PostgresStore.open(f"{url}?{POOL_TIMEOUT}")
    try:
        await store.check()
        await asyncio.to_thread(private_postgres.stop)
        try:
            with pytest.raises(StoreFailure):
                await store.check()
        finally:
            await asyncio.to_thread(private_postgres.start)
        failures = 0
        for _ in range(RECOVERY_ATTEMPTS):
            try:
                await store.check()
                break
            except StoreFailure:
                failures += 1
                await asyncio.sleep(RECOVERY_PAUSE_SECONDS)
        assert failures < RECOVERY_ATTEMPTS
    finally:
        await store.close()
