"""Several databases, SQLite and PostgreSQL side by side: configured by flags or environment,
selected by `db_id` / `table` over HTTP, and handed to real worker processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from server.app import create_app
from server.asgi import open_databases
from server.cli import build_parser, settings_from_arguments
from server.settings import DatabaseConfig, Settings
from store.factory import open_store
from tests.conftest import AUTH, FIXED_NOW, TOKEN
from tests.direct_db import PostgresDirect, SqliteDirect
from tests.factories import make_session
from tests.worker_server import WorkerServer

LITE_URL = "sqlite:////srv/lite.db"
PG_URL = "postgresql://agno@db.internal:5432/agno?schema=ai"


def _databases_from(
    argv: list[str], env: dict[str, str] | None = None
) -> tuple[DatabaseConfig, ...]:
    environment = env or {}
    args = build_parser(environment).parse_args(["serve", *argv])
    return settings_from_arguments(args, environment).databases


def test_repeated_db_flags_configure_several_databases_with_their_tables() -> None:
    databases = _databases_from(
        [
            "--db",
            f"lite={LITE_URL}",
            "--db",
            f"pg={PG_URL}",
            "--db-tables",
            "pg=team_sessions,agno_sessions",
        ]
    )
    assert databases == (
        DatabaseConfig("lite", LITE_URL, ("agno_sessions",)),
        DatabaseConfig("pg", PG_URL, ("team_sessions", "agno_sessions")),
    )


def test_environment_configures_several_databases_and_flags_replace_it() -> None:
    env = {"DATABASES": f"lite={LITE_URL}\n  pg={PG_URL}", "DB_TABLES": "lite=a_sessions"}
    assert _databases_from([], env) == (
        DatabaseConfig("lite", LITE_URL, ("a_sessions",)),
        DatabaseConfig("pg", PG_URL, ("agno_sessions",)),
    )
    assert _databases_from(["--db", "only=memory://"], env) == (
        DatabaseConfig("only", "memory://", ("agno_sessions",)),
    )


def test_without_db_flags_the_single_database_flags_still_apply() -> None:
    assert _databases_from(["--database-url", LITE_URL, "--db-id", "main", "--table", "t1"]) == (
        DatabaseConfig("main", LITE_URL, ("t1",)),
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--db", "no-equals-sign"],
        ["--db", "=sqlite:///x.db"],
        ["--db", "a=sqlite:///x.db", "--db", "a=sqlite:///y.db"],
        ["--db", "a=sqlite:///x.db", "--db-tables", "b=t1"],
        ["--db-tables", "a=t1"],
    ],
)
def test_inconsistent_database_flags_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        _databases_from(argv)


def test_several_databases_reach_worker_processes_through_the_settings_json() -> None:
    settings = Settings(
        databases=(
            DatabaseConfig("lite", LITE_URL, ("a", "b")),
            DatabaseConfig("pg", PG_URL, ("agno_sessions",)),
        ),
        security_key=TOKEN,
    )
    assert Settings.from_json(settings.to_json()) == settings


@pytest.fixture
async def two_databases(
    tmp_path: Path, postgres_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, SqliteDirect, PostgresDirect]]:
    lite = SqliteDirect(tmp_path / "lite.db")
    pg = PostgresDirect(postgres_url)
    settings = Settings(
        databases=(
            DatabaseConfig("lite", lite.url, ("agno_sessions", "archive_sessions")),
            DatabaseConfig("pg", pg.url, ("agno_sessions",)),
        ),
        security_key=TOKEN,
        validate_responses=True,
    )
    databases = await open_databases(settings)
    try:
        # The same session id in both databases: only the selected one may change.
        for db_id in ("lite", "pg"):
            await databases.stores[db_id].put(
                [make_session(session_id="same", name="Before")], "agno_sessions"
            )
        await databases.stores["lite"].put(
            [make_session(session_id="old", name="Archived")], "archive_sessions"
        )
        app = create_app(databases, settings, clock=lambda: FIXED_NOW)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=AUTH
        ) as client:
            yield client, lite, pg
    finally:
        await databases.close()


async def _rename(client: httpx.AsyncClient, session_id: str, **params: str) -> httpx.Response:
    return await client.post(
        f"/sessions/{session_id}/rename",
        params={"user_id": "user-1", **params},
        json={"session_name": "Renamed"},
    )


@pytest.mark.anyio
async def test_db_id_selects_the_database_and_only_it_changes(
    two_databases: tuple[httpx.AsyncClient, SqliteDirect, PostgresDirect],
) -> None:
    client, lite, pg = two_databases
    response = await _rename(client, "same", db_id="pg")
    assert response.status_code == 200
    assert response.json()["session_name"] == "Renamed"
    assert pg.names()["same"] == "Renamed"
    assert lite.names()["same"] == "Before"

    assert (await _rename(client, "same", db_id="lite")).status_code == 200
    assert lite.names()["same"] == "Renamed"


@pytest.mark.anyio
async def test_table_selects_one_of_the_databases_configured_tables(
    two_databases: tuple[httpx.AsyncClient, SqliteDirect, PostgresDirect],
) -> None:
    client, _lite, _pg = two_databases
    response = await _rename(client, "old", db_id="lite", table="archive_sessions")
    assert response.status_code == 200
    assert response.json()["session_name"] == "Renamed"
    # The default table (the first configured) does not hold it.
    assert (await _rename(client, "old", db_id="lite")).status_code == 404


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        ({"db_id": "nope"}, 404, "No database found with id 'nope'"),
        (
            {"db_id": "pg", "table": "archive_sessions"},
            404,
            "No database with id 'pg' has table 'archive_sessions'",
        ),
        (
            {"db_id": "pg", "table": "agno_sessions; DROP TABLE ai.agno_sessions"},
            404,
            "No database with id 'pg' has table 'agno_sessions; DROP TABLE ai.agno_sessions'",
        ),
        ({"table": "agno_sessions"}, 400, None),
        ({}, 400, None),
    ],
)
async def test_database_selection_errors_change_nothing(
    two_databases: tuple[httpx.AsyncClient, SqliteDirect, PostgresDirect],
    params: dict[str, str],
    status: int,
    detail: str | None,
) -> None:
    client, lite, pg = two_databases
    response = await _rename(client, "same", **params)
    assert response.status_code == status
    body = response.json()
    assert body["error_code"] == ("NOT_FOUND" if status == 404 else "BAD_REQUEST")
    if detail is not None:
        assert body["detail"] == detail
    assert lite.names()["same"] == "Before"
    assert pg.names() == {"same": "Before"}


@pytest.fixture
def multi_db_server(tmp_path: Path, postgres_url: str) -> Iterator[WorkerServer]:
    lite = SqliteDirect(tmp_path / "lite.db")
    server = WorkerServer(
        [
            "--workers",
            "2",
            "--db",
            f"lite={lite.url}",
            "--db",
            f"pg={postgres_url}",
            "--db-tables",
            "pg=team_sessions,agno_sessions",
        ],
        TOKEN,
        tmp_path / "server.log",
    )
    server.start()
    yield server
    server.stop()


@pytest.mark.anyio
async def test_worker_processes_serve_every_configured_database(
    multi_db_server: WorkerServer, tmp_path: Path, postgres_url: str
) -> None:
    # The workers created the tables at start; put one session in each database.
    lite = SqliteDirect(tmp_path / "lite.db")
    for url, table in ((lite.url, "agno_sessions"), (postgres_url, "team_sessions")):
        store = await open_store(url, (table,))
        await store.put([make_session(session_id="s-1", name="Before")], table)
        await store.close()
    async with httpx.AsyncClient(
        base_url=multi_db_server.base_url, headers=multi_db_server.headers, timeout=30
    ) as client:
        responses = await asyncio.gather(
            *(_rename(client, "s-1", db_id="lite") for _ in range(10)),
            *(_rename(client, "s-1", db_id="pg") for _ in range(10)),
            _rename(client, "s-1"),
        )
    assert [r.status_code for r in responses] == [200] * 20 + [400]
    assert lite.names()["s-1"] == "Renamed"
    with psycopg.connect(postgres_url) as connection:
        stored = connection.execute(
            "SELECT session_data ->> 'session_name' FROM ai.team_sessions"
        ).fetchall()
    assert stored == [("Renamed",)]
    assert len(multi_db_server.worker_pids()) == 2
