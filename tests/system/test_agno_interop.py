"""Drop-in over a real Agno database, proven with agno 2.5.6 itself.

agno writes sessions of every type into its own database (a SqliteDb file, or a PostgresDb schema
on a throwaway PostgreSQL server); OUR server, a real `agno-rename serve` process, renames them
over HTTP; agno reads them back with its own API. The name must be the new one and everything else
exactly as agno wrote it, and our 200 bodies must equal what agno's own AgentOS schema classes
build for the same session.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from agno.db.postgres import PostgresDb
from agno.db.sqlite import SqliteDb
from agno.os.utils import get_session_name
from agno.session import AgentSession, TeamSession, WorkflowSession
from psycopg import sql
from psycopg.rows import dict_row

from domain.detail import display_name, session_detail
from domain.session import SessionType, StoredSession
from harness.agno_sessions import CREATED_AT, workflow_session
from store.factory import open_store
from tests.agno_sessions import (
    AGNO_TYPE,
    WrittenSession,
    read_back,
    reference_body,
    stored_as_row,
    stored_like_agno,
    unnamed_edge_sessions,
    write_sessions,
)
from tests.factories import chat_run, make_session
from tests.postgres_server import PostgresServer
from tests.server_process import RunningServer, running_server

TOKEN = "agno-interop-token-7"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DEFAULT_TABLE = "agno_sessions"
CUSTOM_TABLE = "deployment_sessions"
CUSTOM_SCHEMA = "agents_prod"
BACKENDS = ("sqlite", "postgres")


@dataclass
class AgnoDatabase:
    """One database as an Agno deployment has it, and how each side reaches it."""

    db: Any  # agno's SqliteDb or PostgresDb
    url: str  # our server's --database-url for the same database
    table: str
    raw_row: Callable[[str], dict[str, Any]]  # the row exactly as stored
    session_data_kind: Callable[[str], str]  # the stored JSON form of session_data
    agno_form: str  # what session_data_kind answers for a row agno wrote

    def close(self) -> None:
        # agno's SQLAlchemy engine pools connections; close them before the objects go.
        self.db.db_engine.dispose()


def sqlite_database(folder: Path, table: str = DEFAULT_TABLE) -> AgnoDatabase:
    path = (folder / "agno.db").resolve()

    def query(text: str, session_id: str) -> sqlite3.Row:
        with sqlite3.connect(path) as connection:
            connection.row_factory = sqlite3.Row
            row: sqlite3.Row | None = connection.execute(text, (session_id,)).fetchone()
        assert row is not None, session_id
        return row

    return AgnoDatabase(
        db=SqliteDb(db_file=str(path), session_table=table),
        url=f"sqlite:///{path}",
        table=table,
        raw_row=lambda i: dict(query(f"SELECT * FROM {table} WHERE session_id = ?", i)),
        # agno double-encodes on SQLite: a JSON string holding the document's text.
        session_data_kind=lambda i: str(
            query(f"SELECT json_type(session_data) FROM {table} WHERE session_id = ?", i)[0]
        ),
        agno_form="text",
    )


def postgres_database(
    server: PostgresServer, table: str = DEFAULT_TABLE, schema: str | None = None
) -> AgnoDatabase:
    url = server.create_database()
    qualified = sql.Identifier(schema or "ai", table)

    def query(statement: sql.Composed, session_id: str) -> dict[str, Any]:
        with psycopg.connect(url, row_factory=dict_row) as connection:
            row = connection.execute(statement, (session_id,)).fetchone()
        assert row is not None, session_id
        return row

    select_row = sql.SQL("SELECT * FROM {} WHERE session_id = %s").format(qualified)
    select_kind = sql.SQL(
        "SELECT jsonb_typeof(session_data) AS kind FROM {} WHERE session_id = %s"
    ).format(qualified)
    agno_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return AgnoDatabase(
        # Without db_schema agno uses `ai`, as our server does without ?schema=.
        db=PostgresDb(db_url=agno_url, session_table=table, db_schema=schema),
        url=url if schema is None else f"{url}?schema={schema}",
        table=table,
        raw_row=lambda i: query(select_row, i),
        session_data_kind=lambda i: str(query(select_kind, i)["kind"]),
        agno_form="object",
    )


def open_database(
    backend: str, request: pytest.FixtureRequest, folder: Path, *, custom: bool = False
) -> AgnoDatabase:
    table = CUSTOM_TABLE if custom else DEFAULT_TABLE
    if backend == "sqlite":
        return sqlite_database(folder, table)
    server = request.getfixturevalue("postgres_server")
    return postgres_database(server, table, CUSTOM_SCHEMA if custom else None)


@dataclass
class Deployment:
    """An agno database with sessions agno wrote, and our server running over it."""

    database: AgnoDatabase
    server: RunningServer
    written: dict[str, WrittenSession]

    @property
    def db(self) -> Any:
        return self.database.db

    def rename(
        self, session: WrittenSession | StoredSession, name: str, **params: str
    ) -> httpx.Response:
        return post_rename(self.server, session.session_id, session.session_type, name, **params)


def post_rename(
    server: RunningServer, session_id: str, session_type: SessionType, name: str, **params: str
) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/sessions/{session_id}/rename",
        params={"type": session_type.value, **params},
        json={"session_name": name},
        headers=AUTH,
        timeout=10.0,
    )


def deploy(
    database: AgnoDatabase, folder: Path, extra_args: tuple[str, ...] = ()
) -> Iterator[Deployment]:
    written = write_sessions(database.db, named=True) + write_sessions(database.db, named=False)
    for edge in unnamed_edge_sessions():
        database.db.upsert_session(edge)
    # --validate-responses: the server also checks every body against the document itself.
    with running_server(
        database.url, folder, token=TOKEN, extra_args=("--validate-responses", *extra_args)
    ) as server:
        yield Deployment(database, server, {w.session_id: w for w in written})
    database.close()


@pytest.fixture(scope="module", params=BACKENDS)
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp(f"agno-{request.param}")
    yield from deploy(open_database(request.param, request, folder), folder)


WRITTEN_IDS = [
    f"agno-{session_type.value}-{state}"
    for state in ("named", "unnamed")
    for session_type in SessionType
]


def _expected_after_rename(before: dict[str, Any], after: dict[str, Any], name: str) -> Any:
    """`before` (agno's read of the row) with only what a rename may change: name, updated_at."""
    expected = copy.deepcopy(before)
    expected["session_data"]["session_name"] = name
    expected["updated_at"] = after["updated_at"]
    return expected


@pytest.mark.parametrize("session_id", WRITTEN_IDS)
def test_agno_reads_back_the_new_name_and_everything_else_as_it_wrote_it(
    deployment: Deployment, session_id: str
) -> None:
    written = deployment.written[session_id]
    name = f"Kyōto trip ✈ {session_id}"
    assert written.user_id is not None

    response = deployment.rename(written, name, user_id=written.user_id)

    assert response.status_code == 200, response.text
    after = read_back(deployment.db, written.session_type, session_id).to_dict()
    assert after["session_data"]["session_name"] == name
    assert after == _expected_after_rename(written.as_written, after, name)
    assert after["created_at"] == CREATED_AT
    assert after["updated_at"] >= written.as_written["updated_at"]
    # What agno's users care about, spelled out (the comparison above already covers it all).
    for key in ("runs", "summary", "metadata"):
        assert after.get(key) == written.as_written.get(key)
    assert after["runs"], "the sessions under test have runs"
    for key in ("session_state", "session_metrics"):
        assert after["session_data"][key] == written.as_written["session_data"][key]


_CLASSES: dict[SessionType, type] = {
    SessionType.AGENT: AgentSession,
    SessionType.TEAM: TeamSession,
    SessionType.WORKFLOW: WorkflowSession,
}
EDGE_SESSIONS = {session.session_id: session for session in unnamed_edge_sessions()}


@pytest.mark.parametrize("session_id", sorted(EDGE_SESSIONS))
def test_sparse_sessions_agno_wrote_are_renamed_and_read_back(
    deployment: Deployment, session_id: str
) -> None:
    """No runs, no session_data (a NULL column), no summary, inputs of every shape."""
    edge = EDGE_SESSIONS[session_id]
    session_type = next(t for t, agno_class in _CLASSES.items() if isinstance(edge, agno_class))
    before = read_back(deployment.db, session_type, session_id).to_dict()

    response = post_rename(deployment.server, session_id, session_type, "Sparse ✓")

    assert response.status_code == 200, response.text
    renamed = read_back(deployment.db, session_type, session_id)
    after = renamed.to_dict()
    expected = copy.deepcopy(before)
    expected["session_data"] = {**(before["session_data"] or {}), "session_name": "Sparse ✓"}
    expected["updated_at"] = after["updated_at"]
    assert after == expected
    assert response.json() == reference_body(renamed)


@pytest.mark.parametrize("session_id", WRITTEN_IDS)
def test_rename_body_equals_what_agno_agentos_builds(
    deployment: Deployment, session_id: str
) -> None:
    written = deployment.written[session_id]

    response = deployment.rename(written, f"Body check {session_id}")

    assert response.status_code == 200, response.text
    body = response.json()
    reference = reference_body(read_back(deployment.db, written.session_type, session_id))
    assert set(body) == set(reference)
    for field in reference:
        assert body[field] == reference[field], field
    if written.session_type is not SessionType.WORKFLOW:
        assert body["chat_history"], "a non-trivial chat history is compared"
        assert body["session_summary"]["topics"] == ["weather", "travel"]


@pytest.mark.parametrize("session_id", WRITTEN_IDS)
def test_rename_changes_only_the_name_and_updated_at_in_the_stored_row(
    deployment: Deployment, session_id: str
) -> None:
    written = deployment.written[session_id]
    database = deployment.database
    before = database.raw_row(session_id)

    response = deployment.rename(written, "Stored-row check")

    assert response.status_code == 200, response.text
    after = database.raw_row(session_id)
    changed = {column for column in before if before[column] != after[column]}
    assert changed <= {"session_data", "updated_at"}
    assert "session_data" in changed
    # The row keeps agno's form of the JSON (double-encoded text on SQLite, an object in JSONB).
    assert database.session_data_kind(session_id) == database.agno_form


@pytest.mark.parametrize("session_type", list(SessionType))
def test_a_session_of_another_type_is_not_found_and_stays_untouched(
    deployment: Deployment, session_type: SessionType
) -> None:
    written = deployment.written[f"agno-{session_type.value}-named"]
    other = next(t for t in SessionType if t is not session_type)
    before = deployment.database.raw_row(written.session_id)

    response = post_rename(deployment.server, written.session_id, other, "Wrong type")

    assert response.status_code == 404, response.text
    assert deployment.database.raw_row(written.session_id) == before


def test_agno_keeps_working_on_a_session_we_renamed(deployment: Deployment) -> None:
    """agno's own writers (a new run through upsert_session, its own rename) accept our rows."""
    session_id = "agno-keeps-working"
    deployment.db.upsert_session(workflow_session(session_id, "bob@example.com", None))
    response = post_rename(deployment.server, session_id, SessionType.WORKFLOW, "Ours")
    assert response.status_code == 200, response.text

    renamed = read_back(deployment.db, SessionType.WORKFLOW, session_id)
    assert isinstance(renamed, WorkflowSession)
    assert renamed.session_data is not None and renamed.session_data["session_name"] == "Ours"
    assert renamed.runs
    extra_run = copy.deepcopy(renamed.runs[0])
    extra_run.run_id = "second-run"
    renamed.upsert_run(extra_run)
    deployment.db.upsert_session(renamed)
    deployment.db.rename_session(session_id, AGNO_TYPE[SessionType.WORKFLOW], "agno's own rename")

    final = read_back(deployment.db, SessionType.WORKFLOW, session_id)
    assert final.session_data is not None
    assert final.session_data["session_name"] == "agno's own rename"
    assert final.session_data["session_state"] == {"days": 2}
    assert [run.run_id for run in final.runs or []] == [f"{session_id}-wf-run", "second-run"]


@pytest.mark.anyio
@pytest.mark.parametrize("backend", BACKENDS)
async def test_sessions_agno_never_named_render_the_name_agno_derives(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The derived name (and the whole body) for rows agno wrote without a name, read by our
    store from agno's database; a rename always sets a name, so this is checked below HTTP."""
    database = open_database(backend, request, tmp_path)
    request.addfinalizer(database.close)
    unnamed = write_sessions(database.db, named=False)
    for edge in unnamed_edge_sessions():
        database.db.upsert_session(edge)
    unnamed_ids = [w.session_id for w in unnamed] + [s.session_id for s in unnamed_edge_sessions()]
    store = await open_store(database.url, (database.table,))
    try:
        derived = {}
        for session_id in unnamed_ids:
            stored = await store.get(session_id, database.table)
            assert stored is not None and stored.session_name is None, session_id
            agno_session = read_back(database.db, stored.session_type, session_id)
            expected_name = get_session_name(
                {**agno_session.to_dict(), "session_type": stored.session_type.value}
            )
            assert display_name(stored) == expected_name, session_id
            assert session_detail(stored) == reference_body(agno_session), session_id
            derived[session_id] = expected_name
    finally:
        await store.close()
    # The cases really differ (so each derivation rule is exercised).
    assert derived["agno-agent-unnamed"] == "What's the weather in Kyoto?"
    assert derived["agno-team-unnamed"] == "Tell me about Kyoto."
    assert derived["edge-agent-input-only"].startswith("{\n")
    assert derived["edge-agent-assistant-then-later"] == "Second run question"
    assert derived["edge-workflow-dict"] == '{"city": "Kyoto", "days": 2}'
    assert derived["edge-workflow-list"] == derived["edge-workflow-none"]
    assert derived["edge-workflow-none"] == "New Trip Planner Session"
    assert derived["edge-workflow-no-runs"] == derived["edge-agent-no-runs"] == ""


def _sessions_for_our_store() -> list[StoredSession]:
    """Rows our own store writes: the test factories' sessions (sparser than agno's: messages
    without ids, no run times), and one of each type shaped exactly like agno's."""
    owners = {SessionType.AGENT: {"agent_id": "agent-1"}, SessionType.TEAM: {"team_id": "team-1"}}
    sessions = [
        make_session(
            session_type,
            session_id=f"ours-{session_type.value}",
            # agno only reads agent/team runs that name their agent or team (it always writes it).
            runs=[chat_run("Hello there", "Hi!", "Tell me a joke", "No.", **owners[session_type])],
        )
        for session_type in (SessionType.AGENT, SessionType.TEAM)
    ]
    sessions.append(make_session(SessionType.WORKFLOW, session_id="ours-workflow", name=None))
    for session_type in SessionType:
        session_id = f"ours-agno-like-{session_type.value}"
        # Named and unnamed, so both name paths are read by agno too.
        name = None if session_type is SessionType.TEAM else f"Named {session_id}"
        sessions.append(stored_like_agno(session_type, session_id, "carol@example.com", name))
    return sessions


def _without_invented_message_ids(
    reference: dict[str, Any], stored: StoredSession
) -> dict[str, Any]:
    """agno gives a message stored without an `id` a fresh random one on every read; we do not
    invent ids. Drop those (only those) from the reference before comparing."""
    stored_ids = {
        message.get("id")
        for run in stored.runs or []
        for message in (run.get("messages") or [] if isinstance(run, dict) else [])
        if isinstance(message, dict)
    }
    adjusted = copy.deepcopy(reference)
    for message in adjusted.get("chat_history") or []:
        if message.get("id") not in stored_ids:
            message.pop("id")
    return adjusted


async def _put_with_our_store(database: AgnoDatabase, sessions: list[StoredSession]) -> None:
    store = await open_store(database.url, (database.table,))
    try:
        await store.put(sessions, database.table)
    finally:
        await store.close()


def _decoded_by_agno(db: Any, session: StoredSession) -> dict[str, Any]:
    """The row as agno decodes it (deserialize=False). agno fills a run stored without
    `created_at` with the time of reading, so its session objects differ between reads."""
    row = db.get_session(session.session_id, AGNO_TYPE[session.session_type], deserialize=False)
    assert isinstance(row, dict)
    return row


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AgnoDatabase]:
    """A database our store creates the session table in (agno has not touched it yet)."""
    database = open_database(request.param, request, tmp_path)
    yield database
    database.close()


def test_rows_our_store_writes_are_read_by_agno(empty_database: AgnoDatabase) -> None:
    sessions = _sessions_for_our_store()
    asyncio.run(_put_with_our_store(empty_database, sessions))

    db = empty_database.db
    for ours in sessions:
        # agno's JSON decoding of our row gives back exactly what we stored ...
        decoded = _decoded_by_agno(db, ours)
        assert {column: decoded[column] for column in stored_as_row(ours)} == stored_as_row(ours)
        # ... and its session classes accept it.
        agno_session = read_back(db, ours.session_type, ours.session_id)
        assert len(agno_session.runs or []) == len(ours.runs or [])
        assert agno_session.session_data == ours.session_data
        assert agno_session.metadata == ours.metadata
        assert agno_session.created_at == ours.created_at
        reference = _without_invented_message_ids(reference_body(agno_session), ours)
        assert session_detail(ours) == reference, ours.session_id


def test_rows_our_store_wrote_renamed_over_http_are_read_by_agno(
    empty_database: AgnoDatabase, tmp_path: Path
) -> None:
    sessions = _sessions_for_our_store()
    asyncio.run(_put_with_our_store(empty_database, sessions))
    db = empty_database.db
    before = {s.session_id: _decoded_by_agno(db, s) for s in sessions}

    with running_server(empty_database.url, tmp_path, token=TOKEN) as server:
        for ours in sessions:
            name = f"Renamed {ours.session_id}"
            response = post_rename(server, ours.session_id, ours.session_type, name)
            assert response.status_code == 200, response.text

    for ours in sessions:
        after = _decoded_by_agno(db, ours)
        name = f"Renamed {ours.session_id}"
        assert after == _expected_after_rename(before[ours.session_id], after, name)
        renamed = read_back(db, ours.session_type, ours.session_id)
        assert renamed.session_data is not None and renamed.session_data["session_name"] == name


@pytest.fixture(scope="module", params=BACKENDS)
def custom_deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """agno configured with its own table name (and, on PostgreSQL, its own schema)."""
    folder = tmp_path_factory.mktemp(f"agno-{request.param}-custom")
    database = open_database(request.param, request, folder, custom=True)
    yield from deploy(database, folder, ("--table", CUSTOM_TABLE))


def test_a_deployment_with_its_own_table_and_schema_is_served(
    custom_deployment: Deployment,
) -> None:
    deployment = custom_deployment
    written = deployment.written["agno-team-named"]

    response = deployment.rename(written, "Custom table")

    assert response.status_code == 200, response.text
    after_session = read_back(deployment.db, SessionType.TEAM, written.session_id)
    assert response.json() == reference_body(after_session)
    after = after_session.to_dict()
    assert after == _expected_after_rename(written.as_written, after, "Custom table")
    # Our server created no default table next to agno's.
    assert deployment.db.get_session(written.session_id, AGNO_TYPE[SessionType.TEAM]) is not None
    default_table_exists = _has_default_table(deployment.database)
    assert not default_table_exists


def _has_default_table(database: AgnoDatabase) -> bool:
    if database.url.startswith("sqlite"):
        path = database.url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as connection:
            names = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
        return DEFAULT_TABLE in names
    conninfo = database.url.split("?", 1)[0]
    with psycopg.connect(conninfo) as connection:
        found = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = %s",
            (DEFAULT_TABLE,),
        ).fetchone()
    return bool(found and found[0])


