"""Demo sessions for `seed`: all three types, two users, realistic multi-message conversations."""

from __future__ import annotations

import uuid
from typing import Any

from domain.session import SessionType, StoredSession

DEMO_USERS = ("alice@example.com", "bob@example.com")

_CONVERSATIONS = (
    (
        "What tools do you have?",
        "I can search the web, read files you share and run small Python snippets.",
        "Can you summarise a PDF for me?",
        "Yes: share the file and tell me how long the summary should be.",
    ),
    (
        "Plan a three-day trip to Kyoto in April.",
        "Day 1: Higashiyama and Gion. Day 2: Arashiyama. Day 3: Fushimi Inari and Nishiki market.",
        "Add a coffee stop each day.",
        "Done: % Arabica in Higashiyama, Walden Woods, and Weekenders near Nishiki.",
    ),
)


def _run(run_id: str, prompts: tuple[str, ...], created_at: int, **owner: str) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a helpful assistant.", "created_at": created_at}
    ]
    for index, content in enumerate(prompts):
        role = "user" if index % 2 == 0 else "assistant"
        messages.append({"role": role, "content": content, "created_at": created_at + index})
    return {"run_id": run_id, "status": "COMPLETED", "messages": messages, **owner}


def demo_sessions(now: int) -> list[StoredSession]:
    sessions: list[StoredSession] = []
    for user_number, user_id in enumerate(DEMO_USERS):
        for type_number, session_type in enumerate(SessionType):
            created_at = now - 86_400 * (1 + user_number * 3 + type_number)
            prompts = _CONVERSATIONS[(user_number + type_number) % len(_CONVERSATIONS)]
            metrics = {"input_tokens": 412, "output_tokens": 96, "total_tokens": 508}
            session_data: dict[str, Any] = {
                "session_name": f"{prompts[0][:40]} ({session_type.value})",
                "session_state": {"turns": len(prompts) // 2},
                "session_metrics": metrics,
            }
            common: dict[str, Any] = {
                "session_id": str(uuid.uuid4()),
                "session_type": session_type,
                "user_id": user_id,
                "session_data": session_data,
                "metadata": {"source": "demo"},
                "created_at": created_at,
                "updated_at": created_at + 60,
            }
            run_id = str(uuid.uuid4())
            if session_type is SessionType.AGENT:
                sessions.append(
                    StoredSession(
                        **common,
                        agent_id="basic-agent",
                        agent_data={"name": "Basic Agent", "agent_id": "basic-agent"},
                        runs=[_run(run_id, prompts, created_at, agent_id="basic-agent")],
                        summary={"summary": "A short conversation.", "topics": ["demo"]},
                    )
                )
            elif session_type is SessionType.TEAM:
                sessions.append(
                    StoredSession(
                        **common,
                        team_id="research-team",
                        team_data={"name": "Research Team", "team_id": "research-team"},
                        runs=[_run(run_id, prompts, created_at, team_id="research-team")],
                    )
                )
            else:
                sessions.append(
                    StoredSession(
                        **common,
                        workflow_id="trip-planner",
                        workflow_data={"name": "Trip Planner", "workflow_id": "trip-planner"},
                        runs=[
                            {
                                "run_id": run_id,
                                "status": "COMPLETED",
                                "input": prompts[0],
                                "workflow_id": "trip-planner",
                            }
                        ],
                    )
                )
    return sessions
