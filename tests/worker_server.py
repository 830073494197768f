"""A real `agno-rename serve` in its own process group on a free 127.0.0.1 port, for tests that
need worker processes, crashes and restarts exactly as a user would have them (started by
harness/processes.py, the one launcher)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from harness.ports import free_port
from harness.processes import ServerProcess, start_server
from server.settings import SERVER_ENVIRONMENT_VARIABLES

EXECUTABLE = Path(sys.executable).parent / "agno-rename"
# Settings the test gives as flags only: none may come from the caller's environment.
_UNSET = tuple(v for v in SERVER_ENVIRONMENT_VARIABLES if v != "OS_SECURITY_KEY")


class WorkerServer:
    """`agno-rename serve ARGUMENTS --port <free>`; output goes to `log_path`."""

    def __init__(
        self, arguments: list[str], token: str, log_path: Path, *, log_level: str = "warning"
    ) -> None:
        self.port = free_port()
        self.token = token
        self.log_path = log_path
        self._command = [
            str(EXECUTABLE), "serve", "--host", "127.0.0.1", "--port", str(self.port),
            "--log-level", log_level, *arguments,
        ]  # fmt: skip
        self._server: ServerProcess | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def pid(self) -> int:
        assert self._server is not None
        return self._server.process.pid

    def start(self) -> WorkerServer:
        """Start and wait until ready; RuntimeError (with the output) if it exits instead."""
        env = {"OS_SECURITY_KEY": self.token}
        self._server = start_server(self._command, self.port, self.log_path, env, unset=_UNSET)
        return self

    def alive(self) -> bool:
        return self._server is not None and self._server.alive()

    def worker_pids(self) -> list[int]:
        assert self._server is not None
        return self._server.worker_pids()

    def wait_until_workers_started(self, count: int, timeout: float = 60.0) -> None:
        """Until `count` worker processes have finished their start-up (opened the databases and
        built the app), as uvicorn logs it: only with `log_level="info"`. Listening and having
        the database file open are not enough: a worker still starting may yet fail, and uvicorn
        then stops the whole server."""
        deadline = time.monotonic() + timeout
        while self.output().count("Application startup complete.") < count:
            if not self.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{count} workers did not start:\n{self.output()}")
            time.sleep(0.05)

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def kill(self) -> None:
        """kill -9 of the server and all its workers, mid-whatever."""
        assert self._server is not None
        self._server.kill()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