def _renamed_by_agentos(
    db_file: Path, table: str, requests: list[dict[str, str]]
) -> list[dict[str, Any]]:
    """The real AgentOS 2.5.6 app renaming in `db_file` (in a child process: agno reads
    OS_SECURITY_KEY when agno.os is imported; the app is called in-process, no socket)."""
    key = "agentos-reference-key"
    completed = subprocess.run(
        [sys.executable, "-m", "tests.agno_sessions", str(db_file), table, key],
        input="".join(json.dumps(r) + "\n" for r in requests),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "OS_SECURITY_KEY": key, "AGNO_TELEMETRY": "false"},
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return [json.loads(line) for line in completed.stdout.splitlines()]


def test_our_bodies_equal_the_real_agentos_answers_for_the_same_database(tmp_path: Path) -> None:
    """The same agno-written file twice: the real AgentOS renames in one copy, our server in the
    other. The answers are equal except `updated_at` (each server's clock)."""
    original = sqlite_database(tmp_path)
    written = write_sessions(original.db, named=True) + write_sessions(original.db, named=False)
    original.close()
    theirs_file, ours_folder = tmp_path / "agentos.db", tmp_path / "ours"
    ours_folder.mkdir()
    shutil.copyfile(tmp_path / "agno.db", theirs_file)
    shutil.copyfile(tmp_path / "agno.db", ours_folder / "agno.db")
    requests = [
        {"session_id": w.session_id, "type": w.session_type.value, "session_name": f"Same {i} ✓"}
        for i, w in enumerate(written)
    ]

    theirs = _renamed_by_agentos(theirs_file, DEFAULT_TABLE, requests)
    ours_database = sqlite_database(ours_folder)
    with running_server(ours_database.url, ours_folder, token=TOKEN) as server:
        ours = [
            post_rename(server, r["session_id"], SessionType(r["type"]), r["session_name"])
            for r in requests
        ]
    ours_database.close()

    assert len(theirs) == len(ours) == len(written) == 6
    for their_answer, our_answer in zip(theirs, ours, strict=True):
        assert their_answer["status"] == our_answer.status_code == 200
        their_body, our_body = their_answer["body"], our_answer.json()
        assert set(our_body) == set(their_body)
        for field in their_body:
            if field != "updated_at":
                assert our_body[field] == their_body[field], (our_body["session_id"], field)
        assert _is_utc_seconds(our_body["updated_at"]) and _is_utc_seconds(their_body["updated_at"])


