"""PostgreSQL backend over Agno's session table (`ai.agno_sessions` by default, JSONB columns).

Driver: psycopg 3 with psycopg_pool. Measured against asyncpg 0.32 on this 2-core machine (shared
with other jobs, so noisy): the same one-statement rename, rows decoded the same way (orjson), a
pool of 10 connections and 64 tasks doing 4,000 renames, five rounds, medians: psycopg 3 ~3,200
renames/s (2,490-6,450), asyncpg ~3,300/s (2,930-6,270); one task in sequence: 0.53 ms vs 0.52 ms
per rename. The difference is inside the noise and small next to Connexion's ~0.6 ms of CPU per
request. Both bind parameters server-side and prepare statements they run often. psycopg 3 wins on
the rest: it is what agno itself uses on PostgreSQL (one driver per deployment), psycopg.sql
quotes identifiers for us, it ships type hints (mypy strict), and its pool checks and replaces
broken connections after a server restart on its own. asyncpg is not a dependency.

URL: `postgresql://user:password@host:5432/database?schema=ai`. Options of ours, removed before
the URL reaches libpq: `schema` (default `ai`), `pool_min_size` (2), `pool_max_size` (10),
`pool_timeout` (seconds a request waits for a connection, 5; then it fails with a 500) and
`pool_reconnect_timeout` (10; see below) and `lock_timeout` (seconds a rename waits for a row
another client keeps locked, 10; then it fails with a 500; 0 waits as long as the lock lasts).
Everything else is libpq's.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb, set_json_loads
from psycopg_pool import AsyncConnectionPool

from domain.errors import StoreFailure
from domain.session import RenameRequest, StoredSession
from store.base import CHECK_TIMEOUT_SECONDS, DEFAULT_SESSION_TABLE
from store.rows import (
    COLUMNS,
    JSON_COLUMNS,
    UNNAMEABLE_SESSION_DATA,
    can_match_a_row,
    checked_identifier,
    is_storable_key,
    load_json,
    rename_parameters,
    renamed_session,
    session_from_row,
)

logger = logging.getLogger(__name__)
DEFAULT_SCHEMA = "ai"
_OUR_OPTIONS = (
    "schema",
    "pool_min_size",
    "pool_max_size",
    "pool_timeout",
    "pool_reconnect_timeout",
    "lock_timeout",
)
_CONNECT_TIMEOUT_SECONDS = 5
_MAX_LOCK_TIMEOUT_SECONDS = 2_147_483  # PostgreSQL's largest lock_timeout: 2^31 - 1 ms


@dataclass(frozen=True, slots=True)
class PostgresOptions:
    conninfo: str
    schema: str = DEFAULT_SCHEMA
    pool_min_size: int = 2
    pool_max_size: int = 10
    pool_timeout: float = 5.0
    pool_reconnect_timeout: float = 10.0
    lock_timeout: float = 10.0


def parse_url(url: str) -> PostgresOptions:
    """Split our options off a `postgresql://` URL; the rest is libpq's connection string."""
    parts = urlsplit(url)
    ours: dict[str, str] = {}
    libpq: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in _OUR_OPTIONS:
            ours[key] = value
        else:
            libpq.append((key, value))
    scheme = "postgresql" if parts.scheme.lower().startswith("postgres") else parts.scheme
    conninfo = urlunsplit((scheme, parts.netloc, parts.path, urlencode(libpq), parts.fragment))
    options = PostgresOptions(
        conninfo=conninfo,
        schema=checked_identifier(ours.get("schema", DEFAULT_SCHEMA)),
        pool_min_size=int(ours.get("pool_min_size", 2)),
        pool_max_size=int(ours.get("pool_max_size", 10)),
        pool_timeout=float(ours.get("pool_timeout", 5.0)),
        pool_reconnect_timeout=float(ours.get("pool_reconnect_timeout", 10.0)),
        lock_timeout=float(ours.get("lock_timeout", 10.0)),
    )
    if not 1 <= options.pool_min_size <= options.pool_max_size:
        raise ValueError("need 1 <= pool_min_size <= pool_max_size")
    if not 0 <= options.lock_timeout <= _MAX_LOCK_TIMEOUT_SECONDS:
        raise ValueError(
            f"need 0 <= lock_timeout <= {_MAX_LOCK_TIMEOUT_SECONDS} (seconds; 0 waits for locks "
            "without a limit)"
        )
    return options


