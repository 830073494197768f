"""domain/detail.py, unit by unit, against agno 2.5.6's own code for the same stored data.

The reference is always computed by agno from the same decoded row: its session classes'
`from_dict` (what its database reader does), then `agno.os.utils.get_session_name`, Message.to_dict
and the AgentOS detail schemas. No database and no server here.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from agno.models.message import Message
from agno.os.utils import get_session_name
from agno.session.summary import SessionSummary
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.detail import (
    agno_message,
    chat_history,
    display_name,
    render_timestamp,
    session_detail,
    session_summary,
)
from domain.session import SessionType, StoredSession
from tests.agno_sessions import (
    agno_session_from_row,
    reference_body,
    reference_body_for_stored,
    stored_as_row,
    stored_like_agno,
)
from tests.factories import make_session

AT = 1_757_088_129


def message(role: str, content: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"m-{role}-{content}",
        "role": role,
        "content": content,
        "created_at": AT,
        **extra,
    }


def agent_run(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "run_id": f"r{len(messages)}",
        "agent_id": "a1",
        "status": "COMPLETED",
        "messages": list(messages),
        "created_at": AT,
        **extra,
    }


def team_run(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "run_id": f"t{len(messages)}",
        "team_id": "t1",
        "status": "COMPLETED",
        "messages": list(messages),
        "created_at": AT,
        **extra,
    }


def workflow_run(workflow_input: Any) -> dict[str, Any]:
    run: dict[str, Any] = {
        "run_id": "w1",
        "workflow_id": "wf",
        "status": "COMPLETED",
        "created_at": AT,
    }
    if workflow_input is not None:
        run["input"] = workflow_input
    return run


def stored(session_type: SessionType, runs: list[Any] | None, **fields: Any) -> StoredSession:
    return StoredSession(
        session_id="s1", session_type=session_type, runs=runs, created_at=AT, **fields
    )


def agno_name(session: StoredSession) -> str:
    """The name AgentOS shows: get_session_name over the session agno reads from this row."""
    agno_session = agno_session_from_row(stored_as_row(session))
    name = get_session_name({**agno_session.to_dict(), "session_type": session.session_type.value})
    assert isinstance(name, str)
    return name


NAME_CASES = {
    "stored name wins": stored(
        SessionType.AGENT, [agent_run(message("user", "hi"))], session_data={"session_name": "N"}
    ),
    "stored empty name wins": stored(
        SessionType.AGENT, [agent_run(message("user", "hi"))], session_data={"session_name": ""}
    ),
    "first user message": stored(
        SessionType.AGENT,
        [agent_run(message("system", "sys"), message("user", "first"), message("user", "2nd"))],
    ),
    "empty user message skipped": stored(
        SessionType.AGENT, [agent_run(message("user", ""), message("user", "second"))]
    ),
    "history copies count too": stored(
        SessionType.AGENT, [agent_run(message("user", "old", from_history=True))]
    ),
    "run input when no user message": stored(
        SessionType.AGENT,
        [
            agent_run(message("assistant", "hello"), input={"input_content": "from input"}),
            agent_run(message("user", "later")),
        ],
    ),
    "empty run input is no input": stored(
        SessionType.AGENT,
        [agent_run(message("assistant", "hello"), input={}), agent_run(message("user", "later"))],
    ),
    "run without messages or input": stored(
        SessionType.AGENT, [agent_run(), agent_run(message("user", "second run"))]
    ),
    "failed runs still name the session": stored(
        SessionType.AGENT, [agent_run(message("user", "failed"), status="ERROR")]
    ),
    "no runs": stored(SessionType.AGENT, None),
    "team: member runs are skipped": stored(
        SessionType.TEAM,
        [
            agent_run(message("user", "member question"), parent_run_id="t1"),
            team_run(message("user", "team question")),
        ],
    ),
    "team: only member runs": stored(
        SessionType.TEAM, [agent_run(message("user", "member question"), parent_run_id="t1")]
    ),
    "team: team run input": stored(
        SessionType.TEAM, [team_run(input={"input_content": ["a", {"b": 1}]})]
    ),
    "workflow: string input": stored(SessionType.WORKFLOW, [workflow_run("Plan a trip")]),
    "workflow: object input": stored(
        SessionType.WORKFLOW, [workflow_run({"city": "Kyōto", "days": 2})]
    ),
    "workflow: other input, named workflow": stored(
        SessionType.WORKFLOW, [workflow_run(["a"])], workflow_data={"name": "Trip Planner"}
    ),
    "workflow: no input, unnamed workflow": stored(SessionType.WORKFLOW, [workflow_run(None)]),
    "workflow: only the first run counts": stored(
        SessionType.WORKFLOW,
        [workflow_run(None), workflow_run("second")],
        workflow_data={"name": "W"},
    ),
    "workflow: no runs": stored(SessionType.WORKFLOW, None, workflow_data={"name": "W"}),
}


@pytest.mark.parametrize("case", sorted(NAME_CASES))
def test_display_name_is_the_name_agentos_shows(case: str) -> None:
    session = NAME_CASES[case]
    assert display_name(session) == agno_name(session)


def test_the_name_cases_really_differ() -> None:
    """Guards the table above: each case reaches a different rule, not the same fallback."""
    names = {case: display_name(session) for case, session in NAME_CASES.items()}
    assert names["first user message"] == "first"
    assert names["empty user message skipped"] == "second"
    assert names["run input when no user message"] == '{\n  "input_content": "from input"\n}'
    assert names["empty run input is no input"] == "later"
    assert names["team: member runs are skipped"] == "team question"
    assert names["team: only member runs"] == ""
    assert names["workflow: object input"] == '{"city": "Ky\\u014dto", "days": 2}'
    assert names["workflow: other input, named workflow"] == "New Trip Planner Session"
    assert names["workflow: only the first run counts"] == "New W Session"
    assert names["stored empty name wins"] == ""


def test_a_name_is_always_a_string_even_where_agentos_fails() -> None:
    # AgentOS hands a list content through as the name and then fails its own schema (a 500).
    multimodal = [{"type": "text", "text": "What is in this image?"}]
    session = stored(SessionType.AGENT, [agent_run(message("user", multimodal))])
    assert display_name(session) == '[{"type": "text", "text": "What is in this image?"}]'


MESSAGES = {
    "plain": message("user", "hi"),
    "agno defaults": {
        "id": "m1",
        "role": "assistant",
        "content": "x",
        "created_at": AT,
        "from_history": False,
        "stop_after_tool_call": False,
    },
    "unset and empty dropped": message(
        "assistant", "x", name=None, tool_calls=[], provider_data={}, reasoning_content=None
    ),
    "tool call": message(
        "assistant",
        None,
        tool_calls=[{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
        metrics={
            "input_tokens": 5,
            "output_tokens": 0,
            "total_tokens": 5,
            "cost": None,
            "duration": 0.5,
            "time_to_first_token": 0.0,
            "provider_metrics": {},
        },
    ),
    "zero metrics disappear": message("assistant", "x", metrics={"input_tokens": 0}),
    "keys agno does not send": message(
        "user", "x", temporary=False, add_to_agent_memory=True, custom="kept by pydantic"
    ),
    "empty content string kept": message("assistant", "", tool_call_error=False),
    "flags set": message("assistant", "x", stop_after_tool_call=True),
}


@pytest.mark.parametrize("case", sorted(MESSAGES))
def test_messages_render_as_agno_message_to_dict(case: str) -> None:
    stored_message = MESSAGES[case]
    expected = Message.from_dict(copy.deepcopy(stored_message)).to_dict()
    assert agno_message(stored_message) == expected
    assert list(agno_message(stored_message)) == list(expected), "same key order"


def test_a_message_without_id_or_time_gets_none_invented() -> None:
    rendered = agno_message({"role": "user", "content": "hi"})
    assert rendered == {
        "content": "hi",
        "from_history": False,
        "stop_after_tool_call": False,
        "role": "user",
    }


def test_chat_history_keeps_user_and_assistant_messages_of_finished_top_level_runs() -> None:
    session = stored(
        SessionType.TEAM,
        [
            team_run(message("system", "s"), message("user", "q1"), message("assistant", "a1")),
            agent_run(message("user", "member"), parent_run_id="t1"),
            team_run(message("user", "paused"), status="PAUSED"),
            team_run(message("user", "cancelled"), status="CANCELLED"),
            team_run(message("user", "error"), status="ERROR"),
            team_run(
                message("user", "q1", from_history=True),
                message("user", "q2"),
                message("tool", "42", tool_call_id="c"),
                message("assistant", "a2"),
                status="RUNNING",
            ),
        ],
    )
    contents = [m["content"] for m in chat_history(session)]
    assert contents == ["q1", "a1", "q2", "a2"]
    reference = reference_body_for_stored(session)["chat_history"]
    assert chat_history(session) == reference


def test_a_run_naming_no_agent_or_team_is_shown_where_agentos_skips_it() -> None:
    """Deliberate difference. agno never writes such a run; its reader drops one it finds. We
    show its messages (and may take the name from it) rather than hide stored data."""
    orphan = {"run_id": "orphan", "status": "COMPLETED", "messages": [message("user", "orphan")]}
    session = stored(SessionType.AGENT, [orphan, agent_run(message("user", "owned"))])
    reference = reference_body_for_stored(session)
    assert [m["content"] for m in reference["chat_history"]] == ["owned"]
    assert reference["session_name"] == "owned"
    assert [m["content"] for m in chat_history(session)] == ["orphan", "owned"]
    assert display_name(session) == "orphan"


@pytest.mark.parametrize(
    "summary",
    [
        {"summary": "s", "topics": ["a"], "updated_at": "2025-09-05T18:02:12.269392"},
        {"summary": "s", "topics": None, "updated_at": None},
        {"updated_at": "2025-09-05T18:02:12", "summary": "order"},
    ],
)
def test_session_summary_renders_as_agno_session_summary(summary: dict[str, Any]) -> None:
    expected = SessionSummary.from_dict(copy.deepcopy(summary)).to_dict()
    assert session_summary(summary) == expected
    assert list(session_summary(summary) or {}) == list(expected)


def test_empty_summary_is_null() -> None:
    assert session_summary({}) is None and session_summary(None) is None


@pytest.mark.parametrize("epoch", [1, 1_757_088_129, 1_800_000_000, 4_102_444_800])
def test_timestamps_render_as_agentos_sends_them(epoch: int) -> None:
    session = make_session(SessionType.AGENT, created_at=epoch, updated_at=None)
    reference = reference_body_for_stored(session)
    assert render_timestamp(epoch) == reference["created_at"]
    assert (
        session_detail(session)["updated_at"] == reference["updated_at"] == reference["created_at"]
    )


def test_unset_created_at_is_null() -> None:
    assert render_timestamp(0) is None and render_timestamp(None) is None


def _agno_shaped(session_type: SessionType, name: str | None) -> StoredSession:
    return stored_like_agno(session_type, "s-agno", "u1", name)


@pytest.mark.parametrize("session_type", list(SessionType))
@pytest.mark.parametrize("name", ["A name", None])
def test_whole_body_equals_agentos_for_agno_shaped_rows(
    session_type: SessionType, name: str | None
) -> None:
    session = _agno_shaped(session_type, name)
    assert session_detail(session) == reference_body_for_stored(session)


@pytest.mark.parametrize("session_type", list(SessionType))
def test_whole_body_equals_agentos_for_sparse_rows(session_type: SessionType) -> None:
    """A row with only the required columns: agno's defaults (null or {}) are what we send.
    (`updated_at` is set: a rename always sets it; agno would show a workflow row without one as
    updated at the time of reading, while we fall back to `created_at` like for the other types.)
    """
    session = StoredSession(
        session_id="bare", session_type=session_type, created_at=AT, updated_at=AT + 1
    )
    assert session_detail(session) == reference_body_for_stored(session)


@pytest.mark.parametrize(
    "session_data",
    [
        {},
        {"session_state": {"a": 1}},
        {"session_metrics": {"total_tokens": 7, "input_tokens": 7}},
        {"session_metrics": {}},
    ],
)
@pytest.mark.parametrize("session_type", list(SessionType))
def test_state_and_metrics_defaults_match_agentos(
    session_type: SessionType, session_data: dict[str, Any]
) -> None:
    session = StoredSession(
        session_id="sd",
        session_type=session_type,
        created_at=AT,
        updated_at=AT + 1,
        session_data=session_data,
    )
    assert session_detail(session) == reference_body_for_stored(session)


def test_workflow_name_is_null_like_agentos_even_when_workflow_data_names_it() -> None:
    session = _agno_shaped(SessionType.WORKFLOW, "x")
    assert session.workflow_data and session.workflow_data["name"] == "Trip Planner"
    assert session_detail(session)["workflow_name"] is None
    assert reference_body_for_stored(session)["workflow_name"] is None


def test_reference_helper_matches_the_schema_classes_directly() -> None:
    """reference_body_for_stored is just from_dict + from_session: a sanity check of the helper
    against agno's own reader path, so the comparisons above compare with the real thing."""
    session = _agno_shaped(SessionType.AGENT, None)
    direct = reference_body(agno_session_from_row(stored_as_row(session)))
    assert reference_body_for_stored(session) == direct
    assert direct["session_name"] == "What's the weather in Kyoto?"


