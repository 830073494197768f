"""Serve the real Agno AgentOS 2.5.6 with JWT authorization on, over a SQLite file it seeds itself.

`JWT_VERIFICATION_KEY=<PEM> python -m tests.apps.agentos_jwt_app --port P --db-file F
--sessions-file S --os-id ID`: the key is read from the environment by AgentOS itself (as in a
deployment); `--os-id` is the AgentOS id, which is also the audience it verifies.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db-file", type=Path, required=True)
    parser.add_argument("--sessions-file", type=Path, required=True)
    parser.add_argument("--os-id", required=True)
    args = parser.parse_args()
    if not os.environ.get("JWT_VERIFICATION_KEY"):
        sys.exit("JWT_VERIFICATION_KEY must be set")
    os.environ.pop("OS_SECURITY_KEY", None)
    os.environ["AGNO_TELEMETRY"] = "false"  # no traffic beyond 127.0.0.1
    os.environ.setdefault("OPENAI_API_KEY", "unused-no-model-call-is-made")

    import uvicorn
    from agno.agent import Agent
    from agno.db.sqlite import SqliteDb
    from agno.models.openai import OpenAIChat
    from agno.os import AgentOS
    from agno.os.config import AuthorizationConfig

    from tests.apps.agentos_app import seed

    db = SqliteDb(db_file=str(args.db_file))
    seed(db, args.sessions_file)
    agent = Agent(
        id="basic-agent", name="Basic Agent", model=OpenAIChat(id="gpt-4o"), db=db, telemetry=False
    )
    agent_os = AgentOS(
        id=args.os_id,
        agents=[agent],
        telemetry=False,
        authorization=True,
        authorization_config=AuthorizationConfig(algorithm="RS256", verify_audience=True),
    )
    uvicorn.run(agent_os.get_app(), host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
