"""Sessions built and written with agno 2.5.6's own classes, as a real AgentOS deployment has them.

Each builder returns an agno session object with real runs (messages of every role, a tool call,
history copies, a member run, a failed run), state, metrics, a summary and metadata. The tests write
them with agno's own database classes and read them back the same way.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agno.db.base import SessionType as AgnoSessionType
from agno.metrics import MessageMetrics, RunMetrics, SessionMetrics
from agno.models.message import Message
from agno.run.agent import RunInput, RunOutput
from agno.run.base import RunStatus
from agno.run.team import TeamRunInput, TeamRunOutput
from agno.run.workflow import WorkflowRunOutput
from agno.session import AgentSession, TeamSession, WorkflowSession
from agno.session.summary import SessionSummary
from agno.workflow.types import StepOutput

from domain.session import SessionType, StoredSession

CREATED_AT = 1_757_088_129
"""When the sessions were created (epoch seconds), fixed so that agno stores exactly this."""

AgnoSession = AgentSession | TeamSession | WorkflowSession

AGNO_TYPE = {
    SessionType.AGENT: AgnoSessionType.AGENT,
    SessionType.TEAM: AgnoSessionType.TEAM,
    SessionType.WORKFLOW: AgnoSessionType.WORKFLOW,
}


def _messages(question: str, answer: str, at: int, *, tool: bool = False) -> list[Message]:
    """One model turn as agno records it: system prompt, user, (tool call, result), answer."""
    messages = [
        Message(role="system", content="You are a careful assistant.", created_at=at),
        Message(role="user", content=question, created_at=at),
    ]
    if tool:
        messages += [
            Message(
                role="assistant",
                tool_calls=[
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Kyoto"}'},
                    }
                ],
                metrics=MessageMetrics(input_tokens=40, output_tokens=12, total_tokens=52),
                created_at=at + 1,
            ),
            Message(
                role="tool",
                content="18°C, clear",
                tool_call_id="call_1",
                tool_name="get_weather",
                tool_args={"city": "Kyoto"},
                created_at=at + 1,
            ),
        ]
    messages.append(
        Message(
            role="assistant",
            content=answer,
            metrics=MessageMetrics(
                input_tokens=134, output_tokens=26, total_tokens=160, duration=1.25
            ),
            provider_data={"finish_reason": "stop"},
            created_at=at + 2,
        )
    )
    return messages


def _history_copy(messages: list[Message]) -> list[Message]:
    """The earlier turn replayed into a later run (agno marks these `from_history`)."""
    return [
        Message(**{**m.model_dump(exclude={"id", "metrics"}), "from_history": True})
        for m in messages
        if m.role != "system"
    ]


def _session_data(name: str | None, state: dict[str, Any]) -> dict[str, Any]:
    metrics = SessionMetrics(input_tokens=402, output_tokens=78, total_tokens=480, cost=0.0031)
    data: dict[str, Any] = {"session_state": state, "session_metrics": metrics.to_dict()}
    if name is not None:
        data["session_name"] = name
    return data


def _summary() -> SessionSummary:
    return SessionSummary(
        summary="The user asked about the weather in Kyoto and planned a visit.",
        topics=["weather", "travel"],
        updated_at=datetime(2025, 9, 5, 18, 2, 12, 269392),
    )


def agent_session(session_id: str, user_id: str | None, name: str | None) -> AgentSession:
    first = _messages("What's the weather in Kyoto?", "Clear and 18°C.", CREATED_AT, tool=True)
    second = _messages("Should I bring an umbrella?", "No need today.", CREATED_AT + 60)
    runs = [
        RunOutput(
            run_id=f"{session_id}-run-1",
            agent_id="weather-agent",
            agent_name="Weather Agent",
            session_id=session_id,
            user_id=user_id,
            input=RunInput(input_content="What's the weather in Kyoto?"),
            content="Clear and 18°C.",
            messages=first,
            metrics=RunMetrics(input_tokens=174, output_tokens=38, total_tokens=212),
            model="gpt-4o",
            model_provider="OpenAI",
            status=RunStatus.completed,
            created_at=CREATED_AT,
        ),
        RunOutput(
            run_id=f"{session_id}-run-2",
            agent_id="weather-agent",
            session_id=session_id,
            user_id=user_id,
            input=RunInput(input_content="Should I bring an umbrella?"),
            content="No need today.",
            messages=[second[0], *_history_copy(first), *second[1:]],
            status=RunStatus.completed,
            created_at=CREATED_AT + 60,
        ),
        # Failed runs stay stored but are not part of the chat history.
        RunOutput(
            run_id=f"{session_id}-run-3",
            agent_id="weather-agent",
            session_id=session_id,
            input=RunInput(input_content="And tomorrow?"),
            messages=[Message(role="user", content="And tomorrow?", created_at=CREATED_AT + 90)],
            status=RunStatus.error,
            created_at=CREATED_AT + 90,
        ),
    ]
    return AgentSession(
        session_id=session_id,
        agent_id="weather-agent",
        user_id=user_id,
        session_data=_session_data(name, {"city": "Kyoto", "visits": 2}),
        metadata={"channel": "web", "tags": ["travel"]},
        agent_data={
            "name": "Weather Agent",
            "agent_id": "weather-agent",
            "model": {"provider": "OpenAI", "name": "OpenAIChat", "id": "gpt-4o"},
        },
        runs=list(runs),
        summary=_summary(),
        created_at=CREATED_AT,
    )


def team_session(session_id: str, user_id: str | None, name: str | None) -> TeamSession:
    team_run_id = f"{session_id}-team-run"
    member_run = RunOutput(
        run_id=f"{session_id}-member-run",
        parent_run_id=team_run_id,
        agent_id="researcher",
        session_id=session_id,
        input=RunInput(input_content="Find three facts about Kyoto."),
        messages=_messages("Find three facts about Kyoto.", "1. 2. 3.", CREATED_AT + 1),
        status=RunStatus.completed,
        created_at=CREATED_AT + 1,
    )
    team_run = TeamRunOutput(
        run_id=team_run_id,
        team_id="research-team",
        team_name="Research Team",
        session_id=session_id,
        user_id=user_id,
        input=TeamRunInput(input_content="Tell me about Kyoto."),
        content="Kyoto was Japan's capital for over a thousand years.",
        messages=_messages(
            "Tell me about Kyoto.",
            "Kyoto was Japan's capital for over a thousand years.",
            CREATED_AT,
        ),
        member_responses=[member_run],
        metrics=RunMetrics(input_tokens=300, output_tokens=60, total_tokens=360),
        status=RunStatus.completed,
        created_at=CREATED_AT,
    )
    return TeamSession(
        session_id=session_id,
        team_id="research-team",
        user_id=user_id,
        session_data=_session_data(name, {"sources": ["wikipedia"]}),
        metadata={"channel": "slack"},
        team_data={"name": "Research Team", "team_id": "research-team"},
        # A member's run is stored next to the team run, as agno does (parent_run_id links them).
        runs=[member_run, team_run],
        summary=_summary(),
        created_at=CREATED_AT,
    )


def workflow_session(
    session_id: str, user_id: str | None, name: str | None, workflow_input: Any = "Plan a trip"
) -> WorkflowSession:
    run = WorkflowRunOutput(
        run_id=f"{session_id}-wf-run",
        workflow_id="trip-planner",
        workflow_name="Trip Planner",
        session_id=session_id,
        user_id=user_id,
        input=workflow_input,
        content="Day 1: Gion. Day 2: Arashiyama.",
        step_results=[
            StepOutput(step_name="research", content="Kyoto facts"),
            StepOutput(step_name="plan", content="Day 1: Gion. Day 2: Arashiyama."),
        ],
        status=RunStatus.completed,
        created_at=CREATED_AT,
    )
    return WorkflowSession(
        session_id=session_id,
        workflow_id="trip-planner",
        user_id=user_id,
        runs=[run],
        session_data=_session_data(name, {"days": 2}),
        workflow_data={"workflow_id": "trip-planner", "name": "Trip Planner"},
        metadata={"channel": "api"},
        created_at=CREATED_AT,
    )


BUILDERS: dict[SessionType, Callable[[str, str | None, str | None], AgnoSession]] = {
    SessionType.AGENT: agent_session,
    SessionType.TEAM: team_session,
    SessionType.WORKFLOW: workflow_session,
}


@dataclass(frozen=True)
class WrittenSession:
    """A session agno wrote, and the row as agno read it back right after (the baseline)."""

    session_type: SessionType
    session_id: str
    user_id: str | None
    as_written: dict[str, Any]


def write_sessions(db: Any, *, named: bool) -> list[WrittenSession]:
    """One session of each type through `db.upsert_session`; each is read back as the baseline."""
    written = []
    for session_type, build in BUILDERS.items():
        session_id = f"agno-{session_type.value}-{'named' if named else 'unnamed'}"
        name = f"Named by agno ({session_type.value})" if named else None
        db.upsert_session(build(session_id, "alice@example.com", name))
        written.append(
            WrittenSession(
                session_type,
                session_id,
                "alice@example.com",
                read_back(db, session_type, session_id).to_dict(),
            )
        )
    return written


def read_back(db: Any, session_type: SessionType, session_id: str) -> AgnoSession:
    session = db.get_session(session_id, AGNO_TYPE[session_type], deserialize=True)
    assert isinstance(session, AgentSession | TeamSession | WorkflowSession), session
    return session


def reference_body(session: AgnoSession) -> dict[str, Any]:
    """The 200 body agno's AgentOS builds for `session`, as JSON (its own schema classes)."""
    from agno.os.schema import (
        AgentSessionDetailSchema,
        TeamSessionDetailSchema,
        WorkflowSessionDetailSchema,
    )

    schema: Any
    if isinstance(session, AgentSession):
        schema = AgentSessionDetailSchema.from_session(session)
    elif isinstance(session, TeamSession):
        schema = TeamSessionDetailSchema.from_session(session)
    else:
        schema = WorkflowSessionDetailSchema.from_session(session)
    dumped: dict[str, Any] = schema.model_dump(mode="json")
    return dumped


