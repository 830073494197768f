"""End to end: the installed console script, a real uvicorn process, a SQLite file, HTTP."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import httpx

from harness.ports import free_port
from tests.server_process import BIN, running_process, running_server, seed

TOKEN = "e2e-token-4242"


def test_seed_then_serve_renames_over_http(tmp_path: Path) -> None:
    database = tmp_path / "agno.db"
    sessions_file = tmp_path / "sessions.json"
    url = f"sqlite:///{database}"
    seed(url, sessions_file)
    sessions = json.loads(sessions_file.read_text())["sessions"]
    assert {s["type"] for s in sessions} == {"agent", "team", "workflow"}
    assert len({s["user_id"] for s in sessions}) == 2

    with running_server(url, tmp_path, token=TOKEN) as server:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        for listed in sessions:
            response = httpx.post(
                f"{server.base_url}/sessions/{listed['session_id']}/rename",
                params={"type": listed["type"], "user_id": listed["user_id"]},
                json={"session_name": f"Renamed {listed['type']}"},
                headers=auth,
            )
            assert response.status_code == 200, response.text
            assert response.json()["session_name"] == f"Renamed {listed['type']}"
            assert response.json()["user_id"] == listed["user_id"]
        refused = httpx.post(
            f"{server.base_url}/sessions/{sessions[0]['session_id']}/rename",
            json={"session_name": "x"},
            headers={"Authorization": "Bearer nope"},
        )
        assert refused.status_code == 401
        assert httpx.get(f"{server.base_url}/openapi.json").json()["openapi"] == "3.1.0"
        log = server.log()

    with sqlite3.connect(database) as connection:
        names = dict(connection.execute("SELECT session_type, session_data FROM agno_sessions"))
    assert all(
        json.loads(json.loads(v))["session_name"] == f"Renamed {t}" for t, v in names.items()
    )
    # Structured access log with request ids; the token never appears in the log.
    access = [json.loads(line) for line in log.splitlines() if '"server.access"' in line]
    assert len(access) >= 7 and all(len(entry["request_id"]) == 32 for entry in access)
    assert {entry["status"] for entry in access} >= {200, 401}
    assert TOKEN not in log and "nope" not in log


def test_seed_if_empty_does_not_duplicate(tmp_path: Path) -> None:
    from server.cli import main

    url = f"sqlite:///{tmp_path / 'agno.db'}"
    sessions_file = tmp_path / "sessions.json"
    assert (
        main(
            ["seed", "--database-url", url, "--sessions-file", str(sessions_file), "--if-empty"],
            env={},
        )
        == 0
    )
    first = sessions_file.read_text()
    assert (
        main(
            ["seed", "--database-url", url, "--sessions-file", str(sessions_file), "--if-empty"],
            env={},
        )
        == 0
    )
    assert sessions_file.read_text() == first
    with sqlite3.connect(tmp_path / "agno.db") as connection:
        assert connection.execute("SELECT count(*) FROM agno_sessions").fetchone() == (6,)


def test_without_a_key_serve_generates_one_and_prints_a_working_curl(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'agno.db'}"
    sessions_file = tmp_path / "sessions.json"
    seed(url, sessions_file)
    first = json.loads(sessions_file.read_text())["sessions"][0]["session_id"]
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "OS_SECURITY_KEY"}
    environment["SESSIONS_FILE"] = str(sessions_file)
    command = [str(BIN / "agno-rename"), "serve", "--port", str(port), "--database-url", url]
    log_path = tmp_path / "serve.log"
    with running_process(command, log_path, environment, port):
        banner = log_path.read_text()
        # stdout is a log file, not a terminal: the key is in a private file, not the log.
        key = (tmp_path / "generated-security-key").read_text().strip()
        assert key not in banner
        curl = banner.split("Try:", 1)[1].split("\n\n", 1)[0].strip()
        assert f"/sessions/{first}/rename" in curl and len(key) >= 32
        answer = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, check=True)
    body = json.loads(answer.stdout)
    assert body["session_id"] == first and body["session_name"] == "My session"
