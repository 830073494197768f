"""The conformance suite installed the way an implementer installs it: ONE `pip install` of the
conformance/ folder into an empty virtual environment, then run from another folder against a
real server. No server dependency comes with it and no generic top-level name appears."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.ports import free_port
from tests.server_process import running_server, seed

ROOT = Path(__file__).resolve().parents[2]
SERVER_ONLY = {"agno-rename", "connexion", "uvicorn", "aiosqlite", "psycopg", "psycopg-pool"}
GENERIC_NAMES = ("server", "store", "domain", "handlers")


@dataclass(frozen=True)
class Installed:
    venv: Path
    elsewhere: Path  # a folder with nothing of the repository in it

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        # A clean environment: nothing of this test run's virtual environment leaks in.
        env = {"PATH": f"{self.bin}:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp")}
        return subprocess.run(
            list(command), cwd=self.elsewhere, env=env, capture_output=True, text=True, timeout=300
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("standalone")
    # A copy of the folder alone: it must not reach anything of the repository around it.
    source = base / "conformance"
    shutil.copytree(
        ROOT / "conformance",
        source,
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"),
    )
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
         str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    yield Installed(venv, elsewhere)


def _distributions(installed: Installed) -> set[str]:
    listing = installed.run(str(installed.bin / "pip"), "list", "--format", "json")
    return {entry["name"].lower() for entry in json.loads(listing.stdout)}


def test_install_brings_no_server_dependency(installed: Installed) -> None:
    distributions = _distributions(installed)
    assert "agno-rename-conformance" in distributions
    assert not distributions & SERVER_ONLY


def test_install_adds_only_the_conformance_import_name(installed: Installed) -> None:
    code = (
        "import importlib.metadata as m, importlib.util as u, json;"
        "d = m.distribution('agno-rename-conformance');"
        f"print(json.dumps([d.read_text('top_level.txt').split(), "
        f"[n for n in {GENERIC_NAMES!r} if u.find_spec(n)]]))"
    )
    result = installed.run(str(installed.bin / "python"), "-c", code)
    assert result.returncode == 0, result.stderr
    top_level, importable_generic = json.loads(result.stdout)
    assert top_level == ["conformance"]
    assert importable_generic == []


def _assert_one_error_line(result: subprocess.CompletedProcess[str], names: str) -> None:
    """Exit 2 and ONE line saying what went wrong (progress lines may come before it), never a
    traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if "error" in line.lower()]
    assert errors == [lines[-1]], result.stderr
    assert names in lines[-1], result.stderr


def test_unreachable_server_is_a_usage_error_in_one_line(installed: Installed) -> None:
    sessions = installed.elsewhere / "sessions.json"
    sessions.write_text(json.dumps({"sessions": [{"session_id": "s", "type": "agent"}]}))
    for command in (
        [str(installed.bin / "agno-rename-conformance"), "run"],
        [str(installed.bin / "python"), "-m", "conformance", "run"],
    ):
        result = installed.run(
            *command, "--base-url", f"http://127.0.0.1:{free_port()}", "--token", "t",
            "--sessions", str(sessions),
        )  # fmt: skip
        _assert_one_error_line(result, "127.0.0.1:")


def test_pytest_plugin_is_registered(installed: Installed) -> None:
    result = installed.run(str(installed.bin / "python"), "-m", "pytest", "--help")
    assert result.returncode == 0, result.stderr
    assert "--conformance-base-url" in result.stdout


def test_standalone_suite_passes_our_server(installed: Installed, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'agno.db'}"
    sessions = tmp_path / "sessions.json"
    seed(url, sessions)
    with running_server(url, tmp_path, token="standalone-key") as server:
        result = installed.run(
            str(installed.bin / "agno-rename-conformance"), "run", "--base-url", server.base_url,
            "--token", "standalone-key", "--sessions", str(sessions),
            "--junit-xml", str(tmp_path / "conformance.xml"),
        )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "conformance.xml").read_text().startswith("<?xml")


def test_missing_dependency_is_a_usage_error_in_one_line(installed: Installed) -> None:
    # Last in this module: it breaks the environment on purpose.
    removed = installed.run(str(installed.bin / "pip"), "uninstall", "--yes", "schemathesis")
    assert removed.returncode == 0, removed.stderr
    for command in (
        [str(installed.bin / "agno-rename-conformance"), "run"],
        [str(installed.bin / "python"), "-m", "conformance", "run"],
    ):
        result = installed.run(*command, "--base-url", "http://127.0.0.1:1", "--token", "t")
        _assert_one_error_line(result, "schemathesis")
