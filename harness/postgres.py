"""A throwaway PostgreSQL cluster started from the installed server binaries (no service needed).

`initdb` makes a cluster in a temporary folder and `pg_ctl` runs it on a free 127.0.0.1 port (as
the `postgres` user when run as root; PostgreSQL refuses root). The benchmark's PostgreSQL rows run
on one, and so do the tests (their fixtures are in tests/postgres_server.py); it knows nothing of
pytest.

    server = PostgresServer.create()   # initdb; raises PostgresUnavailable without binaries
    server.start()
    url = server.create_database()     # postgresql://postgres@127.0.0.1:PORT/test_...
    server.destroy()                   # stop and delete the folder
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from harness.ports import free_port

SUPERUSER = "postgres"
_START_TIMEOUT_SECONDS = 60
_database_numbers = itertools.count(1)


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not installed here."""


def find_bin_dir() -> Path:
    """The folder holding initdb and pg_ctl: $POSTGRES_BIN, Debian's newest, or the PATH."""
    configured = os.environ.get("POSTGRES_BIN")
    if configured:
        candidates = [Path(configured)]
    else:
        candidates = sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
            reverse=True,
        )
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(Path(on_path).parent)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; install Debian's `postgresql` "
        "package or set POSTGRES_BIN"
    )


def _run_as() -> str | None:
    """The account that runs the server: ourselves, unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise PostgresUnavailable("running as root and no `postgres` or `nobody` account to use")


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, listening on 127.0.0.1:`port` only."""

    def __init__(self, bin_dir: Path, root: Path, port: int, run_as: str | None) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.data_dir = root / "data"
        self.socket_dir = root / "sockets"
        self.log_file = root / "server.log"
        self.port = port
        self._run_as = run_as

    @classmethod
    def create(cls) -> PostgresServer:
        """initdb a new cluster (not started yet)."""
        bin_dir = find_bin_dir()
        run_as = _run_as()
        root = Path(tempfile.mkdtemp(prefix="agno-rename-pg-"))
        server = cls(bin_dir, root, free_port(), run_as)
        server.socket_dir.mkdir()
        if run_as is not None:
            account = pwd.getpwnam(run_as)
            for path in (root, server.socket_dir):
                os.chown(path, account.pw_uid, account.pw_gid)
        server._command(
            "initdb",
            "--pgdata",
            str(server.data_dir),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        return server

    def _command(self, program: str, *arguments: str) -> str:
        completed = subprocess.run(
            [str(self.bin_dir / program), *arguments],
            user=self._run_as,
            capture_output=True,
            text=True,
            timeout=_START_TIMEOUT_SECONDS,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({completed.returncode}):\n{completed.stdout}\n"
                f"{completed.stderr}\n{self.log_tail()}"
            )
        return completed.stdout

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir} "
            "-c max_connections=200"
        )
        self._command(
            "pg_ctl",
            "--pgdata",
            str(self.data_dir),
            "--log",
            str(self.log_file),
            "--options",
            options,
            "--wait",
            "--timeout",
            str(_START_TIMEOUT_SECONDS),
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` (what a service manager does) or `immediate` (a crash)."""
        self._command("pg_ctl", "--pgdata", str(self.data_dir), "--mode", mode, "--wait", "stop")

    def is_running(self) -> bool:
        completed = subprocess.run(
            [str(self.bin_dir / "pg_ctl"), "--pgdata", str(self.data_dir), "status"],
            user=self._run_as,
            capture_output=True,
            check=False,
        )
        return completed.returncode == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        name = f"test_{os.getpid()}_{next(_database_numbers)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")  # our own generated identifier
        return self.url(name)

    def destroy(self) -> None:
        """Stop (if running) and delete the cluster's folder."""
        if self.data_dir.exists() and self.is_running():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
