"""`python -m conformance.wait URL [SECONDS]`: wait until URL answers HTTP (any status).

For CI scripts and `make conformance`, which start a server and must not run the suite before it
listens. Exit code 0 when it answered, 2 when it did not within SECONDS (default 30).
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence

from conformance import EXIT_USAGE

POLL_SECONDS = 0.1


def wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1.0):
                return True
        except urllib.error.HTTPError:
            return True  # an HTTP error status is still an answer
        except OSError:
            time.sleep(POLL_SECONDS)
    return False


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not 1 <= len(arguments) <= 2:
        sys.stderr.write("usage: python -m conformance.wait URL [SECONDS]\n")
        return EXIT_USAGE
    seconds = float(arguments[1]) if len(arguments) == 2 else 30.0
    if wait_for(arguments[0], seconds):
        return 0
    sys.stderr.write(f"{arguments[0]} did not answer within {seconds:g} s\n")
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
