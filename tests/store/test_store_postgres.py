"""What only the PostgreSQL backend has: agno's schema and JSONB columns, the one-statement rename
as seen in the table itself, URL options, and concurrent startup. The behaviour every backend
shares is covered by the store contract tests through the `store` fixture (conftest.py)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from domain.errors import StoreFailure
from domain.session import RenameRequest, SessionType
from store.factory import open_store
from store.postgres import PostgresStore, parse_url
from tests.factories import make_session
from tests.postgres_server import PostgresServer, private_postgres_server

TABLE = "agno_sessions"
COLUMNS_EXCEPT_NAME_AND_TIME = (
    "session_id, session_type, agent_id, team_id, workflow_id, user_id, agent_data, team_data, "
    "workflow_data, metadata, runs, summary, created_at, session_data - 'session_name'"
)


def _rename(
    session_id: str,
    name: str,
    *,
    now: int = 1_800_000_000,
    session_type: SessionType = SessionType.AGENT,
    user_id: str | None = "user-1",
) -> RenameRequest:
    return RenameRequest(session_id, session_type, name, user_id, now)


def _query(url: str, statement: str, *parameters: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as connection:
        return connection.execute(statement.encode(), parameters or None).fetchall()


@pytest.fixture
async def opened(postgres_url: str) -> Any:
    store = await PostgresStore.open(postgres_url)
    yield store
    await store.close()


def test_url_options_are_ours_and_the_rest_goes_to_libpq() -> None:
    options = parse_url(
        "postgresql+psycopg://u:p%40ss@db.internal:6543/agno?schema=tenant_1&sslmode=require"
        "&pool_max_size=20&pool_timeout=2.5&application_name=rename"
    )
    assert options.schema == "tenant_1"
    assert options.pool_max_size == 20
    assert options.pool_timeout == 2.5
    assert options.lock_timeout == 10.0
    assert parse_url("postgresql://h/db?lock_timeout=0.5").lock_timeout == 0.5
    assert options.conninfo == (
        "postgresql://u:p%40ss@db.internal:6543/agno?sslmode=require&application_name=rename"
    )
    assert parse_url("postgresql://h/db").schema == "ai"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://h/db?schema=ai;drop",
        'postgresql://h/db?schema=a"b',
        "postgresql://h/db?pool_min_size=5&pool_max_size=2",
        "postgresql://h/db?lock_timeout=-1",
        "postgresql://h/db?lock_timeout=nan",
        "postgresql://h/db?lock_timeout=inf",
        "postgresql://h/db?lock_timeout=2147484",
    ],
)
def test_bad_url_options_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_url(url)


@pytest.mark.anyio
async def test_a_table_name_that_is_not_an_identifier_is_refused(postgres_url: str) -> None:
    with pytest.raises(ValueError):
        await PostgresStore.open(postgres_url, ["agno_sessions; DROP TABLE x"])


@pytest.mark.anyio
async def test_creates_agnos_table_in_schema_ai_with_jsonb_columns(
    opened: PostgresStore, postgres_url: str
) -> None:
    columns = dict(
        _query(
            postgres_url,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'ai' AND table_name = %s",
            TABLE,
        )
    )
    assert columns == {
        "session_id": "character varying",
        "session_type": "character varying",
        "agent_id": "character varying",
        "team_id": "character varying",
        "workflow_id": "character varying",
        "user_id": "character varying",
        "session_data": "jsonb",
        "agent_data": "jsonb",
        "team_data": "jsonb",
        "workflow_data": "jsonb",
        "metadata": "jsonb",
        "runs": "jsonb",
        "summary": "jsonb",
        "created_at": "bigint",
        "updated_at": "bigint",
    }
    indexes = {
        name
        for (name,) in _query(
            postgres_url, "SELECT indexname FROM pg_indexes WHERE schemaname = 'ai'"
        )
    }
    assert {f"idx_{TABLE}_session_type", f"idx_{TABLE}_created_at"} <= indexes


@pytest.mark.anyio
async def test_schema_and_several_tables_from_configuration(postgres_url: str) -> None:
    store = await open_store(f"{postgres_url}?schema=tenant_7", ["team_sessions", "agno_sessions"])
    try:
        assert store.tables == ("team_sessions", "agno_sessions")
        session = make_session(session_id="s-1")
        await store.put([session], "agno_sessions")
        assert await store.count("team_sessions") == 0
        assert await store.count("agno_sessions") == 1
    finally:
        await store.close()
    tables = _query(
        postgres_url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'tenant_7' "
        "ORDER BY table_name",
    )
    assert tables == [("agno_sessions",), ("team_sessions",)]


@pytest.mark.anyio
async def test_rename_changes_only_the_name_and_updated_at_in_the_row(
    opened: PostgresStore, postgres_url: str
) -> None:
    session = make_session(session_id="s-1", updated_at=1_700_000_000)
    await opened.put([session], TABLE)
    select_rest = f"SELECT {COLUMNS_EXCEPT_NAME_AND_TIME} FROM ai.{TABLE}"
    before = _query(postgres_url, select_rest)

    renamed = await opened.rename(_rename("s-1", "Trip to 'Rome'; --"), TABLE)

    assert renamed is not None
    assert renamed.session_name == "Trip to 'Rome'; --"
    assert _query(postgres_url, select_rest) == before
    stored = _query(
        postgres_url,
        f"SELECT session_data ->> 'session_name', updated_at, jsonb_typeof(session_data) "
        f"FROM ai.{TABLE}",
    )
    assert stored == [("Trip to 'Rome'; --", 1_800_000_000, "object")]


@pytest.mark.anyio
async def test_a_session_kept_locked_elsewhere_fails_after_lock_timeout(postgres_url: str) -> None:
    """Another client's open transaction holds the row: the rename fails once `lock_timeout`
    (0.3 s here) has passed, while the lock is still held, and writes nothing; without the
    option it would wait for as long as the lock lasts (the holder never lets go here)."""
    store = await PostgresStore.open(f"{postgres_url}?lock_timeout=0.3")
    try:
        await store.put([make_session(session_id="s-1")], TABLE)
        with psycopg.connect(postgres_url) as holder:
            holder.execute(f"SELECT 1 FROM ai.{TABLE} WHERE session_id = 's-1' FOR UPDATE".encode())
            with pytest.raises(StoreFailure, match="lock timeout"):
                await asyncio.wait_for(store.rename(_rename("s-1", "locked"), TABLE), timeout=30)
            holder.rollback()
        renamed = await store.rename(_rename("s-1", "free"), TABLE)
        assert renamed is not None and renamed.session_name == "free"
    finally:
        await store.close()


@pytest.mark.anyio
async def test_updated_at_never_moves_backwards(opened: PostgresStore) -> None:
    await opened.put([make_session(session_id="s-1", updated_at=1_900_000_000)], TABLE)
    renamed = await opened.rename(_rename("s-1", "New", now=1_800_000_000), TABLE)
    assert renamed is not None
    assert renamed.updated_at == 1_900_000_000


@pytest.mark.anyio
async def test_a_row_written_by_agno_with_jsonb_documents_is_renamed_in_place(
    opened: PostgresStore, postgres_url: str
) -> None:
    # What agno's PostgresDb writes: JSONB documents, session_data without a name yet.
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(
            f"INSERT INTO ai.{TABLE} (session_id, session_type, agent_id, user_id, session_data, "
            "runs, created_at) VALUES (%s, 'agent', 'a-1', 'u-1', %s, %s, 1757088129)",
            ("agno-1", Jsonb({"session_state": {"k": 1}}), Jsonb([{"run_id": "r1"}])),
        )
    renamed = await opened.rename(_rename("agno-1", "Named", user_id="u-1"), TABLE)
    assert renamed is not None
    assert renamed.session_data == {"session_state": {"k": 1}, "session_name": "Named"}
    assert renamed.runs == [{"run_id": "r1"}]
    assert renamed.updated_at == 1_800_000_000


@pytest.mark.anyio
async def test_a_double_encoded_row_keeps_its_form(
    opened: PostgresStore, postgres_url: str
) -> None:
    # A JSONB string holding the document (as agno writes JSON on SQLite, copied over).
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(
            f"INSERT INTO ai.{TABLE} (session_id, session_type, session_data, created_at) "
            "VALUES ('s-2', 'team', to_jsonb(%s::text), 1)",
            ('{"session_name": "Old", "session_state": {"a": 1}}',),
        )
    renamed = await opened.rename(
        _rename("s-2", "New", session_type=SessionType.TEAM, user_id=None), TABLE
    )
    assert renamed is not None
    assert renamed.session_data == {"session_name": "New", "session_state": {"a": 1}}
    stored = _query(postgres_url, f"SELECT jsonb_typeof(session_data) FROM ai.{TABLE}")
    assert stored == [("string",)]


@pytest.mark.anyio
@pytest.mark.parametrize("stored_data", [None, Jsonb(None)])
async def test_a_row_without_session_data_gets_agnos_object(
    opened: PostgresStore, postgres_url: str, stored_data: Jsonb | None
) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(
            f"INSERT INTO ai.{TABLE} (session_id, session_type, session_data, created_at) "
            "VALUES ('s-3', 'workflow', %s, 1)",
            (stored_data,),
        )
    renamed = await opened.rename(
        _rename("s-3", "Flow", session_type=SessionType.WORKFLOW, user_id=None), TABLE
    )
    assert renamed is not None
    assert renamed.session_data == {"session_name": "Flow"}


@pytest.mark.anyio
async def test_another_type_or_owner_matches_nothing_and_writes_nothing(
    opened: PostgresStore, postgres_url: str
) -> None:
    await opened.put([make_session(session_id="s-1", user_id="owner")], TABLE)
    before = _query(postgres_url, f"SELECT session_data::text, updated_at FROM ai.{TABLE}")
    other_type = _rename("s-1", "X", session_type=SessionType.TEAM, user_id="owner")
    assert await opened.rename(other_type, TABLE) is None
    assert await opened.rename(_rename("s-1", "X", user_id="intruder"), TABLE) is None
    assert await opened.rename(_rename("s-1", "X", user_id=""), TABLE) is None
    assert _query(postgres_url, f"SELECT session_data::text, updated_at FROM ai.{TABLE}") == before


@pytest.mark.anyio
async def test_worker_processes_starting_together_create_the_table_once(
    postgres_url: str,
) -> None:
    stores = await asyncio.gather(*(PostgresStore.open(postgres_url) for _ in range(4)))
    try:
        await stores[0].put([make_session(session_id="s-1")], TABLE)
        assert [await store.count(TABLE) for store in stores] == [1, 1, 1, 1]
    finally:
        for store in stores:
            await store.close()


@pytest.mark.anyio
async def test_a_database_that_cannot_be_used_yet_fails_each_call_until_it_can(
    postgres_server: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    # A worker that starts while its database is unreachable must still start (see open()).
    name = f"late_{uuid.uuid4().hex[:12]}"
    store = await PostgresStore.open(f"{postgres_server.url(name)}?pool_timeout=1")
    try:
        assert f'database "{name}" does not exist' in caplog.text
        with pytest.raises(StoreFailure):
            await store.count(TABLE)
        with psycopg.connect(postgres_server.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}".encode())
        for _ in range(40):  # the pool retries connecting on its own, with a growing delay
            try:
                await store.put([make_session(session_id="s-1")], TABLE)
                break
            except StoreFailure:
                await asyncio.sleep(0.25)
        assert await store.count(TABLE) == 1
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_without_postgresql_its_tests_fail_in_ci_and_skip_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, ci: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setenv("POSTGRES_BIN", str(tmp_path))  # a folder without initdb
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="initdb"):
        next(private_postgres_server())


@pytest.mark.anyio
async def test_check_fails_while_the_database_cannot_be_used_and_passes_once_it_can(
    postgres_server: PostgresServer,
) -> None:
    name = f"late_{uuid.uuid4().hex[:12]}"
    store = await PostgresStore.open(f"{postgres_server.url(name)}?pool_timeout=1")
    try:
        with pytest.raises(StoreFailure):
            await store.check()
        with psycopg.connect(postgres_server.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}".encode())
        for _ in range(40):  # the pool retries connecting on its own, with a growing delay
            try:
                await store.check()
                break
            except StoreFailure:
                await asyncio.sleep(0.25)
        await store.check()
        # Passing created the tables it could not create at open.
        assert await store.count(TABLE) == 0
    finally:
        await store.close()
