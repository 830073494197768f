"""Serve benchmarks.hosting's app (ours over a seeded memory store, or the ceiling) with the
uvicorn options of `agno-rename serve` (server/uvicorn_options.py, the one source of them), so the
only difference between rows is the application.

    python -m benchmarks.serve --port 8001 --workers 1 --log-level warning
    (with BENCH_APP, BENCH_DATABASE_URL, BENCH_TOKEN, BENCH_SESSIONS, BENCH_MESSAGES set)
"""

from __future__ import annotations

import argparse

import uvicorn

from server.logs import configure_logging
from server.settings import Settings
from server.uvicorn_options import uvicorn_options


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    configure_logging(args.log_level)
    settings = Settings(
        host="127.0.0.1", port=args.port, workers=args.workers, log_level=args.log_level
    )
    uvicorn.run(**uvicorn_options("benchmarks.hosting:app_from_environment", settings))


if __name__ == "__main__":
    main()
