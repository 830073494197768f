"""THE builder of sessions shaped as agno writes them: the demo seed, the tests and the benchmarks
all make their sessions here, so a change to what a session looks like is made once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.session import SessionType, StoredSession

SYSTEM_PROMPT = "You are a helpful assistant."

# Each type's component (the agent, team or workflow that owns the session), as agno stores it.
_COMPONENT_FIELDS = {
    SessionType.AGENT: ("agent_id", "agent_data"),
    SessionType.TEAM: ("team_id", "team_data"),
    SessionType.WORKFLOW: ("workflow_id", "workflow_data"),
}


def chat_messages(
    contents: Sequence[str], created_at: int, system: str | None = SYSTEM_PROMPT
) -> list[dict[str, Any]]:
    """A system prompt (left out of the 200 body) then `contents`, alternately user and
    assistant, one second apart."""
    messages: list[dict[str, Any]] = []
    if system is not None:
        messages.append({"role": "system", "content": system, "created_at": created_at})
    for index, content in enumerate(contents):
        role = "user" if index % 2 == 0 else "assistant"
        messages.append({"role": role, "content": content, "created_at": created_at + index})
    return messages


def chat_run(
    run_id: str,
    contents: Sequence[str],
    created_at: int,
    *,
    system: str | None = SYSTEM_PROMPT,
    **extra: Any,
) -> dict[str, Any]:
    """One finished agent or team run holding a conversation; `extra` adds keys (the owner's
    `agent_id` / `team_id`, ...)."""
    messages = chat_messages(contents, created_at, system)
    return {"run_id": run_id, "status": "COMPLETED", "messages": messages, **extra}


def workflow_run(run_id: str, workflow_input: str, **extra: Any) -> dict[str, Any]:
    return {"run_id": run_id, "status": "COMPLETED", "input": workflow_input, **extra}


def build_session(
    session_type: SessionType,
    *,
    session_id: str,
    component_id: str,
    component_name: str,
    user_id: str | None,
    name: str | None,
    runs: list[dict[str, Any]],
    created_at: int,
    updated_at: int,
    session_state: dict[str, Any] | None = None,
    session_metrics: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    summary: dict[str, Any] | None = None,
    **overrides: Any,
) -> StoredSession:
    """A session of `session_type` owned by the component `component_id`; `overrides` replace
    any StoredSession field."""
    session_data: dict[str, Any] = {}
    if name is not None:
        session_data["session_name"] = name
    if session_state is not None:
        session_data["session_state"] = session_state
    if session_metrics is not None:
        session_data["session_metrics"] = session_metrics
    id_field, data_field = _COMPONENT_FIELDS[session_type]
    values: dict[str, Any] = {
        "session_id": session_id,
        "session_type": session_type,
        "user_id": user_id,
        "session_data": session_data,
        "metadata": metadata,
        "runs": runs,
        "created_at": created_at,
        "updated_at": updated_at,
        id_field: component_id,
        data_field: {"name": component_name, id_field: component_id},
    }
    if summary is not None:
        values["summary"] = summary
    values.update(overrides)
    return StoredSession(**values)
