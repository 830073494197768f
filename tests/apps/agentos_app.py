"""Serve the real Agno AgentOS 2.5.6 on 127.0.0.1 over a SQLite database it seeds itself.

Run as a process of its own, because agno reads OS_SECURITY_KEY once when `agno.os` is imported:
`OS_SECURITY_KEY=... python -m tests.apps.agentos_app --port P --db-file F --sessions-file S`.
It writes the sessions file (the conformance suite's format) before serving. `serve` is also the
JWT-authorized AgentOS of tests/apps/agentos_jwt_app.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

USERS = ("alice@example.com", "bob@example.com")


def _messages(created_at: int, question: str) -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": "You are helpful.", "created_at": created_at},
        {"role": "user", "content": question, "created_at": created_at},
        {"role": "assistant", "content": f"An answer to: {question}", "created_at": created_at + 1},
    ]


# Agent and team sessions differ only in who owns the conversation.
_CONVERSATION_OWNERS = {
    "agent": ("agent_id", "basic-agent", "Basic Agent"),
    "team": ("team_id", "basic-team", "Basic Team"),
}


def _session_dict(session_type: str, user_id: str, number: int, now: int) -> dict[str, Any]:
    session_id = str(uuid.uuid4())
    created_at = now - 3600 * (number + 1)
    question = f"Question {number} from {user_id} ({session_type})"
    run_id = str(uuid.uuid4())
    common: dict[str, Any] = {
        "session_id": session_id,
        "user_id": user_id,
        "session_data": {"session_name": f"Seeded {session_type} {number}", "session_state": {}},
        "metadata": {"seeded": True},
        "created_at": created_at,
        "updated_at": created_at + 60,
    }
    if session_type in _CONVERSATION_OWNERS:
        owner_key, owner_id, owner_name = _CONVERSATION_OWNERS[session_type]
        run = {
            "run_id": run_id,
            owner_key: owner_id,
            "session_id": session_id,
            "user_id": user_id,
            "status": "COMPLETED",
            "created_at": created_at,
            "messages": _messages(created_at, question),
        }
        return {
            **common,
            owner_key: owner_id,
            f"{session_type}_data": {"name": owner_name},
            "runs": [run],
        }
    run = {
        "run_id": run_id,
        "workflow_id": "basic-workflow",
        "session_id": session_id,
        "user_id": user_id,
        "status": "COMPLETED",
        "created_at": created_at,
        "input": question,
        "content": "done",
    }
    return {
        **common,
        "workflow_id": "basic-workflow",
        "workflow_name": "Basic Workflow",
        "workflow_data": {"name": "Basic Workflow"},
        "runs": [run],
    }


def seed(db: Any, sessions_file: Path) -> None:
    from agno.session import AgentSession, TeamSession, WorkflowSession

    classes: dict[str, type[AgentSession] | type[TeamSession] | type[WorkflowSession]] = {
        "agent": AgentSession,
        "team": TeamSession,
        "workflow": WorkflowSession,
    }
    now = int(time.time())
    listing = []
    for number, user_id in enumerate(USERS):
        for session_type, session_class in classes.items():
            data = _session_dict(session_type, user_id, number, now)
            db.upsert_session(session_class.from_dict(data))
            listing.append(
                {"session_id": data["session_id"], "type": session_type, "user_id": user_id}
            )
    sessions_file.write_text(json.dumps({"sessions": listing}, indent=2), encoding="utf-8")


def arguments(*, os_id: bool = False) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db-file", type=Path, required=True)
    parser.add_argument("--sessions-file", type=Path, required=True)
    if os_id:
        parser.add_argument("--os-id", required=True)
    return parser.parse_args()


def serve(args: argparse.Namespace, *, jwt_audience: str | None = None) -> None:
    """Seed the database and serve AgentOS until stopped; with `jwt_audience`, AgentOS's own JWT
    authorization (RS256, the audience verified, and the AgentOS id) replaces the security key."""
    os.environ["AGNO_TELEMETRY"] = "false"  # no traffic beyond 127.0.0.1
    os.environ.setdefault("OPENAI_API_KEY", "unused-no-model-call-is-made")

    import uvicorn
    from agno.agent import Agent
    from agno.db.sqlite import SqliteDb
    from agno.models.openai import OpenAIChat
    from agno.os import AgentOS
    from agno.os.config import AuthorizationConfig

    db = SqliteDb(db_file=str(args.db_file))
    seed(db, args.sessions_file)
    agent = Agent(
        id="basic-agent", name="Basic Agent", model=OpenAIChat(id="gpt-4o"), db=db, telemetry=False
    )
    authorization: dict[str, Any] = {}
    if jwt_audience is not None:
        authorization = {
            "id": jwt_audience,
            "authorization": True,
            "authorization_config": AuthorizationConfig(algorithm="RS256", verify_audience=True),
        }
    agent_os = AgentOS(agents=[agent], telemetry=False, **authorization)
    uvicorn.run(agent_os.get_app(), host="127.0.0.1", port=args.port, log_level="warning")


def main() -> int:
    args = arguments()
    if not os.environ.get("OS_SECURITY_KEY"):
        sys.exit("OS_SECURITY_KEY must be set before agno.os is imported")
    serve(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
