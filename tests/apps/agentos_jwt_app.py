"""Serve the real Agno AgentOS 2.5.6 with JWT authorization on, over a SQLite file it seeds itself.

`JWT_VERIFICATION_KEY=<PEM> python -m tests.apps.agentos_jwt_app --port P --db-file F
--sessions-file S --os-id ID`: the key is read from the environment by AgentOS itself (as in a
deployment); `--os-id` is the AgentOS id, which is also the audience it verifies.
"""

from __future__ import annotations

import os
import sys

from tests.apps.agentos_app import arguments, serve


def main() -> int:
    args = arguments(os_id=True)
    if not os.environ.get("JWT_VERIFICATION_KEY"):
        sys.exit("JWT_VERIFICATION_KEY must be set")
    os.environ.pop("OS_SECURITY_KEY", None)
    serve(args, jwt_audience=args.os_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
