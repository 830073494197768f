"""The one results table (Markdown, so it goes into BENCHMARKS.md as printed), and the ratios
between rows measured in the same run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.load import LoadResult

HEADER = (
    "| row | server | store | data | workers | connections | sessions | req/s | p50 ms | p99 ms "
    "| errors | server CPU µs/req | ratio to ceiling | ratio to minimal work |"
)
RULE = "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
AGNO_DATA = "agno-written"


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
    minimal_key: str | None = None
    round_number: int = 0
    """1, 2, ... for rows measured in alternating rounds; 0 for a row measured once."""
    connections: int = 16
    data: str = ""
    """AGNO_DATA for sessions agno wrote; empty for our own seeder's (`messages` chat messages)."""
    cpu_us_per_request: float | None = None
    """CPU time (user + system) of the server's processes during the measurement, per request:
    the work a request costs, much less disturbed by other load on the machine than req/s."""

    @property
    def label(self) -> str:
        return self.key if not self.round_number else f"{self.key} r{self.round_number}"

    @property
    def data_label(self) -> str:
        return self.data or f"ours, {self.messages:,} messages"


def _partner(row: Measurement, key: str | None, rows: Sequence[Measurement]) -> Measurement | None:
    """The row `key` measured in the same round as `row`."""
    if key is None:
        return None
    return next((r for r in rows if r.key == key and r.round_number == row.round_number), None)


def _ratio(row: Measurement, base: Measurement | None) -> float | None:
    if row.result is None or base is None or base.result is None:
        return None
    if base.result.requests_per_second == 0:
        return None
    return row.result.requests_per_second / base.result.requests_per_second


def ratio_to_ceiling(row: Measurement, rows: Sequence[Measurement]) -> float | None:
    """This row's requests/s over those of its ceiling row (same round), if both were measured."""
    return _ratio(row, _partner(row, row.ceiling_key, rows))


def ratio_to_minimal(row: Measurement, rows: Sequence[Measurement]) -> float | None:
    """This row's requests/s over those of its minimal-work row (same round)."""
    return _ratio(row, _partner(row, row.minimal_key, rows))


def combined_requests_per_second(rows: Sequence[Measurement], key: str) -> float | None:
    """All requests of `key`'s rows (every round) over their total measured time; None unless
    every round was measured."""
    matching = [row for row in rows if row.key == key]
    results = [row.result for row in matching if row.result is not None]
    if not matching or len(results) != len(matching):
        return None
    seconds = sum(result.seconds for result in results)
    return sum(result.requests for result in results) / seconds if seconds else None


def combined_ratio(rows: Sequence[Measurement], key: str, base_key: str) -> float | None:
    """`key`'s requests/s over `base_key`'s, both taken over all their rounds of this run."""
    ours = combined_requests_per_second(rows, key)
    base = combined_requests_per_second(rows, base_key)
    if ours is None or not base:
        return None
    return ours / base


def worst_p99(rows: Sequence[Measurement], key: str) -> float | None:
    """The highest p99 of `key`'s rows over every round; None unless every round was measured."""
    matching = [row for row in rows if row.key == key]
    results = [row.result for row in matching if row.result is not None]
    if not matching or len(results) != len(matching):
        return None
    return max(result.p99_ms for result in results)


def combined_cpu_us(rows: Sequence[Measurement], key: str) -> float | None:
    """Server CPU per request of `key`'s rows over all rounds (total CPU / total requests)."""
    matching = [row for row in rows if row.key == key]
    measured = [
        (row.cpu_us_per_request, row.result.requests)
        for row in matching
        if row.result is not None and row.cpu_us_per_request is not None
    ]
    if not matching or len(measured) != len(matching):
        return None
    requests = sum(count for _, count in measured)
    return sum(cpu * count for cpu, count in measured) / requests if requests else None


def _format_ratio(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:.2f}"


def _cells(row: Measurement, rows: Sequence[Measurement]) -> list[str]:
    cells = [
        row.label,
        row.server,
        row.store,
        row.data_label,
        str(row.workers),
        str(row.connections),
        f"{row.sessions:,}",
    ]
    if row.result is None:
        return [*cells, "unavailable", "", "", "", "", "", row.note.replace("|", "/")]
    return [
        *cells,
        f"{row.result.requests_per_second:,.0f}",
        f"{row.result.p50_ms:.2f}",
        f"{row.result.p99_ms:.2f}",
        str(row.result.errors),
        "" if row.cpu_us_per_request is None else f"{row.cpu_us_per_request:,.0f}",
        _format_ratio(ratio_to_ceiling(row, rows)),
        _format_ratio(ratio_to_minimal(row, rows)),
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