# The message shaping as it was before it was rewritten for speed (commit b5811cc): the rewrite
# must give the same body for every message, whatever a writer stored in it.
def _metrics_before(metrics: object) -> dict[str, Any] | None:
    if not isinstance(metrics, dict):
        return None
    kept = {
        key: value
        for key, value in metrics.items()
        if value is not None
        and not (isinstance(value, int) and value == 0)
        and not (isinstance(value, dict) and not value)
    }
    return kept or None


def _agno_message_before(stored_message: dict[str, Any]) -> dict[str, Any]:
    flags = ("from_history", "stop_after_tool_call")
    keys = (
        "id", "content", "reasoning_content", "from_history", "compressed_content",
        "stop_after_tool_call", "role", "name", "tool_call_id", "tool_name", "tool_args",
        "tool_call_error", "tool_calls", "redacted_reasoning_content", "provider_data",
    )  # fmt: skip
    rendered: dict[str, Any] = {}
    for key in keys:
        value = stored_message.get(key)
        if key in flags:
            value = bool(value)
        if not (value is None or (isinstance(value, list | dict) and not value)):
            rendered[key] = value
    for key in ("images", "audio", "videos", "files", "audio_output", "references"):
        if stored_message.get(key):
            rendered[key] = stored_message[key]
    metrics = _metrics_before(stored_message.get("metrics"))
    if metrics is not None:
        rendered["metrics"] = metrics
    if stored_message.get("created_at") is not None:
        rendered["created_at"] = stored_message["created_at"]
    return rendered


