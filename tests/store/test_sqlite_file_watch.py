"""The SQLite file removed, moved away or replaced under a running server (two worker processes):
renames answer the documented 500, never 200 into the lost file; nothing creates a new, empty file
at the path; a restart after the file vanished in use refuses to start on an empty database."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.direct_db import SqliteDirect, seed
from tests.factories import make_session
from tests.worker_server import WorkerServer

TOKEN = "file-watch-token-0123456789"
INTERNAL_ERROR_BODY = {"detail": "Internal server error", "error_code": "INTERNAL_SERVER_ERROR"}
SESSIONS = 4
# Enough requests that both workers answer some of them (the kernel spreads connections).
ATTEMPTS = 24


@pytest.fixture
def database(tmp_path: Path) -> SqliteDirect:
    direct = SqliteDirect(tmp_path / "agno.db")
    asyncio.run(seed(direct.url, [make_session(session_id=f"w-{n}") for n in range(SESSIONS)]))
    return direct


@pytest.fixture
def server(database: SqliteDirect, tmp_path: Path) -> Iterator[WorkerServer]:
    running = WorkerServer(
        ["--workers", "2", "--database-url", database.url],
        TOKEN,
        tmp_path / "server.log",
        log_level="info",
    )
    running.start()
    try:
        # A worker still starting when the file goes would (rightly) refuse to start, and
        # uvicorn then stops the whole server.
        running.wait_until_workers_started(2)
        yield running
    finally:
        running.stop()


def _renames(server: WorkerServer, name: str) -> list[tuple[int, object]]:
    answers = []
    for attempt in range(ATTEMPTS):
        # A new connection each time, so that both workers are asked.
        response = httpx.post(
            f"{server.base_url}/sessions/w-{attempt % SESSIONS}/rename",
            params={"user_id": "user-1"},
            headers={**server.headers, "Connection": "close"},
            json={"session_name": f"{name} {attempt}"},
            timeout=30,
        )
        answers.append((response.status_code, response.json()))
    return answers


def _all_refused(answers: list[tuple[int, object]]) -> bool:
    return answers == [(500, INTERNAL_ERROR_BODY)] * ATTEMPTS


def _remove(path: Path, _aside: Path) -> None:
    path.unlink()


def _move_away(path: Path, aside: Path) -> None:
    path.rename(aside)


def _replace(path: Path, aside: Path) -> None:
    shutil.copyfile(path, aside)  # a different file (inode) with the same content
    aside.replace(path)


@pytest.mark.parametrize("fault", [_remove, _move_away, _replace], ids=lambda f: f.__name__[1:])
def test_renames_answer_500_once_the_file_is_gone_or_replaced(
    database: SqliteDirect,
    server: WorkerServer,
    tmp_path: Path,
    fault: Callable[[Path, Path], None],
) -> None:
    assert [status for status, _ in _renames(server, "Before")] == [200] * ATTEMPTS
    aside = tmp_path / "aside.db"
    fault(database.path, aside)
    replaced = database.path.exists()
    if replaced:
        names_in_new_file = database.names()
    assert _all_refused(_renames(server, "After"))
    assert server.alive() and len(server.worker_pids()) == 2
    if replaced:
        assert database.names() == names_in_new_file  # the new file was not written
    else:
        assert not database.path.exists()  # and no new, empty file was created at the path
    assert "was removed or moved away" in server.output() or "replaced" in server.output()


def test_a_file_moved_back_serves_again_with_every_commit_kept(
    database: SqliteDirect, server: WorkerServer, tmp_path: Path
) -> None:
    assert {status for status, _ in _renames(server, "Before")} == {200}
    aside = tmp_path / "aside.db"
    database.path.rename(aside)
    assert _all_refused(_renames(server, "Away"))
    moved = SqliteDirect(aside)
    assert set(moved.names().values()) <= {f"Before {n}" for n in range(ATTEMPTS)}
    aside.rename(database.path)
    answers = _renames(server, "Back")
    assert [status for status, _ in answers] == [200] * ATTEMPTS
    assert set(database.names().values()) == {
        f"Back {n}" for n in range(ATTEMPTS - SESSIONS, ATTEMPTS)
    }


def test_a_restart_after_the_file_vanished_in_use_refuses_to_start_empty(
    database: SqliteDirect, server: WorkerServer, tmp_path: Path
) -> None:
    database.path.unlink()
    assert _all_refused(_renames(server, "After"))
    server.stop()
    restarted = WorkerServer(["--database-url", database.url], TOKEN, tmp_path / "restart.log")
    with pytest.raises(RuntimeError, match="write-ahead log is still there"):
        restarted.start()
    restarted.stop()
    assert not database.path.exists()


def test_serve_creates_a_missing_database_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "new" / "agno.db"
    created = WorkerServer(
        ["--workers", "2", "--database-url", f"sqlite:///{path}"],
        TOKEN,
        tmp_path / "new.log",
        log_level="info",
    )
    created.start()
    try:
        created.wait_until_workers_started(2)
        response = httpx.post(
            f"{created.base_url}/sessions/none/rename",
            headers=created.headers,
            json={"session_name": "x"},
            timeout=30,
        )
        assert response.status_code == 404
    finally:
        created.stop()
    assert path.exists()
    assert f"SQLite database {path} does not exist: creating a new, empty one" in created.output()


@pytest.mark.parametrize("suffix", ["-wal", "-shm"])
def test_renames_answer_500_once_the_write_ahead_log_is_removed(
    database: SqliteDirect, server: WorkerServer, suffix: str
) -> None:
    """An operator deleting the `-wal` (or `-shm`) of a database in use: the commits in it are
    gone from every other reader's view, so no further rename may be acknowledged."""
    assert [status for status, _ in _renames(server, "Before")] == [200] * ATTEMPTS
    companion = Path(f"{database.path}{suffix}")
    assert companion.exists()
    companion.unlink()
    assert _all_refused(_renames(server, "After"))
    assert server.alive()
    assert f"{companion} was removed or moved away" in server.output()
