"""One benchmark run: seed, start each server in turn on 127.0.0.1, drive it with wrk, stop it,
then print one table of everything measured in this run.

Every row is measured the same way (warm-up, then a bounded measurement, one wrk thread). Rows
that are compared (ours, the ceiling, the minimal-work server) run next to each other; on the
agno-written data they run in alternating rounds (minimal, ceiling, ours, minimal, ceiling, ours)
so that a change in the machine's load during the run falls on all three alike.
"""

from __future__ import annotations

import asyncio
import dataclasses
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

from benchmarks.agno_data import (
    write_agno_postgres,
    write_agno_sqlite,
    write_typed_id_file,
)
from benchmarks.load import run_wrk
from benchmarks.machine import describe
from benchmarks.seeding import seed_postgres, seed_sqlite
from benchmarks.sessions import write_id_file
from benchmarks.table import (
    AGNO_DATA,
    Measurement,
    latency_ratio,
    ratio_to_ceiling,
    ratio_to_minimal,
    render_table,
)
from benchmarks.targets import (
    TWO_WORKER_CONNECTIONS,
    information_lines,
    target_lines,
    two_workers_key,
)
from harness.ports import free_port
from harness.processes import ServerProcess, start_server, tree_cpu_seconds
from server.settings import SERVER_ENVIRONMENT_VARIABLES

REPOSITORY = Path(__file__).resolve().parent.parent
CONNECTIONS = 16
SMALL = 1_000
FEW_MESSAGES = 3
AGNO_PER_TYPE = 1_000
"""agno-written sessions of each type (their runs: harness/agno_sessions.py)."""
AGNO_SESSIONS = 3 * AGNO_PER_TYPE
CONFORMANCE_TIMEOUT_SECONDS = 900
# What is measured is set by flags only: server settings a developer exported (response
# validation, JWT mode, other databases) must not change it.
SERVER_SETTING_VARIABLES = SERVER_ENVIRONMENT_VARIABLES


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
    rounds: int = 2
    """Alternating rounds of minimal, ceiling and ours on the agno-written data."""


