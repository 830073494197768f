"""`agno-rename serve` and `agno-rename seed`. Every flag has an environment variable."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import secrets
import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from domain.session import StoredSession
from server.settings import OPTIONS, Command, DatabaseConfig, Option, Settings, option
from store.base import DEFAULT_SESSION_TABLE

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _env_switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    """An on/off variable whose default is `default`; a value that is neither is an error."""
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SystemExit(f"agno-rename: {name} must be true or false, got {env[name]!r}")


SECRETS_ON_COMMAND_LINE = "secrets_on_command_line"
"""The Namespace attribute listing the secret options given as flags (see _SecretFlag)."""
GENERATED_KEY_FILE = "generated-security-key"
"""Where `serve` writes a key it generated when stdout is not a terminal: next to the sessions
file (data/ by default)."""


class _SecretFlag(argparse.Action):
    """Stores the value and notes that a secret was given on the command line."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        noted = getattr(namespace, SECRETS_ON_COMMAND_LINE, None) or []
        setattr(namespace, SECRETS_ON_COMMAND_LINE, [*noted, self.dest])


def secret_flag_warnings(args: argparse.Namespace) -> list[str]:
    """One warning per secret given as a flag: a command line is readable by every user of the
    machine (`ps`, /proc/<pid>/cmdline), the environment only by the user and root."""
    given = set(getattr(args, SECRETS_ON_COMMAND_LINE, None) or ())
    return [
        f"agno-rename: warning: {entry.flag} on the command line is visible to every user of "
        f"this machine (ps); set {entry.env} in the environment instead"
        for entry in OPTIONS
        if entry.secret and entry.name in given
    ]


class _TakesArguments(Protocol):
    """An argument parser or one of its groups."""

    def add_argument(self, *names: str, **keywords: Any) -> Any: ...


def _help(entry: Option) -> str:
    default = "" if entry.default_text == "none" else f" (default {entry.default_text})"
    if entry.env is None:
        return entry.help + default
    if entry.kind == "append":
        entries = "comma-separated" if entry.separator == "," else "whitespace-separated"
        return f"{entry.help}{default} [env {entry.env}, {entries}]"
    return f"{entry.help}{default} [env {entry.env}]"


def _env_default(entry: Option, env: Mapping[str, str]) -> Any:
    """The option's value when its flag is not given: its variable, else its default. Repeatable
    options are None here: their variables are read with the other flags (_databases)."""
    if entry.kind == "append":
        return None
    if entry.env is None:
        return entry.default
    if entry.kind in ("switch", "flag"):
        if entry.lenient:
            return env.get(entry.env, "").strip().lower() in _TRUE
        return _env_switch(env, entry.env, entry.default)
    raw = env.get(entry.env)
    if raw is None:
        return entry.default
    if entry.kind == "int":
        return int(raw)
    if entry.kind == "float":
        return float(raw)
    return raw


def _add_option(parser: _TakesArguments, entry: Option, env: Mapping[str, str]) -> None:
    keywords: dict[str, Any] = {
        "dest": entry.name,
        "default": _env_default(entry, env),
        "help": _help(entry),
    }
    if entry.metavar:
        keywords["metavar"] = entry.metavar
    if entry.kind == "int":
        keywords["type"] = int
    elif entry.kind == "float":
        keywords["type"] = float
    elif entry.kind == "choice":
        keywords["choices"] = list(entry.choices)
    elif entry.kind == "switch":
        keywords["action"] = argparse.BooleanOptionalAction
    elif entry.kind == "flag":
        keywords["action"] = "store_true"
    elif entry.kind == "append":
        keywords["action"] = "append"
    if entry.secret:
        keywords["action"] = _SecretFlag
    parser.add_argument(entry.flag, **keywords)


def _add_options(parser: argparse.ArgumentParser, command: Command, env: Mapping[str, str]) -> None:
    """Every OPTIONS entry of `command`, in its --help group."""
    groups: dict[str, _TakesArguments] = {}
    for entry in OPTIONS:
        if command not in entry.commands:
            continue
        target: _TakesArguments = parser
        if entry.group is not None:
            if entry.group not in groups:
                groups[entry.group] = parser.add_argument_group(entry.group)
            target = groups[entry.group]
        _add_option(target, entry, env)


def _entries(text: str, separator: str | None) -> list[str]:
    return [t.strip() for t in text.split(separator) if t.strip()]


