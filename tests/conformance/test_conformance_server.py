"""End to end: the installed suite against our own server (real uvicorn process, SQLite file,
seeded sessions). It must pass every check, also with --strict."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.catalog import CHECKS
from harness.conformance_command import conformance_command
from tests.server_process import BIN, RunningServer, running_server, seed

TOKEN = "conformance-e2e-token-31"
# Our server has no GET /sessions/{id} (AgentOS's read endpoint): nothing to read back with.
RUN_CHECKS = set(CHECKS) - {"persisted_on_read"}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, Path, Path]]:
    workdir = tmp_path_factory.mktemp("our-server")
    database = workdir / "agno.db"
    sessions_file = workdir / "sessions.json"
    seed(f"sqlite:///{database}", sessions_file)
    _without_owner(database, sessions_file)
    with running_server(f"sqlite:///{database}", workdir, token=TOKEN) as server:
        yield server, database, sessions_file


def _without_owner(database: Path, sessions_file: Path) -> None:
    """One seeded session loses its owner (NULL user_id, listed as null): the suite then checks
    that no user_id at all finds it. It is not the first of its type, so it is checked in depth
    on its own account."""
    listing = json.loads(sessions_file.read_text())
    agents = [entry for entry in listing["sessions"] if entry["type"] == "agent"]
    assert len(agents) >= 2
    ownerless = agents[1]
    with sqlite3.connect(database) as connection:
        connection.execute(
            "UPDATE agno_sessions SET user_id = NULL WHERE session_id = ?",
            (ownerless["session_id"],),
        )
    ownerless["user_id"] = None
    sessions_file.write_text(json.dumps(listing))


def stored_names(database: Path) -> dict[str, str]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT session_id, session_data FROM agno_sessions").fetchall()
    names = {}
    for session_id, data in rows:
        decoded = json.loads(data)
        decoded = json.loads(decoded) if isinstance(decoded, str) else decoded
        names[session_id] = decoded["session_name"]
    return names


def _run_suite(command: list[str]) -> subprocess.CompletedProcess[str]:
    """The suite as a separate process, as CI runs it (its output kept for the failure message)."""
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)


def test_console_script_passes_our_server_with_reports(
    seeded: tuple[RunningServer, Path, Path], tmp_path: Path
) -> None:
    server, _, sessions_file = seeded
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    completed = _run_suite(
        [
            str(BIN / "agno-rename-conformance"),
            "run",
            "--base-url",
            server.base_url,
            "--token",
            TOKEN,
            "--sessions",
            str(sessions_file),
            "--strict",
            "--report-json",
            str(report),
            "--junit-xml",
            str(junit),
        ],
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Result: CONFORMANT" in completed.stdout
    assert "[conformance] generated negative requests" in completed.stderr  # progress
    data = json.loads(report.read_text())
    assert data["conformant"] is True and data["exit_code"] == 0
    assert data["status_coverage"] == {s: True for s in ("200", "400", "401", "404", "422")}
    assert {c["name"] for c in data["checks"]} == RUN_CHECKS
    assert all(c["passed"] > 0 and c["failed"] == 0 for c in data["checks"])
    assert 0 < data["requests_sent"] <= data["request_bound"]
    assert any("no GET /sessions/{session_id}" in note for note in data["notes"])

    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "0"
    assert {case.get("name") for case in suite.iter("testcase")} == RUN_CHECKS


def test_python_dash_m_restores_names_from_the_sessions_file(
    seeded: tuple[RunningServer, Path, Path], tmp_path: Path
) -> None:
    server, database, sessions_file = seeded
    originals = stored_names(database)
    listing = json.loads(sessions_file.read_text())
    for entry in listing["sessions"]:
        entry["session_name"] = f"Restored {entry['type']} {entry['session_id'][:8]}"
    named = tmp_path / "named.json"
    named.write_text(json.dumps(listing))
    completed = _run_suite(
        conformance_command(
            server.base_url, TOKEN, named, "--max-examples", "10", "--restore-names"
        ),
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    after = stored_names(database)
    assert set(after) == set(originals)
    assert after == {e["session_id"]: e["session_name"] for e in listing["sessions"]}


# Ids a client may give its sessions: each character here changes a URL unless it is
# percent-encoded (`?` starts the query, `#` the fragment, `%41` reads as `A`, `;` and `+`
# delimit in some parsers). `/` is left out: Starlette, like AgentOS's FastAPI, routes on the
# decoded path, so no server built on it can be reached for such an id.
ODD_IDS = {"agent": "agent ?a=1&b#c %41;+é'", "team": "team 100% .."}


def test_listed_ids_with_url_characters_are_sent_as_one_segment(tmp_path: Path) -> None:
    database = tmp_path / "agno.db"
    sessions_file = tmp_path / "sessions.json"
    seed(f"sqlite:///{database}", sessions_file)
    listing = json.loads(sessions_file.read_text())
    for session_type, odd_id in ODD_IDS.items():
        first = next(e for e in listing["sessions"] if e["type"] == session_type)
        with sqlite3.connect(database) as connection:
            connection.execute(
                "UPDATE agno_sessions SET session_id = ? WHERE session_id = ?",
                (odd_id, first["session_id"]),
            )
        first["session_id"] = odd_id
    sessions_file.write_text(json.dumps(listing))
    report = tmp_path / "report.json"
    with running_server(f"sqlite:///{database}", tmp_path, token=TOKEN) as server:
        completed = _run_suite(
            conformance_command(
                server.base_url,
                TOKEN,
                sessions_file,
                "--max-examples",
                "10",
                "--report-json",
                str(report),
            ),
        )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert json.loads(report.read_text())["conformant"] is True
    stored = stored_names(database)
    seeded_names = {e["session_id"]: e["session_name"] for e in listing["sessions"]}
    # The suite reached them: their names are no longer the seeded ones.
    assert all(stored[i] != seeded_names[i] for i in ODD_IDS.values()), stored
