"""A 500 means nothing was written: renaming rows another writer left malformed, against a real
server process on SQLite and PostgreSQL, checked by reading the row back directly.

The rule (README, "Malformed rows"): a malformed column other than the name's is read as absent
and the rename answers 200 with what can be read (the body still matches the document; the
server runs with --validate-responses, so a body that does not would be a 500 here). A
session_data that cannot hold a name (an array, a number, text that is not JSON) fails the
rename with the documented 500, and nothing is written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import orjson
import pytest

from domain.session import SessionType
from tests.direct_db import DirectDatabase, PostgresDirect, SqliteDirect, seed
from tests.factories import make_session
from tests.postgres_server import shared_postgres_server
from tests.server_process import RunningServer, running_server

TOKEN = "malformed-rows-token-0123456789"
INTERNAL_ERROR_BODY = {"detail": "Internal server error", "error_code": "INTERNAL_SERVER_ERROR"}
NEW_NAME = "Renamed over a malformed row"
DEEP = "[" * 300 + "]" * 300  # orjson reads 1024 levels but writes only 254


def _agno_text(document: str) -> str:
    """agno's SQLite form of a JSON document: its text, JSON-encoded once more."""
    return orjson.dumps(document).decode()


@dataclass(frozen=True)
class Case:
    name: str
    column: str
    value: object  # what a careless writer stores, exactly
    status: int
    session_type: SessionType = SessionType.AGENT


SQLITE_CASES = [
    Case("runs-not-json", "runs", "this is not JSON", 200),
    Case("runs-an-object", "runs", _agno_text('{"a": 1}'), 200),
    Case("runs-a-number", "runs", "5", 200),
    Case(
        "runs-of-garbage", "runs", _agno_text('[1, "x", {"messages": 7}, {"messages": [3]}]'), 200
    ),
    Case("runs-lone-surrogate", "runs", '"\\ud800"', 200),
    Case("runs-too-deep", "runs", DEEP, 200),
    Case(
        "runs-odd-roles",
        "runs",
        _agno_text('[{"messages": [{"role": ["x"]}, {"role": {"a": 1}}, {"role": 7}]}]'),
        200,
    ),
    Case("metadata-garbage", "metadata", "{{{", 200),
    Case("metadata-a-list", "metadata", "[1, 2]", 200, SessionType.WORKFLOW),
    Case("summary-text", "summary", _agno_text('"just text"'), 200),
    Case("agent-data-true", "agent_data", "true", 200),
    Case("team-data-deep", "team_data", _agno_text(DEEP), 200, SessionType.TEAM),
    Case(
        "session-data-wrong-types-inside",
        "session_data",
        _agno_text('{"session_state": 5, "session_metrics": {"total_tokens": true}}'),
        200,
    ),
    Case("session-data-unreadable-rest", "session_data", '{"x": "\\ud800"}', 200),
    Case("session-data-huge-number", "session_data", '{"x": 1e400}', 200, SessionType.WORKFLOW),
    Case("created-at-text", "created_at", "yesterday", 200),
    Case("updated-at-text", "updated_at", "soon", 200, SessionType.TEAM),
    Case("created-at-out-of-range", "created_at", 10**18, 200),
    Case("session-data-a-list", "session_data", "[1, 2]", 500),
    Case("session-data-a-number", "session_data", "7", 500, SessionType.WORKFLOW),
    Case("session-data-a-wrapped-list", "session_data", _agno_text("[1]"), 500),
    Case("session-data-not-json", "session_data", "{oops", 500, SessionType.TEAM),
    Case("session-data-wrapped-not-json", "session_data", _agno_text("{oops"), 500),
]
POSTGRES_CASES = [
    Case("runs-an-object", "runs", '{"a": 1}', 200),
    Case("runs-a-number", "runs", "5", 200),
    Case("runs-text", "runs", '"not a list"', 200),
    Case("runs-of-garbage", "runs", '[1, "x", {"messages": 7}, {"messages": [3]}]', 200),
    Case("runs-too-deep", "runs", DEEP, 200),
    Case(
        "runs-odd-roles",
        "runs",
        '[{"messages": [{"role": ["x"]}, {"role": {"a": 1}}, {"role": 7}]}]',
        200,
    ),
    Case("metadata-a-list", "metadata", "[1, 2]", 200, SessionType.WORKFLOW),
    Case("metadata-huge-number", "metadata", '{"n": 1e400}', 200),
    Case("summary-a-number", "summary", "3", 200),
    Case("workflow-data-text", "workflow_data", '"flow"', 200, SessionType.WORKFLOW),
    Case(
        "session-data-wrong-types-inside",
        "session_data",
        '{"session_state": [5], "session_metrics": {"total_tokens": "many"}}',
        200,
        SessionType.TEAM,
    ),
    Case("session-data-huge-number", "session_data", '{"x": 1e400}', 200),
    Case("created-at-out-of-range", "created_at", 10**18, 200),
    Case("session-data-a-list", "session_data", "[1, 2]", 500),
    Case("session-data-a-number", "session_data", "7", 500, SessionType.WORKFLOW),
    Case("session-data-true", "session_data", "true", 500, SessionType.TEAM),
    Case("session-data-wrapped-list", "session_data", '"[1]"', 500),
    Case("session-data-wrapped-not-json", "session_data", '"{oops"', 500),
]


