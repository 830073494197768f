"""The pytest plugin: our own end-to-end test uses it against our server (overriding the target
fixture), and a separate pytest run configures it from the command line through the installed
`pytest11` entry point."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conformance.plugin import ConformanceTarget, assert_conformant
from conformance.results import RunResult
from tests.apps.servers import Target, defective_servers
from tests.server_process import BIN, running_server, seed

TOKEN = "plugin-token-5521"

USER_TEST = """
from conformance.plugin import assert_conformant

def test_rename_contract(conformance_result):
    assert_conformant(conformance_result)
"""


@pytest.fixture(scope="session")
def conformance_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConformanceTarget]:
    """Our server, seeded, as the plugin's target (how a project plugs in its own server)."""
    workdir = tmp_path_factory.mktemp("plugin-target")
    url = f"sqlite:///{workdir / 'agno.db'}"
    seed(url, workdir / "sessions.json")
    with running_server(url, workdir, token=TOKEN) as server:
        yield ConformanceTarget(server.base_url, TOKEN, workdir / "sessions.json")


def test_our_server_is_conformant_through_the_plugin(conformance_result: RunResult) -> None:
    assert_conformant(conformance_result)
    assert conformance_result.requests_sent > 0


def test_plugin_run_accepts_overrides(conformance_run: Callable[..., RunResult]) -> None:
    result = conformance_run(max_examples=5, seed=7, strict=True)
    assert result.conformant and result.seed == 7 and result.max_examples == 5


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with defective_servers(tmp_path_factory.mktemp("plugin-defects"), TOKEN) as target:
        yield target


def run_user_suite(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_contract.py").write_text(USER_TEST)
    return subprocess.run(
        [
            str(BIN / "pytest"),
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_contract.py"),
            *options,
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=300,
    )


def test_command_line_options_configure_the_plugin(broken: Target, tmp_path: Path) -> None:
    common = [
        "--conformance-token",
        TOKEN,
        "--conformance-sessions",
        str(broken.sessions_file),
        "--conformance-max-examples",
        "10",
        "--conformance-seed",
        "1",
    ]
    passing = run_user_suite(tmp_path, "--conformance-base-url", f"{broken.base_url}/none", *common)
    assert passing.returncode == 0, passing.stdout
    assert "1 passed" in passing.stdout

    failing = run_user_suite(
        tmp_path, "--conformance-base-url", f"{broken.base_url}/ignores_user", *common
    )
    assert failing.returncode == 1, failing.stdout
    assert "FAIL  user_scoping" in failing.stdout and "reproduce: curl" in failing.stdout


def test_unconfigured_plugin_says_what_is_missing(tmp_path: Path) -> None:
    completed = run_user_suite(tmp_path)
    assert completed.returncode == 1
    assert "conformance target not configured" in completed.stdout
    assert "--conformance-base-url" in completed.stdout