FULL = Plan(
    warmup_seconds=2, measure_seconds=10, scaling_sessions=(100_000, 1_000_000), long_messages=1000
)
QUICK = Plan(
    warmup_seconds=1,
    measure_seconds=3,
    scaling_sessions=(),
    long_messages=None,
    memory=False,
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
    ours_tree: Path = REPOSITORY
    """The checkout whose server is `ours` (benchmarks/compare.py measures several)."""

    def ids_file(self, sessions: int) -> Path:
        path = self.workdir / f"ids-{sessions}.txt"
        if not path.exists():
            write_id_file(path, sessions)
        return path

    def agno_ids_file(self) -> Path:
        path = self.workdir / "ids-agno.txt"
        if not path.exists():
            write_typed_id_file(path, AGNO_PER_TYPE)
        return path

    def agno_sqlite_url(self) -> str:
        path = self.workdir / "agno-written.db"
        if not path.exists():
            started = time.perf_counter()
            seeded = write_agno_sqlite(path, AGNO_PER_TYPE)
            self.notes.append(
                f"agno 2.5.6 (SqliteDb.upsert_sessions) wrote {seeded:,} sessions "
                f"({AGNO_PER_TYPE:,} of each type; runs: agent 3, team 2, workflow 1) in "
                f"{time.perf_counter() - started:.1f} s ({path.stat().st_size / 1e6:,.0f} MB)"
            )
        return f"sqlite:///{path}"

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
        # `python -m server` is what the `agno-rename` script runs; started in `ours_tree` with
        # it first on PYTHONPATH, so that another checkout's server can be measured the same way.
        return lambda port: [
            sys.executable,
            "-m",
            "server",
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
        self,
        name: str,
        command: Callable[[int], list[str]],
        env: dict[str, str],
        tree: Path = REPOSITORY,
    ) -> Iterator[ServerProcess]:
        port = free_port()
        process = start_server(
            command(port),
            port,
            self.workdir / f"{name}.log",
            {**env, "PYTHONPATH": str(tree)},
            tree,
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
        minimal_key: str | None = None,
        connections: int = CONNECTIONS,
        round_number: int = 0,
        data: str = "",
        ids: Path | None = None,
    ) -> None:
        log(f"measuring {key}" + (f" (round {round_number})" if round_number else "") + " ...")
        tree = REPOSITORY
        if server in ("ceiling", "minimal") or store == "memory":
            kind = server if server in ("ceiling", "minimal") else "ours"
            command = self._hosted(workers)
            env = {
                "BENCH_APP": kind,
                "BENCH_DATABASE_URL": url,
                "BENCH_TOKEN": self.token,
                "BENCH_SESSIONS": str(sessions),
                "BENCH_MESSAGES": str(messages),
            }
        else:
            command, env, tree = self._ours(url, workers, log_level), {}, self.ours_tree
        ids = ids or self.ids_file(sessions)
        row = Measurement(
            key,
            server,
            store,
            workers,
            sessions,
            messages,
            None,
            ceiling_key,
            minimal_key=minimal_key,
            round_number=round_number,
            connections=connections,
            data=data,
        )
        try:
            with self.server(f"{key}-{round_number}", command, env, tree) as process:
                run_wrk(
                    process.base_url,
                    ids,
                    self.token,
                    seconds=self.plan.warmup_seconds,
                    connections=connections,
                )
                cpu_before = tree_cpu_seconds(process.process.pid)
                result = run_wrk(
                    process.base_url,
                    ids,
                    self.token,
                    seconds=self.plan.measure_seconds,
                    connections=connections,
                )
                cpu = tree_cpu_seconds(process.process.pid) - cpu_before
        except (RuntimeError, OSError, ValueError, subprocess.SubprocessError) as failure:
            # One broken row must not cost the whole table; the row says what went wrong.
            log(f"  failed: {failure}")
            note = f"failed: {str(failure).splitlines()[0][:70]}"
            self.add(dataclasses.replace(row, note=note))
            return
        cpu_us = 1e6 * cpu / result.requests if result.requests else None
        self.add(dataclasses.replace(row, result=result, cpu_us_per_request=cpu_us))

    def add(self, row: Measurement) -> None:
        self.rows.append(row)
        result = row.result
        if result is not None:
            ceiling, minimal = ratio_to_ceiling(row, self.rows), ratio_to_minimal(row, self.rows)
            log(
                f"  {result.requests_per_second:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                f"p99 {result.p99_ms:.2f} ms, {result.errors} errors, "
                f"server CPU {row.cpu_us_per_request or 0:,.0f} us/request"
                + ("" if ceiling is None else f", {ceiling:.2f} of the ceiling")
                + ("" if minimal is None else f", {minimal:.2f} of minimal work")
            )

    # Sections -------------------------------------------------------------------------------

    def trio(
        self, store: str, url: str, *, rounds: int, data: str = "", ids: Path | None = None
    ) -> None:
        """minimal-work, ceiling and ours over the same data, `rounds` times in turn (round
        numbers only when there is more than one round)."""
        prefix = f"-agno-{store}" if data == AGNO_DATA else f"-{store}"
        minimal, ceiling, ours = (f"{server}{prefix}" for server in ("minimal", "ceiling", "ours"))
        for number in range(1, rounds + 1):
            round_number = number if rounds > 1 else 0
            for key, server, ceiling_key, minimal_key in (
                (minimal, "minimal", None, None),
                (ceiling, "ceiling", None, minimal),
                (ours, "ours", ceiling, minimal),
            ):
                self.measure(
                    key,
                    server=server,
                    store=store,
                    url=url,
                    sessions=AGNO_SESSIONS if data == AGNO_DATA else SMALL,
                    data=data,
                    ids=ids,
                    ceiling_key=ceiling_key,
                    minimal_key=minimal_key,
                    round_number=round_number,
                )

    def two_worker_rows(self, store: str, url: str, ids: Path) -> None:
        """Ours (and minimal work, for reference) with two workers at 16 and 64 connections."""
        for connections in TWO_WORKER_CONNECTIONS:
            minimal = two_workers_key("minimal", store, connections)
            for server in ("minimal", "ours"):
                self.measure(
                    two_workers_key(server, store, connections),
                    server=server,
                    store=store,
                    url=url,
                    workers=2,
                    connections=connections,
                    sessions=AGNO_SESSIONS,
                    data=AGNO_DATA,
                    ids=ids,
                    minimal_key=None if server == "minimal" else minimal,
                )

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
        self.trio("sqlite", sqlite, rounds=1)
        if self.plan.access_log:
            self.measure(
                "ours-sqlite-access-log",
                server="ours (log level info)",
                store="sqlite",
                url=sqlite,
                log_level="info",
                ceiling_key="ceiling-sqlite",
                minimal_key="minimal-sqlite",
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

    def agno_rows(self) -> None:
        """The targets' rows: sessions agno wrote, minimal work vs ceiling vs ours."""
        url, ids = self.agno_sqlite_url(), self.agno_ids_file()
        self.trio("sqlite", url, rounds=self.plan.rounds, data=AGNO_DATA, ids=ids)
        if self.plan.two_workers:
            self.two_worker_rows("sqlite", url, ids)

    def postgres_rows(self) -> None:
        if not self.plan.postgres:
            return
        from harness.postgres import PostgresServer

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
            self.trio("postgres", url, rounds=1)
            agno_url = postgres.create_database()
            started = time.perf_counter()
            written = write_agno_postgres(agno_url, AGNO_PER_TYPE)
            self.notes.append(
                f"agno 2.5.6 (PostgresDb.upsert_sessions) wrote {written:,} sessions in "
                f"{time.perf_counter() - started:.1f} s"
            )
            ids = self.agno_ids_file()
            self.trio("postgres", agno_url, rounds=self.plan.rounds, data=AGNO_DATA, ids=ids)
            if self.plan.two_workers:
                self.two_worker_rows("postgres", agno_url, ids)
        except Exception as failure:
            self._postgres_unavailable(f"{type(failure).__name__}: {failure}")
        finally:
            postgres.destroy()

    def _postgres_unavailable(self, why: str) -> None:
        log(f"PostgreSQL rows unavailable: {why}")
        for server in ("minimal", "ceiling", "ours"):
            key = f"{server}-postgres"
            if not any(row.key.startswith(key) for row in self.rows):
                self.add(
                    Measurement(
                        key, server, "postgres", 1, SMALL, FEW_MESSAGES, None, note=why[:80]
                    )
                )

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
        run.agno_rows()
        run.main_rows()
        run.postgres_rows()
        run.scaling_rows()
        conformance = run.conformance_speed()
        report = [
            "Machine:",
            describe(run.postgres_version),
            "",
            f"Every row: one wrk thread, {plan.warmup_seconds:g} s warm-up then "
            f"{plan.measure_seconds:g} s measured; POST /sessions/{{id}}/rename with real session "
            "ids (agno data: ?type= of each session), a valid token and distinct names. "
            "rN: alternating round N.",
            "",
            render_table(run.rows),
            "",
            "Latency ratios (largest / smallest):",
            *(run.scaling_summary() or ["- none measured"]),
            "",
            "Targets (agno-written data, SQLite; ratios over all rounds of this run):",
            *target_lines(run.rows, run.largest_sessions_key()),
            "",
            "Other ratios of this run (no target):",
            *(information_lines(run.rows) or ["- none measured"]),
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
