"""Start the conformance suite's targets as real uvicorn processes on free loopback ports."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.apps.defective_server import listed_sessions
from tests.server_process import free_port, running_process

REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Target:
    base_url: str
    token: str
    sessions_file: Path


@contextmanager
def _process(command: list[str], log_path: Path, env: dict[str, str], port: int) -> Iterator[str]:
    with running_process(command, log_path, env, port, cwd=REPOSITORY) as (base_url, _):
        yield base_url


@contextmanager
def defective_servers(workdir: Path, token: str) -> Iterator[Target]:
    """One process; `{base_url}/{defect}` is the server with that defect ("none": correct)."""
    port = free_port()
    sessions_file = workdir / "defect-sessions.json"
    sessions_file.write_text(json.dumps({"sessions": listed_sessions()}), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "tests.apps.defective_server",
        "--port",
        str(port),
        "--token",
        token,
    ]
    with _process(command, workdir / "defective.log", dict(os.environ), port) as base_url:
        yield Target(base_url, token, sessions_file)


@contextmanager
def agentos_server(workdir: Path, token: str) -> Iterator[Target]:
    """The real AgentOS (agno 2.5.6) over a SQLite file it seeds with all three session types."""
    port = free_port()
    sessions_file = workdir / "agentos-sessions.json"
    command = [
        sys.executable,
        "-m",
        "tests.apps.agentos_app",
        "--port",
        str(port),
        "--db-file",
        str(workdir / "agno.db"),
        "--sessions-file",
        str(sessions_file),
    ]
    env = {**os.environ, "OS_SECURITY_KEY": token, "AGNO_TELEMETRY": "false"}
    with _process(command, workdir / "agentos.log", env, port) as base_url:
        yield Target(base_url, token, sessions_file)
