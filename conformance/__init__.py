"""Conformance suite for the Rename Session operation (`POST /sessions/{session_id}/rename`).

It judges any server over HTTP, from the command line (`python -m conformance run ...`), as a
pytest plugin (`conformance.plugin`) or as a library (`conformance.runner.run_suite`). It imports
nothing from the server in this repository.
"""

from __future__ import annotations

__all__ = ["EXIT_CONFORMANT", "EXIT_FAILURES", "EXIT_USAGE"]

EXIT_CONFORMANT = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2
"""Usage error or unreachable target."""
