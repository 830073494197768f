"""Secrets and `serve`'s output: a generated key is printed only to a terminal (anywhere else
stdout ends in a log, so the key goes to a 0600 file and only its path is printed), and a secret
given as a flag, visible to every user in `ps`, is warned about on stderr. Against real
`agno-rename serve` processes, one of them on a pseudo-terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from harness.processes import ServerProcess
from server.cli import GENERATED_KEY_FILE, build_parser, secret_flag_warnings
from tests.server_process import BIN, free_port, running_process, seed

BANNER_WAIT = 30.0  # seconds; a bound on reading the banner, never a timed assertion
FLAG_WARNING = "on the command line is visible to every user of this machine (ps)"


def _seeded(tmp_path: Path) -> tuple[str, Path, str]:
    url = f"sqlite:///{tmp_path / 'agno.db'}"
    sessions_file = tmp_path / "sessions.json"
    seed(url, sessions_file)
    first = json.loads(sessions_file.read_text())["sessions"][0]["session_id"]
    return url, sessions_file, first


def _environment(sessions_file: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k != "OS_SECURITY_KEY"}
    environment["SESSIONS_FILE"] = str(sessions_file)
    environment["LOG_LEVEL"] = "warning"
    return environment


def _renames_with(base_url: str, session_id: str, key: str) -> int:
    return httpx.post(
        f"{base_url}/sessions/{session_id}/rename",
        json={"session_name": "With the generated key"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    ).status_code


@contextmanager
def _serving_on_a_terminal(
    url: str, sessions_file: Path, port: int, log: Path
) -> Iterator[tuple[ServerProcess, int]]:
    """`serve` with stdout and stderr on a pseudo-terminal; yields it and the terminal's end."""
    terminal, its_side = pty.openpty()
    process = subprocess.Popen(
        [str(BIN / "agno-rename"), "serve", "--port", str(port), "--database-url", url],
        stdout=its_side,
        stderr=its_side,
        env=_environment(sessions_file),
        start_new_session=True,
    )
    os.close(its_side)
    server = ServerProcess(process, port, log)
    try:
        server.wait_ready()
        yield server, terminal
    finally:
        server.stop()
        os.close(terminal)


def _read_banner(terminal: int) -> str:
    seen = b""
    deadline = time.monotonic() + BANNER_WAIT
    while b"Try:" not in seen or b"My session" not in seen:
        if time.monotonic() > deadline:
            pytest.fail(f"no banner on the terminal: {seen!r}")
        ready, _, _ = select.select([terminal], [], [], 1.0)
        if ready:
            seen += os.read(terminal, 65536)
    return seen.decode(errors="replace")


def test_a_generated_key_is_printed_on_a_terminal(tmp_path: Path) -> None:
    url, sessions_file, first = _seeded(tmp_path)
    port = free_port()
    with _serving_on_a_terminal(url, sessions_file, port, tmp_path / "unused.log") as (
        server,
        terminal,
    ):
        banner = _read_banner(terminal)
        key = banner.split("OS_SECURITY_KEY=", 1)[1].split()[0]
        assert len(key) >= 32
        assert _renames_with(server.base_url, first, key) == 200
    assert not (tmp_path / GENERATED_KEY_FILE).exists()


def test_a_generated_key_never_reaches_a_log(tmp_path: Path) -> None:
    url, sessions_file, first = _seeded(tmp_path)
    key_file = tmp_path / GENERATED_KEY_FILE
    key_file.write_text("an older key\n")
    key_file.chmod(0o644)  # a file left readable by others is narrowed, not trusted
    port = free_port()
    log = tmp_path / "serve.log"
    command = [str(BIN / "agno-rename"), "serve", "--port", str(port), "--database-url", url]
    with running_process(command, log, _environment(sessions_file), port) as (base_url, _):
        key = key_file.read_text().strip()
        assert key != "an older key" and len(key) >= 32
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert _renames_with(base_url, first, key) == 200
        output = log.read_text()
    assert key not in output
    assert str(key_file) in output and "not printed" in output


def test_a_secret_flag_is_warned_about(tmp_path: Path) -> None:
    url, sessions_file, first = _seeded(tmp_path)
    port = free_port()
    log = tmp_path / "serve.log"
    command = [
        str(BIN / "agno-rename"), "serve", "--port", str(port), "--database-url", url,
        "--security-key", "flag-key-0123456789",
    ]  # fmt: skip
    with running_process(command, log, _environment(sessions_file), port) as (base_url, _):
        assert _renames_with(base_url, first, "flag-key-0123456789") == 200
    output = log.read_text()
    assert f"--security-key {FLAG_WARNING}; set OS_SECURITY_KEY" in output, output[-2000:]
    assert "flag-key-0123456789" not in output

    # The same key from the environment: no warning.
    port = free_port()
    quiet = tmp_path / "quiet.log"
    environment = {**_environment(sessions_file), "OS_SECURITY_KEY": "env-key-0123456789"}
    command = [str(BIN / "agno-rename"), "serve", "--port", str(port), "--database-url", url]
    with running_process(command, quiet, environment, port) as (base_url, _):
        assert _renames_with(base_url, first, "env-key-0123456789") == 200
    assert FLAG_WARNING not in quiet.read_text()


@pytest.mark.parametrize(
    ("argv", "warned"),
    [
        (["--security-key", "k"], ["--security-key"]),
        (["--security-key=k"], ["--security-key"]),
        (["--security-k", "k"], ["--security-key"]),  # argparse's abbreviation
        (["--jwt-verification-key", "s"], ["--jwt-verification-key"]),
        ([], []),
        (["--jwt-jwks-file", "keys.json"], []),  # a path, not a secret
    ],
)
def test_which_flags_are_secrets(argv: list[str], warned: list[str]) -> None:
    args = build_parser({"OS_SECURITY_KEY": "from-env"}).parse_args(["serve", *argv])
    warnings = secret_flag_warnings(args)
    assert [w.split(" on the command line")[0].rsplit(" ", 1)[1] for w in warnings] == warned
