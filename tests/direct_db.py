"""Direct access to a session table, as another program (agno itself, a migration) would have it:
for seeding, for a second writer, and for checking what is really stored after a test."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg.types.json import Jsonb

from domain.session import StoredSession
from store.factory import open_store

TABLE = "agno_sessions"
_BUSY_TIMEOUT_MS = 30_000


class DirectDatabase(Protocol):
    url: str

    def raw_runs(self, session_id: str) -> str:
        """The stored `runs` column exactly as the database holds it."""
        ...

    def append_run(self, session_id: str, run: dict[str, Any]) -> None:
        """Read the runs, add one, write them back, in one transaction (as agno adds a run)."""
        ...

    def names(self) -> dict[str, str | None]:
        """session_id -> stored session_name, for every session."""
        ...

    def raw_row(self, session_id: str) -> dict[str, object]:
        """Every column of the session's row as the database holds it (JSON columns as text)."""
        ...

    def store_raw(self, session_id: str, column: str, value: object) -> None:
        """Put `value` into one column as another, careless writer would (JSON columns: the
        text is the document as the database stores it, however malformed)."""
        ...

    def stored_name(self, session_id: str) -> object:
        """session_data's session_name, unwrapping agno's double encoding."""
        ...


class SqliteDirect:
    """agno's SQLite form: JSON columns hold JSON text, itself JSON-encoded."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None)
        connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        return connection

    def raw_runs(self, session_id: str) -> str:
        with closing(self._connect()) as connection:
            row = connection.execute(
                f"SELECT runs FROM {TABLE} WHERE session_id = ?", (session_id,)
            ).fetchone()
        return str(row[0])

    def append_run(self, session_id: str, run: dict[str, Any]) -> None:
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            (stored,) = connection.execute(
                f"SELECT runs FROM {TABLE} WHERE session_id = ?", (session_id,)
            ).fetchone()
            runs = json.loads(json.loads(stored))
            runs.append(run)
            connection.execute(
                f"UPDATE {TABLE} SET runs = ? WHERE session_id = ?",
                (json.dumps(json.dumps(runs)), session_id),
            )
            connection.execute("COMMIT")
        finally:
            connection.close()

    def names(self) -> dict[str, str | None]:
        with closing(self._connect()) as connection:
            rows = connection.execute(f"SELECT session_id, session_data FROM {TABLE}").fetchall()
        return {
            session_id: json.loads(json.loads(data)).get("session_name")
            for session_id, data in rows
        }

    def raw_row(self, session_id: str) -> dict[str, object]:
        with closing(self._connect()) as connection:
            connection.row_factory = sqlite3.Row
            row = connection.execute(
                f"SELECT * FROM {TABLE} WHERE session_id = ?", (session_id,)
            ).fetchone()
        return dict(row)

    def store_raw(self, session_id: str, column: str, value: object) -> None:
        with closing(self._connect()) as connection:
            connection.execute(
                f"UPDATE {TABLE} SET {column} = ? WHERE session_id = ?", (value, session_id)
            )

    def stored_name(self, session_id: str) -> object:
        with closing(self._connect()) as connection:
            (name,) = connection.execute(
                "SELECT CASE WHEN json_type(session_data) = 'text'"
                " THEN json_extract(json_extract(session_data, '$'), '$.session_name')"
                " ELSE json_extract(session_data, '$.session_name') END"
                f" FROM {TABLE} WHERE session_id = ?",
                (session_id,),
            ).fetchone()
        return name

    def integrity(self) -> str:
        with closing(self._connect()) as connection:
            return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


class PostgresDirect:
    """agno's PostgreSQL form: JSONB documents in schema `ai`."""

    def __init__(self, url: str) -> None:
        self.url = url

    def raw_runs(self, session_id: str) -> str:
        with psycopg.connect(self.url) as connection:
            row = connection.execute(
                f"SELECT runs::text FROM ai.{TABLE} WHERE session_id = %s", (session_id,)
            ).fetchone()
        assert row is not None
        return str(row[0])

    def append_run(self, session_id: str, run: dict[str, Any]) -> None:
        with psycopg.connect(self.url) as connection, connection.transaction():
            row = connection.execute(
                f"SELECT runs FROM ai.{TABLE} WHERE session_id = %s FOR UPDATE", (session_id,)
            ).fetchone()
            assert row is not None
            connection.execute(
                f"UPDATE ai.{TABLE} SET runs = %s WHERE session_id = %s",
                (Jsonb([*row[0], run]), session_id),
            )

    def names(self) -> dict[str, str | None]:
        with psycopg.connect(self.url) as connection:
            rows = connection.execute(
                f"SELECT session_id, session_data ->> 'session_name' FROM ai.{TABLE}"
            ).fetchall()
        return dict(rows)

    def raw_row(self, session_id: str) -> dict[str, object]:
        with psycopg.connect(self.url) as connection, connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM ai.{TABLE} WHERE session_id = %s", (session_id,))
            assert cursor.description is not None
            columns = [column.name for column in cursor.description]
            row = cursor.fetchone()
            assert row is not None
            # JSON columns as their text, so that two reads compare exactly.
            cursor.execute(
                f"SELECT {', '.join(f'{c}::text' for c in columns)} FROM ai.{TABLE}"
                " WHERE session_id = %s",
                (session_id,),
            )
            text_row = cursor.fetchone()
        assert text_row is not None
        return dict(zip(columns, text_row, strict=True))

    def store_raw(self, session_id: str, column: str, value: object) -> None:
        cast = "::jsonb" if isinstance(value, str) else ""
        with psycopg.connect(self.url) as connection:
            connection.execute(
                f"UPDATE ai.{TABLE} SET {column} = %s{cast} WHERE session_id = %s",
                (value, session_id),
            )

    def stored_name(self, session_id: str) -> object:
        with psycopg.connect(self.url) as connection:
            row = connection.execute(
                "SELECT CASE WHEN jsonb_typeof(session_data) = 'string'"
                " THEN (session_data #>> '{}')::jsonb ->> 'session_name'"
                " ELSE session_data ->> 'session_name' END"
                f" FROM ai.{TABLE} WHERE session_id = %s",
                (session_id,),
            ).fetchone()
        assert row is not None
        return row[0]


async def seed(url: str, sessions: Iterable[StoredSession]) -> None:
    """Create the table (as the server would) and put the sessions in, in agno's form."""
    store = await open_store(url, (TABLE,))
    try:
        await store.put(list(sessions), TABLE)
    finally:
        await store.close()
