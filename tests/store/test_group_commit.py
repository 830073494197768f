"""Group commit (store/group_commit.py) over a real SQLite file: renames queued together share one
transaction, yet a rename that fails fails alone, every success is committed when it is answered,
a lost file fails the renames waiting in the queue, and closing lets the queued renames finish.
Nothing that waits (another connection's write lock, a commit that waits for the disk, a
checkpoint) runs on the event loop, and the write-ahead log is still checkpointed."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.errors import StoreFailure
from domain.session import RenameRequest, SessionType, StoredSession
from store.base import DEFAULT_SESSION_TABLE
from store.group_commit import GroupCommitWriter
from store.rows import rename_parameters
from store.sqlite import SqliteStore, rename_sql
from store.sqlite_file import WatchedFile
from tests.direct_db import SqliteDirect, seed
from tests.factories import make_session
from tests.worker_server import WorkerServer

pytestmark = pytest.mark.anyio
TABLE = DEFAULT_SESSION_TABLE
SESSIONS = 20
BROKEN = 7
TOKEN = "group-commit-token-0123456789"
INTERNAL_ERROR_BODY = {"detail": "Internal server error", "error_code": "INTERNAL_SERVER_ERROR"}


@pytest.fixture
def transactions(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, bool]]]:
    """(renames, on the event loop's thread?) of every transaction the writer tries."""
    tried: list[tuple[int, bool]] = []
    original = GroupCommitWriter.run_transaction

    def recorded(writer: GroupCommitWriter, work: Any, begin: Any) -> Any:
        tried.append((len(work), threading.current_thread() is threading.main_thread()))
        return original(writer, work, begin)

    monkeypatch.setattr(GroupCommitWriter, "run_transaction", recorded)
    yield tried


def _request(n: int, name: str = "new") -> RenameRequest:
    return RenameRequest(f"s-{n}", SessionType.AGENT, f"{name} {n}", None, 1_900_000_000)


async def _seeded(path: Path) -> SqliteStore:
    store = await SqliteStore.open(path)
    await store.put([make_session(session_id=f"s-{n}") for n in range(SESSIONS)], TABLE)
    return store


async def _seeded_writer(path: Path, busy_timeout_ms: int) -> GroupCommitWriter:
    """A writer over a file seeded with SESSIONS sessions (the store that wrote them closed)."""
    await (await _seeded(path)).close()
    return await GroupCommitWriter.open(
        str(path), synchronous="NORMAL", busy_timeout_ms=busy_timeout_ms, file_problem=lambda: None
    )


async def _outcome(store: SqliteStore, request: RenameRequest) -> StoredSession | StoreFailure:
    try:
        renamed = await store.rename(request, TABLE)
    except StoreFailure as failure:
        return failure
    assert renamed is not None
    return renamed


def _names(path: Path) -> dict[str, str]:
    """session_data per session, read by a fresh connection: only what was committed."""
    with sqlite3.connect(path) as raw:
        return dict(raw.execute(f"SELECT session_id, session_data FROM {TABLE}").fetchall())


async def test_one_broken_row_in_a_batch_fails_alone(
    tmp_path: Path, transactions: list[tuple[int, bool]]
) -> None:
    path = tmp_path / "group.db"
    store = await _seeded(path)
    try:
        with sqlite3.connect(path) as raw:  # another writer leaves one row unreadable JSON
            raw.execute(f"UPDATE {TABLE} SET session_data = '{{broken' WHERE session_id = 's-7'")
        outcomes = await asyncio.gather(*(_outcome(store, _request(n)) for n in range(SESSIONS)))
        assert max(size for size, _ in transactions) > 1  # they did share a transaction
        assert isinstance(outcomes[BROKEN], StoreFailure)
        for n, outcome in enumerate(outcomes):
            if n != BROKEN:
                assert isinstance(outcome, StoredSession), (n, outcome)
                assert outcome.session_name == f"new {n}"
    finally:
        await store.close()
    stored = _names(path)
    assert stored["s-7"] == "{broken"
    for n in range(SESSIONS):
        if n != BROKEN:
            assert f'new {n}\\"' in stored[f"s-{n}"], stored[f"s-{n}"]


class _FailingCommits(sqlite3.Connection):
    """A connection whose first `failing` COMMITs fail (as a full disk would make them): nothing
    of those transactions is stored."""

    failing = 0
    commits_failed = 0
    renames_run = 0

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        if sql == "COMMIT" and _FailingCommits.commits_failed < _FailingCommits.failing:
            _FailingCommits.commits_failed += 1
            raise sqlite3.OperationalError("database or disk is full")
        if sql.lstrip().startswith("UPDATE"):
            _FailingCommits.renames_run += 1
        return super().execute(sql, parameters)


@pytest.mark.parametrize(
    ("failing", "renames_run"),
    [
        (1, 10),  # the loop's transaction fails: the thread redoes the batch whole
        (2, 15),  # the thread's too: each rename alone, in its own transaction
    ],
)
async def test_a_batch_that_cannot_commit_is_redone_until_each_rename_has_its_verdict(
    tmp_path: Path,
    transactions: list[tuple[int, bool]],
    monkeypatch: pytest.MonkeyPatch,
    failing: int,
    renames_run: int,
) -> None:
    path = tmp_path / "group.db"
    await (await _seeded(path)).close()
    monkeypatch.setattr(_FailingCommits, "failing", failing)
    monkeypatch.setattr(_FailingCommits, "commits_failed", 0)
    monkeypatch.setattr(_FailingCommits, "renames_run", 0)
    real_connect = sqlite3.connect
    monkeypatch.setattr(
        sqlite3,
        "connect",
        lambda *args, **kwargs: real_connect(*args, **kwargs, factory=_FailingCommits),
    )
    writer = await GroupCommitWriter.open(
        str(path), synchronous="NORMAL", busy_timeout_ms=1000, file_problem=lambda: None
    )
    statement = rename_sql(TABLE)
    try:
        outcomes = await asyncio.gather(
            *(writer.run(statement, rename_parameters(_request(n))) for n in range(5))
        )
    finally:
        await writer.close()
    assert transactions == [(5, True), (5, False)]  # on the loop, then on the writer thread
    assert _FailingCommits.commits_failed == failing
    assert _FailingCommits.renames_run == renames_run
    assert all(len(rows) == 1 for rows in outcomes)
    stored = _names(path)
    assert all(f'new {n}\\"' in stored[f"s-{n}"] for n in range(5))


async def test_a_locked_database_fails_each_rename_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "group.db"
    writer = await _seeded_writer(path, busy_timeout_ms=50)
    statement = rename_sql(TABLE)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock throughout
        outcomes = await asyncio.gather(
            *(writer.run(statement, rename_parameters(_request(n))) for n in range(3)),
            return_exceptions=True,
        )
        holder.execute("ROLLBACK")
        assert all(isinstance(outcome, sqlite3.OperationalError) for outcome in outcomes)
        assert not any("new" in data for data in _names(path).values())
        # The lock released: the writer serves again.
        assert await writer.run(statement, rename_parameters(_request(0))) != []
    finally:
        holder.close()
        await writer.close()


async def test_a_lock_held_past_the_busy_timeout_fails_a_batch_within_one_timeout(
    tmp_path: Path,
) -> None:
    """The batch's transaction and the renames then retried alone share one busy timeout: with
    each retry waiting a timeout of its own, 8 renames would be answered after 9 of them."""
    path = tmp_path / "group.db"
    busy_timeout = 1.0
    writer = await _seeded_writer(path, busy_timeout_ms=int(busy_timeout * 1000))
    loop = asyncio.get_running_loop()
    statement = rename_sql(TABLE)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # held until every rename is answered
        started = loop.time()
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                *(writer.run(statement, rename_parameters(_request(n))) for n in range(8)),
                return_exceptions=True,
            ),
            timeout=60,
        )
        waited = loop.time() - started
        holder.execute("ROLLBACK")
    finally:
        holder.close()
        await writer.close()
    assert all(isinstance(outcome, sqlite3.OperationalError) for outcome in outcomes)
    assert busy_timeout <= waited < 3 * busy_timeout, waited
    assert not any("new" in data for data in _names(path).values())


