"""harness/processes.py's CPU accounting: the server's CPU per request is read from /proc for
the server process and every worker it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from harness.processes import tree_cpu_seconds

# A parent that starts a child which burns CPU for a while, then both wait to be ended.
BURNING_CHILD = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import time\\nend = time.process_time() + 0.6\\nwhile time.process_time() < end: pass\\n"
    "print('done', flush=True)\\ntime.sleep(60)"], stdout=sys.stdout)
print(child.pid, flush=True)
time.sleep(60)
"""


def test_cpu_of_a_child_process_is_counted_with_its_parent() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", BURNING_CHILD], stdout=subprocess.PIPE, text=True
    )
    child = None
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert parent.stdout.readline().strip() == "done"  # the child has burnt its 0.6 s
        time.sleep(0.1)
        # The parent itself only slept: almost all of this is the child's.
        assert tree_cpu_seconds(parent.pid) >= 0.55
    finally:
        if child is not None:
            os.kill(child, signal.SIGKILL)
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()


def test_a_process_that_is_gone_counts_nothing() -> None:
    assert tree_cpu_seconds(2**22 + 7) == 0.0  # above Linux's pid_max: never a live process