def _tables(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[str, ...]:
    if args.tables:
        return tuple(args.tables)
    tables = option("tables")
    assert tables.env is not None
    configured = _entries(env.get(tables.env, ""), tables.separator)
    return tuple(configured) or tables.default


def _split_entry(entry: str, what: str) -> tuple[str, str]:
    db_id, separator, value = entry.partition("=")
    if not separator or not db_id.strip() or not value.strip():
        raise SystemExit(f"agno-rename: expected {what}, got {entry!r}")
    return db_id.strip(), value.strip()


def _databases(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[DatabaseConfig, ...]:
    """The --db databases (with their --db-tables), or else the one --database-url database.
    --db flags replace DATABASES and DB_TABLES; they do not add to them."""
    databases, db_tables = option("db"), option("db_tables")
    assert databases.env is not None and db_tables.env is not None
    if args.db:
        db_entries, table_entries = args.db, args.db_tables or []
    else:
        db_entries = _entries(env.get(databases.env, ""), databases.separator)
        table_entries = args.db_tables or _entries(env.get(db_tables.env, ""), db_tables.separator)
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


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agno-rename", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve POST /sessions/{session_id}/rename")
    _add_options(serve, "serve", env)
    seed = commands.add_parser("seed", help="add demo sessions (all types, two users)")
    _add_options(seed, "seed", env)
    return parser


def settings_from_arguments(args: argparse.Namespace, env: Mapping[str, str]) -> Settings:
    values: dict[str, Any] = {}
    for entry in OPTIONS:
        if entry.in_settings:
            value = getattr(args, entry.name)
            # An empty variable (OS_SECURITY_KEY=) is no value for an optional setting.
            values[entry.name] = value or None if entry.default is None else value
    return Settings(databases=_databases(args, env), **values)


def _first_listed_session(sessions_file: Path) -> str | None:
    try:
        listed = json.loads(sessions_file.read_text(encoding="utf-8"))["sessions"]
        return str(listed[0]["session_id"])
    except (OSError, ValueError, LookupError, TypeError):
        return None


def startup_banner(
    base_url: str, key: str, session_id: str | None, key_file: Path | None = None
) -> str:
    """What `serve` prints when it generated the key: the key (or, with `key_file`, where it was
    written), Swagger UI and a curl command that works as shown (with a seeded session's id when
    the sessions file lists one)."""
    target = session_id or "<session_id>"
    if key_file is None:
        where = f"generated one for this run:\n\n    OS_SECURITY_KEY={key}\n\n"
        bearer = f"'Authorization: Bearer {key}'"
    else:
        quoted = shlex.quote(str(key_file))
        where = (
            f"generated one for this run and wrote it to {key_file} (readable by this user "
            f"only; stdout is not a terminal, so it is not printed):\n\n"
            f"    export OS_SECURITY_KEY=$(cat {quoted})\n\n"
        )
        bearer = f'"Authorization: Bearer $(cat {quoted})"'
    return (
        f"No OS_SECURITY_KEY configured; {where}"
        f"Swagger UI: {base_url}/docs/\n"
        f"Try:  curl -s -X POST '{base_url}/sessions/{target}/rename' \\\n"
        f"        -H {bearer} -H 'Content-Type: application/json' \\\n"
        f'        -d \'{{"session_name": "My session"}}\'\n'
    )


def write_private_file(path: Path, text: str) -> None:
    """`text` in `path`, readable and writable by this user only (0600), even if the file existed
    with wider permissions: it is created so, and truncated only after its mode is narrowed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(descriptor, 0o600)
        handle.truncate()
        handle.write(text)


def _announce_generated_key(settings: Settings, key: str, sessions_file: Path | None) -> None:
    """A generated key goes to a person at a terminal; anywhere else stdout usually ends in a log
    (systemd, docker, CI), which must not hold a secret: the key goes to a private file."""
    example = _first_listed_session(sessions_file) if sessions_file else None
    base_url = f"http://{settings.host}:{settings.port}"
    key_file = None
    if not sys.stdout.isatty():
        key_file = (sessions_file.parent if sessions_file else Path("data")) / GENERATED_KEY_FILE
        write_private_file(key_file, key + "\n")
    print(startup_banner(base_url, key, example, key_file), flush=True)


def serve(settings: Settings, sessions_file: Path | None = None) -> None:
    from server.metrics_directory import multiprocess_metrics

    # Set before anything imports prometheus_client (it picks its mode then), removed at the end.
    # One worker is one process (uvicorn runs it in-process): its counts stay in its memory,
    # which costs a request a few µs less than writing each count to a shared file.
    shared = settings.metrics and settings.workers > 1
    with multiprocess_metrics() if shared else contextlib.nullcontext():
        _serve(settings, sessions_file)


def _serve(settings: Settings, sessions_file: Path | None) -> None:
    import uvicorn

    from server.asgi import SETTINGS_ENVIRONMENT_VARIABLE
    from server.logs import configure_logging
    from server.uvicorn_options import uvicorn_options

    if not settings.security_key and not settings.jwt_enabled:
        key = secrets.token_urlsafe(24)
        settings = dataclasses.replace(settings, security_key=key)
        _announce_generated_key(settings, key, sessions_file)
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
    for warning in secret_flag_warnings(args):
        print(warning, file=sys.stderr, flush=True)
    if args.command == "seed":
        return seed(args, env)
    sessions_file = option("sessions_file")
    assert sessions_file.env is not None
    serve(
        settings_from_arguments(args, env), Path(env.get(sessions_file.env, sessions_file.default))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
