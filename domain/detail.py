"""The 200 body for each session type, built the way the reference AgentOS 2.5.6 builds it.

Field by field this follows agno's AgentSessionDetailSchema / TeamSessionDetailSchema /
WorkflowSessionDetailSchema `from_session` over a session read from the database, so a client sees
the same body from either server (tests/system/test_agno_interop.py compares the two). Where agno
would fail instead (a name that is not a string, a summary it cannot parse, `runs` of `[]`), we
answer with what the document allows rather than a 500.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Any

from domain.session import JSONObject, SessionType, StoredSession

# Runs in these states are left out of the chat history by agno (RunStatus values).
_SKIPPED_RUN_STATUSES = frozenset({"PAUSED", "CANCELLED", "ERROR"})
_SKIPPED_ROLES = frozenset({"system", "tool"})

# The keys agno's Message.to_dict() writes, in its order; it leaves out None and empty lists or
# objects. The media, references and metrics follow; created_at comes last.
_MESSAGE_KEYS = (
    "id",
    "content",
    "reasoning_content",
    "from_history",
    "compressed_content",
    "stop_after_tool_call",
    "role",
    "name",
    "tool_call_id",
    "tool_name",
    "tool_args",
    "tool_call_error",
    "tool_calls",
    "redacted_reasoning_content",
    "provider_data",
)
_MESSAGE_FLAGS = ("from_history", "stop_after_tool_call")  # booleans that default to false
_MESSAGE_ATTACHMENT_KEYS = ("images", "audio", "videos", "files", "audio_output", "references")
_SUMMARY_KEYS = ("summary", "topics", "updated_at")


# Cached: a chat history repeats the same few times, and datetime formatting is most of the cost.
@functools.lru_cache(maxsize=4096)
def render_timestamp(epoch_seconds: int | None) -> str | None:
    """Epoch seconds as an RFC 3339 UTC date-time, `2026-11-26T03:19:14Z` (as AgentOS sends);
    None for a time no date-time can show (another writer's 10**18)."""
    if not epoch_seconds:
        return None
    try:
        moment = datetime.fromtimestamp(epoch_seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    # Not strftime("%Y"): it drops the leading zeros of years before 1000.
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def _runs(session: StoredSession) -> list[JSONObject]:
    """The session's runs. (agno skips a stored agent or team run naming neither `agent_id` nor
    `team_id`; agno itself never writes one, and we show rather than hide such a run.)"""
    return [run for run in session.runs or [] if isinstance(run, dict)]


def _messages(run: JSONObject) -> list[Any]:
    messages = run.get("messages")
    return messages if isinstance(messages, list) else []


def _object_or_none(value: object) -> JSONObject | None:
    return value if isinstance(value, dict) else None


_CONTAINERS = (list, dict)
# (key, is a flag) in agno's order, computed once; see agno_message.
_MESSAGE_KEY_KINDS = tuple((key, key in _MESSAGE_FLAGS) for key in _MESSAGE_KEYS)


def _message_metrics(metrics: object) -> JSONObject | None:
    """Message metrics as agno re-serialises them: without unset (None) and zero integer counts."""
    if not isinstance(metrics, dict):
        return None
    kept = {}
    for key, value in metrics.items():
        # Skipped: None, integer zero (bool is an int: False too) and {} (not 0.0, "", []).
        if value is None or (value == 0 and isinstance(value, int)) or value == {}:
            continue
        kept[key] = value
    return kept or None


def agno_message(message: JSONObject) -> JSONObject:
    """A stored message as agno's Message.to_dict() renders it in `chat_history`.

    For messages agno wrote this is the stored object itself. Keys agno does not send (e.g.
    `temporary`) are left out. A message stored without `id` or `created_at` is sent without them:
    agno would invent a fresh random id and the current time on every request instead.

    This runs for every message of every answer (most of a rename's own CPU time on agno's data),
    hence one plain loop over precomputed keys rather than a helper call per key.
    """
    rendered: JSONObject = {}
    get = message.get
    for key, is_flag in _MESSAGE_KEY_KINDS:
        value = get(key)
        if is_flag:
            rendered[key] = bool(value)
        elif value is not None and (value or not isinstance(value, _CONTAINERS)):
            rendered[key] = value
    for key in _MESSAGE_ATTACHMENT_KEYS:
        value = get(key)
        if value:
            rendered[key] = value
    metrics = get("metrics")
    if metrics is not None:
        kept = _message_metrics(metrics)
        if kept is not None:
            rendered["metrics"] = kept
    created_at = get("created_at")
    if created_at is not None:
        rendered["created_at"] = created_at
    return rendered


def chat_history(session: StoredSession) -> list[JSONObject]:
    """User and assistant messages of the session's finished top-level runs, in order."""
    history: list[JSONObject] = []
    for run in _runs(session):
        if run.get("parent_run_id") is not None:
            continue
        if str(run.get("status", "")).upper() in _SKIPPED_RUN_STATUSES:
            continue
        for message in _messages(run):
            if not isinstance(message, dict) or message.get("from_history"):
                continue
            role = message.get("role")
            # Any JSON may be stored there: only a string can name a skipped role (a list or an
            # object is not hashable, and must not fail the answer after the rename committed).
            if isinstance(role, str) and role in _SKIPPED_ROLES:
                continue
            history.append(agno_message(message))
    return history


def session_summary(summary: JSONObject | None) -> JSONObject | None:
    """agno's SessionSummary.to_dict(): summary, topics, updated_at, without unset ones."""
    if not summary:
        return None
    rendered = {key: summary[key] for key in _SUMMARY_KEYS if summary.get(key) is not None}
    # Keys agno does not know would make it fail; we pass them through instead.
    rendered.update({k: v for k, v in summary.items() if k not in _SUMMARY_KEYS})
    return rendered


def _input_as_text(run_input: object) -> str:
    """How AgentOS turns a run's stored `input` into a session name."""
    if isinstance(run_input, str):
        return run_input
    if isinstance(run_input, dict):
        return json.dumps(run_input, indent=2, default=str)
    if isinstance(run_input, list) and run_input:
        first = run_input[0]
        if isinstance(first, dict) and first.get("role") == "user":
            content = first.get("content", str(run_input))
            return content if isinstance(content, str) else json.dumps(content)
    # Python's own rendering, as AgentOS does for anything else (e.g. `['a', 'b']`).
    return str(run_input)


def display_name(session: StoredSession) -> str:
    """The stored name, or the name AgentOS derives for a session that was never named.

    Agent and team sessions: per run in order, the first user message with content, else that
    run's input (team sessions only look at the team's own runs, not its members'). Workflow
    sessions: the first run's input, else `New <workflow name> Session`.
    """
    if session.session_name is not None:
        return session.session_name
    if session.session_type is SessionType.WORKFLOW:
        return _derived_workflow_name(session)
    runs = _runs(session)
    if session.session_type is SessionType.TEAM:
        runs = [run for run in runs if not run.get("agent_id")]
    for run in runs:
        for message in _messages(run):
            if (
                isinstance(message, dict)
                and message.get("role") == "user"
                and message.get("content")
            ):
                content = message["content"]
                return content if isinstance(content, str) else json.dumps(content)
        # agno reads an empty input back as no input at all.
        if run.get("input"):
            return _input_as_text(run["input"])
    return ""


def _derived_workflow_name(session: StoredSession) -> str:
    runs = _runs(session)
    if not runs:
        return ""
    workflow_input = runs[0].get("input")
    if isinstance(workflow_input, str):
        return workflow_input
    if isinstance(workflow_input, dict):
        return json.dumps(workflow_input)
    workflow_name = (session.workflow_data or {}).get("name")
    return f"New {workflow_name} Session" if workflow_name else ""


def session_detail(session: StoredSession) -> JSONObject:
    """The body of a 200 answer for `session`, shaped by its type."""
    session_data = session.session_data
    created_at = render_timestamp(session.created_at)
    common: dict[str, Any] = {
        "user_id": session.user_id,
        "session_id": session.session_id,
        "session_name": display_name(session),
        "session_state": _object_or_none(session_data.get("session_state"))
        if session_data
        else None,
        "created_at": created_at,
        "updated_at": render_timestamp(session.updated_at) or created_at,
    }
    if session.session_type is SessionType.WORKFLOW:
        # agno's WorkflowSession turns missing objects into {}; its table has no column for the
        # workflow's name, so AgentOS always sends `workflow_name` null (the name is in
        # workflow_data). We send what it sends.
        return {
            **common,
            "metadata": session.metadata or {},
            "workflow_id": session.workflow_id,
            "workflow_name": None,
            "session_data": session_data or {},
            "workflow_data": session.workflow_data or {},
        }
    metrics = _object_or_none(session_data.get("session_metrics", {})) if session_data else None
    total_tokens = metrics.get("total_tokens") if metrics else None
    conversation: dict[str, Any] = {
        **common,
        "metadata": session.metadata,
        "session_summary": session_summary(session.summary),
        # An integer or null in the document (bool is an int to Python, not to JSON).
        "total_tokens": total_tokens if type(total_tokens) is int else None,
        "metrics": metrics,
        "chat_history": chat_history(session),
    }
    if session.session_type is SessionType.TEAM:
        return {**conversation, "team_id": session.team_id, "team_data": session.team_data}
    return {
        **conversation,
        "agent_session_id": session.session_id,
        "agent_id": session.agent_id or None,
        "agent_data": session.agent_data,
    }