def agno_session_from_row(row: dict[str, Any]) -> AgnoSession:
    """What agno's `get_session(deserialize=True)` makes of a decoded row (a deep copy is used:
    agno's from_dict pops keys out of the run dicts it is given)."""
    data = copy.deepcopy(row)
    session_type = SessionType(data["session_type"])
    session: AgnoSession | None
    if session_type is SessionType.AGENT:
        session = AgentSession.from_dict(data)
    elif session_type is SessionType.TEAM:
        session = TeamSession.from_dict(data)
    else:
        session = WorkflowSession.from_dict(data)
    assert session is not None
    return session


def stored_as_row(session: StoredSession) -> dict[str, Any]:
    """A StoredSession as the decoded row agno's reader hands to `from_dict`."""
    row = dataclasses.asdict(session)
    row["session_type"] = session.session_type.value
    return row


def stored_like_agno(
    session_type: SessionType, session_id: str, user_id: str | None, name: str | None
) -> StoredSession:
    """A StoredSession holding exactly what agno writes for the builder's session (for rows our
    own store writes, and for unit tests without a database)."""
    as_agno_writes = BUILDERS[session_type](session_id, user_id, name).to_dict()
    columns = {k: v for k, v in as_agno_writes.items() if k in StoredSession.__slots__}
    return StoredSession(**columns, session_type=session_type)


