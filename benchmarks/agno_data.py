"""Benchmark data written by agno 2.5.6 itself: agent, team and workflow sessions, two runs each.

Our own seeder (benchmarks/seeding.py) copies one small template session; real deployments hold
what agno writes: runs with system prompts, tool calls, history copies, metrics, provider data.
These sessions are built with agno's own classes and written with agno's own database classes
(`SqliteDb` / `PostgresDb.upsert_sessions`), so every column is exactly in agno's form.

Ids are `agno-<type>-<number>`; `write_typed_id_file` lists them with their type for the load
script (which then sends `?type=<type>`).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from agno.metrics import MessageMetrics, RunMetrics, SessionMetrics
from agno.models.message import Message
from agno.run.agent import RunInput, RunOutput
from agno.run.base import RunStatus
from agno.run.team import TeamRunInput, TeamRunOutput
from agno.run.workflow import WorkflowRunOutput
from agno.session import AgentSession, TeamSession, WorkflowSession
from agno.session.summary import SessionSummary
from agno.workflow.types import StepOutput

from domain.session import SessionType
from store.base import DEFAULT_SESSION_TABLE

CREATED_AT = 1_757_000_000
TYPES = (SessionType.AGENT, SessionType.TEAM, SessionType.WORKFLOW)
_BATCH = 500
"""Sessions per upsert_sessions call (agno writes each batch in one transaction)."""


def agno_session_id(session_type: SessionType, number: int) -> str:
    return f"agno-{session_type.value}-{number:06d}"


def _turn(question: str, answer: str, at: int, *, tool: bool) -> list[Message]:
    """One model turn as agno records it: system prompt, user, (tool call and result), answer."""
    messages = [
        Message(role="system", content="You are a careful travel assistant.", created_at=at),
        Message(role="user", content=question, created_at=at),
    ]
    if tool:
        messages += [
            Message(
                role="assistant",
                tool_calls=[
                    {
                        "id": f"call-{at}",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Kyoto"}'},
                    }
                ],
                metrics=MessageMetrics(input_tokens=52, output_tokens=14, total_tokens=66),
                created_at=at + 1,
            ),
            Message(
                role="tool",
                content="18°C, clear skies, light wind from the north",
                tool_call_id=f"call-{at}",
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
                input_tokens=180, output_tokens=42, total_tokens=222, duration=1.4
            ),
            provider_data={"finish_reason": "stop"},
            created_at=at + 2,
        )
    )
    return messages


def _session_data(number: int) -> dict[str, Any]:
    metrics = SessionMetrics(input_tokens=464, output_tokens=98, total_tokens=562, cost=0.0042)
    return {
        "session_name": f"Trip planning {number}",
        "session_state": {"city": "Kyoto", "days": 3, "budget": {"currency": "JPY", "max": 90000}},
        "session_metrics": metrics.to_dict(),
    }


def _summary() -> SessionSummary:
    return SessionSummary(
        summary="The user planned a three-day visit to Kyoto and asked about the weather.",
        topics=["travel", "weather", "kyoto"],
    )


def agent_session(number: int) -> AgentSession:
    session_id = agno_session_id(SessionType.AGENT, number)
    at = CREATED_AT + number
    first = _turn("What's the weather in Kyoto this week?", "Clear, 15-18°C.", at, tool=True)
    second = _turn("Should I pack an umbrella?", "Not this week.", at + 60, tool=False)
    history = [
        Message(**{**m.model_dump(exclude={"id", "metrics"}), "from_history": True})
        for m in first
        if m.role != "system"
    ]
    replayed = [second[0], *history, *second[1:]]
    runs = [
        RunOutput(
            run_id=f"{session_id}-run-{index}",
            agent_id="travel-agent",
            agent_name="Travel Agent",
            session_id=session_id,
            user_id=f"user-{number % 50}",
            input=RunInput(input_content=question),
            content=answer,
            messages=messages,
            metrics=RunMetrics(input_tokens=232, output_tokens=56, total_tokens=288),
            model="gpt-4o",
            model_provider="OpenAI",
            status=RunStatus.completed,
            created_at=at + 60 * index,
        )
        for index, (question, answer, messages) in enumerate(
            [
                ("What's the weather in Kyoto this week?", "Clear, 15-18°C.", first),
                ("Should I pack an umbrella?", "Not this week.", replayed),
            ]
        )
    ]
    return AgentSession(
        session_id=session_id,
        agent_id="travel-agent",
        user_id=f"user-{number % 50}",
        session_data=_session_data(number),
        metadata={"channel": "web", "tags": ["travel"]},
        agent_data={
            "name": "Travel Agent",
            "agent_id": "travel-agent",
            "model": {"provider": "OpenAI", "name": "OpenAIChat", "id": "gpt-4o"},
        },
        runs=list(runs),
        summary=_summary(),
        created_at=at,
    )


def team_session(number: int) -> TeamSession:
    session_id = agno_session_id(SessionType.TEAM, number)
    at = CREATED_AT + number
    team_run_id = f"{session_id}-team-run"
    member_run = RunOutput(
        run_id=f"{session_id}-member-run",
        parent_run_id=team_run_id,
        agent_id="researcher",
        session_id=session_id,
        input=RunInput(input_content="Find three facts about Kyoto."),
        content="1. Former capital. 2. 1,600 temples. 3. Gion.",
        messages=_turn(
            "Find three facts about Kyoto.",
            "1. Former capital. 2. 1,600 temples. 3. Gion.",
            at + 1,
            tool=True,
        ),
        status=RunStatus.completed,
        created_at=at + 1,
    )
    team_run = TeamRunOutput(
        run_id=team_run_id,
        team_id="research-team",
        team_name="Research Team",
        session_id=session_id,
        user_id=f"user-{number % 50}",
        input=TeamRunInput(input_content="Tell me about Kyoto."),
        content="Kyoto was Japan's capital for over a thousand years.",
        messages=_turn(
            "Tell me about Kyoto.",
            "Kyoto was Japan's capital for over a thousand years.",
            at,
            tool=False,
        ),
        member_responses=[member_run],
        metrics=RunMetrics(input_tokens=300, output_tokens=60, total_tokens=360),
        status=RunStatus.completed,
        created_at=at,
    )
    return TeamSession(
        session_id=session_id,
        team_id="research-team",
        user_id=f"user-{number % 50}",
        session_data=_session_data(number),
        metadata={"channel": "slack"},
        team_data={"name": "Research Team", "team_id": "research-team"},
        runs=[member_run, team_run],  # a member's run is stored next to the team run, as agno does
        summary=_summary(),
        created_at=at,
    )


def workflow_session(number: int) -> WorkflowSession:
    session_id = agno_session_id(SessionType.WORKFLOW, number)
    at = CREATED_AT + number
    runs = [
        WorkflowRunOutput(
            run_id=f"{session_id}-wf-run-{index}",
            workflow_id="trip-planner",
            workflow_name="Trip Planner",
            session_id=session_id,
            user_id=f"user-{number % 50}",
            input={"city": "Kyoto", "days": 2 + index},
            content="Day 1: Gion. Day 2: Arashiyama.",
            step_results=[
                StepOutput(step_name="research", content="Kyoto facts"),
                StepOutput(step_name="plan", content="Day 1: Gion. Day 2: Arashiyama."),
            ],
            status=RunStatus.completed,
            created_at=at + 60 * index,
        )
        for index in range(2)
    ]
    return WorkflowSession(
        session_id=session_id,
        workflow_id="trip-planner",
        user_id=f"user-{number % 50}",
        runs=list(runs),
        session_data=_session_data(number),
        workflow_data={"workflow_id": "trip-planner", "name": "Trip Planner"},
        metadata={"channel": "api"},
        created_at=at,
    )


_BUILDERS = {
    SessionType.AGENT: agent_session,
    SessionType.TEAM: team_session,
    SessionType.WORKFLOW: workflow_session,
}


def _write(db: Any, per_type: int) -> None:
    for session_type in TYPES:
        build = _BUILDERS[session_type]
        for start in range(0, per_type, _BATCH):
            batch = [build(n) for n in range(start, min(per_type, start + _BATCH))]
            db.upsert_sessions(batch, deserialize=False)


def _count(db: Any) -> int:
    _, total = db.get_sessions(deserialize=False, limit=1)
    return int(total)


def write_agno_sqlite(path: Path, per_type: int) -> int:
    """Write `per_type` sessions of each type into a new SQLite file with agno's SqliteDb;
    returns the number of sessions agno reads back."""
    from agno.db.sqlite import SqliteDb

    db = SqliteDb(db_file=str(path), session_table=DEFAULT_SESSION_TABLE)
    try:
        _write(db, per_type)
        return _count(db)
    finally:
        db.db_engine.dispose()


def write_agno_postgres(url: str, per_type: int) -> int:
    """The same through agno's PostgresDb (schema `ai`, what our store uses without ?schema=)."""
    from agno.db.postgres import PostgresDb

    agno_url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    db = PostgresDb(db_url=agno_url, session_table=DEFAULT_SESSION_TABLE)
    try:
        _write(db, per_type)
        return _count(db)
    finally:
        db.db_engine.dispose()


def write_typed_id_file(path: Path, per_type: int, seed: int = 15) -> Path:
    """Every agno session id with its type (`<id> <type>` a line), shuffled so that the load
    script mixes the three types."""
    lines = [
        f"{agno_session_id(session_type, n)} {session_type.value}\n"
        for session_type in TYPES
        for n in range(per_type)
    ]
    random.Random(seed).shuffle(lines)
    path.write_text("".join(lines), "ascii")
    return path
