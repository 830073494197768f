"""A description of the machine and the software versions, printed with every run."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from importlib import metadata
from pathlib import Path

_PACKAGES = (
    "uvicorn",
    "uvloop",
    "httptools",
    "starlette",
    "connexion",
    "orjson",
    "aiosqlite",
    "psycopg",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _command_version(command: list[str]) -> str:
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    output = (completed.stdout or completed.stderr).strip().splitlines()
    return output[0] if output else "unknown"


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe(postgres_version: str = "") -> str:
    lines = [
        f"- CPU: {_cpu_model()}, {os.cpu_count()} logical CPUs (nproc)",
        f"- memory: {_memory()}",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}",
        "- " + ", ".join(f"{name} {_package_version(name)}" for name in _PACKAGES),
        f"- load generator: {_command_version(['wrk', '--version'])}",
    ]
    if postgres_version:
        lines.append(f"- PostgreSQL: {postgres_version}")
    return "\n".join(lines)