async def test_renames_waiting_in_the_queue_fail_once_the_file_is_moved(tmp_path: Path) -> None:
    path = tmp_path / "group.db"
    store = await _seeded(path)
    aside = tmp_path / "aside.db"
    try:
        waiting = [asyncio.ensure_future(_outcome(store, _request(n))) for n in range(SESSIONS)]
        path.rename(aside)  # before the queued renames ran
        outcomes = await asyncio.gather(*waiting)
        assert all(isinstance(outcome, StoreFailure) for outcome in outcomes)
        assert all("removed or moved away" in str(outcome) for outcome in outcomes)
    finally:
        await store.close()
    assert not any("new" in data for data in _names(aside).values())


async def test_a_problem_found_between_batches_fails_the_next_batch_only(tmp_path: Path) -> None:
    path = tmp_path / "group.db"
    await (await _seeded(path)).close()
    watched = WatchedFile(path)
    problems: list[str | None] = [None]
    writer = await GroupCommitWriter.open(
        str(path),
        synchronous="NORMAL",
        busy_timeout_ms=1000,
        file_problem=lambda: problems[-1] or watched.problem(),
    )
    statement = rename_sql(TABLE)
    try:
        assert await writer.run(statement, rename_parameters(_request(0))) != []
        problems.append("the file is gone")
        with pytest.raises(StoreFailure, match="the file is gone"):
            await writer.run(statement, rename_parameters(_request(1)))
    finally:
        await writer.close()
    stored = _names(path)
    assert 'new 0\\"' in stored["s-0"] and "new" not in stored["s-1"]


async def test_closing_lets_the_queued_renames_finish_then_refuses_new_ones(
    tmp_path: Path,
) -> None:
    path = tmp_path / "group.db"
    store = await _seeded(path)
    waiting = [asyncio.ensure_future(_outcome(store, _request(n))) for n in range(SESSIONS)]
    await asyncio.sleep(0)  # queued
    await store.close()
    outcomes = await asyncio.gather(*waiting)
    assert all(isinstance(outcome, StoredSession) for outcome in outcomes)
    stored = _names(path)
    assert all(f'new {n}\\"' in stored[f"s-{n}"] for n in range(SESSIONS))
    with pytest.raises(StoreFailure, match="closed"):
        await store.rename(_request(0, "late"), TABLE)


