"""Driving a server with wrk and reading its result line (printed by rename.lua's done())."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("rename.lua")
RESULT_PREFIX = "BENCH_RESULT "


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    """Answers other than 2xx plus socket errors (connect, read, write, timeout)."""

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def parse_wrk_output(text: str) -> LoadResult:
    for line in text.splitlines():
        if line.startswith(RESULT_PREFIX):
            raw = json.loads(line[len(RESULT_PREFIX) :])
            errors = sum(raw[key] for key in ("non_2xx", "connect", "read", "write", "timeout"))
            return LoadResult(
                requests=raw["requests"],
                seconds=raw["duration_us"] / 1e6,
                p50_ms=raw["p50_us"] / 1000,
                p99_ms=raw["p99_us"] / 1000,
                errors=errors,
            )
    raise ValueError(f"no {RESULT_PREFIX.strip()} line in wrk output:\n{text}")


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed (make bench installs it: apt-get install wrk)")
    return found


def run_wrk(
    base_url: str,
    ids_file: Path,
    token: str,
    *,
    seconds: float,
    connections: int = 16,
    threads: int = 1,
) -> LoadResult:
    command = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        str(SCRIPT),
        base_url,
        "--",
        str(ids_file),
        token,
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr}")
    return parse_wrk_output(completed.stdout)
