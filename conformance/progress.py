"""A progress indicator on stderr: the current phase and the number of requests sent so far."""

from __future__ import annotations

import sys
from typing import Protocol, TextIO


class Progress(Protocol):
    def phase(self, name: str) -> None: ...
    def request_sent(self, total: int) -> None: ...
    def finish(self) -> None: ...


class SilentProgress:
    def phase(self, name: str) -> None:
        pass

    def request_sent(self, total: int) -> None:
        pass

    def finish(self) -> None:
        pass


class ConsoleProgress:
    """Rewrites one line on a terminal; prints one line per phase elsewhere (CI logs)."""

    def __init__(self, stream: TextIO = sys.stderr, bound: int = 0) -> None:
        self._stream = stream
        self._bound = bound
        self._phase = ""
        self._total = 0
        self._live = stream.isatty()

    def phase(self, name: str) -> None:
        if self._phase and not self._live:
            self._stream.write(f"  ... {self._total} requests so far\n")
        self._phase = name
        self._render(force_line=not self._live)

    def request_sent(self, total: int) -> None:
        self._total = total
        if self._live:
            self._render(force_line=False)

    def finish(self) -> None:
        if self._live:
            self._stream.write("\n")
        else:
            self._stream.write(f"  ... {self._total} requests in all\n")
        self._stream.flush()

    def _render(self, *, force_line: bool) -> None:
        text = f"[conformance] {self._phase}: {self._total}/{self._bound} requests"
        if force_line:
            self._stream.write(f"[conformance] {self._phase}\n")
        else:
            self._stream.write(f"\r{text:<78}")
        self._stream.flush()