def _create_statements(schema: str, table: str) -> list[sql.Composed]:
    # The columns, types and index names agno 2.5.6 creates, so agno can use a table we created
    # (it looks its indexes up by these names and skips existing ones).
    qualified = sql.Identifier(schema, table)
    statements = [
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)),
        sql.SQL(
            """CREATE TABLE IF NOT EXISTS {} (
                session_id VARCHAR NOT NULL PRIMARY KEY,
                session_type VARCHAR NOT NULL,
                agent_id VARCHAR, team_id VARCHAR, workflow_id VARCHAR, user_id VARCHAR,
                session_data JSONB, agent_data JSONB, team_data JSONB, workflow_data JSONB,
                metadata JSONB, runs JSONB, summary JSONB,
                created_at BIGINT NOT NULL, updated_at BIGINT)"""
        ).format(qualified),
    ]
    for column in ("session_type", "created_at"):
        statements.append(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                sql.Identifier(f"idx_{table}_{column}"), qualified, sql.Identifier(column)
            )
        )
    return statements


def _column_list() -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(column) for column in COLUMNS)


# The forms of session_data a name can be stored in: none (SQL NULL or JSON null), a JSONB
# object, or a JSONB string holding either (a double-encoded row). A string holding text that is
# not JSON raises in the cast: the statement fails and writes nothing.
_UNWRAPPED = "(session_data #>> ARRAY[]::text[])::jsonb"
_CAN_HOLD_A_NAME = (
    "session_data IS NULL OR jsonb_typeof(session_data) IN ('null', 'object') "
    "OR (jsonb_typeof(session_data) = 'string' "
    f"AND jsonb_typeof({_UNWRAPPED}) IN ('null', 'object'))"
)


def rename_statement(schema: str, table: str) -> sql.Composed:
    # ONE statement: only session_data.session_name and updated_at change, inside PostgreSQL, so
    # runs another writer appends meanwhile are never overwritten (the row lock orders the two).
    # The name goes back in the form the row uses: a JSONB object (agno on PostgreSQL), or a JSONB
    # string holding the document (a double-encoded row); no session_data becomes agno's object.
    # A row whose session_data cannot hold a name (an array, a number) is not matched (see
    # PostgresStore.rename). updated_at never moves backwards (clock skew between hosts).
    return sql.SQL(
        """UPDATE {table} SET
            session_data = CASE
                WHEN jsonb_typeof(session_data) = 'object' THEN
                    jsonb_set(session_data, ARRAY['session_name'], to_jsonb(%(name)s::text))
                WHEN jsonb_typeof(session_data) = 'string'
                        AND jsonb_typeof("""
        + _UNWRAPPED
        + """) = 'object' THEN
                    to_jsonb(jsonb_set("""
        + _UNWRAPPED
        + """, ARRAY['session_name'], to_jsonb(%(name)s::text))::text)
                WHEN jsonb_typeof(session_data) = 'string' THEN
                    to_jsonb(jsonb_build_object('session_name', %(name)s::text)::text)
                ELSE jsonb_build_object('session_name', %(name)s::text)
            END,
            updated_at = GREATEST(%(now)s::bigint, coalesce(updated_at, 0))
        WHERE session_id = %(session_id)s AND session_type = %(session_type)s
            AND (%(user_id)s::text IS NULL OR user_id = %(user_id)s::text)
            AND ("""
        + _CAN_HOLD_A_NAME
        + """)
        RETURNING {columns}"""
    ).format(table=sql.Identifier(schema, table), columns=_column_list())


def _exists_statement(schema: str, table: str) -> sql.Composed:
    return sql.SQL(
        """SELECT 1 FROM {table}
        WHERE session_id = %(session_id)s AND session_type = %(session_type)s
            AND (%(user_id)s::text IS NULL OR user_id = %(user_id)s::text)"""
    ).format(table=sql.Identifier(schema, table))