def reference_body_for_stored(session: StoredSession) -> dict[str, Any]:
    """The body AgentOS builds for the row `session` describes (no database involved)."""
    return reference_body(agno_session_from_row(stored_as_row(session)))


def unnamed_edge_sessions() -> list[AgnoSession]:
    """Sessions agno can write with no name yet, each deriving its name a different way."""
    only_input = RunOutput(
        run_id="edge-input-run",
        agent_id="weather-agent",
        input=RunInput(input_content="Weather for Osaka?"),
        status=RunStatus.completed,
        created_at=CREATED_AT,
    )
    assistant_only = RunOutput(
        run_id="edge-assistant-run",
        agent_id="weather-agent",
        messages=[Message(role="assistant", content="Hello!", created_at=CREATED_AT)],
        status=RunStatus.completed,
        created_at=CREATED_AT,
    )
    later_question = RunOutput(
        run_id="edge-later-run",
        agent_id="weather-agent",
        messages=_messages("Second run question", "Answer", CREATED_AT + 5),
        status=RunStatus.completed,
        created_at=CREATED_AT + 5,
    )
    workflow_with = {
        "edge-workflow-dict": {"city": "Kyoto", "days": 2},
        "edge-workflow-list": ["Kyoto", "Osaka"],
        "edge-workflow-none": None,
    }
    sessions: list[AgnoSession] = [
        AgentSession(
            session_id="edge-agent-input-only",
            agent_id="weather-agent",
            runs=[only_input],
            created_at=CREATED_AT,
        ),
        AgentSession(
            session_id="edge-agent-assistant-then-later",
            agent_id="weather-agent",
            runs=[assistant_only, later_question],
            created_at=CREATED_AT,
        ),
        AgentSession(session_id="edge-agent-no-runs", agent_id="weather-agent", created_at=1),
        *(
            workflow_session(session_id, None, None, workflow_input)
            for session_id, workflow_input in workflow_with.items()
        ),
        WorkflowSession(
            session_id="edge-workflow-no-runs",
            workflow_id="trip-planner",
            workflow_data={"name": "Trip Planner"},
            created_at=CREATED_AT,
        ),
    ]
    return sessions