async def test_concurrent_http_renames_with_one_broken_row_through_a_real_server(
    tmp_path: Path,
) -> None:
    database = SqliteDirect(tmp_path / "agno.db")
    await seed(database.url, [make_session(session_id=f"s-{n}") for n in range(SESSIONS)])
    database.store_raw(f"s-{BROKEN}", "session_data", "{broken")
    server = WorkerServer(["--database-url", database.url], TOKEN, tmp_path / "server.log")
    server.start()
    try:
        async with httpx.AsyncClient(
            base_url=server.base_url,
            headers=server.headers,
            timeout=60,
            limits=httpx.Limits(max_connections=SESSIONS),
        ) as client:
            answers = await asyncio.gather(
                *(
                    client.post(f"/sessions/s-{n}/rename", json={"session_name": f"http {n}"})
                    for n in range(SESSIONS)
                )
            )
    finally:
        server.stop()
    statuses = [answer.status_code for answer in answers]
    assert statuses == [500 if n == BROKEN else 200 for n in range(SESSIONS)], statuses
    assert answers[BROKEN].json() == INTERNAL_ERROR_BODY
    assert database.raw_row(f"s-{BROKEN}")["session_data"] == "{broken"
    for n in range(SESSIONS):
        if n != BROKEN:
            assert database.stored_name(f"s-{n}") == f"http {n}"


async def test_a_write_lock_held_elsewhere_is_waited_for_off_the_event_loop(
    tmp_path: Path, transactions: list[tuple[int, bool]]
) -> None:
    """Another process holds the write lock for 0.2 s; the loop, which alone releases it here,
    must keep running while the renames wait. Waiting on the loop would hold it for the whole
    busy timeout (30 s) before the release could run: the renames are answered well before."""
    path = tmp_path / "group.db"
    busy_timeout = 30.0
    writer = await _seeded_writer(path, busy_timeout_ms=int(busy_timeout * 1000))
    loop = asyncio.get_running_loop()
    statement = rename_sql(TABLE)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        started = loop.time()
        waiting = asyncio.gather(
            *(writer.run(statement, rename_parameters(_request(n))) for n in range(3))
        )
        await asyncio.sleep(0.2)
        holder.execute("ROLLBACK")  # on the loop: only reached if the loop is not blocked
        outcomes = await waiting
        waited = loop.time() - started
    finally:
        holder.close()
        await writer.close()
    assert waited < busy_timeout / 2, waited
    assert all(len(rows) == 1 for rows in outcomes)
    assert transactions[0] == (3, True)  # tried on the loop: the lock was taken
    assert all(not on_loop for _, on_loop in transactions[1:])
    assert all(f'new {n}\\"' in _names(path)[f"s-{n}"] for n in range(3))


@pytest.mark.parametrize("synchronous", ["FULL", "EXTRA"])
async def test_commits_that_wait_for_the_disk_never_run_on_the_event_loop(
    tmp_path: Path, transactions: list[tuple[int, bool]], synchronous: str
) -> None:
    path = tmp_path / "group.db"
    store = await SqliteStore.open(path, synchronous=synchronous)
    try:
        await store.put([make_session(session_id=f"s-{n}") for n in range(SESSIONS)], TABLE)
        outcomes = await asyncio.gather(*(_outcome(store, _request(n)) for n in range(SESSIONS)))
    finally:
        await store.close()
    assert all(isinstance(outcome, StoredSession) for outcome in outcomes)
    assert transactions and all(not on_loop for _, on_loop in transactions)


async def test_the_write_ahead_log_is_checkpointed_while_renames_run_on_the_loop(
    tmp_path: Path, transactions: list[tuple[int, bool]]
) -> None:
    """The loop's connection never checkpoints itself: each rename of a 1 MB row appends 1 MB
    to the log, which only the checkpointer lets SQLite start over. 60 renames over about
    1.2 s would leave a log of over 60 MB without it."""
    path = tmp_path / "group.db"
    store = await SqliteStore.open(path)
    wal = Path(f"{path}-wal")
    largest = 0
    try:
        big = make_session(session_id="big")
        data = {**(big.session_data or {}), "session_state": {"blob": "x" * 1_000_000}}
        await store.put([dataclasses.replace(big, session_data=data)], TABLE)
        for n in range(60):
            # Names of alternating lengths move every byte after the name: all of the row's
            # pages are written again.
            name = f"{'n' * (1 + n % 2)} {n}"
            request = RenameRequest("big", SessionType.AGENT, name, None, 1_900_000_000)
            assert await store.rename(request, TABLE) is not None
            largest = max(largest, os.path.getsize(wal))  # noqa: ASYNC240 (a test's probe)
            await asyncio.sleep(0.02)
    finally:
        await store.close()
    assert any(on_loop for _, on_loop in transactions)  # the renames did run on the loop
    assert largest < 30_000_000, largest
