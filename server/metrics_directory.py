"""The directory where worker processes share their metrics (prometheus-client's multiprocess
mode), created by `agno-rename serve` for one run and removed when it ends.

Kept apart from server/metrics.py on purpose: prometheus-client picks single- or multi-process
mode when it is first imported, so the variable must be set before anything imports it.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path

MULTIPROCESS_DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def multiprocess_metrics(environ: MutableMapping[str, str] = os.environ) -> Iterator[Path]:
    """A fresh, private directory (under TMPDIR) named in PROMETHEUS_MULTIPROC_DIR for the
    processes started inside the block; removed with everything in it afterwards. A directory
    left by an earlier run is never reused: its counts would be added to this run's."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError(
            "prometheus_client was imported before its multiprocess directory was set"
        )
    directory = Path(tempfile.mkdtemp(prefix="agno-rename-metrics-"))
    previous = environ.get(MULTIPROCESS_DIRECTORY_VARIABLE)
    environ[MULTIPROCESS_DIRECTORY_VARIABLE] = str(directory)
    try:
        yield directory
    finally:
        if previous is None:
            environ.pop(MULTIPROCESS_DIRECTORY_VARIABLE, None)
        else:
            environ[MULTIPROCESS_DIRECTORY_VARIABLE] = previous
        shutil.rmtree(directory, ignore_errors=True)
