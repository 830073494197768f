"""Benchmark data written by agno 2.5.6 itself: agent, team and workflow sessions.

Our own seeder (benchmarks/seeding.py) copies one small template session; real deployments hold
what agno writes: runs with system prompts, tool calls, history copies, metrics, provider data.
These sessions are the ones the agno interop tests use (harness/agno_sessions.py: agno's own
classes; the agent's two answered runs and a failed one, the team run beside its member's run, a
workflow run) and are written with agno's own database classes
(`SqliteDb` / `PostgresDb.upsert_sessions`), so every column is exactly in agno's form.

Ids are `agno-<type>-<number>`; `write_typed_id_file` lists them with their type for the load
script (which then sends `?type=<type>`).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from domain.session import SessionType
from harness.agno_sessions import CREATED_AT, AgnoSession, agno_session
from store.base import DEFAULT_SESSION_TABLE

TYPES = (SessionType.AGENT, SessionType.TEAM, SessionType.WORKFLOW)
_BATCH = 500
"""Sessions per upsert_sessions call (agno writes each batch in one transaction)."""


def agno_session_id(session_type: SessionType, number: int) -> str:
    return f"agno-{session_type.value}-{number:06d}"


def _session(session_type: SessionType, number: int) -> AgnoSession:
    """Session `number` of its type: its own id, one of 50 users, a name, its own creation time."""
    return agno_session(
        session_type.value,
        agno_session_id(session_type, number),
        f"user-{number % 50}",
        f"Trip planning {number}",
        created_at=CREATED_AT + number,
    )


def _write(db: Any, per_type: int) -> None:
    for session_type in TYPES:
        for start in range(0, per_type, _BATCH):
            batch = [_session(session_type, n) for n in range(start, min(per_type, start + _BATCH))]
            db.upsert_sessions(batch, deserialize=False)


def _count(db: Any) -> int:
    _, total = db.get_sessions(deserialize=False, limit=1)
    return int(total)


def write_agno_sqlite(path: Path, per_type: int) -> int:
    """Write `per_type` sessions of each type into a new SQLite file with agno's SqliteDb;
    returns the number of sessions agno reads back."""
    from agno.db.sqlite import SqliteDb

    db = SqliteDb(db_file=str(path), session_table=DEFAULT_SESSION_TABLE)
    try:
        _write(db, per_type)
        return _count(db)
    finally:
        db.db_engine.dispose()


def write_agno_postgres(url: str, per_type: int) -> int:
    """The same through agno's PostgresDb (schema `ai`, what our store uses without ?schema=)."""
    from agno.db.postgres import PostgresDb

    agno_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    db = PostgresDb(db_url=agno_url, session_table=DEFAULT_SESSION_TABLE)
    try:
        _write(db, per_type)
        return _count(db)
    finally:
        db.db_engine.dispose()


def write_typed_id_file(path: Path, per_type: int, seed: int = 15) -> Path:
    """Every agno session id with its type (`<id> <type>` a line), shuffled so that the load
    script mixes the three types."""
    lines = [
        f"{agno_session_id(session_type, n)} {session_type.value}\n"
        for session_type in TYPES
        for n in range(per_type)
    ]
    random.Random(seed).shuffle(lines)
    path.write_text("".join(lines), "ascii")
    return path
