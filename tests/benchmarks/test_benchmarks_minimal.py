"""The minimal-work server (benchmarks/minimal.py) does the same rename as the ceiling and our
server, on sessions agno 2.5.6 wrote itself (benchmarks/agno_data.py): same 200 body, same stored
result, same refusals. Otherwise its row would not be a yardstick for ours."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import orjson
import pytest

from benchmarks.agno_data import TYPES, agno_session_id, write_agno_sqlite, write_typed_id_file
from benchmarks.ceiling import ceiling_app
from benchmarks.minimal import MinimalApp
from domain.session import SessionType
from store.base import DEFAULT_SESSION_TABLE
from store.sqlite import SqliteStore

TOKEN = "minimal-token"
PER_TYPE = 3


@pytest.fixture(scope="module")
def agno_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("agno") / "agno.db"
    assert write_agno_sqlite(path, PER_TYPE) == PER_TYPE * len(TYPES)
    return path


async def _post(app: object, path: str, body: bytes, token: str = TOKEN) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.post(path, content=body, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.anyio
async def test_minimal_work_answers_and_stores_what_the_ceiling_does(
    agno_file: Path, tmp_path: Path
) -> None:
    shutil.copy(agno_file, tmp_path / "minimal.db")
    shutil.copy(agno_file, tmp_path / "ceiling.db")
    minimal = MinimalApp(f"sqlite:///{tmp_path / 'minimal.db'}", TOKEN)
    minimal.open()
    store = await SqliteStore.open(tmp_path / "ceiling.db")
    try:
        ceiling = ceiling_app(store, TOKEN)
        for session_type in TYPES:
            path = f"/sessions/{agno_session_id(session_type, 1)}/rename?type={session_type.value}"
            body = '{"session_name": "Résumé 🚀"}'.encode()
            ours, theirs = await _post(minimal, path, body), await _post(ceiling, path, body)
            assert ours.status_code == theirs.status_code == 200, ours.text
            ours_body, their_body = orjson.loads(ours.content), orjson.loads(theirs.content)
            # updated_at is "now": the two apps' clocks may fall in different seconds.
            ours_body.pop("updated_at")
            their_body.pop("updated_at")
            assert ours_body == their_body
            assert ours_body["session_name"] == "Résumé 🚀"
            if session_type is not SessionType.WORKFLOW:
                assert ours_body["chat_history"], "agno's runs are shaped, not skipped"
    finally:
        minimal.close()
        await store.close()
    reopened = await SqliteStore.open(tmp_path / "minimal.db")
    try:
        for session_type in TYPES:
            stored = await reopened.get(agno_session_id(session_type, 1), DEFAULT_SESSION_TABLE)
            assert stored is not None and stored.session_name == "Résumé 🚀"
            untouched = await reopened.get(agno_session_id(session_type, 2), DEFAULT_SESSION_TABLE)
            assert untouched is not None and untouched.session_name == "Trip planning 2"
    finally:
        await reopened.close()


@pytest.mark.anyio
async def test_minimal_work_refuses_a_wrong_token_a_wrong_type_and_unknown_sessions(
    agno_file: Path, tmp_path: Path
) -> None:
    shutil.copy(agno_file, tmp_path / "minimal.db")
    minimal = MinimalApp(f"sqlite:///{tmp_path / 'minimal.db'}", TOKEN)
    minimal.open()
    try:
        team = agno_session_id(SessionType.TEAM, 0)
        body = b'{"session_name": "x"}'
        wrong = await _post(minimal, f"/sessions/{team}/rename?type=team", body, token="nope")
        assert wrong.status_code == 401
        # The type is part of the identity: a team session addressed as an agent is not found.
        assert (await _post(minimal, f"/sessions/{team}/rename", body)).status_code == 404
        assert (await _post(minimal, "/sessions/missing/rename", body)).status_code == 404
        assert (await _post(minimal, f"/sessions/{team}/rename?type=team", b"{")).status_code == 422
    finally:
        minimal.close()


def test_agno_data_holds_every_type_with_all_its_runs_and_the_id_file_names_their_types(
    agno_file: Path, tmp_path: Path
) -> None:
    import sqlite3

    with sqlite3.connect(agno_file) as connection:
        rows = connection.execute(
            "SELECT session_id, session_type, json_array_length(json_extract(runs, '$')) "
            "FROM agno_sessions ORDER BY session_id"
        ).fetchall()
    assert sorted((sid, kind) for sid, kind, _ in rows) == sorted(
        (agno_session_id(t, n), t.value) for t in TYPES for n in range(PER_TYPE)
    )
    # Every run agno was given is stored: the agent's two answered runs and its failed one, the
    # team run beside its member's run, the workflow run (harness/agno_sessions.py).
    assert {(kind, runs) for _, kind, runs in rows} == {("agent", 3), ("team", 2), ("workflow", 1)}
    lines = write_typed_id_file(tmp_path / "ids.txt", PER_TYPE).read_text().splitlines()
    assert sorted(lines) == sorted(f"{sid} {kind}" for sid, kind, _ in rows)
