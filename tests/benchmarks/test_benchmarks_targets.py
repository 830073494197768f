"""The target lines printed under the benchmark table (benchmarks/targets.py, run.py): PASS or
MISS with the figure, from the rows of one run."""

from __future__ import annotations

from typing import Any

from benchmarks.load import LoadResult
from benchmarks.run import scaling_key
from benchmarks.table import Measurement
from benchmarks.targets import information_lines, target_lines, two_workers_key


def _row(
    key: str,
    rps: float,
    p50: float,
    p99: float,
    errors: int = 0,
    round_number: int = 0,
    **keys: Any,
) -> Measurement:
    result = LoadResult(requests=int(rps * 10), seconds=10.0, p50_ms=p50, p99_ms=p99, errors=errors)
    return Measurement(key, "x", "sqlite", 1, 1000, 3, result, round_number=round_number, **keys)


def _agno_rounds(ours: tuple[float, float], p99: tuple[float, float]) -> list[Measurement]:
    rows = []
    for number in (1, 2):
        rows += [
            _row("minimal-agno-sqlite", 2500, 4.0, 9.0, round_number=number),
            _row("ceiling-agno-sqlite", 1700, 6.0, 15.0, round_number=number),
            _row(
                "ours-agno-sqlite",
                ours[number - 1],
                9.0,
                p99[number - 1],
                round_number=number,
                minimal_key="minimal-agno-sqlite",
            ),
        ]
    return rows


def test_each_target_says_pass_or_miss_with_its_figure() -> None:
    rows = [
        *_agno_rounds((900, 1000), (19.0, 31.0)),
        _row(two_workers_key("ours", "sqlite", 16), 1500, 9.0, 24.0),
        _row(two_workers_key("ours", "sqlite", 64), 1500, 9.0, 180.0),
        _row("ours-sqlite", 1500, 9.0, 12.0),
        _row(scaling_key(1_000_000), 1500, 9.9, 31.0, errors=2),
    ]
    lines = target_lines(rows, scaling_key(1_000_000))
    assert lines[0].endswith("all rounds): 0.38x MISS")  # 1,900 / 5,000, over both rounds
    assert lines[1].endswith("(worst round): 31.00 ms MISS")
    assert lines[2].endswith("24.00 ms PASS") and "2w-16c" in lines[2]
    assert lines[3].endswith("180.00 ms MISS") and "2w-64c" in lines[3]
    assert lines[4] == "- zero errors: 2 in 10 measured rows MISS"
    assert lines[5].endswith("1.10x PASS")


def test_targets_met() -> None:
    rows = [
        *_agno_rounds((1600, 1500), (14.0, 19.5)),
        _row(two_workers_key("ours", "sqlite", 16), 1500, 9.0, 12.0),
        _row(two_workers_key("ours", "sqlite", 64), 1500, 9.0, 25.0),
    ]
    lines = target_lines(rows, None)
    assert [line.rsplit(" ", 1)[1] for line in lines] == ["PASS"] * 5


def test_a_target_not_measured_is_a_miss() -> None:
    lines = target_lines([_row("ours-sqlite", 1500, 9.0, 12.0)], None)
    assert all(line.endswith("MISS") for line in lines[:4])


def test_information_lines_give_ratios_without_a_verdict() -> None:
    lines = information_lines(_agno_rounds((900, 1000), (19.0, 31.0)))
    assert lines == [
        "- ours-agno-sqlite / ceiling-agno-sqlite requests/s (agno data, SQLite, all rounds): "
        "0.56x",
        "- ceiling-agno-sqlite / minimal-agno-sqlite requests/s (agno data, SQLite, all rounds): "
        "0.68x",
    ]


def test_scaling_keys_name_the_session_count() -> None:
    assert scaling_key(100_000) == "ours-sqlite-100k-sessions"
    assert scaling_key(1_000_000) == "ours-sqlite-1M-sessions"
