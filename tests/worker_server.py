"""A real `agno-rename serve` in its own process group on a free 127.0.0.1 port, for tests that
need worker processes, crashes and restarts exactly as a user would have them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.postgres_server import free_port

EXECUTABLE = Path(sys.executable).parent / "agno-rename"
_READY_ATTEMPTS = 600
_READY_PAUSE_SECONDS = 0.05
_STOP_TIMEOUT_SECONDS = 30


class WorkerServer:
    """`agno-rename serve ARGUMENTS --port <free>`; output goes to `log_path`."""

    def __init__(self, arguments: list[str], token: str, log_path: Path) -> None:
        self.port = free_port()
        self.token = token
        self.log_path = log_path
        self._command = [
            str(EXECUTABLE),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            *arguments,
        ]
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def start(self) -> WorkerServer:
        environment = {**os.environ, "OS_SECURITY_KEY": self.token}
        for variable in ("DATABASE_URL", "DATABASES", "DB_TABLES", "WORKERS", "PORT"):
            environment.pop(variable, None)
        with self.log_path.open("ab") as log:
            # A process group of its own: kill() takes the supervisor and its workers at once.
            self._process = subprocess.Popen(
                self._command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                start_new_session=True,
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        for _ in range(_READY_ATTEMPTS):
            if not self.alive():
                raise RuntimeError(f"server exited at start:\n{self.output()}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(_READY_PAUSE_SECONDS)
        raise RuntimeError(f"server not ready:\n{self.output()}")

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def worker_pids(self) -> list[int]:
        """uvicorn's worker processes (with --workers > 1): the server's children started by
        multiprocessing's spawn (not its resource tracker)."""
        workers = []
        for process in Path("/proc").glob("[0-9]*"):
            try:
                parent = int((process / "stat").read_text().rsplit(")", 1)[1].split()[1])
                command = (process / "cmdline").read_bytes()
            except OSError:
                continue
            if parent == self.pid and b"spawn_main" in command:
                workers.append(int(process.name))
        return workers

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except OSError:
            return ""

    def kill(self) -> None:
        """kill -9 of the server and all its workers, mid-whatever."""
        assert self._process is not None
        os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait(timeout=_STOP_TIMEOUT_SECONDS)

    def stop(self) -> None:
        if not self.alive():
            return
        assert self._process is not None
        os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=_STOP_TIMEOUT_SECONDS)
