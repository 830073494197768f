"""Run our server as a real uvicorn process on a free loopback port (for end-to-end tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not become healthy:\n{log_path.read_text()}")


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
    """Start any HTTP server process listening on 127.0.0.1:`port`, wait until `/health`
    answers, and stop it afterwards. Output goes to `log_path`."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(command), stdout=log, stderr=subprocess.STDOUT, env=dict(env), cwd=cwd
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process, log_path)
        yield base_url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
