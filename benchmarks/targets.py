"""The issue's targets, checked against one run's rows (printed, never asserted)."""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.table import Measurement, latency_ratio, ratio_to_ceiling

MIN_RATIO_TO_CEILING = 0.6
MAX_P99_MS = 20.0
MAX_P50_GROWTH = 1.2
OURS = "ours-sqlite"  # one worker, SQLite, 16 connections


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def target_lines(rows: Sequence[Measurement], largest_sessions_key: str | None) -> list[str]:
    by_key = {row.key: row for row in rows}
    ours = by_key.get(OURS)
    if ours is None or ours.result is None:
        return [f"- {OURS} was not measured"]
    lines = []
    ratio = ratio_to_ceiling(ours, rows)
    if ratio is not None:
        lines.append(
            f"- {OURS} at >= {MIN_RATIO_TO_CEILING} of the ceiling's requests/s: {ratio:.2f} "
            f"({_verdict(ratio >= MIN_RATIO_TO_CEILING)})"
        )
    p99 = ours.result.p99_ms
    lines.append(f"- {OURS} p99 < {MAX_P99_MS:g} ms: {p99:.2f} ms ({_verdict(p99 < MAX_P99_MS)})")
    errors = sum(row.result.errors for row in rows if row.result is not None)
    lines.append(f"- zero errors: {errors} in all rows ({_verdict(errors == 0)})")
    if largest_sessions_key is not None:
        growth = latency_ratio(rows, largest_sessions_key, OURS)
        largest = by_key.get(largest_sessions_key)
        if growth is not None and largest is not None:
            lines.append(
                f"- p50 with {largest.sessions:,} sessions within {MAX_P50_GROWTH}x of "
                f"{ours.sessions:,}: {growth:.2f}x ({_verdict(growth <= MAX_P50_GROWTH)})"
            )
    logged = by_key.get(f"{OURS}-access-log")
    if logged is not None and logged.result is not None and ours.result.requests_per_second:
        change = logged.result.requests_per_second / ours.result.requests_per_second - 1
        lines.append(
            f"- (information) access log at level info: {change:+.0%} requests/s against "
            f"level warning"
        )
    return lines
