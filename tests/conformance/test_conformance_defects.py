"""Proof that the conformance suite catches real defects: each broken server variant (one defect
each, tests/apps/defective_server.py) makes it exit 1 naming the right check; the correct variant
passes every check, and so do correct servers that differ where the document allows it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.catalog import CHECKS
from conformance.cli import main
from tests.apps.defective_server import DEFECTS, LEGITIMATE_VARIANTS
from tests.apps.servers import Target, defective_servers

TOKEN = "defect-token-7f3a"
# Small but enough: every defect below is also reached by a hand-written request, except the two
# found only through generated data (negative/positive data checks), which this seed reaches.
MAX_EXAMPLES = "15"
SEED = "1"

REQUIRED_CHECK_FOR_DEFECT = {
    "success_201": "status_code_conformance",
    "problem_json_errors": "content_type_conformance",
    "detail_list_422": "response_schema_conformance",
    "ignores_auth": "auth_required",
    "forbidden_403": "auth_required",
    "no_www_authenticate": "auth_required",
    "auth_after_lookup": "auth_hides_existence",
    "auth_detail_names_session": "auth_hides_existence",
    "ignores_user": "user_scoping",
    "ignores_type": "type_scoping",
    "team_sessions_missing": "known_session_renamed",
    "loses_chat_history": "chat_history_preserved",
    "resets_created_at": "created_at_preserved",
    "updated_at_backwards": "updated_at_monotonic",
    "wrong_id_echoed": "session_id_echoed",
    "stale_name_echoed": "session_name_echoed",
    "agent_body_for_all": "body_matches_type",
    "unknown_id_400": "unknown_session_404",
    "not_found_as_400": "status_coverage",
    "invalid_type_400": "invalid_type_422",
    "unknown_type_is_agent": "invalid_type_422",
    "invalid_body_400": "invalid_body_422",
    "lenient_body": "negative_data_rejection",
    "coerces_name_types": "invalid_body_422",
    "writes_before_type_check": "refused_requests_write_nothing",
    "rejects_non_ascii_422": "positive_data_acceptance",
    "crashes_on_non_ascii_name": "not_a_server_error",
    "crashes_on_db_id": "not_a_server_error",
    "accepts_unencodable_names": "name_round_trip",
    "strips_nul": "name_round_trip",
    # What a rename changes.
    "rename_resets_state": "fields_preserved",
    "session_data_replaced": "fields_preserved",
    "session_data_name_stale": "session_name_echoed",
    "history_fields_dropped": "chat_history_preserved",
    "updated_at_frozen": "updated_at_advances",
    "updated_at_local_time": "updated_at_current",
    "rename_wipes_owner": "user_id_kept",
    "unscoped_rename_wipes_owner": "user_id_kept",
    "updated_at_not_stored": "persisted_on_read",
    "renames_all_same_type": "refused_requests_write_nothing",
    "writes_before_scoping": "refused_requests_write_nothing",
    "refused_wipes_history": "refused_requests_write_nothing",
    "writes_before_name_check": "refused_requests_write_nothing",
    "stores_trimmed_echoes_sent": "persisted_on_read",
    # Identity and parameters.
    "ids_case_insensitive": "session_id_exact",
    "id_prefix_match": "session_id_exact",
    "ids_trimmed": "session_id_exact",
    "user_trimmed": "user_scoping",
    "user_case_insensitive": "user_scoping",
    "empty_user_is_any": "user_scoping",
    "null_user_is_any": "user_scoping",
    "ownerless_any_user": "user_scoping",
    "known_user_is_any": "user_scoping",
    "no_type_matches_any": "type_scoping",
    "type_case_insensitive": "invalid_type_422",
    "empty_type_is_agent": "invalid_type_422",
    "db_id_ignored": "unknown_db_id_404",
    "shared_request_state": "concurrent_renames_isolated",
    "fails_when_overlapping": "concurrent_renames_isolated",
    "id_like_match": "session_id_exact",
    "id_regex_match": "session_id_exact",
    "id_glob_match": "session_id_exact",
    "id_sql_spliced": "session_id_exact",
    "ids_double_decoded": "session_id_exact",
    "user_like_match": "user_scoping",
    "user_sql_spliced": "user_scoping",
    # Credentials.
    "token_startswith": "token_exact",
    "token_first_word": "token_exact",
    "basic_password_is_token": "auth_required",
    "token_contained": "token_exact",
    "token_prefix_ok": "token_exact",
    "token_case_insensitive": "token_exact",
    "bearer_case_sensitive": "bearer_case_insensitive",
    # Media types and methods.
    "accepts_form": "non_json_media_refused",
    "ignores_content_type": "non_json_media_refused",
    "exact_content_type": "json_media_types_accepted",
    "no_allow_header": "method_not_allowed",
    # Names.
    "strips_names": "name_round_trip",
    "nfc_names": "name_round_trip",
    "nfkc_names": "name_round_trip",
    "lowercases_names": "name_round_trip",
    "truncates_names": "name_round_trip",
    "html_escapes_names": "name_round_trip",
    "html_unescapes_names": "name_round_trip",
    "strips_markup": "name_round_trip",
    "sql_escapes_names": "name_round_trip",
    "json_unescapes_names": "name_round_trip",
    "escapes_like_wildcards": "name_round_trip",
    "rejects_same_name": "same_name_accepted",
    "unique_names": "shared_name_accepted",
    "unique_names_per_type": "shared_name_accepted",
}
RECOMMENDED_CHECK_FOR_DEFECT = {
    "validates_before_auth": "auth_before_validation",
    "accepts_blank_names": "blank_name_rejected",
    "no_error_code": "error_code_present",
    "no_name_rules": "status_400_observed",
    "ascii_blank_only": "unicode_blank_rejected",
    "table_without_db_id_ok": "table_requires_db_id",
    # The document requires only the ids and session_name: leaving null fields out conforms.
    "omits_null_fields": "body_complete",
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with defective_servers(tmp_path_factory.mktemp("defects"), TOKEN) as target:
        yield target


def run_suite(
    servers: Target, defect: str, tmp_path: Path, *extra: str
) -> tuple[int, str, dict[str, Any]]:
    report = tmp_path / f"{defect}.json"
    arguments = [
        "run",
        "--base-url",
        f"{servers.base_url}/{defect}",
        "--token",
        servers.token,
        "--sessions",
        str(servers.sessions_file),
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        SEED,
        "--report-json",
        str(report),
        *extra,
    ]
    exit_code = main(arguments)
    return exit_code, report.read_text(encoding="utf-8"), json.loads(report.read_text())


def test_every_defect_is_listed_and_every_check_is_proven() -> None:
    proven = {*REQUIRED_CHECK_FOR_DEFECT.values(), *RECOMMENDED_CHECK_FOR_DEFECT.values()}
    assert set(DEFECTS) == {"none", *REQUIRED_CHECK_FOR_DEFECT, *RECOMMENDED_CHECK_FOR_DEFECT}
    assert proven == set(CHECKS), f"checks without a defect proving them: {set(CHECKS) - proven}"


def test_correct_variant_passes_every_check(
    servers: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code, _, report = run_suite(servers, "none", tmp_path, "--strict")
    out = capsys.readouterr().out
    assert exit_code == 0, out
    assert report["conformant"] is True and report["warned_checks"] == []
    assert {c["name"] for c in report["checks"]} == set(CHECKS)
    assert "Result: CONFORMANT" in out


@pytest.mark.parametrize("variant", sorted(LEGITIMATE_VARIANTS))
def test_legitimate_variations_pass_strictly(
    servers: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str], variant: str
) -> None:
    exit_code, _, report = run_suite(servers, variant, tmp_path, "--strict")
    out = capsys.readouterr().out
    assert exit_code == 0, out
    assert report["failed_checks"] == [] and report["warned_checks"] == []
    assert report["requests_sent"] <= report["request_bound"]
    read_back = "persisted_on_read" in {c["name"] for c in report["checks"]}
    assert read_back is (variant != "ok_no_read")
    if variant == "ok_no_read":
        assert any("no GET /sessions/{session_id}" in n for n in report["notes"]), out


@pytest.mark.parametrize("defect", sorted(REQUIRED_CHECK_FOR_DEFECT))
def test_defect_fails_the_run_naming_the_check(
    servers: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str], defect: str
) -> None:
    check = REQUIRED_CHECK_FOR_DEFECT[defect]
    exit_code, _, report = run_suite(servers, defect, tmp_path)
    out = capsys.readouterr().out
    assert exit_code == 1, out
    assert check in report["failed_checks"], out
    assert f"FAIL  {check}" in out
    finding = next(f for f in report["findings"] if f["check"] == check)
    assert finding["expected"] and finding["got"]
    if check != "status_coverage":
        assert finding["curl"].startswith("curl -X ") and servers.base_url in finding["curl"]
    assert TOKEN not in json.dumps(report) and TOKEN not in out
    assert report["requests_sent"] <= report["request_bound"]


@pytest.mark.parametrize("defect", sorted(RECOMMENDED_CHECK_FOR_DEFECT))
def test_recommended_defect_warns_and_fails_only_when_strict(
    servers: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str], defect: str
) -> None:
    check = RECOMMENDED_CHECK_FOR_DEFECT[defect]
    exit_code, _, report = run_suite(servers, defect, tmp_path)
    out = capsys.readouterr().out
    assert exit_code == 0, out
    assert check in report["warned_checks"] and report["failed_checks"] == []
    assert f"WARN  {check}" in out

    strict_code, _, strict = run_suite(servers, defect, tmp_path, "--strict")
    assert strict_code == 1
    assert check in strict["failed_checks"]
    assert set(strict["failed_checks"]) == set(report["warned_checks"])
