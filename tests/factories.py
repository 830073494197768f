"""Sessions for tests, shaped like the ones agno writes."""

from __future__ import annotations

import itertools
from typing import Any

from domain.session import SessionType, StoredSession

_numbers = itertools.count(1)
CREATED_AT = 1_757_088_129


def chat_run(*contents: str, run_id: str | None = None, **extra: Any) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": "Be brief.", "created_at": 1}]
    for index, content in enumerate(contents):
        role = "user" if index % 2 == 0 else "assistant"
        messages.append({"role": role, "content": content, "created_at": CREATED_AT + index})
    return {
        "run_id": run_id or f"run-{next(_numbers)}",
        "status": "COMPLETED",
        "messages": messages,
        **extra,
    }


def make_session(
    session_type: SessionType = SessionType.AGENT,
    *,
    session_id: str | None = None,
    user_id: str | None = "user-1",
    name: str | None = "Original name",
    **overrides: Any,
) -> StoredSession:
    session_data: dict[str, Any] = {
        "session_state": {"step": 2},
        "session_metrics": {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
    }
    if name is not None:
        session_data["session_name"] = name
    values: dict[str, Any] = {
        "session_id": session_id or f"session-{next(_numbers)}",
        "session_type": session_type,
        "user_id": user_id,
        "session_data": session_data,
        "metadata": {"origin": "test", "tags": ["a", "b"]},
        "runs": [chat_run("Hello there", "Hi! How can I help?", "Tell me a joke", "No.")],
        "created_at": CREATED_AT,
        "updated_at": CREATED_AT + 5,
    }
    if session_type is SessionType.AGENT:
        values.update(
            agent_id="agent-1",
            agent_data={"name": "Agent One"},
            summary={"summary": "Greetings.", "topics": ["hello"]},
        )
    elif session_type is SessionType.TEAM:
        values.update(team_id="team-1", team_data={"name": "Team One"})
    else:
        values.update(
            workflow_id="wf-1",
            workflow_data={"name": "Flow"},
            runs=[{"run_id": "w1", "input": "Plan a trip", "status": "COMPLETED"}],
        )
    values.update(overrides)
    return StoredSession(**values)
