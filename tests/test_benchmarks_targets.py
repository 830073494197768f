"""The target lines printed under the benchmark table (benchmarks/targets.py, run.py)."""

from __future__ import annotations

from benchmarks.load import LoadResult
from benchmarks.run import scaling_key
from benchmarks.table import Measurement
from benchmarks.targets import target_lines


def _row(
    key: str, rps: float, p50: float, p99: float, errors: int = 0, ceiling_key: str | None = None
) -> Measurement:
    result = LoadResult(requests=int(rps * 10), seconds=10.0, p50_ms=p50, p99_ms=p99, errors=errors)
    return Measurement(key, "x", "sqlite", 1, 1000, 3, result, ceiling_key)


def test_each_target_says_met_or_not_met_with_its_figure() -> None:
    rows = [
        _row("ceiling-sqlite", 3000, 4.0, 8.0),
        _row("ours-sqlite", 1500, 9.0, 31.0, ceiling_key="ceiling-sqlite"),
        _row("ours-sqlite-access-log", 1200, 9.0, 31.0),
        _row(scaling_key(1_000_000), 1500, 9.9, 31.0, errors=2),
    ]
    lines = target_lines(rows, scaling_key(1_000_000))
    assert lines[0].endswith("0.50 (NOT met)")
    assert lines[1].endswith("31.00 ms (NOT met)")
    assert lines[2] == "- zero errors: 2 in all rows (NOT met)"
    assert lines[3].endswith("1.10x (met)")
    assert "-20% requests/s" in lines[4]


def test_targets_met() -> None:
    rows = [
        _row("ceiling-sqlite", 3000, 4.0, 8.0),
        _row("ours-sqlite", 2400, 5.0, 12.0, ceiling_key="ceiling-sqlite"),
    ]
    lines = target_lines(rows, None)
    assert [line.rsplit("(", 1)[1] for line in lines] == ["met)", "met)", "met)"]


def test_scaling_keys_name_the_session_count() -> None:
    assert scaling_key(100_000) == "ours-sqlite-100k-sessions"
    assert scaling_key(1_000_000) == "ours-sqlite-1M-sessions"