def _get_statement(schema: str, table: str) -> sql.Composed:
    return sql.SQL("SELECT {columns} FROM {table} WHERE session_id = %s").format(
        columns=_column_list(), table=sql.Identifier(schema, table)
    )


def _put_statement(schema: str, table: str) -> sql.Composed:
    updates = sql.SQL(", ").join(
        sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(column))
        for column in COLUMNS
        if column != "session_id"
    )
    return sql.SQL(
        "INSERT INTO {table} ({columns}) VALUES ({values}) "
        "ON CONFLICT (session_id) DO UPDATE SET {updates}"
    ).format(
        table=sql.Identifier(schema, table),
        columns=_column_list(),
        values=sql.SQL(", ").join(sql.Placeholder() for _ in COLUMNS),
        updates=updates,
    )


def _count_statement(schema: str, table: str) -> sql.Composed:
    return sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))


def _dump_json(value: Any) -> bytes:
    return orjson.dumps(value)


def _configurer(options: PostgresOptions) -> Callable[[psycopg.AsyncConnection[Any]], Any]:
    lock_timeout = f"{round(options.lock_timeout * 1000)}ms"

    async def configure(connection: psycopg.AsyncConnection[Any]) -> None:
        # Tolerant: JSONB orjson cannot read (1e400) must not fail a rename already committed.
        set_json_loads(load_json, connection)
        # A session another client keeps locked (a transaction left open) fails the rename
        # after lock_timeout (a 500), as SQLite's busy timeout does, instead of holding the
        # request and its pooled connection for as long as the lock lasts.
        await connection.execute("SELECT set_config('lock_timeout', %s, false)", (lock_timeout,))

    return configure


@dataclass(frozen=True, slots=True)
class _Statements:
    rename: bytes
    exists: bytes
    get: bytes
    put: bytes
    count: bytes


def _statements(schema: str, table: str) -> _Statements:
    # Rendered once; identifiers are quoted by psycopg.sql, never pasted from a request.
    return _Statements(
        rename=rename_statement(schema, table).as_bytes(None),
        exists=_exists_statement(schema, table).as_bytes(None),
        get=_get_statement(schema, table).as_bytes(None),
        put=_put_statement(schema, table).as_bytes(None),
        count=_count_statement(schema, table).as_bytes(None),
    )


