"""SQLite specifics: the file, and agno's double-encoded JSON columns."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from domain.errors import StoreFailure
from domain.session import RenameRequest, SessionType
from store.factory import open_store
from store.sqlite import SqliteStore
from tests.conftest import TABLE
from tests.factories import make_session

pytestmark = pytest.mark.anyio


def _raw_session_data(path: Path, session_id: str) -> str:
    with sqlite3.connect(path) as connection:
        (value,) = connection.execute(
            f"SELECT session_data FROM {TABLE} WHERE session_id = ?", (session_id,)
        ).fetchone()
    assert isinstance(value, str)
    return value


def _rename(session_id: str, name: str = "New") -> RenameRequest:
    return RenameRequest(session_id, SessionType.AGENT, name, None, 2_000_000_000)


async def test_creates_the_file_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "agno.db"
    store = await open_store(f"sqlite:///{path}")
    await store.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        columns = [row[1] for row in connection.execute(f"PRAGMA table_info({TABLE})")]
    assert columns[:2] == ["session_id", "session_type"] and "session_data" in columns


async def test_writes_agno_double_encoded_form_and_keeps_it_on_rename(tmp_path: Path) -> None:
    path = tmp_path / "agno.db"
    store = await SqliteStore.open(path)
    session = make_session()
    await store.put([session], TABLE)
    before = _raw_session_data(path, session.session_id)
    assert isinstance(json.loads(before), str)  # agno's form: a JSON string holding JSON
    await store.rename(_rename(session.session_id, 'Say "hi"'), TABLE)
    after = _raw_session_data(path, session.session_id)
    inner = json.loads(json.loads(after))
    assert inner == {**(session.session_data or {}), "session_name": 'Say "hi"'}
    await store.close()


async def test_keeps_plain_json_rows_plain(tmp_path: Path) -> None:
    path = tmp_path / "agno.db"
    store = await SqliteStore.open(path)
    session = make_session()
    await store.put([session], TABLE)
    with sqlite3.connect(path) as connection:  # as a non-agno writer would store it
        connection.execute(
            f"UPDATE {TABLE} SET session_data = ? WHERE session_id = ?",
            (json.dumps({"session_name": "old", "session_state": {"k": 1}}), session.session_id),
        )
    renamed = await store.rename(_rename(session.session_id), TABLE)
    assert renamed is not None and renamed.session_data == {
        "session_name": "New",
        "session_state": {"k": 1},
    }
    assert json.loads(_raw_session_data(path, session.session_id)) == renamed.session_data
    await store.close()


async def test_rename_leaves_other_columns_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "agno.db"
    store = await SqliteStore.open(path)
    session = make_session()
    await store.put([session], TABLE)
    query = f"SELECT runs, summary, metadata, agent_data, created_at FROM {TABLE}"
    with sqlite3.connect(path) as connection:
        before = connection.execute(query).fetchall()
    await store.rename(_rename(session.session_id), TABLE)
    with sqlite3.connect(path) as connection:
        assert connection.execute(query).fetchall() == before
    await store.close()


async def test_null_json_session_data_gets_agno_form(tmp_path: Path) -> None:
    path = tmp_path / "agno.db"
    store = await SqliteStore.open(path)
    session = make_session()
    await store.put([session], TABLE)
    with sqlite3.connect(path) as connection:
        connection.execute(f"UPDATE {TABLE} SET session_data = 'null'")
    renamed = await store.rename(_rename(session.session_id), TABLE)
    assert renamed is not None and renamed.session_data == {"session_name": "New"}
    assert json.loads(json.loads(_raw_session_data(path, session.session_id))) == {
        "session_name": "New"
    }
    await store.close()


async def test_database_faults_become_store_failures(tmp_path: Path) -> None:
    path = tmp_path / "agno.db"
    store = await SqliteStore.open(path)
    session = make_session()
    await store.put([session], TABLE)
    with sqlite3.connect(path) as connection:  # a corrupt row: not JSON at all
        connection.execute(f"UPDATE {TABLE} SET session_data = '{{not json'")
    with pytest.raises(StoreFailure):
        await store.rename(_rename(session.session_id), TABLE)
    await store.close()


@pytest.mark.parametrize("bad", ["agno sessions", "x;drop", "1table", ""])
async def test_refuses_unsafe_table_names(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="identifier"):
        await SqliteStore.open(tmp_path / "x.db", (bad,))


async def test_factory_rejects_unknown_schemes_and_missing_paths() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        await open_store("mysql://x/y")
    with pytest.raises(ValueError, match="file path"):
        await open_store("sqlite://")


async def _opened_with_a_session(path: Path) -> tuple[SqliteStore, str]:
    store = await SqliteStore.open(path)
    session = make_session()
    await store.put([session], TABLE)
    return store, session.session_id


async def _fails_every_call(store: SqliteStore, session_id: str, reason: str) -> None:
    with pytest.raises(StoreFailure, match=reason):
        await store.rename(_rename(session_id), TABLE)
    with pytest.raises(StoreFailure, match=reason):
        await store.get(session_id, TABLE)
    with pytest.raises(StoreFailure, match=reason):
        await store.put([make_session()], TABLE)
    with pytest.raises(StoreFailure, match=reason):
        await store.check()


async def test_a_removed_file_fails_every_call_and_is_never_recreated(tmp_path: Path) -> None:
    path = tmp_path / "agno.db"
    store, session_id = await _opened_with_a_session(path)
    try:
        await store.check()
        path.unlink()
        await _fails_every_call(store, session_id, "removed or moved away")
        assert not path.exists()
    finally:
        await store.close()


async def test_a_file_moved_away_fails_until_it_is_back(tmp_path: Path) -> None:
    path = tmp_path / "agno.db"
    store, session_id = await _opened_with_a_session(path)
    try:
        path.rename(tmp_path / "elsewhere.db")
        await _fails_every_call(store, session_id, "removed or moved away")
        (tmp_path / "elsewhere.db").rename(path)
        await store.check()
        renamed = await store.rename(_rename(session_id, "Back"), TABLE)
        assert renamed is not None and renamed.session_name == "Back"
    finally:
        await store.close()


async def test_a_replaced_file_fails_and_the_new_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "agno.db"
    store, session_id = await _opened_with_a_session(path)
    try:
        other = await SqliteStore.open(tmp_path / "other.db")
        await other.put([make_session(session_id=session_id, name="Other's")], TABLE)
        await other.close()
        (tmp_path / "other.db").replace(path)
        await _fails_every_call(store, session_id, "replaced by another file")
    finally:
        await store.close()
    reopened = await SqliteStore.open(path)
    try:
        stored = await reopened.get(session_id, TABLE)
        assert stored is not None and stored.session_name == "Other's"
        assert await reopened.count(TABLE) == 1
    finally:
        await reopened.close()


async def test_a_missing_file_is_created_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "new" / "agno.db"
    store = await SqliteStore.open(path)
    try:
        await store.check()
        assert path.exists() and await store.count(TABLE) == 0
        assert f"SQLite database {path} does not exist: creating a new, empty one" in caplog.text
    finally:
        await store.close()
    caplog.clear()
    reopened = await SqliteStore.open(path)
    await reopened.close()
    assert "does not exist" not in caplog.text


@pytest.mark.parametrize("leftover", ["-wal", "-shm"])
async def test_no_new_file_beside_the_write_ahead_log_of_a_vanished_one(
    tmp_path: Path, leftover: str
) -> None:
    path = tmp_path / "agno.db"
    store, _ = await _opened_with_a_session(path)
    try:
        path.unlink()  # while open: its -wal and -shm stay
        kept = path.with_name(path.name + leftover)
        removed = path.with_name(path.name + ("-shm" if leftover == "-wal" else "-wal"))
        assert kept.exists()
        removed.unlink()
        with pytest.raises(StoreFailure, match="write-ahead log is still there"):
            await SqliteStore.open(path)
        assert not path.exists()
    finally:
        await store.close()


async def test_a_file_replaced_just_before_close_does_not_get_the_old_log(tmp_path: Path) -> None:
    # SQLite leaves the -wal of a renamed file at the path; replayed into the new file it would
    # put the old file's pages into it.
    path = tmp_path / "agno.db"
    store, session_id = await _opened_with_a_session(path)
    other = await SqliteStore.open(tmp_path / "other.db")
    await other.put([make_session(session_id=session_id, name="Other's")], TABLE)
    await other.close()
    (tmp_path / "other.db").replace(path)
    await store.close()
    reopened = await SqliteStore.open(path)
    try:
        stored = await reopened.get(session_id, TABLE)
        assert stored is not None and stored.session_name == "Other's"
    finally:
        await reopened.close()


async def test_a_file_moved_away_keeps_every_commit(tmp_path: Path) -> None:
    path = tmp_path / "agno.db"
    store, session_id = await _opened_with_a_session(path)
    assert await store.rename(_rename(session_id, "Last before the move"), TABLE) is not None
    path.rename(tmp_path / "moved.db")
    with pytest.raises(StoreFailure):
        await store.check()
    await store.close()
    moved = await SqliteStore.open(tmp_path / "moved.db")
    try:
        stored = await moved.get(session_id, TABLE)
        assert stored is not None and stored.session_name == "Last before the move"
    finally:
        await moved.close()


async def test_reopening_after_the_file_was_removed_in_use_refuses_to_start_empty(
    tmp_path: Path,
) -> None:
    path = tmp_path / "agno.db"
    store, _ = await _opened_with_a_session(path)
    path.unlink()
    await store.close()
    with pytest.raises(StoreFailure, match="removed or moved while in use"):
        await SqliteStore.open(path)
    assert not path.exists()
