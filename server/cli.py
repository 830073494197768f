"""`agno-rename serve` and `agno-rename seed`. Every flag has an environment variable."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
    DEFAULT_HEAD_TIMEOUT_SECONDS,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_HEAD_BYTES,
    DEFAULT_PORT,
    DEFAULT_SESSION_TABLE,
    DatabaseConfig,
    Settings,
)


def _flag_bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _env_switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    """An on/off variable whose default is `default`; a value that is neither is an error."""
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SystemExit(f"agno-rename: {name} must be true or false, got {env[name]!r}")


def _metrics_arguments(parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    group = parser.add_argument_group("Prometheus metrics at GET /metrics")
    group.add_argument(
        "--metrics",
        action=argparse.BooleanOptionalAction,
        default=_env_switch(env, "METRICS", True),
        help="serve /metrics (default on) [env METRICS]",
    )
    group.add_argument(
        "--metrics-require-token",
        action=argparse.BooleanOptionalAction,
        default=_env_switch(env, "METRICS_REQUIRE_TOKEN", True),
        help="/metrics needs the bearer token (default on) [env METRICS_REQUIRE_TOKEN]",
    )


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


def _several_databases_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "several databases (replace --database-url, --db-id and --table when given)"
    )
    group.add_argument(
        "--db",
        action="append",
        metavar="ID=URL",
        help="a database callers select with `db_id=ID` (repeatable; SQLite and PostgreSQL mix) "
        "[env DATABASES, whitespace-separated ID=URL entries]",
    )
    group.add_argument(
        "--db-tables",
        action="append",
        metavar="ID=TABLE[,TABLE...]",
        help=f"the session tables of database ID, first is its default (repeatable; default "
        f"{DEFAULT_SESSION_TABLE}) [env DB_TABLES, whitespace-separated]",
    )


def _split_entry(entry: str, what: str) -> tuple[str, str]:
    db_id, separator, value = entry.partition("=")
    if not separator or not db_id.strip() or not value.strip():
        raise SystemExit(f"agno-rename: expected {what}, got {entry!r}")
    return db_id.strip(), value.strip()


def _databases(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[DatabaseConfig, ...]:
    """The --db databases (with their --db-tables), or else the one --database-url database.
    --db flags replace DATABASES and DB_TABLES; they do not add to them."""
    if args.db:
        db_entries, table_entries = args.db, args.db_tables or []
    else:
        db_entries = env.get("DATABASES", "").split()
        table_entries = args.db_tables or env.get("DB_TABLES", "").split()
    if not db_entries:
        if table_entries:
            raise SystemExit("agno-rename: --db-tables needs --db (or DATABASES)")
        return (DatabaseConfig(args.db_id, args.database_url, _tables(args, env)),)
    urls: dict[str, str] = {}
    for entry in db_entries:
        db_id, url = _split_entry(entry, "--db ID=URL")
        if db_id in urls:
            raise SystemExit(f"agno-rename: database id {db_id!r} is configured twice")
        urls[db_id] = url
    tables: dict[str, tuple[str, ...]] = {}
    for entry in table_entries:
        db_id, names = _split_entry(entry, "--db-tables ID=TABLE[,TABLE...]")
        if db_id not in urls:
            raise SystemExit(f"agno-rename: --db-tables names unknown database id {db_id!r}")
        tables[db_id] = tuple(name.strip() for name in names.split(",") if name.strip())
    return tuple(
        DatabaseConfig(db_id, url, tables.get(db_id) or (DEFAULT_SESSION_TABLE,))
        for db_id, url in urls.items()
    )


def _jwt_arguments(parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    """JWT mode; the first two variables are AgentOS's own, so one deployment's configuration
    serves both."""
    group = parser.add_argument_group("JWT authentication (on when a key or JWKS file is given)")
    group.add_argument(
        "--jwt-verification-key",
        default=env.get("JWT_VERIFICATION_KEY"),
        help="PEM public key (RS*/PS*/ES*/EdDSA) or shared secret (HS*) [env JWT_VERIFICATION_KEY]",
    )
    group.add_argument(
        "--jwt-jwks-file",
        default=env.get("JWT_JWKS_FILE"),
        help="JWKS JSON file; a token's `kid` picks the key [env JWT_JWKS_FILE]",
    )
    group.add_argument(
        "--jwt-algorithm",
        default=env.get("JWT_ALGORITHM", "RS256"),
        help="the one accepted signing algorithm (default RS256) [env JWT_ALGORITHM]",
    )
    group.add_argument(
        "--jwt-audience",
        default=env.get("JWT_AUDIENCE"),
        help="required `aud` value; unchecked when unset [env JWT_AUDIENCE]",
    )
    group.add_argument(
        "--jwt-user-id-claim",
        default=env.get("JWT_USER_ID_CLAIM", "sub"),
        help="claim naming the user (default sub) [env JWT_USER_ID_CLAIM]",
    )
    group.add_argument(
        "--jwt-scopes-claim",
        default=env.get("JWT_SCOPES_CLAIM", "scopes"),
        help="claim listing the scopes (default scopes) [env JWT_SCOPES_CLAIM]",
    )
    group.add_argument(
        "--jwt-allow-no-exp",
        action="store_true",
        default=_env_switch(env, "JWT_ALLOW_NO_EXP", default=False),
        help="accept tokens without `exp`, as AgentOS does; refused by default "
        "[env JWT_ALLOW_NO_EXP]",
    )


def _limit_arguments(parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    """What a client can make the server hold before (and while) it is authenticated."""
    group = parser.add_argument_group("limits")
    group.add_argument(
        "--max-head-bytes",
        type=int,
        default=int(env.get("MAX_HEAD_BYTES", DEFAULT_MAX_HEAD_BYTES)),
        help=f"request line + headers of one request; over it 431 and the connection closed "
        f"(default {DEFAULT_MAX_HEAD_BYTES}) [env MAX_HEAD_BYTES]",
    )
    group.add_argument(
        "--head-timeout",
        type=float,
        default=float(env.get("HEAD_TIMEOUT_SECONDS", DEFAULT_HEAD_TIMEOUT_SECONDS)),
        help=f"seconds for a request's line + headers to arrive; over it 408 and the connection "
        f"closed (default {DEFAULT_HEAD_TIMEOUT_SECONDS:g}) [env HEAD_TIMEOUT_SECONDS]",
    )
    group.add_argument(
        "--max-body-bytes",
        type=int,
        default=int(env.get("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
        help=f"request body; over it 413, unread (default {DEFAULT_MAX_BODY_BYTES}) "
        f"[env MAX_BODY_BYTES]",
    )


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agno-rename", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve POST /sessions/{session_id}/rename")
    serve.add_argument("--host", default=env.get("HOST", "127.0.0.1"), help="[env HOST]")
    serve.add_argument(
        "--port", type=int, default=int(env.get("PORT", DEFAULT_PORT)), help="[env PORT]"
    )
    _database_arguments(serve, env)
    _several_databases_arguments(serve)
    serve.add_argument(
        "--security-key",
        default=env.get("OS_SECURITY_KEY"),
        help="the bearer token callers must send [env OS_SECURITY_KEY]",
    )
    _jwt_arguments(serve, env)
    serve.add_argument(
        "--workers", type=int, default=int(env.get("WORKERS", "1")), help="[env WORKERS]"
    )
    serve.add_argument(
        "--log-level",
        default=env.get("LOG_LEVEL", "info"),
        choices=["debug", "info", "warning", "error"],
        help="[env LOG_LEVEL]",
    )
    _limit_arguments(serve, env)
    serve.add_argument(
        "--validate-responses",
        action="store_true",
        default=_flag_bool(env.get("VALIDATE_RESPONSES", "")),
        help="check every answer against the document [env VALIDATE_RESPONSES]",
    )
    _metrics_arguments(serve, env)

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
        databases=_databases(args, env),
        security_key=args.security_key or None,
        jwt_verification_key=args.jwt_verification_key or None,
        jwt_jwks_file=args.jwt_jwks_file or None,
        jwt_algorithm=args.jwt_algorithm,
        jwt_audience=args.jwt_audience or None,
        jwt_user_id_claim=args.jwt_user_id_claim,
        jwt_scopes_claim=args.jwt_scopes_claim,
        jwt_allow_no_exp=args.jwt_allow_no_exp,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        validate_responses=args.validate_responses,
        max_head_bytes=args.max_head_bytes,
        head_timeout_seconds=args.head_timeout,
        max_body_bytes=args.max_body_bytes,
        metrics=args.metrics,
        metrics_require_token=args.metrics_require_token,
    )


def _first_listed_session(sessions_file: Path) -> str | None:
    try:
        listed = json.loads(sessions_file.read_text(encoding="utf-8"))["sessions"]
        return str(listed[0]["session_id"])
    except (OSError, ValueError, LookupError, TypeError):
        return None


def startup_banner(base_url: str, key: str, session_id: str | None) -> str:
    """What `serve` prints when it generated the key: the key, Swagger UI and a curl command that
    works as shown (with a seeded session's id when the sessions file lists one)."""
    target = session_id or "<session_id>"
    return (
        f"No OS_SECURITY_KEY configured; generated one for this run:\n\n"
        f"    OS_SECURITY_KEY={key}\n\n"
        f"Swagger UI: {base_url}/docs/\n"
        f"Try:  curl -s -X POST '{base_url}/sessions/{target}/rename' \\\n"
        f"        -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\\n"
        f'        -d \'{{"session_name": "My session"}}\'\n'
    )


def serve(settings: Settings, sessions_file: Path | None = None) -> None:
    from server.metrics_directory import multiprocess_metrics

    # Set before anything imports prometheus_client (it picks its mode then), removed at the end.
    with multiprocess_metrics() if settings.metrics else contextlib.nullcontext():
        _serve(settings, sessions_file)


def _serve(settings: Settings, sessions_file: Path | None) -> None:
    import uvicorn

    from server.asgi import SETTINGS_ENVIRONMENT_VARIABLE
    from server.logs import configure_logging
    from server.uvicorn_options import uvicorn_options

    if not settings.security_key and not settings.jwt_enabled:
        key = secrets.token_urlsafe(24)
        settings = dataclasses.replace(settings, security_key=key)
        example = _first_listed_session(sessions_file) if sessions_file else None
        print(startup_banner(f"http://{settings.host}:{settings.port}", key, example), flush=True)
    configure_logging(settings.log_level)
    # Workers (uvicorn's spawned processes) read the settings, secrets included, from the
    # environment, never from their command line (which anyone on the machine can read in `ps`).
    os.environ[SETTINGS_ENVIRONMENT_VARIABLE] = settings.to_json()
    uvicorn.run(**uvicorn_options("server.asgi:app_from_environment", settings))


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
            # session_name: lets `conformance run --restore-names` put the demo names back.
            {
                "session_id": s.session_id,
                "type": s.session_type.value,
                "user_id": s.user_id,
                "session_name": s.session_name,
            }
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
    serve(settings_from_arguments(args, env), Path(env.get("SESSIONS_FILE", "data/sessions.json")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
