"""What the tests do with agno's sessions (built by harness/agno_sessions.py): write them with
agno's own database classes and read them back the same way, the body agno's AgentOS builds for
them, the same sessions as our StoredSession, the unnamed edge cases, and the real AgentOS renaming
in a process of its own.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Any

from agno.db.base import SessionType as AgnoSessionType
from agno.models.message import Message
from agno.run.agent import RunInput, RunOutput
from agno.run.base import RunStatus
from agno.session import AgentSession, TeamSession, WorkflowSession

from domain.session import SessionType, StoredSession
from harness.agno_sessions import (
    CREATED_AT,
    AgnoSession,
    agno_session,
    model_turn,
    workflow_session,
)

AGNO_TYPE = {
    SessionType.AGENT: AgnoSessionType.AGENT,
    SessionType.TEAM: AgnoSessionType.TEAM,
    SessionType.WORKFLOW: AgnoSessionType.WORKFLOW,
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
    for session_type in SessionType:
        session_id = f"agno-{session_type.value}-{'named' if named else 'unnamed'}"
        name = f"Named by agno ({session_type.value})" if named else None
        db.upsert_session(agno_session(session_type.value, session_id, "alice@example.com", name))
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
    as_agno_writes = agno_session(session_type.value, session_id, user_id, name).to_dict()
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
        messages=model_turn("Second run question", "Answer", CREATED_AT + 5),
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
            workflow_session(session_id, workflow_input=workflow_input)
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
