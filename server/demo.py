"""Demo sessions for `seed`: all three types, two users, realistic multi-message conversations."""

from __future__ import annotations

import uuid

from domain.builders import build_session, chat_run, workflow_run
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


_COMPONENTS = {
    SessionType.AGENT: ("basic-agent", "Basic Agent"),
    SessionType.TEAM: ("research-team", "Research Team"),
    SessionType.WORKFLOW: ("trip-planner", "Trip Planner"),
}
_OWNER_KEYS = {SessionType.AGENT: "agent_id", SessionType.TEAM: "team_id"}


def demo_sessions(now: int) -> list[StoredSession]:
    sessions: list[StoredSession] = []
    for user_number, user_id in enumerate(DEMO_USERS):
        for type_number, session_type in enumerate(SessionType):
            created_at = now - 86_400 * (1 + user_number * 3 + type_number)
            prompts = _CONVERSATIONS[(user_number + type_number) % len(_CONVERSATIONS)]
            component_id, component_name = _COMPONENTS[session_type]
            run_id = str(uuid.uuid4())
            if session_type is SessionType.WORKFLOW:
                run = workflow_run(run_id, prompts[0], workflow_id=component_id)
            else:
                owner = {_OWNER_KEYS[session_type]: component_id}
                run = chat_run(run_id, prompts, created_at, **owner)
            sessions.append(
                build_session(
                    session_type,
                    session_id=str(uuid.uuid4()),
                    component_id=component_id,
                    component_name=component_name,
                    user_id=user_id,
                    name=f"{prompts[0][:40]} ({session_type.value})",
                    runs=[run],
                    created_at=created_at,
                    updated_at=created_at + 60,
                    session_state={"turns": len(prompts) // 2},
                    session_metrics={"input_tokens": 412, "output_tokens": 96, "total_tokens": 508},
                    metadata={"source": "demo"},
                    summary=(
                        {"summary": "A short conversation.", "topics": ["demo"]}
                        if session_type is SessionType.AGENT
                        else None
                    ),
                )
            )
    return sessions