class PostgresStore:
    def __init__(
        self, pool: AsyncConnectionPool, options: PostgresOptions, tables: tuple[str, ...]
    ) -> None:
        self._pool = pool
        self._schema = options.schema
        self._tables = tables
        self._statements = {table: _statements(options.schema, table) for table in tables}
        self._tables_ready = False
        self._tables_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, url: str, tables: Iterable[str] = (DEFAULT_SESSION_TABLE,)
    ) -> PostgresStore:
        """Start the pool and create the schema, tables and indexes that are missing.

        A configuration error (URL option, table name) fails here. PostgreSQL being unreachable
        does not: a worker process that starts (or is restarted) during an outage must not take
        the whole server down. It logs why, answers every call with StoreFailure, and creates
        the tables as soon as PostgreSQL can be reached.
        """
        options = parse_url(url)
        checked_tables = tuple(checked_identifier(table) for table in tables)
        if not checked_tables:
            raise ValueError("at least one session table is needed")
        pool = AsyncConnectionPool(
            options.conninfo,
            min_size=options.pool_min_size,
            max_size=options.pool_max_size,
            timeout=options.pool_timeout,
            # After PostgreSQL went away the pool retries each connection with a growing delay
            # (1 s, 2 s, 4 s, ...) and, past this time, gives up on that attempt; the next
            # request then starts a fresh one at once. So once PostgreSQL is back, the pool
            # recovers within seconds instead of after a delay as long as the outage was.
            reconnect_timeout=options.pool_reconnect_timeout,
            # One statement per call: autocommit saves the BEGIN/COMMIT round trips.
            kwargs={"autocommit": True, "connect_timeout": _CONNECT_TIMEOUT_SECONDS},
            configure=_configurer(options),
            open=False,
            name=f"agno-rename:{options.schema}",
        )
        await pool.open(wait=False)
        store = cls(pool, options, checked_tables)
        try:
            # A direct connection: a wrong password or database fails at once with PostgreSQL's
            # own message (through the pool it would only be a timeout).
            async with await psycopg.AsyncConnection.connect(
                options.conninfo, autocommit=True, connect_timeout=_CONNECT_TIMEOUT_SECONDS
            ) as connection:
                await store._create_tables(connection)
        except psycopg.Error as error:
            logger.warning(
                "PostgreSQL cannot be used yet (%s); renames fail until it can, then the "
                "tables are created",
                error,
            )
        return store

    async def _create_tables(self, connection: psycopg.AsyncConnection[Any]) -> None:
        async with self._tables_lock:
            if self._tables_ready:
                return
            async with connection.transaction():
                # Several worker processes start at once, and CREATE ... IF NOT EXISTS is not
                # safe against itself running concurrently: they take turns.
                await connection.execute(
                    "SELECT pg_advisory_xact_lock(hashtext('agno-rename: create tables'))"
                )
                for table in self._tables:
                    for statement in _create_statements(self._schema, table):
                        await connection.execute(statement)
            self._tables_ready = True

    @property
    def tables(self) -> tuple[str, ...]:
        return self._tables

    @property
    def schema(self) -> str:
        return self._schema

    async def rename(self, request: RenameRequest, table: str) -> StoredSession | None:
        if not can_match_a_row(request):
            return None
        parameters = rename_parameters(request)
        statements = self._statements[table]
        rows = await self._fetch(statements.rename, parameters)
        if rows:
            return renamed_session(rows[0], request.new_name)
        # Rarely reached (404s): tell "no such session" from one whose session_data another
        # writer left unable to hold a name, which must fail rather than look not found.
        if await self._fetch(statements.exists, parameters):
            raise StoreFailure(UNNAMEABLE_SESSION_DATA)
        return None

    async def get(self, session_id: str, table: str) -> StoredSession | None:
        if not is_storable_key(session_id):
            return None
        rows = await self._fetch(self._statements[table].get, (session_id,))
        return session_from_row(rows[0]) if rows else None

    async def put(self, sessions: Iterable[StoredSession], table: str) -> None:
        rows = [
            tuple(
                _json_parameter(getattr(s, column))
                if column in JSON_COLUMNS
                else _plain_parameter(getattr(s, column))
                for column in COLUMNS
            )
            for s in sessions
        ]
        try:
            async with self._pool.connection() as connection:
                if not self._tables_ready:
                    await self._create_tables(connection)
                async with connection.transaction(), connection.cursor() as cursor:
                    await cursor.executemany(self._statements[table].put, rows)
        except psycopg.Error as error:
            raise StoreFailure(str(error)) from error

    async def count(self, table: str) -> int:
        rows = await self._fetch(self._statements[table].count, ())
        return int(rows[0][0])

    async def check(self) -> None:
        """Usable: a pooled connection answers `SELECT 1` (the tables are created first when they
        could not be yet), all within CHECK_TIMEOUT_SECONDS."""
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                await self._fetch(b"SELECT 1", ())
        except TimeoutError as error:
            raise StoreFailure("PostgreSQL did not answer SELECT 1 in time") from error

    async def close(self) -> None:
        await self._pool.close()

    async def _fetch(
        self, statement: bytes, parameters: dict[str, object] | Sequence[object]
    ) -> list[tuple[Any, ...]]:
        """Run one statement. A connection the server dropped (PostgreSQL restarted) is replaced
        and the statement tried once more: every statement here is idempotent."""
        for attempt in (1, 2):
            used: psycopg.AsyncConnection[Any] | None = None
            try:
                async with self._pool.connection() as connection:
                    used = connection
                    if not self._tables_ready:
                        await self._create_tables(connection)
                    cursor = await connection.execute(statement, parameters)
                    return await cursor.fetchall()
            except psycopg.Error as error:
                if attempt == 1 and used is not None and used.broken:
                    # The other idle connections died with it: test them all, replace the dead.
                    await self._pool.check()
                    continue
                raise StoreFailure(str(error)) from error
        raise AssertionError("unreachable")


def _json_parameter(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value, dumps=_dump_json)


def _plain_parameter(value: Any) -> Any:
    # StrEnum values (session_type) go in as their text.
    return value.value if isinstance(value, enum.Enum) else value