_SCALARS = (
    st.none()
    | st.booleans()
    | st.sampled_from([0, 1, -1, 0.0, 1.5, "", "x"])
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=5)
)
_JSON_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)
_MESSAGE_KEY_NAMES = st.sampled_from(
    [
        "id", "content", "reasoning_content", "from_history", "compressed_content",
        "stop_after_tool_call", "role", "name", "tool_call_id", "tool_name", "tool_args",
        "tool_call_error", "tool_calls", "redacted_reasoning_content", "provider_data", "images",
        "audio", "videos", "files", "audio_output", "references", "metrics", "created_at",
        "temporary", "other",
    ]
)  # fmt: skip
_METRICS = st.dictionaries(st.text(max_size=4), _JSON_VALUES, max_size=5) | _JSON_VALUES


@settings(max_examples=500, deadline=None)
@given(
    stored_message=st.dictionaries(_MESSAGE_KEY_NAMES, _JSON_VALUES, max_size=12),
    metrics=_METRICS,
    with_metrics=st.booleans(),
)
def test_message_shaping_equals_the_implementation_it_replaced(
    stored_message: dict[str, Any], metrics: Any, with_metrics: bool
) -> None:
    if with_metrics:
        stored_message = {**stored_message, "metrics": metrics}
    original = copy.deepcopy(stored_message)
    rendered = agno_message(stored_message)
    expected = _agno_message_before(original)
    assert rendered == expected
    assert list(rendered) == list(expected)  # the same key order, too
    assert stored_message == original  # the stored message is not changed


