"""THE builder of agno sessions: agent, team and workflow sessions made with agno 2.5.6's own
classes, as a real AgentOS deployment holds them (the interop tests and the benchmark data).

Each session has real runs (messages of every role, a tool call, history copies, a member run, a
failed run), state, metrics, a summary and metadata. The session type is agno's wire value
("agent", "team", "workflow"), so this module needs nothing of the repository; the caller writes
the sessions with agno's own database classes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from agno.metrics import MessageMetrics, RunMetrics, SessionMetrics
from agno.models.message import Message
from agno.run.agent import RunInput, RunOutput
from agno.run.base import RunStatus
from agno.run.team import TeamRunInput, TeamRunOutput
from agno.run.workflow import WorkflowRunOutput
from agno.session import AgentSession, TeamSession, WorkflowSession
from agno.session.summary import SessionSummary
from agno.workflow.types import StepOutput

CREATED_AT = 1_757_088_129
"""When the sessions were created (epoch seconds) unless the caller says otherwise; fixed so
that agno stores exactly this."""

AgnoSession = AgentSession | TeamSession | WorkflowSession


def model_turn(question: str, answer: str, at: int, *, tool: bool = False) -> list[Message]:
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


def agent_session(
    session_id: str,
    user_id: str | None = None,
    name: str | None = None,
    *,
    created_at: int = CREATED_AT,
) -> AgentSession:
    """Two answered runs (a tool call, then the first turn replayed as history) and a failed one."""
    first = model_turn("What's the weather in Kyoto?", "Clear and 18°C.", created_at, tool=True)
    second = model_turn("Should I bring an umbrella?", "No need today.", created_at + 60)
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
            created_at=created_at,
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
            created_at=created_at + 60,
        ),
        # Failed runs stay stored but are not part of the chat history.
        RunOutput(
            run_id=f"{session_id}-run-3",
            agent_id="weather-agent",
            session_id=session_id,
            input=RunInput(input_content="And tomorrow?"),
            messages=[Message(role="user", content="And tomorrow?", created_at=created_at + 90)],
            status=RunStatus.error,
            created_at=created_at + 90,
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
        created_at=created_at,
    )


def team_session(
    session_id: str,
    user_id: str | None = None,
    name: str | None = None,
    *,
    created_at: int = CREATED_AT,
) -> TeamSession:
    """A team run and the run of the member it delegated to, stored side by side."""
    team_run_id = f"{session_id}-team-run"
    member_run = RunOutput(
        run_id=f"{session_id}-member-run",
        parent_run_id=team_run_id,
        agent_id="researcher",
        session_id=session_id,
        input=RunInput(input_content="Find three facts about Kyoto."),
        messages=model_turn("Find three facts about Kyoto.", "1. 2. 3.", created_at + 1),
        status=RunStatus.completed,
        created_at=created_at + 1,
    )
    team_run = TeamRunOutput(
        run_id=team_run_id,
        team_id="research-team",
        team_name="Research Team",
        session_id=session_id,
        user_id=user_id,
        input=TeamRunInput(input_content="Tell me about Kyoto."),
        content="Kyoto was Japan's capital for over a thousand years.",
        messages=model_turn(
            "Tell me about Kyoto.",
            "Kyoto was Japan's capital for over a thousand years.",
            created_at,
        ),
        member_responses=[member_run],
        metrics=RunMetrics(input_tokens=300, output_tokens=60, total_tokens=360),
        status=RunStatus.completed,
        created_at=created_at,
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
        created_at=created_at,
    )


def workflow_session(
    session_id: str,
    user_id: str | None = None,
    name: str | None = None,
    *,
    workflow_input: Any = "Plan a trip",
    created_at: int = CREATED_AT,
) -> WorkflowSession:
    """One workflow run of two steps, started with `workflow_input`."""
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
        created_at=created_at,
    )
    return WorkflowSession(
        session_id=session_id,
        workflow_id="trip-planner",
        user_id=user_id,
        runs=[run],
        session_data=_session_data(name, {"days": 2}),
        workflow_data={"workflow_id": "trip-planner", "name": "Trip Planner"},
        metadata={"channel": "api"},
        created_at=created_at,
    )


class _Builder(Protocol):
    def __call__(
        self,
        session_id: str,
        user_id: str | None = None,
        name: str | None = None,
        *,
        created_at: int = CREATED_AT,
    ) -> AgnoSession: ...


_BUILDERS: dict[str, _Builder] = {
    "agent": agent_session,
    "team": team_session,
    "workflow": workflow_session,
}


def agno_session(
    session_type: str,
    session_id: str,
    user_id: str | None = None,
    name: str | None = None,
    *,
    created_at: int = CREATED_AT,
) -> AgnoSession:
    """The session of type `session_type` ("agent", "team" or "workflow")."""
    return _BUILDERS[session_type](session_id, user_id, name, created_at=created_at)