@dataclass(frozen=True)
class Setup:
    database: DirectDatabase
    server: RunningServer
    cases: list[Case]


def _session_id(case: Case) -> str:
    return f"malformed-{case.name}"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def setup(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    """One server per backend over one database holding a session per case, each with its one
    column made malformed directly in the database."""
    workdir = tmp_path_factory.mktemp(f"malformed-{request.param}")
    database: DirectDatabase
    if request.param == "sqlite":
        database, cases = SqliteDirect(workdir / "sessions.db"), SQLITE_CASES
    else:
        database, cases = PostgresDirect(shared_postgres_server().create_database()), POSTGRES_CASES
    sessions = [make_session(case.session_type, session_id=_session_id(case)) for case in cases]
    asyncio.run(seed(database.url, sessions))
    for case in cases:
        database.store_raw(_session_id(case), case.column, case.value)
    with running_server(
        database.url, workdir, token=TOKEN, extra_args=["--validate-responses"]
    ) as server:
        yield Setup(database, server, cases)


def _rename(server: RunningServer, case: Case) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/sessions/{_session_id(case)}/rename",
        params={"type": case.session_type.value},
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"session_name": NEW_NAME},
        timeout=30,
    )


def test_every_malformed_row_is_renamed_and_answered_or_refused_with_nothing_written(
    setup: Setup,
) -> None:
    outcomes = {}
    for case in setup.cases:
        session_id = _session_id(case)
        before = setup.database.raw_row(session_id)
        response = _rename(setup.server, case)
        after = setup.database.raw_row(session_id)
        if response.status_code == 200:
            body = response.json()
            assert body["session_id"] == session_id and body["session_name"] == NEW_NAME, case
            assert setup.database.stored_name(session_id) == NEW_NAME, case
            # Only the name and updated_at changed: the malformed column is as it was.
            unchanged = {k: v for k, v in after.items() if k not in ("session_data", "updated_at")}
            assert unchanged == {
                k: v for k, v in before.items() if k not in ("session_data", "updated_at")
            }, case
            # updated_at is the rename's time, even where the row held text (SQLite keeps text
            # in an integer column, and max(now, 'soon') would keep the text).
            assert isinstance(after["updated_at"], int | str), case
            assert int(after["updated_at"]) >= 1_700_000_000, case
            assert body["updated_at"] is not None, case
        else:
            assert response.json() == INTERNAL_ERROR_BODY, case
            assert after == before, f"{case}: a 500 wrote to the row"
        outcomes[case.name] = response.status_code
    assert outcomes == {case.name: case.status for case in setup.cases}
