"""Bulk seeding, fast enough for a million sessions.

One template session is written through the store itself (so every column is in exactly the form
the store writes and reads), then copied inside the database by ONE `INSERT ... SELECT` over a
generated sequence of numbers: no rows cross the Python boundary.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from benchmarks.sessions import bench_session
from store.base import DEFAULT_SESSION_TABLE
from store.rows import COLUMNS
from store.sqlite import SqliteStore

TEMPLATE_NUMBER = 9_999_999
_COPIED_COLUMNS = ", ".join(column for column in COLUMNS if column != "session_id")


async def _write_template(path: Path, messages: int) -> None:
    store = await SqliteStore.open(path)
    try:
        await store.put([bench_session(TEMPLATE_NUMBER, messages)], DEFAULT_SESSION_TABLE)
    finally:
        await store.close()


def seed_sqlite(path: Path, count: int, messages: int) -> int:
    """Create `path` with `count` sessions bench-0000000... of `messages` chat messages each;
    returns the number of sessions in the table afterwards."""
    asyncio.run(_write_template(path, messages))
    table = DEFAULT_SESSION_TABLE
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # A rollback journal instead of WAL while seeding: new pages are not journalled at all.
        connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("BEGIN")
        connection.execute(
            f"""WITH RECURSIVE numbers(n) AS (
                    SELECT 0 UNION ALL SELECT n + 1 FROM numbers WHERE n + 1 < :count)
                INSERT INTO {table} (session_id, {_COPIED_COLUMNS})
                SELECT printf('bench-%07d', n), {_COPIED_COLUMNS}
                FROM numbers, {table} WHERE {table}.session_id = :template""",
            {"count": count, "template": f"bench-{TEMPLATE_NUMBER:07d}"},
        )
        connection.execute(
            f"DELETE FROM {table} WHERE session_id = ?", (f"bench-{TEMPLATE_NUMBER:07d}",)
        )
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode = WAL")
        (seeded,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    finally:
        connection.close()
    return int(seeded)


async def seed_postgres(url: str, count: int, messages: int) -> int:
    """The same for PostgreSQL: template through the store, then one INSERT ... SELECT over
    generate_series. Returns the number of sessions in the table afterwards."""
    import psycopg

    from store.postgres import PostgresStore, parse_url

    store = await PostgresStore.open(url)
    try:
        await store.put([bench_session(TEMPLATE_NUMBER, messages)], DEFAULT_SESSION_TABLE)
    finally:
        await store.close()
    options = parse_url(url)
    table = f"{options.schema}.{DEFAULT_SESSION_TABLE}"
    template = f"bench-{TEMPLATE_NUMBER:07d}"
    async with await psycopg.AsyncConnection.connect(options.conninfo) as connection:
        await connection.execute(
            f"""INSERT INTO {table} (session_id, {_COPIED_COLUMNS})
                SELECT 'bench-' || lpad(n::text, 7, '0'), {_COPIED_COLUMNS}
                FROM generate_series(0, %(count)s - 1) AS n, {table}
                WHERE {table}.session_id = %(template)s""",
            {"count": count, "template": template},
        )
        await connection.execute(f"DELETE FROM {table} WHERE session_id = %s", (template,))
        await connection.commit()
        await connection.execute(f"ANALYZE {table}")
        cursor = await connection.execute(f"SELECT count(*) FROM {table}")
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])
