"""THE command line that runs the conformance suite against a server (`python -m conformance
run`), for the tests and the benchmark that run it as a user would, in its own process."""

from __future__ import annotations

import sys
from pathlib import Path


def conformance_command(base_url: str, token: str, sessions: Path, *options: str) -> list[str]:
    """`python -m conformance run` against `base_url` with `token` and the sessions file, then
    `options` (e.g. "--max-examples", "10")."""
    return [
        sys.executable, "-m", "conformance", "run",
        "--base-url", base_url, "--token", token, "--sessions", str(sessions), *options,
    ]  # fmt: skip
