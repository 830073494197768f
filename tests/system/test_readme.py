"""The README's curl examples give the statuses they claim, against a real server."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from tests.server_process import running_server, seed

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE = re.compile(r"^(\d{3})[^\n]*:\n```sh\n(curl .*?)\n```", re.MULTILINE | re.DOTALL)


def _examples() -> list[tuple[int, str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("<!-- examples", 1)[1].split("<!-- end of examples -->", 1)[0]
    return [(int(status), command) for status, command in EXAMPLE.findall(section)]


def test_readme_shows_every_client_status() -> None:
    assert sorted(status for status, _ in _examples()) == [200, 400, 401, 404, 422]


def test_readme_curl_examples_give_their_status(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'agno.db'}"
    sessions_file = tmp_path / "sessions.json"
    seed(url, sessions_file)
    session = json.loads(sessions_file.read_text())["sessions"][0]["session_id"]
    with running_server(url, tmp_path, token="s3cret") as server:
        environment = {
            **os.environ,
            "BASE": server.base_url,
            "OS_SECURITY_KEY": "s3cret",
            "SESSION": session,
        }
        for status, command in _examples():
            result = subprocess.run(
                ["bash", "-c", command],
                capture_output=True,
                text=True,
                env=environment,
                check=True,
            )
            status_line = result.stdout.splitlines()[0]
            assert status_line.split()[1] == str(status), (command, result.stdout)
            assert "content-type: application/json" in result.stdout.lower()
