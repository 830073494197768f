"""THE launcher of server processes on 127.0.0.1 (ours, the ceiling and minimal-work apps, the
defective servers, the real AgentOS): start in a process group of its own, wait until
`GET /health` answers, stop, kill -9, list its worker processes, read its CPU time."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Poll GET /health until it answers 200; bounded by `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + "/health", timeout=1.0) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def worker_pids(self) -> list[int]:
        """The worker processes (uvicorn with --workers > 1): children started by
        multiprocessing's spawn, not its resource tracker."""
        workers = []
        for child in _children(self.process.pid):
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in command:
                workers.append(child)
        return workers

    def kill(self) -> None:
        """kill -9 of the server and all its workers, mid-whatever."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def stop(self) -> None:
        """SIGTERM to the server (uvicorn stops its own workers), then SIGKILL to the process
        group we created for it if it does not exit in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)


def start_server(
    command: Sequence[str],
    port: int,
    log_path: Path,
    env: Mapping[str, str],
    cwd: Path | None = None,
    unset: Iterable[str] = (),
    ready_timeout: float = READY_TIMEOUT_SECONDS,
) -> ServerProcess:
    """Start `command` with our environment plus `env`, minus the variables in `unset`, and wait
    until it is ready (it is stopped again if it does not get there)."""
    dropped = set(unset)
    environment = {k: v for k, v in os.environ.items() if k not in dropped}
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            list(command),
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**environment, **env},
            cwd=cwd,
            start_new_session=True,  # its own process group, so its workers can be ended too
        )
    server = ServerProcess(process, port, log_path)
    server.wait_ready(ready_timeout)
    return server


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return found


def _own_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime (fields 14 and 15 of proc(5), here after the command name), all threads.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) used so far by `pid` and its live descendants:
    the server and its uvicorn workers. Linux only (/proc)."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        total += _own_cpu_seconds(current)
        pending += _children(current)
    return total