def _serve_renames_with_agentos(db_file: str, table: str, key: str) -> None:
    """Rename with the real AgentOS app in this process (ASGI, no socket): requests are JSON lines
    on stdin (`{"session_id", "type", "session_name"}`), answers JSON lines on stdout.

    Run as `python -m tests.agno_sessions DB_FILE TABLE KEY` with OS_SECURITY_KEY=KEY and
    AGNO_TELEMETRY=false in the environment: agno reads them once, when agno.os is first imported.
    """
    import asyncio
    import json
    import os
    import sys

    if os.environ.get("OS_SECURITY_KEY") != key or os.environ.get("AGNO_TELEMETRY") != "false":
        sys.exit("set OS_SECURITY_KEY=KEY and AGNO_TELEMETRY=false in the environment")

    import httpx
    from agno.agent import Agent
    from agno.db.sqlite import SqliteDb
    from agno.models.openai import OpenAIChat
    from agno.os import AgentOS

    db = SqliteDb(db_file=db_file, session_table=table)
    agent = Agent(id="weather-agent", model=OpenAIChat(id="gpt-4o"), db=db, telemetry=False)
    app = AgentOS(agents=[agent], telemetry=False).get_app()

    async def rename_all() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://agentos") as client:
            for line in sys.stdin:
                request = json.loads(line)
                response = await client.post(
                    f"/sessions/{request['session_id']}/rename",
                    params={"type": request["type"]},
                    json={"session_name": request["session_name"]},
                    headers={"Authorization": f"Bearer {key}"},
                )
                answer = {"status": response.status_code, "body": response.json()}
                print(json.dumps(answer), flush=True)

    asyncio.run(rename_all())


if __name__ == "__main__":
    import sys

    _serve_renames_with_agentos(*sys.argv[1:4])