@given(st.none() | st.integers(min_value=-(10**20), max_value=10**20))
def test_cached_timestamps_equal_computed_ones(epoch_seconds: int | None) -> None:
    assert render_timestamp(epoch_seconds) == render_timestamp.__wrapped__(epoch_seconds)
    assert render_timestamp(epoch_seconds) == render_timestamp.__wrapped__(epoch_seconds)


_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
# Messages and runs whose every known key may hold ANY JSON value, as another writer might
# have stored it: the shaping runs after the rename committed, so it must never fail.
_MESSAGE_KEYS_TRIED = ["role", "content", "from_history", "metrics", "created_at", "id",
                       "tool_calls", "images", "name", "parent_run_id", "status"]  # fmt: skip
_ODD_MESSAGE = st.dictionaries(st.sampled_from(_MESSAGE_KEYS_TRIED), _ANY_JSON, max_size=6)
_ODD_RUN = st.fixed_dictionaries(
    {"messages": st.lists(_ODD_MESSAGE | _ANY_JSON, max_size=3)},
    optional={
        "status": _ANY_JSON,
        "parent_run_id": _ANY_JSON,
        "agent_id": _ANY_JSON,
        "input": _ANY_JSON,
        "run_id": _ANY_JSON,
    },
)


@settings(max_examples=300, deadline=None)
@given(
    session_type=st.sampled_from(list(SessionType)),
    runs=st.lists(_ODD_RUN | _ANY_JSON, max_size=3),
    summary=st.none() | st.dictionaries(st.text(max_size=8), _ANY_JSON, max_size=3),
)
def test_shaping_never_fails_whatever_json_the_runs_hold(
    session_type: SessionType, runs: list[Any], summary: dict[str, Any] | None
) -> None:
    session = make_session(session_type, runs=runs, summary=summary)
    body = session_detail(session)
    assert body["session_id"] == session.session_id
