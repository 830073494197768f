"""The benchmark's table printer, wrk result parsing and profile summary (benchmarks/)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from benchmarks.load import LoadResult, parse_wrk_output
from benchmarks.profile_summary import parse_collapsed, stage_shares, summarise
from benchmarks.table import (
    AGNO_DATA,
    Measurement,
    combined_cpu_us,
    combined_ratio,
    latency_ratio,
    ratio_to_ceiling,
    ratio_to_minimal,
    render_table,
    worst_p99,
)

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000
  1 threads and 16 connections
  40445 requests in 5.00s, 37.91MB read
Requests/sec:   8084.78
BENCH_RESULT {"requests":40445,"duration_us":5002610,"non_2xx":3,"connect":0,"read":2,\
"write":0,"timeout":1,"p50_us":1990,"p99_us":4489,"max_us":11910,"mean_us":1971.3}
"""


def _result(requests: int, seconds: float, p50: float, p99: float = 9.0) -> LoadResult:
    return LoadResult(requests=requests, seconds=seconds, p50_ms=p50, p99_ms=p99, errors=0)


def test_wrk_result_line_is_parsed_and_errors_add_non_2xx_and_socket_errors() -> None:
    result = parse_wrk_output(WRK_OUTPUT)
    assert result.requests == 40445
    assert result.seconds == pytest.approx(5.00261)
    assert result.requests_per_second == pytest.approx(40445 / 5.00261)
    assert (result.p50_ms, result.p99_ms) == (1.99, 4.489)
    assert result.errors == 3 + 2 + 1


def test_wrk_output_without_a_result_line_is_an_error() -> None:
    with pytest.raises(ValueError, match="BENCH_RESULT"):
        parse_wrk_output("Running 10s test @ http://127.0.0.1:8000\n")


def test_each_row_is_compared_with_its_own_ceiling() -> None:
    rows = [
        Measurement("ceiling-a", "ceiling", "sqlite", 1, 1000, 3, _result(4000, 2.0, 1.0)),
        Measurement("ceiling-b", "ceiling", "memory", 1, 1000, 3, _result(9000, 1.0, 1.0)),
        Measurement("ours-a", "ours", "sqlite", 1, 1000, 3, _result(1500, 1.0, 2.0), "ceiling-a"),
    ]
    assert ratio_to_ceiling(rows[2], rows) == pytest.approx(1500 / 2000)
    assert ratio_to_ceiling(rows[0], rows) is None  # a ceiling row has no ceiling


def test_table_prints_every_row_with_ratio_and_unavailable_rows_with_their_reason() -> None:
    ceiling = _result(3000, 1.0, 4.0)
    ours = _result(1800, 1.0, 8.5)
    rows = [
        Measurement("ceiling-sqlite", "ceiling", "sqlite", 1, 1000, 3, ceiling),
        Measurement("ours-sqlite", "ours", "sqlite", 1, 1_000_000, 3, ours, "ceiling-sqlite"),
        Measurement("ours-postgres", "ours", "postgresql", 1, 1000, 3, None, note="no initdb"),
    ]
    lines = render_table(rows).splitlines()
    assert len(lines) == 2 + len(rows)
    assert lines[0].startswith("| row | server | store |")
    assert lines[3] == (
        "| ours-sqlite | ours | sqlite | ours, 3 messages | 1 | 16 | 1,000,000 | 1,800 | 8.50 "
        "| 9.00 | 0 |  | 0.60 |  |"
    )
    assert "unavailable" in lines[4] and "no initdb" in lines[4]
    assert all(line.count("|") == lines[0].count("|") for line in lines)


def _round(key: str, number: int, rps: int, p99: float, **keys: Any) -> Measurement:
    result = _result(rps * 10, 10.0, 5.0, p99)
    return Measurement(
        key, key, "sqlite", 1, 3000, 0, result, round_number=number, data=AGNO_DATA, **keys
    )


def test_rounds_compare_within_their_round_and_combine_over_all_rounds() -> None:
    rows = [
        _round("minimal", 1, 2000, 10.0),
        _round("ours", 1, 1000, 30.0, minimal_key="minimal"),
        _round("minimal", 2, 3000, 12.0),
        _round("ours", 2, 1200, 18.0, minimal_key="minimal"),
    ]
    assert ratio_to_minimal(rows[1], rows) == pytest.approx(0.5)
    assert ratio_to_minimal(rows[3], rows) == pytest.approx(0.4)
    assert combined_ratio(rows, "ours", "minimal") == pytest.approx(2200 / 5000)
    assert worst_p99(rows, "ours") == 30.0
    table = render_table(rows).splitlines()
    assert table[3].startswith("| ours r1 | ours | sqlite | agno-written | 1 | 16 | 3,000 |")
    assert table[3].endswith("| 0.50 |")


def test_server_cpu_per_request_is_shown_and_combined_weighted_by_requests() -> None:
    rows = [
        dataclasses.replace(_round("ours", 1, 1000, 10.0), cpu_us_per_request=400.0),
        dataclasses.replace(_round("ours", 2, 3000, 10.0), cpu_us_per_request=200.0),
    ]
    assert combined_cpu_us(rows, "ours") == pytest.approx((400 * 10_000 + 200 * 30_000) / 40_000)
    assert "| 400 |" in render_table(rows).splitlines()[2]
    assert combined_cpu_us([*rows, _round("ours", 3, 1000, 10.0)], "ours") is None


def test_a_round_that_failed_leaves_the_combined_figures_unmeasured() -> None:
    rows = [
        _round("minimal", 1, 2000, 10.0),
        _round("ours", 1, 1000, 10.0, minimal_key="minimal"),
        Measurement("ours", "ours", "sqlite", 1, 3000, 0, None, round_number=2),
    ]
    assert combined_ratio(rows, "ours", "minimal") is None
    assert worst_p99(rows, "ours") is None


def test_latency_ratio_is_larger_p50_over_smaller_p50() -> None:
    rows = [
        Measurement("small", "ours", "sqlite", 1, 1000, 3, _result(100, 1.0, 4.0)),
        Measurement("large", "ours", "sqlite", 1, 10**6, 3, _result(100, 1.0, 5.0)),
        Measurement("missing", "ours", "sqlite", 1, 10**6, 3, None),
    ]
    assert latency_ratio(rows, "large", "small") == pytest.approx(1.25)
    assert latency_ratio(rows, "missing", "small") is None


def test_profile_summary_counts_inclusive_once_per_stack_and_self_for_the_leaf() -> None:
    stacks = parse_collapsed("main;handle;parse 3\nmain;handle;handle 2\nmain;send 5\nbroken\n")
    total, inclusive, own = summarise(stacks)
    assert total == 10
    assert inclusive["main"] == 10
    assert inclusive["handle"] == 5  # counted once in the recursive stack
    assert own == {"parse": 3, "handle": 2, "send": 5}


def test_stage_shares_give_each_sample_to_the_innermost_stage() -> None:
    stacks = parse_collapsed(
        "Runner.run;SecurityOperation.__call__ (security.py:1);x 4\n"
        "Runner.run;SecurityOperation.__call__ (s.py:1);"
        "RequestValidationOperation.__call__ (r.py:1) 6\n"
        "Thread.run;_connection_worker_thread (core.py:5) 5\n"
        "unrelated 1\n"
    )
    total, shares = stage_shares(stacks)
    assert total == 16
    assert shares["Connexion security (bearer check)"] == 4
    assert shares["Connexion request validation (parameters, body)"] == 6
    assert shares["SQLite (aiosqlite worker thread)"] == 5
    assert shares["other"] == 1
