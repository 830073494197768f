"""Bulk seeding for the benchmarks writes rows the stores read like any other (benchmarks/)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from benchmarks.seeding import seed_postgres, seed_sqlite
from benchmarks.sessions import SAMPLE_SIZE, bench_session, session_id, write_id_file
from domain.detail import session_detail
from domain.session import RenameRequest, SessionType
from store.base import DEFAULT_SESSION_TABLE
from store.postgres import PostgresStore
from store.sqlite import SqliteStore


def test_sqlite_seeding_writes_exactly_the_numbered_sessions(tmp_path: Path) -> None:
    path = tmp_path / "bench.db"
    assert seed_sqlite(path, 2_500, 3) == 2_500
    with sqlite3.connect(path) as connection:
        ids = [row[0] for row in connection.execute("SELECT session_id FROM agno_sessions")]
    assert sorted(ids) == [session_id(n) for n in range(2_500)]


@pytest.fixture
def long_sessions_file(tmp_path: Path) -> Path:
    """50 sessions of 1,000 chat messages (seeded outside the test's event loop)."""
    path = tmp_path / "bench.db"
    seed_sqlite(path, 50, 1000)
    return path


@pytest.mark.anyio
async def test_seeded_sqlite_sessions_read_and_rename_like_the_template(
    long_sessions_file: Path,
) -> None:
    store = await SqliteStore.open(long_sessions_file)
    try:
        stored = await store.get(session_id(17), DEFAULT_SESSION_TABLE)
        expected = bench_session(17, 1000)
        assert stored is not None
        assert (stored.session_data, stored.runs, stored.summary) == (
            expected.session_data,
            expected.runs,
            expected.summary,
        )
        assert len(session_detail(stored)["chat_history"]) == 1000
        request = RenameRequest(session_id(49), SessionType.AGENT, "Renamed", None, 1_900_000_000)
        renamed = await store.rename(request, DEFAULT_SESSION_TABLE)
        assert renamed is not None and renamed.session_name == "Renamed"
        assert await store.get(session_id(50), DEFAULT_SESSION_TABLE) is None
    finally:
        await store.close()


@pytest.mark.anyio
async def test_postgres_seeding_writes_readable_sessions(postgres_url: str) -> None:
    assert await seed_postgres(postgres_url, 300, 3) == 300
    store = await PostgresStore.open(postgres_url)
    try:
        stored = await store.get(session_id(299), DEFAULT_SESSION_TABLE)
        assert stored is not None and stored.runs == bench_session(299, 3).runs
        assert await store.count(DEFAULT_SESSION_TABLE) == 300
    finally:
        await store.close()


@pytest.mark.parametrize("count", [10, SAMPLE_SIZE + 5])
def test_id_file_lists_distinct_existing_ids(tmp_path: Path, count: int) -> None:
    lines = write_id_file(tmp_path / "ids.txt", count).read_text().splitlines()
    assert len(lines) == min(count, SAMPLE_SIZE) == len(set(lines))
    assert set(lines) <= {session_id(n) for n in range(count)}
