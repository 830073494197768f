"""The issue's targets, checked against one run's rows: printed as PASS or MISS, never asserted.

Throughput is a ratio to the minimal-work server (benchmarks/minimal.py) measured in the same run
on the same agno-written data, over all alternating rounds; latency is the worst round's p99.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.table import (
    Measurement,
    combined_ratio,
    latency_ratio,
    ratio_to_ceiling,
    worst_p99,
)

MIN_RATIO_TO_MINIMAL = 0.6
MAX_P99_ONE_WORKER_MS = 20.0
MAX_P99_TWO_WORKERS_MS = 25.0
MAX_P50_GROWTH = 1.2
OURS = "ours-agno-sqlite"
MINIMAL = "minimal-agno-sqlite"
CEILING = "ceiling-agno-sqlite"
OURS_OWN_DATA = "ours-sqlite"  # our own seeder's sessions, scaling rows are compared with it


def two_workers_key(server: str, store: str, connections: int) -> str:
    """ours-agno-sqlite-2w-16c, minimal-agno-postgres-2w-64c, ..."""
    return f"{server}-agno-{store}-2w-{connections}c"


TWO_WORKER_CONNECTIONS = (16, 64)


def verdict(met: bool) -> str:
    return "PASS" if met else "MISS"


def _ratio_line(rows: Sequence[Measurement], ours: str, base: str, what: str) -> str | None:
    ratio = combined_ratio(rows, ours, base)
    if ratio is None:
        return None
    return f"- {ours} / {base} requests/s ({what}): {ratio:.2f}x"


def target_lines(rows: Sequence[Measurement], largest_sessions_key: str | None) -> list[str]:
    lines = []
    ratio = combined_ratio(rows, OURS, MINIMAL)
    if ratio is None:
        lines.append(f"- {OURS} / {MINIMAL}: not measured MISS")
    else:
        lines.append(
            f"- {OURS} >= {MIN_RATIO_TO_MINIMAL}x {MINIMAL} requests/s (one worker, 16 "
            f"connections, all rounds): {ratio:.2f}x {verdict(ratio >= MIN_RATIO_TO_MINIMAL)}"
        )
    p99 = worst_p99(rows, OURS)
    if p99 is None:
        lines.append(f"- {OURS} p99: not measured MISS")
    else:
        lines.append(
            f"- {OURS} p99 <= {MAX_P99_ONE_WORKER_MS:g} ms (worst round): {p99:.2f} ms "
            f"{verdict(p99 <= MAX_P99_ONE_WORKER_MS)}"
        )
    for connections in TWO_WORKER_CONNECTIONS:
        key = two_workers_key("ours", "sqlite", connections)
        two_p99 = worst_p99(rows, key)
        if two_p99 is None:
            lines.append(f"- {key} p99: not measured MISS")
        else:
            lines.append(
                f"- {key} p99 <= {MAX_P99_TWO_WORKERS_MS:g} ms: {two_p99:.2f} ms "
                f"{verdict(two_p99 <= MAX_P99_TWO_WORKERS_MS)}"
            )
    measured = [row for row in rows if row.result is not None]
    errors = sum(row.result.errors for row in measured if row.result is not None)
    lines.append(f"- zero errors: {errors} in {len(measured)} measured rows {verdict(errors == 0)}")
    if largest_sessions_key is not None:
        growth = latency_ratio(rows, largest_sessions_key, OURS_OWN_DATA)
        largest = next((row for row in rows if row.key == largest_sessions_key), None)
        if growth is not None and largest is not None:
            lines.append(
                f"- p50 with {largest.sessions:,} sessions within {MAX_P50_GROWTH}x of 1,000 "
                f"({OURS_OWN_DATA}): {growth:.2f}x {verdict(growth <= MAX_P50_GROWTH)}"
            )
    return lines


def information_lines(rows: Sequence[Measurement]) -> list[str]:
    """Ratios reported without a target: the ceiling, our own seeder's data, PostgreSQL."""
    candidates = [
        _ratio_line(rows, OURS, CEILING, "agno data, SQLite, all rounds"),
        _ratio_line(rows, CEILING, MINIMAL, "agno data, SQLite, all rounds"),
        _ratio_line(rows, OURS_OWN_DATA, "minimal-sqlite", "our seeder's data, SQLite"),
        _ratio_line(rows, OURS_OWN_DATA, "ceiling-sqlite", "our seeder's data, SQLite"),
        _ratio_line(
            rows, "ours-agno-postgres", "minimal-agno-postgres", "agno data, PostgreSQL, all rounds"
        ),
        _ratio_line(
            rows, "ours-agno-postgres", "ceiling-agno-postgres", "agno data, PostgreSQL, all rounds"
        ),
    ]
    lines = [line for line in candidates if line is not None]
    for connections in TWO_WORKER_CONNECTIONS:
        p99 = worst_p99(rows, two_workers_key("ours", "postgres", connections))
        if p99 is not None:
            lines.append(
                f"- {two_workers_key('ours', 'postgres', connections)} p99: {p99:.2f} ms "
                f"(the SQLite target, {MAX_P99_TWO_WORKERS_MS:g} ms, for comparison)"
            )
    by_key = {row.key: row for row in rows}
    plain, logged = by_key.get(OURS_OWN_DATA), by_key.get(f"{OURS_OWN_DATA}-access-log")
    if plain and logged and plain.result and logged.result and plain.result.requests_per_second:
        change = logged.result.requests_per_second / plain.result.requests_per_second - 1
        lines.append(
            f"- access log at level info: {change:+.0%} requests/s against level warning "
            f"({ratio_to_ceiling(logged, rows) or 0:.2f} of the ceiling)"
        )
    return lines
