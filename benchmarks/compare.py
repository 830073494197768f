"""Our server from several checkouts, measured side by side in ONE run: alternating rounds on the
agno-written data, so a change in the machine's load falls on every checkout alike.

    python -m benchmarks.compare [--rounds 2] [--seconds 10] [--workers 1] [--connections 16]
        [--minimal] [--postgres] base=/path/to/checkout lever=/path/to/other/checkout ...

The first checkout is the baseline. Each round measures every checkout once, in reverse order on
even rounds; `--minimal` adds the minimal-work server (benchmarks/minimal.py) to each round.
Each checkout's server is `python -m server serve` run in that checkout with it first on
PYTHONPATH, exactly as `make bench` runs ours.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.machine import describe
from benchmarks.run import AGNO_PER_TYPE, FULL, Plan, Run, log
from benchmarks.table import (
    AGNO_DATA,
    combined_cpu_us,
    combined_ratio,
    combined_requests_per_second,
    worst_p99,
)
from benchmarks.table import render_table as render

MINIMAL = "minimal"


def _checkouts(entries: list[str]) -> list[tuple[str, Path]]:
    checkouts = []
    for entry in entries:
        name, separator, path = entry.partition("=")
        if not separator or not name or not Path(path, "server", "__main__.py").is_file():
            raise SystemExit(f"expected NAME=CHECKOUT (a folder with server/), not {entry!r}")
        checkouts.append((name, Path(path).resolve()))
    return checkouts


def _summary(run: Run, names: list[str], with_minimal: bool) -> list[str]:
    baseline = names[0]
    lines = []
    for name in names:
        rps = combined_requests_per_second(run.rows, name)
        p99 = worst_p99(run.rows, name)
        if rps is None or p99 is None:
            lines.append(f"- {name}: not measured in every round")
            continue
        parts = [f"- {name}: {rps:,.0f} req/s over all rounds, worst p99 {p99:.2f} ms"]
        to_base = combined_ratio(run.rows, name, baseline)
        if name != baseline and to_base is not None:
            parts.append(f"{to_base:.3f}x {baseline} ({to_base - 1:+.1%})")
        to_minimal = combined_ratio(run.rows, name, MINIMAL) if with_minimal else None
        if to_minimal is not None:
            parts.append(f"{to_minimal:.2f}x minimal work")
        cpu, base_cpu = combined_cpu_us(run.rows, name), combined_cpu_us(run.rows, baseline)
        if cpu is not None:
            parts.append(f"server CPU {cpu:,.0f} us/request")
            if name != baseline and base_cpu:
                parts.append(f"{cpu / base_cpu - 1:+.1%} CPU per request vs {baseline}")
        lines.append(", ".join(parts))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare")
    parser.add_argument("checkouts", nargs="+", metavar="NAME=CHECKOUT")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=FULL.measure_seconds)
    parser.add_argument("--warmup", type=float, default=FULL.warmup_seconds)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--minimal", action="store_true", help="add the minimal-work server")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    checkouts = _checkouts(args.checkouts)
    plan = Plan(
        warmup_seconds=args.warmup,
        measure_seconds=args.seconds,
        scaling_sessions=(),
        long_messages=None,
        rounds=args.rounds,
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="agno-rename-compare-") as workdir:
        run = Run(plan, Path(workdir))
        postgres = None
        if args.postgres:
            from benchmarks.agno_data import write_agno_postgres
            from harness.postgres import PostgresServer

            postgres = PostgresServer.create()
            postgres.start()
            url = postgres.create_database()
            write_agno_postgres(url, AGNO_PER_TYPE)
            store = "postgres"
        else:
            url, store = run.agno_sqlite_url(), "sqlite"
        try:
            ids = run.agno_ids_file()
            for number in range(1, args.rounds + 1):
                order = checkouts if number % 2 else list(reversed(checkouts))
                # The same load and data for every server of the round.
                row: dict[str, Any] = {
                    "store": store,
                    "url": url,
                    "workers": args.workers,
                    "connections": args.connections,
                    "round_number": number,
                    "sessions": 3 * AGNO_PER_TYPE,
                    "data": AGNO_DATA,
                    "ids": ids,
                }
                if args.minimal:
                    log(f"round {number}: minimal work")
                    run.measure(MINIMAL, server="minimal", **row)
                for name, tree in order:
                    log(f"round {number}: {name} ({tree})")
                    run.ours_tree = tree
                    run.measure(
                        name,
                        server=f"ours ({name})",
                        minimal_key=MINIMAL if args.minimal else None,
                        **row,
                    )
        finally:
            if postgres is not None:
                postgres.destroy()
        names = [name for name, _ in checkouts]
        report = [
            "Machine:",
            describe(""),
            "",
            f"Checkouts: {', '.join(f'{name}={tree}' for name, tree in checkouts)}",
            f"{args.rounds} alternating rounds (reversed order on even rounds), {store}, "
            f"{args.workers} worker(s), {args.connections} connections, {args.warmup:g} s warm-up "
            f"then {args.seconds:g} s measured per row, agno-written data "
            f"({AGNO_PER_TYPE:,} sessions per type).",
            "",
            render(run.rows),
            "",
            *_summary(run, names, args.minimal),
            "",
            f"Total time: {time.perf_counter() - started:.0f} s",
        ]
    print("\n".join(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
