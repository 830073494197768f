"""pytest plugin (entry point `pytest11`): the conformance suite inside a project's own tests.

Options (or environment variables) name the target:

    --conformance-base-url URL     [CONFORMANCE_BASE_URL]
    --conformance-token TOKEN      [CONFORMANCE_TOKEN]
    --conformance-sessions FILE    [CONFORMANCE_SESSIONS]
    --conformance-max-examples N, --conformance-seed N, --conformance-strict

and a test asks for the result:

    def test_rename_contract(conformance_result):
        assert_conformant(conformance_result)   # from conformance.plugin

A project that starts its own server overrides the session-scoped `conformance_target` fixture.
Everything heavy is imported inside the fixtures, so loading the plugin costs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.results import RunResult


@dataclass(frozen=True, slots=True)
class ConformanceTarget:
    base_url: str
    token: str
    sessions_file: Path


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "Rename Session conformance suite")
    group.addoption("--conformance-base-url", help="server to check [env CONFORMANCE_BASE_URL]")
    group.addoption("--conformance-token", help="its bearer token [env CONFORMANCE_TOKEN]")
    group.addoption(
        "--conformance-sessions", help="sessions file (JSON) [env CONFORMANCE_SESSIONS]"
    )
    group.addoption("--conformance-max-examples", type=int, help="generated requests per mode")
    group.addoption("--conformance-seed", type=int, help="Hypothesis seed")
    group.addoption("--conformance-strict", action="store_true", help="recommended checks fail too")


def _setting(config: pytest.Config, option: str, variable: str) -> str | None:
    value = config.getoption(option) or os.environ.get(variable)
    return str(value) if value else None


@pytest.fixture(scope="session")
def conformance_target(pytestconfig: pytest.Config) -> ConformanceTarget:
    """The server under test, from the options; override this fixture to start your own."""
    base_url = _setting(pytestconfig, "conformance_base_url", "CONFORMANCE_BASE_URL")
    token = _setting(pytestconfig, "conformance_token", "CONFORMANCE_TOKEN")
    sessions = _setting(pytestconfig, "conformance_sessions", "CONFORMANCE_SESSIONS")
    missing = [
        name
        for name, value in (
            ("--conformance-base-url", base_url),
            ("--conformance-token", token),
            ("--conformance-sessions", sessions),
        )
        if not value
    ]
    if missing or base_url is None or token is None or sessions is None:
        pytest.fail(f"conformance target not configured: give {', '.join(missing)}", False)
    return ConformanceTarget(base_url, token, Path(sessions))


@pytest.fixture(scope="session")
def conformance_run(
    pytestconfig: pytest.Config, conformance_target: ConformanceTarget
) -> Callable[..., RunResult]:
    """Run the suite against the target; keyword arguments override RunOptions fields."""
    from conformance.runner import DEFAULT_MAX_EXAMPLES, RunOptions, run_suite
    from conformance.sessions import load_sessions

    max_examples = pytestconfig.getoption("conformance_max_examples")
    defaults: dict[str, Any] = {
        "max_examples": DEFAULT_MAX_EXAMPLES if max_examples is None else max_examples,
        "seed": pytestconfig.getoption("conformance_seed"),
        "strict": bool(pytestconfig.getoption("conformance_strict")),
    }

    def run(**overrides: Any) -> RunResult:
        options = RunOptions(
            base_url=conformance_target.base_url,
            token=conformance_target.token,
            sessions=load_sessions(conformance_target.sessions_file),
            **{**defaults, **overrides},
        )
        return run_suite(options)

    return run


@pytest.fixture(scope="session")
def conformance_result(conformance_run: Callable[..., RunResult]) -> RunResult:
    """One run of the whole suite, shared by the tests of the session."""
    return conformance_run()


def assert_conformant(result: RunResult) -> None:
    """Fail with the suite's readable summary (checks, expected/got, curl) unless conformant."""
    from conformance.report import summary

    if not result.conformant:
        raise AssertionError(summary(result))
