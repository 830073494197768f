"""`agno-rename serve` and `agno-rename seed`. Every flag has an environment variable."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import secrets
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from domain.session import StoredSession
from server.settings import (
    DEFAULT_DATABASE_URL,
    DEFAULT_DB_ID,
    DEFAULT_PORT,
    DEFAULT_SESSION_TABLE,
    DatabaseConfig,
    Settings,
)


def _flag_bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _database_arguments(parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    parser.add_argument(
        "--database-url",
        default=env.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        help="memory://, sqlite:///relative.db, sqlite:////absolute.db or postgresql://... "
        "[env DATABASE_URL]",
    )
    parser.add_argument(
        "--db-id",
        default=env.get("DB_ID", DEFAULT_DB_ID),
        help="the id callers pass as `db_id` for this database [env DB_ID]",
    )
    parser.add_argument(
        "--table",
        action="append",
        dest="tables",
        help=f"a session table of the database (repeatable; first is the default; default "
        f"{DEFAULT_SESSION_TABLE}) [env SESSION_TABLES, comma-separated]",
    )


def _tables(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[str, ...]:
    if args.tables:
        return tuple(args.tables)
    configured = [t.strip() for t in env.get("SESSION_TABLES", "").split(",") if t.strip()]
    return tuple(configured) or (DEFAULT_SESSION_TABLE,)


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agno-rename", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve POST /sessions/{session_id}/rename")
    serve.add_argument("--host", default=env.get("HOST", "127.0.0.1"), help="[env HOST]")
    serve.add_argument(
        "--port", type=int, default=int(env.get("PORT", DEFAULT_PORT)), help="[env PORT]"
    )
    _database_arguments(serve, env)
    serve.add_argument(
        "--security-key",
        default=env.get("OS_SECURITY_KEY"),
        help="the bearer token callers must send [env OS_SECURITY_KEY]",
    )
    serve.add_argument(
        "--workers", type=int, default=int(env.get("WORKERS", "1")), help="[env WORKERS]"
    )
    serve.add_argument(
        "--log-level",
        default=env.get("LOG_LEVEL", "info"),
        choices=["debug", "info", "warning", "error"],
        help="[env LOG_LEVEL]",
    )
    serve.add_argument(
        "--validate-responses",
        action="store_true",
        default=_flag_bool(env.get("VALIDATE_RESPONSES", "")),
        help="check every answer against the document [env VALIDATE_RESPONSES]",
    )

    seed = commands.add_parser("seed", help="add demo sessions (all types, two users)")
    _database_arguments(seed, env)
    seed.add_argument(
        "--sessions-file",
        default=env.get("SESSIONS_FILE", "data/sessions.json"),
        help="where to write the seeded sessions for the conformance suite [env SESSIONS_FILE]",
    )
    seed.add_argument(
        "--if-empty", action="store_true", help="seed only when the session table is empty"
    )
    return parser


def settings_from_arguments(args: argparse.Namespace, env: Mapping[str, str]) -> Settings:
    return Settings(
        databases=(DatabaseConfig(args.db_id, args.database_url, _tables(args, env)),),
        security_key=args.security_key or None,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        validate_responses=args.validate_responses,
    )


def serve(settings: Settings) -> None:
    import uvicorn

    from server.asgi import SETTINGS_ENVIRONMENT_VARIABLE
    from server.logs import configure_logging

    if not settings.security_key:
        key = secrets.token_urlsafe(24)
        settings = dataclasses.replace(settings, security_key=key)
        base = f"http://{settings.host}:{settings.port}"
        print(
            f"No OS_SECURITY_KEY configured; generated one for this run:\n\n"
            f"    OS_SECURITY_KEY={key}\n\n"
            f"Swagger UI: {base}/docs/\n"
            f"Try:  curl -s -X POST '{base}/sessions/<session_id>/rename' \\\n"
            f"        -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\\n"
            f'        -d \'{{"session_name": "My session"}}\'\n',
            flush=True,
        )
    configure_logging(settings.log_level)
    os.environ[SETTINGS_ENVIRONMENT_VARIABLE] = settings.to_json()
    uvicorn.run(
        "server.asgi:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        log_config=None,
        access_log=False,  # RequestIdMiddleware writes the access log, with request ids
        lifespan="on",
        server_header=False,
    )


async def seed_store(args: argparse.Namespace, env: Mapping[str, str]) -> list[StoredSession]:
    """Add the demo sessions; with --if-empty, return [] when the table already has sessions."""
    from server.demo import demo_sessions
    from store.factory import open_store

    tables = _tables(args, env)
    store = await open_store(args.database_url, tables)
    try:
        if args.if_empty and await store.count(tables[0]) > 0:
            return []
        sessions = demo_sessions(int(time.time()))
        await store.put(sessions, tables[0])
        return sessions
    finally:
        await store.close()


def seed(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    sessions = asyncio.run(seed_store(args, env))
    if not sessions:
        print(f"{args.database_url}: already has sessions; not seeding")
        return 0
    listing = {
        "sessions": [
            {"session_id": s.session_id, "type": s.session_type.value, "user_id": s.user_id}
            for s in sessions
        ]
    }
    path = Path(args.sessions_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(listing, indent=2) + "\n", encoding="utf-8")
    print(f"seeded {len(sessions)} sessions into {args.database_url}; listed in {path}")
    return 0


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] = os.environ) -> int:
    args = build_parser(env).parse_args(argv)
    if args.command == "seed":
        return seed(args, env)
    serve(settings_from_arguments(args, env))
    return 0


if __name__ == "__main__":
    sys.exit(main())
