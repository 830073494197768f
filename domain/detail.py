"""The 200 body for each session type, built the way the reference AgentOS 2.5.6 builds it.

Field by field this follows agno's AgentSessionDetailSchema / TeamSessionDetailSchema /
WorkflowSessionDetailSchema `from_session`, so a client sees the same body from either server.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from domain.session import JSONObject, SessionType, StoredSession

# Runs in these states are left out of the chat history by agno (RunStatus values).
_SKIPPED_RUN_STATUSES = frozenset({"PAUSED", "CANCELLED", "ERROR"})
_SKIPPED_ROLES = frozenset({"system", "tool"})


def render_timestamp(epoch_seconds: int | None) -> str | None:
    """Epoch seconds as an RFC 3339 UTC date-time, `2026-11-26T03:19:14Z` (as AgentOS sends)."""
    if not epoch_seconds:
        return None
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def chat_history(session: StoredSession) -> list[JSONObject]:
    """User and assistant messages of the session's finished top-level runs, in order."""
    history: list[JSONObject] = []
    for run in session.runs or []:
        if not isinstance(run, dict) or run.get("parent_run_id") is not None:
            continue
        if str(run.get("status", "")).upper() in _SKIPPED_RUN_STATUSES:
            continue
        for message in run.get("messages") or []:
            if not isinstance(message, dict) or message.get("from_history"):
                continue
            if message.get("role") in _SKIPPED_ROLES:
                continue
            history.append(message)
    return history


def display_name(session: StoredSession) -> str:
    """The stored name, or the name AgentOS derives for a session that was never named."""
    if session.session_name is not None:
        return session.session_name
    runs = [run for run in session.runs or [] if isinstance(run, dict)]
    if session.session_type is SessionType.WORKFLOW:
        return _derived_workflow_name(session, runs)
    if session.session_type is SessionType.TEAM:
        runs = [run for run in runs if not run.get("agent_id")]
    for run in runs:
        for message in run.get("messages") or []:
            if (
                isinstance(message, dict)
                and message.get("role") == "user"
                and message.get("content")
            ):
                content = message["content"]
                return content if isinstance(content, str) else json.dumps(content)
    return ""


def _derived_workflow_name(session: StoredSession, runs: list[JSONObject]) -> str:
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
    metrics = session_data.get("session_metrics", {}) if session_data else None
    created_at = render_timestamp(session.created_at)
    common: dict[str, Any] = {
        "user_id": session.user_id,
        "session_id": session.session_id,
        "session_name": display_name(session),
        "session_state": session_data.get("session_state") if session_data else None,
        "metadata": session.metadata,
        "created_at": created_at,
        "updated_at": render_timestamp(session.updated_at) or created_at,
    }
    if session.session_type is SessionType.WORKFLOW:
        return {
            **common,
            "workflow_id": session.workflow_id,
            "workflow_name": (session.workflow_data or {}).get("name"),
            "session_data": session_data,
            "workflow_data": session.workflow_data,
        }
    conversation: dict[str, Any] = {
        **common,
        "session_summary": session.summary or None,
        "total_tokens": metrics.get("total_tokens") if isinstance(metrics, dict) else None,
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
