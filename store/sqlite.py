"""SQLite backend over Agno's session table: the embedded default.

Driver: aiosqlite. sqlite3 is blocking; aiosqlite runs each connection on its own thread and hands
results back to the event loop. Renames of a file database go through store/group_commit.py
instead: a connection of their own runs every rename queued at that moment in one transaction,
on the event loop when nothing in it has to wait, else in one hop to a writer thread (SQLite
admits one writer at a time anyway). Reads, bulk writes and check() use the aiosqlite connection.

Durability: WAL journal with synchronous=NORMAL. A transaction is in the WAL file (the OS page
cache) before the statement returns, so a killed server process loses nothing it answered; only
an OS crash or power cut can lose the last commits (set `synchronous=FULL` via the URL query
`?synchronous=FULL` for that). busy_timeout lets several worker processes share one file.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import aiosqlite
import orjson

from domain.errors import StoreFailure
from domain.session import RenameRequest, StoredSession
from store.base import CHECK_TIMEOUT_SECONDS, DEFAULT_SESSION_TABLE
from store.group_commit import GroupCommitWriter
from store.rows import (
    COLUMN_LIST,
    COLUMNS,
    JSON_COLUMNS,
    UNNAMEABLE_SESSION_DATA,
    can_match_a_row,
    checked_identifier,
    is_storable_key,
    rename_parameters,
    renamed_session,
    session_from_row,
)
from store.sqlite_file import WatchedFile, prepare_path

logger = logging.getLogger(__name__)
_SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
_BUSY_TIMEOUT_MS = 10000


def _create_table_sql(table: str) -> list[str]:
    # The columns and indexes agno 2.5.6 creates, so agno can use a database we created.
    return [
        f"""CREATE TABLE IF NOT EXISTS {table} (
            session_id VARCHAR NOT NULL PRIMARY KEY,
            session_type VARCHAR NOT NULL,
            agent_id VARCHAR, team_id VARCHAR, workflow_id VARCHAR, user_id VARCHAR,
            session_data JSON, agent_data JSON, team_data JSON, workflow_data JSON,
            metadata JSON, runs JSON, summary JSON,
            created_at BIGINT NOT NULL, updated_at BIGINT)""",
        f"CREATE INDEX IF NOT EXISTS idx_{table}_session_type ON {table} (session_type)",
        f"CREATE INDEX IF NOT EXISTS idx_{table}_created_at ON {table} (created_at)",
    ]


# The forms of session_data a name can be stored in: none (SQL NULL or JSON null), a JSON object,
# or agno's JSON string holding either. Malformed JSON text raises in json_type(): the statement
# fails and writes nothing.
_UNWRAPPED_TYPE = "json_type(json_extract(session_data, '$'))"
_NO_SESSION_DATA = (
    f"session_data IS NULL OR json_type(session_data) = 'null' "
    f"OR (json_type(session_data) = 'text' AND {_UNWRAPPED_TYPE} = 'null')"
)
_CAN_HOLD_A_NAME = (
    f"session_data IS NULL OR json_type(session_data) IN ('null', 'object') "
    f"OR (json_type(session_data) = 'text' AND {_UNWRAPPED_TYPE} IN ('null', 'object'))"
)


def rename_sql(table: str) -> str:
    # ONE statement: only session_data.session_name and updated_at change, inside SQLite, so a
    # concurrent writer's runs are never overwritten. The name is written back in the form the row
    # already uses: agno's double-encoded JSON string, or a plain JSON object. A row without
    # session_data gets agno's form; a row whose session_data cannot hold a name (an array, a
    # number) is not matched (see SqliteStore.rename). updated_at never moves backwards (clock skew
    # between hosts); one that is not a number (another writer's text) becomes the time of the
    # rename. `|| ''` drops the JSON subtype: json_quote() leaves a JSON function's result unquoted.
    return f"""
        UPDATE {table} SET
            session_data = CASE
                WHEN {_NO_SESSION_DATA}
                    THEN json_quote(json_object('session_name', :name) || '')
                WHEN json_type(session_data) = 'text'
                    THEN json_quote(
                        json_set(json_extract(session_data, '$'), '$.session_name', :name) || '')
                ELSE json_set(session_data, '$.session_name', :name)
            END,
            updated_at = CASE WHEN typeof(updated_at) IN ('integer', 'real')
                THEN max(:now, updated_at) ELSE :now END
        WHERE session_id = :session_id AND session_type = :session_type
            AND (:user_id IS NULL OR user_id = :user_id)
            AND ({_CAN_HOLD_A_NAME})
        RETURNING {COLUMN_LIST}"""


def _exists_sql(table: str) -> str:
    return f"""SELECT 1 FROM {table}
        WHERE session_id = :session_id AND session_type = :session_type
            AND (:user_id IS NULL OR user_id = :user_id)"""


def _encode_for_agno(value: object) -> str | None:
    """agno's SQLite form of a JSON column: the document's JSON text, itself JSON-encoded."""
    if value is None:
        return None
    return orjson.dumps(orjson.dumps(value).decode()).decode()


class SqliteStore:
    def __init__(
        self,
        connection: aiosqlite.Connection,
        tables: tuple[str, ...],
        watched: WatchedFile | None = None,
        writer: GroupCommitWriter | None = None,
    ) -> None:
        self._connection = connection
        self._watched = watched
        self._writer = writer
        self._tables = tables
        self._bulk_lock = asyncio.Lock()
        self._rename = {table: rename_sql(table) for table in tables}
        self._exists = {table: _exists_sql(table) for table in tables}
        self._get = {
            table: f"SELECT {COLUMN_LIST} FROM {table} WHERE session_id = ?" for table in tables
        }
        self._put = {
            table: f"INSERT OR REPLACE INTO {table} ({COLUMN_LIST}) "
            f"VALUES ({', '.join('?' for _ in COLUMNS)})"
            for table in tables
        }

    @classmethod
    async def open(
        cls,
        path: str | Path,
        tables: Iterable[str] = (DEFAULT_SESSION_TABLE,),
        *,
        synchronous: str = "NORMAL",
    ) -> SqliteStore:
        checked_tables = tuple(checked_identifier(table) for table in tables)
        if synchronous.upper() not in _SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {_SYNCHRONOUS_MODES}")
        file_path = None if str(path) == ":memory:" else prepare_path(Path(path))
        connection = await aiosqlite.connect(str(path), isolation_level=None)
        writer = None
        try:
            await connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            await connection.execute("PRAGMA journal_mode = WAL")
            await connection.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            for table in checked_tables:
                for statement in _create_table_sql(table):
                    await connection.execute(statement)
            watched = None if file_path is None else WatchedFile(file_path)
            # An in-memory database exists on one connection only: its renames stay on it.
            if watched is not None:
                writer = await GroupCommitWriter.open(
                    str(watched.path),
                    synchronous=synchronous.upper(),
                    busy_timeout_ms=_BUSY_TIMEOUT_MS,
                    file_problem=watched.problem,
                )
                problem = watched.problem()  # the writer opened the same file
                if problem is not None:
                    raise StoreFailure(problem)
        except BaseException:
            if writer is not None:
                await writer.close()
            await connection.close()
            raise
        return cls(connection, checked_tables, watched, writer)

    @property
    def tables(self) -> tuple[str, ...]:
        return self._tables

    async def rename(self, request: RenameRequest, table: str) -> StoredSession | None:
        if not can_match_a_row(request):
            return None
        parameters = rename_parameters(request)
        if self._writer is None:
            rows = await self._run(self._rename[table], parameters)
        else:
            try:
                rows = await self._writer.run(self._rename[table], parameters)
            except sqlite3.Error as error:  # as in _run: a fault of the database
                raise StoreFailure(str(error)) from error
        if rows:
            return renamed_session(rows[0], request.new_name)
        # Rarely reached (404s): tell "no such session" from one whose session_data another
        # writer left unable to hold a name, which must fail rather than look not found.
        if await self._run(self._exists[table], parameters):
            raise StoreFailure(UNNAMEABLE_SESSION_DATA)
        return None

    async def get(self, session_id: str, table: str) -> StoredSession | None:
        if not is_storable_key(session_id):
            return None
        rows = await self._run(self._get[table], (session_id,))
        return session_from_row(rows[0]) if rows else None

    async def put(self, sessions: Iterable[StoredSession], table: str) -> None:
        rows = [
            tuple(
                _encode_for_agno(getattr(s, column))
                if column in JSON_COLUMNS
                else getattr(s, column)
                for column in COLUMNS
            )
            for s in sessions
        ]
        async with self._bulk_lock:
            await self._check_file()
            try:
                await self._connection.execute("BEGIN")
                await self._connection.executemany(self._put[table], rows)
                await self._connection.execute("COMMIT")
            except sqlite3.Error as error:
                await self._connection.execute("ROLLBACK")
                raise StoreFailure(str(error)) from error

    async def count(self, table: str) -> int:
        rows = await self._run(f"SELECT count(*) FROM {table}", ())
        return int(rows[0][0])

    async def check(self) -> None:
        """Usable: the path still names the file opened, and each session table can be read."""
        probe = "SELECT " + ", ".join(f"(SELECT 1 FROM {table} LIMIT 1)" for table in self._tables)
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                await self._run(probe, ())
        except TimeoutError as error:
            raise StoreFailure("SQLite did not answer a trivial query in time") from error

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.close()  # the queued renames finish first
        if self._watched is not None and self._watched.problem() is not None:
            await self._empty_the_log_into_the_lost_file()
        await self._connection.close()

    async def _check_file(self) -> None:
        if self._watched is None:
            return
        problem = self._watched.problem()
        if problem is not None:
            await self._empty_the_log_into_the_lost_file()
            raise StoreFailure(problem)

    async def _empty_the_log_into_the_lost_file(self) -> None:
        # Commits still in the write-ahead log go into the file this connection has open (moved
        # away, or only held open now), and the log is emptied: left at the path, SQLite would
        # replay it into whatever new file is put there.
        try:
            await self._connection.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as error:
            logger.warning("could not empty the write-ahead log of a lost database: %s", error)

    async def _run(
        self, sql: str, parameters: dict[str, object] | tuple[object, ...]
    ) -> list[tuple[Any, ...]]:
        await self._check_file()
        try:
            # One hop to the connection's thread for execute + fetch: the write lock is then held
            # for one SQLite step, not across three hops while other workers wait on it.
            rows = await self._connection.execute_fetchall(sql, parameters)
            return [tuple(row) for row in rows]
        except sqlite3.Error as error:
            # Locked, disk full, file gone, a corrupt row: a fault of the database, not the request.
            raise StoreFailure(str(error)) from error
