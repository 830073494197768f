"""A real headless browser for end-to-end tests: Debian's chromium, driven by Playwright for
Python (whose driver is in its wheel). Nothing is downloaded at test time.

Where the browser (or Playwright) is missing, a test that needs it skips on a developer machine
but FAILS when CI is true, as tests needing PostgreSQL do (tests/postgres_server.py).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.postgres_server import in_ci

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

# Debian's package; CHROMIUM overrides it (another build of Chromium, same flags).
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGUMENTS = (
    "--headless",
    "--no-sandbox",  # we run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"the browser test is required in CI: {reason}")
    pytest.skip(reason)


def chromium_executable() -> str:
    """The browser to drive, or skip (fail in CI) when it is not installed."""
    path = os.environ.get("CHROMIUM", DEFAULT_CHROMIUM)
    if not (Path(path).is_file() and os.access(path, os.X_OK)) and shutil.which(path) is None:
        _unavailable(f"no chromium at {path} (apt-get install chromium)")
    return path


@contextmanager
def headless_chromium() -> Iterator[BrowserContext]:
    """A fresh browser profile (a new empty user data directory), closed afterwards."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install playwright)")
    executable = chromium_executable()
    with (
        tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=list(CHROMIUM_ARGUMENTS),
        )
        try:
            yield context
        finally:
            context.close()
