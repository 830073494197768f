"""Our server (`agno-rename serve`) as a real process on a free loopback port, for end-to-end
tests; every process is started by harness/processes.py, the one launcher."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness.ports import free_port
from harness.processes import ServerProcess, start_server
from tests.direct_db import SqliteDirect

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 30.0
__all__ = [
    "BIN",
    "RunningServer",
    "SeededTarget",
    "free_port",
    "running_process",
    "running_server",
    "seed",
    "seeded_target",
]


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def seed(database_url: str, sessions_file: Path) -> None:
    subprocess.run(
        [
            str(BIN / "agno-rename"),
            "seed",
            "--database-url",
            database_url,
            "--sessions-file",
            str(sessions_file),
        ],
        check=True,
        capture_output=True,
    )


@contextmanager
def running_process(
    command: Sequence[str],
    log_path: Path,
    env: Mapping[str, str],
    port: int,
    cwd: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start any HTTP server process listening on 127.0.0.1:`port` with exactly `env`, wait
    until `/health` answers, and stop it afterwards. Output goes to `log_path`."""
    unset = set(os.environ) - set(env)
    server: ServerProcess = start_server(
        command, port, log_path, env, cwd, unset=unset, ready_timeout=STARTUP_SECONDS
    )
    try:
        yield server.base_url, server.process
    finally:
        server.stop()


@contextmanager
def running_server(
    database_url: str,
    workdir: Path,
    *,
    token: str,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Iterator[RunningServer]:
    """Our server (`agno-rename serve`) as a real uvicorn process."""
    port = free_port()
    log_path = workdir / f"server-{port}.log"
    environment = {**os.environ, **(env or {}), "OS_SECURITY_KEY": token}
    command = [
        str(BIN / "agno-rename"), "serve", "--port", str(port),
        "--database-url", database_url, *extra_args,
    ]  # fmt: skip
    with running_process(command, log_path, environment, port) as (base_url, process):
        yield RunningServer(base_url, process, log_path)


@dataclass(frozen=True)
class SeededTarget:
    """A running server over a seeded SQLite file, and one of its sessions."""

    server: RunningServer
    database: Path
    session_id: str

    @property
    def port(self) -> int:
        return int(self.server.base_url.rsplit(":", 1)[1])

    def stored_name(self) -> str | None:
        return SqliteDirect(self.database).names()[self.session_id]


@contextmanager
def seeded_target(
    workdir: Path,
    *,
    token: str,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Iterator[SeededTarget]:
    """`agno-rename seed` into `workdir`/sessions.db, then our server over it; the first
    seeded session is the target's."""
    database = workdir / "sessions.db"
    sessions_file = workdir / "sessions.json"
    seed(f"sqlite:///{database}", sessions_file)
    session_id = json.loads(sessions_file.read_text())["sessions"][0]["session_id"]
    with running_server(
        f"sqlite:///{database}", workdir, token=token, extra_args=extra_args, env=env
    ) as server:
        yield SeededTarget(server, database, session_id)
