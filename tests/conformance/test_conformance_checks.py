"""The plain check functions, the sessions file and the reports, without a server."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance import checks
from conformance.checks import Violation
from conformance.report import as_json, summary, write_json, write_junit
from conformance.results import Finding, RunResult
from conformance.sessions import (
    KnownSession,
    UsageError,
    in_depth,
    parse_sessions,
    representatives,
)
from conformance.spec import load_contract

SHAPES = load_contract().shapes
AGENT_BODY = {
    "session_id": "s1",
    "agent_session_id": "s1",
    "session_name": "Trip",
    "chat_history": [{"role": "user", "content": "hi"}],
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-02T00:00:00Z",
}


def test_echo_checks_name_what_differs() -> None:
    checks.session_id_echoed(AGENT_BODY, "s1")
    checks.session_name_echoed(AGENT_BODY, "Trip")
    with pytest.raises(Violation) as wrong_id:
        checks.session_id_echoed(AGENT_BODY, "s2")
    assert "'s2'" in wrong_id.value.expected and "'s1'" in str(wrong_id.value.got)
    with pytest.raises(Violation, match="exactly the name sent"):
        checks.session_name_echoed(AGENT_BODY, "Trip\x00")


def test_a_workflows_session_data_shows_the_name_sent() -> None:
    workflow = {
        "session_id": "w1",
        "session_name": "Trip",
        "session_data": {"session_name": "Trip"},
    }
    checks.session_name_echoed(workflow, "Trip")
    checks.session_name_echoed({**workflow, "session_data": {"session_state": {}}}, "Trip")
    stale = {**workflow, "session_data": {"session_name": "Old trip", "session_state": {}}}
    with pytest.raises(Violation) as violation:
        checks.session_name_echoed(stale, "Trip")
    assert violation.value.got == "session_data.session_name 'Old trip'"


def test_body_matches_type_uses_the_documents_schemas() -> None:
    checks.body_matches_type(AGENT_BODY, "agent", SHAPES["agent"])
    team_body = {k: v for k, v in AGENT_BODY.items() if k != "agent_session_id"}
    checks.body_matches_type(team_body, "team", SHAPES["team"])
    with pytest.raises(Violation) as foreign:
        checks.body_matches_type(AGENT_BODY, "team", SHAPES["team"])
    assert "agent_session_id" in str(foreign.value.got)
    with pytest.raises(Violation) as invalid:
        checks.body_matches_type({"session_id": "s1"}, "workflow", SHAPES["workflow"])
    assert "session_name" in str(invalid.value.got)
    with pytest.raises(Violation, match=r"valid against the team session schema"):
        checks.body_matches_type({**team_body, "created_at": "yesterday"}, "team", SHAPES["team"])


def test_history_and_timestamps_between_two_answers() -> None:
    later = {**AGENT_BODY, "updated_at": "2026-01-03T00:00:00Z"}
    checks.chat_history_preserved(AGENT_BODY, later)
    checks.created_at_preserved(AGENT_BODY, later)
    checks.updated_at_monotonic(AGENT_BODY, later)
    with pytest.raises(Violation, match="1 messages before"):
        checks.chat_history_preserved(AGENT_BODY, {**later, "chat_history": []})
    with pytest.raises(Violation):
        checks.created_at_preserved(AGENT_BODY, {**later, "created_at": "2026-01-05T00:00:00Z"})
    with pytest.raises(Violation) as backwards:
        checks.updated_at_monotonic(later, AGENT_BODY)
    assert "moved backwards" in str(backwards.value.got)
    # Same instant written with an offset is not a move backwards.
    checks.updated_at_monotonic(
        AGENT_BODY, {**AGENT_BODY, "updated_at": "2026-01-02T01:00:00+01:00"}
    )


def test_status_error_code_and_same_answer() -> None:
    checks.status_in(404, {404}, "no such session")
    with pytest.raises(Violation, match="404 \\(no such session\\)"):
        checks.status_in(200, {404}, "no such session")
    checks.error_code_present({"detail": "x", "error_code": "NOT_FOUND"})
    with pytest.raises(Violation):
        checks.error_code_present({"detail": "x"})
    checks.challenge_present(["Bearer"])
    for missing_challenge in ([], ["  "]):
        with pytest.raises(Violation, match="WWW-Authenticate"):
            checks.challenge_present(missing_challenge)
    ids = ("known-1", "unknown-22")

    def shape(status: int, body: object, media: str = "application/json") -> checks.ErrorShape:
        return checks.error_shape(status, media, body, ids)

    missing = {"detail": "Missing token", "error_code": "UNAUTHENTICATED"}
    checks.same_answer(shape(401, missing), shape(401, missing), "no token")
    # Per-request fields, the id echoed in detail and media-type parameters are not a leak.
    checks.same_answer(
        shape(401, {**missing, "request_id": "a1", "timestamp": "2026-01-01T00:00:00Z"}),
        shape(
            401,
            {**missing, "request_id": "b2", "instance": "/r/2"},
            "application/json; charset=utf-8",
        ),
        "no token",
    )
    checks.same_answer(
        shape(401, {"detail": "No token for known-1", "error_code": "UNAUTHENTICATED"}),
        shape(401, {"detail": "No token for unknown-22", "error_code": "UNAUTHENTICATED"}),
        "no token",
    )
    with pytest.raises(Violation) as leak:
        checks.same_answer(shape(401, missing), shape(404, missing), "no token")
    assert "known id: 401" in str(leak.value.got) and "unknown id: 404" in str(leak.value.got)
    leaks = (
        (shape(401, {**missing, "detail": "Missing token for known-1"}), shape(401, missing)),
        (shape(401, {**missing, "error_code": "SESSION_EXISTS"}), shape(401, missing)),
        (shape(401, missing, "application/problem+json"), shape(401, missing)),
    )
    for known, unknown in leaks:
        with pytest.raises(Violation):
            checks.same_answer(known, unknown, "no token")


def test_sessions_file_parsing_and_representatives() -> None:
    sessions = parse_sessions(
        {
            "sessions": [
                {"session_id": "a1", "type": "agent", "user_id": "u"},
                {"session_id": "a2", "type": "agent", "user_id": None},
                {"session_id": "w1", "type": "workflow", "user_id": None, "session_name": "W"},
            ]
        }
    )
    assert [s.session_id for s in representatives(sessions)] == ["a1", "w1"]
    # Owned and ownerless sessions are both among the representatives: nothing to add.
    assert [s.session_id for s in in_depth(sessions)] == ["a1", "w1"]
    assert sessions[1].scoped_query() == {"type": "agent"}
    assert sessions[2] == KnownSession("w1", "workflow", None, "W")
    with pytest.raises(UsageError, match="more than once"):
        parse_sessions({"sessions": [{"session_id": "a", "type": "agent"}] * 2})


def test_reports_count_failures_and_warnings(tmp_path: Path) -> None:
    result = RunResult("http://127.0.0.1:1", "spec.yaml", 1, 5, False, 110)
    result.passed("auth_required")
    result.failed(Finding("type_scoping", "required", "404", "200 {}", "curl -X POST x", "r"))
    result.failed(Finding("error_code_present", "recommended", "code", "{}", "curl y", "r"))
    result.statuses.update({200: 3, 401: 1})
    assert result.exit_code == 1 and result.warned_checks == ["error_code_present"]
    text = summary(result)
    assert "FAIL  type_scoping" in text and "WARN  error_code_present" in text
    assert "reproduce: curl -X POST x" in text and "422 NOT seen" in text
    assert as_json(result)["failed_checks"] == ["type_scoping"]

    junit = tmp_path / "junit.xml"
    write_junit(result, junit)
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["type_scoping"].find("failure") is not None
    assert cases["error_code_present"].find("failure") is None
    assert cases["auth_required"].find("failure") is None


def test_reports_survive_names_utf8_cannot_carry(tmp_path: Path) -> None:
    result = RunResult("http://127.0.0.1:1", "spec.yaml", 1, 5, False, 110)
    got = '200 {"session_name": "bad \ud800 name\x01"}'
    result.failed(Finding("session_name_echoed", "required", "the name", got, "curl z", "r"))
    assert "bad \\ud800 name" in summary(result)
    write_json(result, tmp_path / "r.json")
    # The JSON escape keeps the report exact: it reads back as the very same text.
    written = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert written["findings"][0]["got"] == got
    write_junit(result, tmp_path / "r.xml")
    failure = ET.parse(tmp_path / "r.xml").getroot().find("testsuite/testcase/failure")
    assert failure is not None and "bad \\ud800 name\\x01" in str(failure.text)


WORKFLOW_BODY = {
    "session_id": "w1",
    "session_name": "Flow",
    "session_state": {"step": 1},
    "session_data": {"session_name": "Flow", "session_state": {"step": 1}},
    "metadata": {"a": 1},
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-02T00:00:00Z",
}


def test_a_rename_may_change_the_name_and_updated_at_only() -> None:
    renamed = {
        **WORKFLOW_BODY,
        "session_name": "New",
        "session_data": {"session_name": "New", "session_state": {"step": 1}},
        "updated_at": "2026-01-03T00:00:00Z",
        "created_at": "2026-01-01T00:00:00+00:00",  # the same instant, written otherwise
    }
    checks.fields_preserved(WORKFLOW_BODY, renamed)
    checks.unchanged_after_refusals(WORKFLOW_BODY, renamed, ("a refusal",))
    with pytest.raises(Violation) as reset:
        checks.fields_preserved(WORKFLOW_BODY, {**renamed, "session_state": {}})
    assert "session_state" in str(reset.value.got)
    with pytest.raises(Violation) as data:
        checks.fields_preserved(WORKFLOW_BODY, {**renamed, "session_data": {"session_name": "N"}})
    assert "session_data" in str(data.value.got)
    with pytest.raises(Violation) as dropped:
        checks.fields_preserved(
            WORKFLOW_BODY, {k: v for k, v in renamed.items() if k != "metadata"}
        )
    assert "<absent>" in str(dropped.value.got)
    # JSON true is not 1.
    with pytest.raises(Violation):
        checks.fields_preserved({**WORKFLOW_BODY, "metadata": {"a": True}}, renamed)
    with pytest.raises(Violation, match="refused requests \\(rename as team\\)"):
        checks.unchanged_after_refusals(
            WORKFLOW_BODY, {**renamed, "metadata": None}, ("rename as team",)
        )


def test_chat_history_is_compared_message_by_message() -> None:
    history = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
    before = {**AGENT_BODY, "chat_history": history}
    checks.chat_history_preserved(before, {**before, "chat_history": [dict(m) for m in history]})
    changed = [history[0], {"role": "assistant"}]
    with pytest.raises(Violation) as one:
        checks.chat_history_preserved(before, {**before, "chat_history": changed})
    assert str(one.value.got).startswith("message 1 differs")
    with pytest.raises(Violation) as reordered:
        checks.chat_history_preserved(before, {**before, "chat_history": history[::-1]})
    assert str(reordered.value.got).startswith("message 0 differs")


def test_body_complete_wants_every_field_of_the_type() -> None:
    full = {name: None for name in SHAPES["team"].properties}
    checks.body_complete({**full, "session_id": "t", "session_name": "n"}, "team", SHAPES["team"])
    with pytest.raises(Violation) as missing:
        checks.body_complete({"session_id": "t", "session_name": "n"}, "team", SHAPES["team"])
    assert "chat_history" in str(missing.value.got) and "team_id" in str(missing.value.got)


def test_updated_at_must_advance_after_a_second() -> None:
    later = {**AGENT_BODY, "updated_at": "2026-01-02T00:00:01Z"}
    checks.updated_at_advanced(AGENT_BODY, later, 1.1)
    with pytest.raises(Violation, match="later than"):
        checks.updated_at_advanced(AGENT_BODY, AGENT_BODY, 1.1)
    with pytest.raises(Violation, match="set to the time of the rename"):
        checks.updated_at_advanced(AGENT_BODY, {**AGENT_BODY, "updated_at": None}, 1.1)


def test_a_read_shows_what_was_answered() -> None:
    answered = {**WORKFLOW_BODY, "session_name": "New"}
    # A read may carry other fields (another endpoint); the shared ones must agree.
    checks.stored_as_answered({**answered, "runs": []}, "New", answered, ())
    with pytest.raises(Violation, match="the name last answered"):
        checks.stored_as_answered({**answered, "session_name": "new"}, "New", answered, ())
    with pytest.raises(Violation, match="after refused requests"):
        checks.stored_as_answered({**answered, "session_name": "X"}, "New", answered, ("r",))
    # Stored time may be coarser than answered time, never older than that.
    coarse = {**answered, "updated_at": "2026-01-01T23:59:59.5Z"}
    checks.stored_as_answered(coarse, "New", answered, ())
    with pytest.raises(Violation, match="stored updated_at"):
        checks.stored_as_answered(
            {**answered, "updated_at": "2026-01-01T00:00:00Z"}, "New", answered, ()
        )
    with pytest.raises(Violation) as changed:
        checks.stored_as_answered({**answered, "metadata": {}}, "New", answered, ())
    assert "metadata" in str(changed.value.got)


def test_other_methods_want_405_with_allow() -> None:
    checks.allows_post(405, "POST")
    checks.allows_post(405, "GET, POST")
    with pytest.raises(Violation, match="405"):
        checks.allows_post(404, None)
    with pytest.raises(Violation, match="Allow header"):
        checks.allows_post(405, None)


def test_request_bound_grows_with_examples_types_and_restores() -> None:
    from conformance.readback import READS_PER_LISTED_SESSION
    from conformance.runner import FIXED_SCENARIO_REQUESTS, RunOptions, request_bound
    from conformance.scenarios import INVARIANT_REQUESTS_PER_SESSION

    one = parse_sessions({"sessions": [{"session_id": "a", "type": "agent"}]})
    three = parse_sessions(
        {"sessions": [{"session_id": t, "type": t} for t in ("agent", "team", "workflow")]}
    )
    assert READS_PER_LISTED_SESSION == 2
    base = FIXED_SCENARIO_REQUESTS + INVARIANT_REQUESTS_PER_SESSION + 2
    assert request_bound(RunOptions("http://x", "t", one, max_examples=0)) == base
    assert request_bound(RunOptions("http://x", "t", one, max_examples=7)) == base + 14
    assert (
        request_bound(RunOptions("http://x", "t", three, max_examples=0))
        == base + 2 * INVARIANT_REQUESTS_PER_SESSION + 4
    )
    restoring = RunOptions("http://x", "t", three, max_examples=0, restore_names=True)
    assert request_bound(restoring) == base + 2 * INVARIANT_REQUESTS_PER_SESSION + 4 + 6
    # A session without an owner, not the first of its type, is checked in depth too.
    mixed = parse_sessions(
        {
            "sessions": [
                {"session_id": "a", "type": "agent", "user_id": "u"},
                {"session_id": "b", "type": "agent", "user_id": None},
            ]
        }
    )
    assert [s.session_id for s in in_depth(mixed)] == ["a", "b"]
    assert request_bound(RunOptions("http://x", "t", mixed, max_examples=0)) == (
        base + INVARIANT_REQUESTS_PER_SESSION + 2
    )


def test_other_owners_never_match_and_a_missing_owner_matches_no_user_id() -> None:
    from conformance.scenarios import OTHER_OWNERS_AT_MOST, _other_owners

    owned = KnownSession("a", "agent", "Alice")
    ownerless = KnownSession("b", "agent", None)
    listed = (owned, ownerless, KnownSession("c", "team", "bob"))
    for session in listed:
        users = [user for _, user in _other_owners(session, listed)]
        assert session.user_id not in users and len(users) <= OTHER_OWNERS_AT_MOST
        assert len(set(users)) == len(users)
    # Any user_id at all is another owner for a session without one, a listed owner included.
    assert {"Alice", "", "null"} <= {user for _, user in _other_owners(ownerless, listed)}
    assert {"bob", "aLICE", " Alice", "Alice "} <= {u for _, u in _other_owners(owned, listed)}


def test_user_id_kept_wants_the_listed_owner() -> None:
    checks.user_id_kept({**AGENT_BODY, "user_id": "u1"}, "u1")
    checks.user_id_kept({**AGENT_BODY, "user_id": None}, None)
    checks.user_id_kept(AGENT_BODY, "u1")  # no user_id in the body: nothing to judge
    for shown, owner, got in (
        (None, "u1", "user_id null"),
        ("u2", "u1", "user_id 'u2'"),
        ("u1", None, "user_id 'u1'"),
        ("", None, "user_id ''"),
    ):
        with pytest.raises(Violation, match="the session's owner") as wrong:
            checks.user_id_kept({**AGENT_BODY, "user_id": shown}, owner)
        assert wrong.value.got == got


def test_updated_at_current_compares_with_the_date_header() -> None:
    date = "Tue, 01 Dec 2026 13:00:00 GMT"
    for close in (
        "2026-12-01T13:00:00Z",
        "2026-12-01T12:58:30Z",
        "2026-12-01T13:01:59.999+00:00",
        "2026-12-01T14:00:30+01:00",  # the same instant with an offset
        "2026-12-01T13:00:05",  # no offset: local time, here UTC
        "2026-12-01T08:00:30",  # no offset: local time in UTC-5
        "2026-12-02T02:44:00.5",  # no offset: local time in UTC+13:45
    ):
        checks.updated_at_current({"updated_at": close}, date, None)
    for far in (
        "2026-12-01T08:00:00Z",  # local time written as UTC
        "2026-11-30T13:00:00Z",  # the previous rename's time kept
        "2026-12-01T13:02:01Z",
        "2099-01-01T00:00:00Z",
        "2026-12-01T13:07:30",  # no offset, but in no time zone near the Date
        "2026-12-02T04:00:00",  # no offset: UTC+15 is no time zone
        "2026-11-30T13:00:00",  # no offset: a day off
    ):
        with pytest.raises(Violation, match="Date header") as late:
            checks.updated_at_current({"updated_at": far}, date, {"updated_at": far[:4] + "x"})
        assert far in str(late.value.got)
    # Nothing to judge: no Date, an unparseable one, no updated_at.
    checks.updated_at_current({"updated_at": "2020-01-01T00:00:00Z"}, None, None)
    checks.updated_at_current({"updated_at": "2020-01-01T00:00:00Z"}, "yesterday", None)
    checks.updated_at_current({"updated_at": None}, date, None)
    # An updated_at already in the Date's future (another writer's clock) may be kept as it is.
    future = {"updated_at": "2027-01-01T00:00:00Z"}
    checks.updated_at_current(future, date, future)
    with pytest.raises(Violation):
        checks.updated_at_current(future, date, {"updated_at": "2026-01-01T00:00:00Z"})


def test_an_answer_among_requests_at_once_is_its_own() -> None:
    own = {"session_id": "s1", "session_name": "Trip"}
    checks.answered_alone(200, own, "s1", "Trip")
    checks.answered_alone(404, {"detail": "Session not found"}, None, None)
    with pytest.raises(Violation) as other:
        checks.answered_alone(200, {"session_id": "s2", "session_name": "Trip"}, "s1", "Trip")
    assert other.value.got == "session_id 's2', session_name 'Trip'"
    with pytest.raises(Violation, match="200 for the rename"):
        checks.answered_alone(500, None, "s1", "Trip")
    with pytest.raises(Violation, match="404 for the unknown id"):
        checks.answered_alone(200, own, None, None)
