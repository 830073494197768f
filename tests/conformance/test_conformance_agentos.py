"""The suite against the real Agno AgentOS 2.5.6 (its own SQLite database, security key set).

AgentOS departs from its own document (see README, "Against a real AgentOS"); a suite that
passed it would not be doing its job. It must exit 1 and name at least: the 422 `detail` list,
the missing `error_code`, the wrong `type` answered 200 (and the runs it then loses), a JSON body
without Content-Type refused, and unstorable names accepted. AgentOS offers
`GET /sessions/{id}`, so the suite reads sessions back, and what it reads agrees with the renames.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from tests.apps.servers import Target, agentos_server

TOKEN = "agentos-conformance-key-9"


@pytest.fixture(scope="module")
def agentos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with agentos_server(tmp_path_factory.mktemp("agentos"), TOKEN) as target:
        yield target


def findings(report: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["check"] == check]


def _run_suite(agentos: Target, report_path: Path, *options: str) -> int:
    return main(
        [
            "run",
            "--base-url",
            agentos.base_url,
            "--token",
            TOKEN,
            "--sessions",
            str(agentos.sessions_file),
            "--report-json",
            str(report_path),
            *options,
        ]
    )


def test_suite_names_agentos_deviations(
    agentos: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sessions = json.loads(agentos.sessions_file.read_text())["sessions"]
    assert {s["type"] for s in sessions} == {"agent", "team", "workflow"}
    report_path = tmp_path / "agentos.json"
    exit_code = _run_suite(agentos, report_path, "--max-examples", "20", "--seed", "1")
    out = capsys.readouterr().out
    report = json.loads(report_path.read_text())
    assert exit_code == 1, out
    failed, warned = set(report["failed_checks"]), set(report["warned_checks"])

    # 422 `detail` is a list of error objects, not the documented string.
    assert "response_schema_conformance" in failed
    assert any(
        f["got"].startswith("422") and '"detail":[' in f["got"]
        for f in findings(report, "response_schema_conformance")
    )
    # No error_code in its error bodies (recommended by the document's examples: a warning).
    assert "error_code_present" in warned
    assert all("error_code" not in f["got"] for f in findings(report, "error_code_present"))
    # A known session renamed under another type answers 200.
    assert "type_scoping" in failed
    assert any(f["got"].startswith("200") for f in findings(report, "type_scoping"))
    # A name it cannot store (a lone surrogate) is accepted, then it fails with 500.
    assert "name_round_trip" in failed and "not_a_server_error" in failed
    assert any("surrogate" in f["request"] for f in findings(report, "name_round_trip"))
    # Renamed under another type, the session loses its runs: the next read and rename show it.
    assert "refused_requests_write_nothing" in failed
    lost = findings(report, "refused_requests_write_nothing")
    assert any("chat_history" in f["got"] and "type=" in f["expected"] for f in lost)
    # A JSON body without Content-Type is refused (FastAPI reads no body at all).
    assert "json_media_types_accepted" in failed
    assert any(f["got"].startswith("422") for f in findings(report, "json_media_types_accepted"))
    # Its 401s carry no WWW-Authenticate challenge (RFC 9110 section 11.6.1 requires one).
    assert "auth_required" in failed
    assert any("no WWW-Authenticate" in f["got"] for f in findings(report, "auth_required"))
    # It offers GET /sessions/{id}: sessions are read back. (Whether a read fails depends on how
    # far the run gets: AgentOS cannot serialise a session it stored with a lone surrogate.)
    persisted = next(c for c in report["checks"] if c["name"] == "persisted_on_read")
    assert persisted["passed"] > 0
    # What it does right is not held against it.
    for check in (
        "token_exact",
        "bearer_case_insensitive",
        "session_id_exact",
        "user_scoping",
        "user_id_kept",
        "updated_at_current",
        "method_not_allowed",
        "non_json_media_refused",
        "fields_preserved",
        "updated_at_advances",
        "same_name_accepted",
        "shared_name_accepted",
    ):
        assert check not in failed, check
    for check in ("response_schema_conformance", "type_scoping", "name_round_trip"):
        assert f"FAIL  {check}" in out
    assert "WARN  error_code_present" in out
    assert report["requests_sent"] <= report["request_bound"]


def test_strict_mode_turns_agentos_warnings_into_failures(
    agentos: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_path = tmp_path / "strict.json"
    exit_code = _run_suite(agentos, report_path, "--max-examples", "5", "--seed", "2", "--strict")
    capsys.readouterr()
    report = json.loads(report_path.read_text())
    assert exit_code == 1
    assert {
        "error_code_present",
        "blank_name_rejected",
        "unicode_blank_rejected",
        "auth_before_validation",
    } <= set(report["failed_checks"])
    assert report["warned_checks"] == []
