"""One benchmark run: seed, start each server in turn on 127.0.0.1, drive it with wrk, stop it,
then print one table of everything measured in this run.

Every row is measured the same way (warm-up, then a bounded measurement, 16 connections, one wrk
thread) right after its ceiling row, so ratios compare neighbours measured minutes apart on the
same machine state.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.load import LoadResult, run_wrk
from benchmarks.machine import describe
from benchmarks.processes import ServerProcess, free_port, start_server
from benchmarks.seeding import seed_postgres, seed_sqlite
from benchmarks.sessions import write_id_file
from benchmarks.table import Measurement, latency_ratio, ratio_to_ceiling, render_table
from benchmarks.targets import target_lines

REPOSITORY = Path(__file__).resolve().parent.parent
CONNECTIONS = 16
SMALL = 1_000
FEW_MESSAGES = 3
CONFORMANCE_TIMEOUT_SECONDS = 900
# What is measured is set by flags only: server settings a developer exported (response
# validation, JWT mode, other databases) must not change it.
SERVER_SETTING_VARIABLES = (
    "DATABASES", "DATABASE_URL", "DB_ID", "DB_TABLES", "HOST", "JWT_ALGORITHM", "JWT_AUDIENCE",
    "JWT_JWKS_FILE", "JWT_SCOPES_CLAIM", "JWT_USER_ID_CLAIM", "JWT_VERIFICATION_KEY", "LOG_LEVEL",
    "OS_SECURITY_KEY", "PORT", "SESSION_TABLES", "VALIDATE_RESPONSES", "WORKERS",
)  # fmt: skip


def scaling_key(sessions: int) -> str:
    """ours-sqlite-100k-sessions, ours-sqlite-1M-sessions."""
    short = f"{sessions // 1_000_000}M" if sessions % 1_000_000 == 0 else f"{sessions // 1000}k"
    return f"ours-sqlite-{short}-sessions"


@dataclass(frozen=True)
class Plan:
    warmup_seconds: float
    measure_seconds: float
    scaling_sessions: tuple[int, ...]
    long_messages: int | None
    memory: bool = True
    access_log: bool = True
    two_workers: bool = True
    postgres: bool = True
    conformance: bool = True


FULL = Plan(
    warmup_seconds=2, measure_seconds=10, scaling_sessions=(100_000, 1_000_000), long_messages=1000
)
QUICK = Plan(
    warmup_seconds=1,
    measure_seconds=3,
    scaling_sessions=(100_000,),
    long_messages=None,
    access_log=False,
    two_workers=False,
    postgres=False,
    conformance=False,
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Run:
    plan: Plan
    workdir: Path
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    rows: list[Measurement] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    postgres_version: str = ""

    def ids_file(self, sessions: int) -> Path:
        path = self.workdir / f"ids-{sessions}.txt"
        if not path.exists():
            write_id_file(path, sessions)
        return path

    def sqlite_url(self, sessions: int, messages: int) -> str:
        path = self.workdir / f"sessions-{sessions}-{messages}.db"
        if not path.exists():
            started = time.perf_counter()
            seeded = seed_sqlite(path, sessions, messages)
            self.notes.append(
                f"seeded SQLite with {seeded:,} sessions of {messages:,} chat messages in "
                f"{time.perf_counter() - started:.1f} s ({path.stat().st_size / 1e6:,.0f} MB)"
            )
        return f"sqlite:///{path}"  # path is absolute: sqlite:////tmp/...

    # Servers --------------------------------------------------------------------------------

    def _ours(self, url: str, workers: int, log_level: str) -> Callable[[int], list[str]]:
        executable = str(Path(sys.executable).with_name("agno-rename"))
        return lambda port: [
            executable,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--database-url",
            url,
            "--security-key",
            self.token,
            "--workers",
            str(workers),
            "--log-level",
            log_level,
        ]

    def _hosted(self, workers: int) -> Callable[[int], list[str]]:
        return lambda port: [
            sys.executable,
            "-m",
            "benchmarks.serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ]

    @contextmanager
    def server(
        self, name: str, command: Callable[[int], list[str]], env: dict[str, str]
    ) -> Iterator[ServerProcess]:
        port = free_port()
        process = start_server(
            command(port),
            port,
            self.workdir / f"{name}.log",
            {**env, "PYTHONPATH": str(REPOSITORY)},
            REPOSITORY,
            unset=SERVER_SETTING_VARIABLES,
        )
        try:
            yield process
        finally:
            process.stop()

    def measure(
        self,
        key: str,
        *,
        server: str,
        store: str,
        url: str,
        workers: int = 1,
        sessions: int = SMALL,
        messages: int = FEW_MESSAGES,
        log_level: str = "warning",
        ceiling_key: str | None = None,
    ) -> None:
        log(f"measuring {key} ...")
        if server == "ceiling" or store == "memory":
            kind = "ceiling" if server == "ceiling" else "ours"
            command = self._hosted(workers)
            env = {
                "BENCH_APP": kind,
                "BENCH_DATABASE_URL": url,
                "BENCH_TOKEN": self.token,
                "BENCH_SESSIONS": str(sessions),
                "BENCH_MESSAGES": str(messages),
            }
        else:
            command, env = self._ours(url, workers, log_level), {}
        ids = self.ids_file(sessions)
        try:
            with self.server(key, command, env) as process:
                run_wrk(
                    process.base_url,
                    ids,
                    self.token,
                    seconds=self.plan.warmup_seconds,
                    connections=CONNECTIONS,
                )
                result = run_wrk(
                    process.base_url,
                    ids,
                    self.token,
                    seconds=self.plan.measure_seconds,
                    connections=CONNECTIONS,
                )
        except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as failure:
            # One broken row must not cost the whole table; the row says what went wrong.
            log(f"  failed: {failure}")
            note = f"failed: {str(failure).splitlines()[0][:70]}"
            self.add(key, server, store, workers, sessions, messages, None, ceiling_key, note)
            return
        self.add(key, server, store, workers, sessions, messages, result, ceiling_key)

    def add(
        self,
        key: str,
        server: str,
        store: str,
        workers: int,
        sessions: int,
        messages: int,
        result: LoadResult | None,
        ceiling_key: str | None = None,
        note: str = "",
    ) -> None:
        row = Measurement(
            key, server, store, workers, sessions, messages, result, ceiling_key, note
        )
        self.rows.append(row)
        if result is not None:
            ratio = ratio_to_ceiling(row, self.rows)
            log(
                f"  {result.requests_per_second:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                f"p99 {result.p99_ms:.2f} ms, {result.errors} errors"
                + ("" if ratio is None else f", {ratio:.2f} of the ceiling")
            )

    # Sections -------------------------------------------------------------------------------

    def main_rows(self) -> None:
        if self.plan.memory:
            self.measure("ceiling-memory", server="ceiling", store="memory", url="memory://")
            self.measure(
                "ours-memory",
                server="ours",
                store="memory",
                url="memory://",
                ceiling_key="ceiling-memory",
            )
        sqlite = self.sqlite_url(SMALL, FEW_MESSAGES)
        self.measure("ceiling-sqlite", server="ceiling", store="sqlite", url=sqlite)
        self.measure(
            "ours-sqlite", server="ours", store="sqlite", url=sqlite, ceiling_key="ceiling-sqlite"
        )
        if self.plan.access_log:
            self.measure(
                "ours-sqlite-access-log",
                server="ours (log level info)",
                store="sqlite",
                url=sqlite,
                log_level="info",
                ceiling_key="ceiling-sqlite",
            )
        if self.plan.two_workers:
            self.measure(
                "ceiling-sqlite-2w", server="ceiling", store="sqlite", url=sqlite, workers=2
            )
            self.measure(
                "ours-sqlite-2w",
                server="ours",
                store="sqlite",
                url=sqlite,
                workers=2,
                ceiling_key="ceiling-sqlite-2w",
            )

    def postgres_rows(self) -> None:
        if not self.plan.postgres:
            return
        try:
            from tests.postgres_server import PostgresServer
        except ImportError as missing:
            self._postgres_unavailable(f"no PostgreSQL starter ({missing})")
            return
        try:
            postgres = PostgresServer.create()
        except Exception as unavailable:
            self._postgres_unavailable(str(unavailable))
            return
        try:
            postgres.start()
            url = postgres.create_database()
            self.postgres_version = _postgres_version(url)
            started = time.perf_counter()
            seeded = asyncio.run(seed_postgres(url, SMALL, FEW_MESSAGES))
            self.notes.append(
                f"seeded PostgreSQL with {seeded:,} sessions in "
                f"{time.perf_counter() - started:.1f} s"
            )
            self.measure("ceiling-postgres", server="ceiling", store="postgresql", url=url)
            self.measure(
                "ours-postgres",
                server="ours",
                store="postgresql",
                url=url,
                ceiling_key="ceiling-postgres",
            )
        except Exception as failure:
            self._postgres_unavailable(f"{type(failure).__name__}: {failure}")
        finally:
            postgres.destroy()

    def _postgres_unavailable(self, why: str) -> None:
        log(f"PostgreSQL rows unavailable: {why}")
        for key, server in (("ceiling-postgres", "ceiling"), ("ours-postgres", "ours")):
            if not any(row.key == key for row in self.rows):
                self.add(key, server, "postgresql", 1, SMALL, FEW_MESSAGES, None, note=why[:80])

    def scaling_rows(self) -> None:
        for sessions in self.plan.scaling_sessions:
            self.measure(
                scaling_key(sessions),
                server="ours",
                store="sqlite",
                url=self.sqlite_url(sessions, FEW_MESSAGES),
                sessions=sessions,
            )
        if self.plan.long_messages:
            messages = self.plan.long_messages
            url = self.sqlite_url(SMALL, messages)
            self.measure(
                f"ceiling-sqlite-{messages}-messages",
                server="ceiling",
                store="sqlite",
                url=url,
                messages=messages,
            )
            self.measure(
                f"ours-sqlite-{messages}-messages",
                server="ours",
                store="sqlite",
                url=url,
                messages=messages,
                ceiling_key=f"ceiling-sqlite-{messages}-messages",
            )

    def largest_sessions_key(self) -> str | None:
        if not self.plan.scaling_sessions:
            return None
        return scaling_key(max(self.plan.scaling_sessions))

    def scaling_summary(self) -> list[str]:
        lines = []
        for sessions in self.plan.scaling_sessions:
            ratio = latency_ratio(self.rows, scaling_key(sessions), "ours-sqlite")
            if ratio is not None:
                lines.append(f"- p50 latency, {sessions:,} / {SMALL:,} sessions: {ratio:.2f}")
        if self.plan.long_messages:
            messages = self.plan.long_messages
            ratio = latency_ratio(self.rows, f"ours-sqlite-{messages}-messages", "ours-sqlite")
            if ratio is not None:
                lines.append(
                    f"- p50 latency, {messages:,} / {FEW_MESSAGES} chat messages: {ratio:.2f}"
                )
        return lines

    def conformance_speed(self) -> list[str]:
        if not self.plan.conformance:
            return []
        if importlib.util.find_spec("conformance.cli") is None:
            return ["- conformance suite: not available (no conformance package)"]
        log("timing the conformance suite ...")
        database = self.workdir / "conformance.db"
        sessions_file = self.workdir / "conformance-sessions.json"
        executable = str(Path(sys.executable).with_name("agno-rename"))
        subprocess.run(
            [
                executable,
                "seed",
                "--database-url",
                f"sqlite:///{database}",
                "--sessions-file",
                str(sessions_file),
            ],
            cwd=REPOSITORY,
            check=True,
            capture_output=True,
            timeout=120,
        )
        command = self._ours(f"sqlite:///{database}", 1, "info")
        with self.server("conformance-target", command, {}) as process:
            started = time.perf_counter()
            completed = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "conformance",
                    "run",
                    "--base-url",
                    process.base_url,
                    "--token",
                    self.token,
                    "--sessions",
                    str(sessions_file),
                ],
                cwd=REPOSITORY,
                capture_output=True,
                text=True,
                timeout=CONFORMANCE_TIMEOUT_SECONDS,
                check=False,
            )
            wall = time.perf_counter() - started
        requests = _count_access_lines(process.log_path)
        last_line = (completed.stdout.strip().splitlines() or ["(no output)"])[-1]
        return [
            f"- conformance suite (`python -m conformance run`, defaults) against ours on "
            f"SQLite: {wall:.1f} s wall, {requests:,} requests, "
            f"{requests / wall:,.0f} requests/s; exit code {completed.returncode}; "
            f"last line: {last_line}"
        ]


def _count_access_lines(log_path: Path) -> int:
    """Requests the server answered, from its JSON access log (one line per request)."""
    count = 0
    for line in log_path.read_text(errors="replace").splitlines():
        with suppress(ValueError):
            if json.loads(line).get("logger") == "server.access":
                count += 1
    return count


def _postgres_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def execute(plan: Plan) -> str:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="agno-rename-bench-") as workdir:
        run = Run(plan, Path(workdir))
        run.main_rows()
        run.postgres_rows()
        run.scaling_rows()
        conformance = run.conformance_speed()
        report = [
            "Machine:",
            describe(run.postgres_version),
            "",
            f"Every row: {CONNECTIONS} connections, one wrk thread, {plan.warmup_seconds:g} s "
            f"warm-up then {plan.measure_seconds:g} s measured; POST /sessions/{{id}}/rename with "
            "real session ids, a valid token and distinct names.",
            "",
            render_table(run.rows),
            "",
            "Latency ratios (largest / smallest):",
            *(run.scaling_summary() or ["- none measured"]),
            "",
            "Targets (one worker, SQLite, 16 connections):",
            *target_lines(run.rows, run.largest_sessions_key()),
        ]
        if conformance:
            report += ["", "Conformance suite speed:", *conformance]
        report += ["", "Seeding:", *(f"- {note}" for note in run.notes)]
        report.append(f"\nTotal benchmark time: {time.perf_counter() - started:.0f} s")
    return "\n".join(report)


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    plan = QUICK if "--quick" in arguments else FULL
    print(execute(plan), flush=True)
    return 0
