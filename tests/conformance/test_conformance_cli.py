"""The command line's contract with CI: exit code 2 and one clear line (no traceback) for usage
errors and unreachable targets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server_process import BIN, free_port

SESSIONS = {"sessions": [{"session_id": "s1", "type": "agent", "user_id": None}]}


def conformance(*arguments: str, script: bool = False) -> subprocess.CompletedProcess[str]:
    command = (
        [str(BIN / "agno-rename-conformance")] if script else [sys.executable, "-m", "conformance"]
    )
    return subprocess.run(
        [*command, *arguments], capture_output=True, text=True, check=False, timeout=120
    )


@pytest.fixture
def sessions_file(tmp_path: Path) -> Path:
    path = tmp_path / "sessions.json"
    path.write_text(json.dumps(SESSIONS))
    return path


def assert_usage_error(completed: subprocess.CompletedProcess[str], phrase: str) -> None:
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert phrase in completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout


def test_unreachable_target_is_exit_2(sessions_file: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    completed = conformance(
        "run", "--base-url", url, "--token", "t", "--sessions", str(sessions_file), script=True
    )
    assert_usage_error(completed, f"cannot reach {url}")
    # The console script also takes the options without the `run` word.
    without_run = conformance(
        "--base-url", url, "--token", "t", "--sessions", str(sessions_file), script=True
    )
    assert_usage_error(without_run, f"cannot reach {url}")


def test_missing_required_option_is_exit_2(sessions_file: Path) -> None:
    assert_usage_error(
        conformance("run", "--token", "t", "--sessions", str(sessions_file)), "--base-url"
    )


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        ("not json", "is not JSON"),
        ('{"items": []}', '{"sessions": [...]}'),
        ('{"sessions": []}', "lists no sessions"),
        ('{"sessions": [{"session_id": "a", "type": "chat"}]}', "sessions[0].type"),
        ('{"sessions": [{"session_id": "a", "type": "agent", "user_id": 5}]}', "user_id"),
    ],
)
def test_bad_sessions_file_is_exit_2(tmp_path: Path, content: str, phrase: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    completed = conformance(
        "run", "--base-url", "http://127.0.0.1:1", "--token", "t", "--sessions", str(path)
    )
    assert_usage_error(completed, phrase)


def test_missing_sessions_file_and_bad_url_and_bad_spec(
    tmp_path: Path, sessions_file: Path
) -> None:
    base = ["run", "--token", "t"]
    assert_usage_error(
        conformance(*base, "--base-url", "http://127.0.0.1:1", "--sessions", str(tmp_path / "x")),
        "cannot read sessions file",
    )
    assert_usage_error(
        conformance(*base, "--base-url", "127.0.0.1:7777", "--sessions", str(sessions_file)),
        "--base-url must be an http(s) URL",
    )
    spec = tmp_path / "other.yaml"
    spec.write_text("openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n")
    assert_usage_error(
        conformance(
            *base,
            "--base-url",
            "http://127.0.0.1:1",
            "--sessions",
            str(sessions_file),
            "--spec",
            str(spec),
        ),
        "has no POST /sessions/{session_id}/rename",
    )


def test_wait_helper_waits_for_an_answer_or_gives_up() -> None:
    import http.server
    import threading

    from conformance.wait import main as wait_main

    silent = f"http://127.0.0.1:{free_port()}/health"
    assert wait_main([silent, "0.3"]) == 2
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # The bare handler answers 501 to GET: any HTTP answer means the server is up.
        assert wait_main([f"http://127.0.0.1:{server.server_address[1]}/health", "5"]) == 0
    finally:
        server.shutdown()
        server.server_close()
    assert wait_main([]) == 2


# Runs the command line with one third-party module hidden, as after `pip install` without it.
HIDDEN_MODULE = """
import sys
sys.modules[sys.argv.pop(1)] = None  # `import X` now raises ModuleNotFoundError
from conformance.cli import main
sys.exit(main())
"""


@pytest.mark.parametrize("module", ["schemathesis", "hypothesis", "requests", "yaml"])
def test_missing_dependency_is_exit_2_with_the_install_command(
    sessions_file: Path, module: str
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            HIDDEN_MODULE,
            module,
            "run",
            "--base-url",
            url,
            "--token",
            "t",
            "--sessions",
            str(sessions_file),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert_usage_error(completed, f"missing dependency '{module}'")
    assert "pip install agno-rename-conformance" in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
    # Said first, even before an incomplete command line; --help still works without it.
    incomplete = subprocess.run(
        [sys.executable, "-c", HIDDEN_MODULE, module, "run", "--token", "t"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert_usage_error(incomplete, f"missing dependency '{module}'")
    helped = subprocess.run(
        [sys.executable, "-c", HIDDEN_MODULE, module, "run", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert helped.returncode == 0 and "--base-url" in helped.stdout, helped.stderr


def test_unwritable_report_and_non_utf8_sessions_file_are_exit_2(
    tmp_path: Path, sessions_file: Path
) -> None:
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(
        '{"sessions": [{"session_id": "caf\u00e9", "type": "agent"}]}'.encode("latin-1")
    )
    assert_usage_error(
        conformance(
            "run", "--base-url", "http://127.0.0.1:1", "--token", "t", "--sessions", str(latin1)
        ),
        "is not UTF-8 text",
    )
    # A reachable target (a bare HTTP server answering 501), a report path that cannot be written.
    import http.server
    import threading

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    try:
        completed = conformance(
            "run",
            "--base-url",
            f"http://127.0.0.1:{server.server_address[1]}",
            "--token",
            "t",
            "--sessions",
            str(sessions_file),
            "--max-examples",
            "0",
            "--report-json",
            str(blocker / "report.json"),
        )
    finally:
        server.shutdown()
        server.server_close()
    assert_usage_error(completed, "cannot write report")
