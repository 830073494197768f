"""Sessions for tests, shaped like the ones agno writes (built by domain/builders.py)."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from domain.builders import build_session, chat_messages, workflow_run
from domain.session import SessionType, StoredSession

_numbers = itertools.count(1)
CREATED_AT = 1_757_088_129
_COMPONENTS = {
    SessionType.AGENT: ("agent-1", "Agent One"),
    SessionType.TEAM: ("team-1", "Team One"),
    SessionType.WORKFLOW: ("wf-1", "Flow"),
}


def chat_run(*contents: str, run_id: str | None = None, **extra: Any) -> dict[str, Any]:
    messages = chat_messages(contents, CREATED_AT, system="Be brief.")
    messages[0]["created_at"] = 1
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
    component_id, component_name = _COMPONENTS[session_type]
    if session_type is SessionType.WORKFLOW:
        runs = [workflow_run("w1", "Plan a trip")]
    else:
        runs = [chat_run("Hello there", "Hi! How can I help?", "Tell me a joke", "No.")]
    session = build_session(
        session_type,
        session_id=session_id or f"session-{next(_numbers)}",
        component_id=component_id,
        component_name=component_name,
        user_id=user_id,
        name=name,
        runs=runs,
        created_at=CREATED_AT,
        updated_at=CREATED_AT + 5,
        session_state={"step": 2},
        session_metrics={"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
        metadata={"origin": "test", "tags": ["a", "b"]},
        summary=(
            {"summary": "Greetings.", "topics": ["hello"]}
            if session_type is SessionType.AGENT
            else None
        ),
    )
    return dataclasses.replace(session, **overrides)
