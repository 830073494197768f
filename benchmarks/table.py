"""The one results table (Markdown, so it goes into BENCHMARKS.md as printed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.load import LoadResult

HEADER = (
    "| row | server | store | workers | sessions | chat messages | req/s | p50 ms | p99 ms "
    "| errors | ratio to ceiling |"
)
RULE = "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"


@dataclass(frozen=True)
class Measurement:
    key: str
    server: str
    store: str
    workers: int
    sessions: int
    messages: int
    result: LoadResult | None
    """None: the row could not be measured (`note` says why)."""
    ceiling_key: str | None = None
    note: str = ""


def ratio_to_ceiling(row: Measurement, rows: Sequence[Measurement]) -> float | None:
    """This row's requests/s over those of its ceiling row, if both were measured."""
    ceiling = next((r for r in rows if r.key == row.ceiling_key), None)
    if row.result is None or ceiling is None or ceiling.result is None:
        return None
    if ceiling.result.requests_per_second == 0:
        return None
    return row.result.requests_per_second / ceiling.result.requests_per_second


def _cells(row: Measurement, rows: Sequence[Measurement]) -> list[str]:
    cells = [
        row.key,
        row.server,
        row.store,
        str(row.workers),
        f"{row.sessions:,}",
        f"{row.messages:,}",
    ]
    if row.result is None:
        return [*cells, "unavailable", "", "", "", row.note.replace("|", "/")]
    ratio = ratio_to_ceiling(row, rows)
    return [
        *cells,
        f"{row.result.requests_per_second:,.0f}",
        f"{row.result.p50_ms:.2f}",
        f"{row.result.p99_ms:.2f}",
        str(row.result.errors),
        "" if ratio is None else f"{ratio:.2f}",
    ]


def render_table(rows: Sequence[Measurement]) -> str:
    lines = [HEADER, RULE]
    lines += ["| " + " | ".join(_cells(row, rows)) + " |" for row in rows]
    return "\n".join(lines)


def latency_ratio(rows: Sequence[Measurement], larger_key: str, smaller_key: str) -> float | None:
    """p50 of `larger_key`'s row over p50 of `smaller_key`'s row, if both were measured."""
    by_key = {row.key: row for row in rows}
    larger, smaller = by_key.get(larger_key), by_key.get(smaller_key)
    if larger is None or smaller is None or larger.result is None or smaller.result is None:
        return None
    if smaller.result.p50_ms == 0:
        return None
    return larger.result.p50_ms / smaller.result.p50_ms