def _is_utc_seconds(value: str) -> bool:
    """`2026-11-26T03:19:14Z`: AgentOS's rendering of epoch seconds."""
    return bool(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value))


@pytest.mark.parametrize("session_id", WRITTEN_IDS)
def test_agnos_own_client_renames_through_our_server(
    deployment: Deployment, session_id: str
) -> None:
    """agno's AgentOSClient (what an agno application uses to call an AgentOS) against our
    server: it parses our 200 body into its own schema classes, and our errors into its
    HTTPStatusError with the documented body."""
    from agno.client.os import AgentOSClient
    from agno.db.base import SessionType as AgnoSessionType
    from agno.utils.http import aclose_default_clients

    written = deployment.written[session_id]
    client = AgentOSClient(base_url=deployment.server.base_url, timeout=10.0)
    name = f"Renamed by agno's client ({session_id})"
    agno_type = AgnoSessionType(written.session_type.value)

    async def calls() -> tuple[Any, list[httpx.Response]]:
        # One event loop for every call: agno's client shares one httpx client per loop.
        renamed = await client.rename_session(
            session_id, name, session_type=agno_type, user_id=written.user_id, headers=AUTH
        )
        refused = []
        for target, headers in ((f"{session_id}-missing", AUTH), (session_id, None)):
            with pytest.raises(httpx.HTTPStatusError) as error:
                await client.rename_session(
                    target, "never stored", session_type=agno_type, headers=headers
                )
            refused.append(error.value.response)
        await aclose_default_clients()  # agno's shared client belongs to this event loop
        return renamed, refused

    renamed, (missing, unauthenticated) = asyncio.run(calls())

    assert renamed.session_id == session_id and renamed.session_name == name
    stored = read_back(deployment.db, written.session_type, session_id).to_dict()
    assert stored["session_data"]["session_name"] == name
    assert (missing.status_code, missing.json()["error_code"]) == (404, "NOT_FOUND")
    assert (unauthenticated.status_code, unauthenticated.json()["error_code"]) == (
        401,
        "UNAUTHENTICATED",
    )
