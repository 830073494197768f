"""Every setting defined once, in OPTIONS (flag, environment variable, default, help), and the
one frozen Settings object built from them at start.

server/cli.py builds its argument parser from OPTIONS; Settings' field defaults are OPTIONS'
defaults; worker processes get Settings as JSON (to_json / from_json). tests/server/test_settings.py
checks Settings and OPTIONS agree and that README.md's configuration tables list exactly the
`serve` options, with their flags, variables and defaults.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from store.base import DEFAULT_SESSION_TABLE

# How an option is given: "text", "int" and "float" take a value; "choice" one of `choices`;
# "switch" is --x / --no-x and its variable must be true or false; "flag" is --x alone (its
# variable: true or false, except when `lenient`: anything but a true word is false); "append"
# is repeatable (its variable is parsed by cli.py, see `separator`).
Kind = Literal["text", "int", "float", "choice", "switch", "flag", "append"]
Command = Literal["serve", "seed"]


@dataclass(frozen=True, slots=True)
class Option:
    name: str
    """The argparse destination; a Settings field unless `in_settings` is False."""
    flag: str
    env: str | None
    default: Any
    help: str
    kind: Kind = "text"
    group: str | None = None
    """The --help section it is listed under."""
    commands: tuple[Command, ...] = ("serve",)
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    in_settings: bool = True
    """False for the database options: cli.py combines them into Settings.databases."""
    separator: str | None = None
    """For "append" options, how the variable separates entries (None: whitespace)."""
    lenient: bool = False
    shown_default: str | None = None
    """How the README and --help write the default, when it is not the value itself."""
    secret: bool = False
    """A secret: given as a flag it is visible to every user of the machine (`ps`), so cli.py
    warns and points to the variable."""

    @property
    def default_text(self) -> str:
        if self.shown_default is not None:
            return self.shown_default
        if self.kind in ("switch", "flag"):
            return "on" if self.default else "off"
        if self.default is None or self.default == ():
            return "none"
        if isinstance(self.default, tuple):
            return ",".join(self.default)
        if isinstance(self.default, float):
            return f"{self.default:g}"
        return str(self.default)


JWT_GROUP = "JWT authentication (on when a key or JWKS file is given)"
LIMITS_GROUP = "limits"
METRICS_GROUP = "Prometheus metrics at GET /metrics"
SEVERAL_DATABASES_GROUP = (
    "several databases (replace --database-url, --db-id and --table when given)"
)

OPTIONS: tuple[Option, ...] = (
    Option("host", "--host", "HOST", "127.0.0.1", "address to listen on"),
    Option("port", "--port", "PORT", 7777, "port (AgentOS's default)", kind="int"),
    Option(
        "database_url",
        "--database-url",
        "DATABASE_URL",
        "sqlite:///data/agno.db",
        "memory://, sqlite:///relative.db, sqlite:////absolute.db or postgresql://...",
        commands=("serve", "seed"),
        in_settings=False,
    ),
    Option(
        "db_id",
        "--db-id",
        "DB_ID",
        "default",
        "the id callers pass as `db_id` for this database",
        commands=("serve", "seed"),
        in_settings=False,
    ),
    Option(
        "tables",
        "--table",
        "SESSION_TABLES",
        (DEFAULT_SESSION_TABLE,),
        "a session table of the database (repeatable; first is the default)",
        kind="append",
        separator=",",
        commands=("serve", "seed"),
        in_settings=False,
    ),
    Option(
        "db",
        "--db",
        "DATABASES",
        (),
        "a database callers select with `db_id=ID` (repeatable; SQLite and PostgreSQL mix)",
        kind="append",
        group=SEVERAL_DATABASES_GROUP,
        metavar="ID=URL",
        in_settings=False,
    ),
    Option(
        "db_tables",
        "--db-tables",
        "DB_TABLES",
        (),
        "the session tables of database ID, first is its default (repeatable)",
        kind="append",
        group=SEVERAL_DATABASES_GROUP,
        metavar="ID=TABLE[,TABLE...]",
        in_settings=False,
        shown_default=DEFAULT_SESSION_TABLE,
    ),
    Option(
        "security_key",
        "--security-key",
        "OS_SECURITY_KEY",
        None,
        "the bearer token callers must send",
        secret=True,
    ),
    # JWT mode (as AgentOS; the first two variables are AgentOS's own, so one deployment's
    # configuration serves both): on when a verification key or a JWKS file is given; it then
    # takes precedence over security_key. The defaults are AgentOS's (agno/os/middleware/jwt.py).
    Option(
        "jwt_verification_key",
        "--jwt-verification-key",
        "JWT_VERIFICATION_KEY",
        None,
        "PEM public key (RS*/PS*/ES*/EdDSA) or shared secret (HS*)",
        group=JWT_GROUP,
        secret=True,
    ),
    Option(
        "jwt_jwks_file",
        "--jwt-jwks-file",
        "JWT_JWKS_FILE",
        None,
        "JWKS JSON file; a token's `kid` picks the key",
        group=JWT_GROUP,
    ),
    Option(
        "jwt_algorithm",
        "--jwt-algorithm",
        "JWT_ALGORITHM",
        "RS256",
        "the one accepted signing algorithm",
        group=JWT_GROUP,
    ),
    Option(
        "jwt_audience",
        "--jwt-audience",
        "JWT_AUDIENCE",
        None,
        "required `aud` value; unchecked when unset",
        group=JWT_GROUP,
    ),
    Option(
        "jwt_user_id_claim",
        "--jwt-user-id-claim",
        "JWT_USER_ID_CLAIM",
        "sub",
        "claim naming the user",
        group=JWT_GROUP,
    ),
    Option(
        "jwt_scopes_claim",
        "--jwt-scopes-claim",
        "JWT_SCOPES_CLAIM",
        "scopes",
        "claim listing the scopes",
        group=JWT_GROUP,
    ),
    Option(
        "jwt_allow_no_exp",
        "--jwt-allow-no-exp",
        "JWT_ALLOW_NO_EXP",
        False,
        "accept tokens without `exp`, as AgentOS does; refused by default",
        kind="flag",
        group=JWT_GROUP,
    ),
    Option("workers", "--workers", "WORKERS", 1, "worker processes", kind="int"),
    Option(
        "log_level",
        "--log-level",
        "LOG_LEVEL",
        "info",
        "how much is logged",
        kind="choice",
        choices=("debug", "info", "warning", "error"),
    ),
    # Limits on what a client can make the server hold (server/http_protocol.py, body_limit.py).
    Option(
        "max_head_bytes",
        "--max-head-bytes",
        "MAX_HEAD_BYTES",
        64 * 1024,
        "request line + headers of one request; over it 431 and the connection closed",
        kind="int",
        group=LIMITS_GROUP,
    ),
    Option(
        "head_timeout_seconds",
        "--head-timeout",
        "HEAD_TIMEOUT_SECONDS",
        20.0,
        "seconds for a request's line + headers to arrive; over it 408 and the connection closed",
        kind="float",
        group=LIMITS_GROUP,
    ),
    Option(
        "max_body_bytes",
        "--max-body-bytes",
        "MAX_BODY_BYTES",
        1024 * 1024,
        "request body; over it 413, unread",
        kind="int",
        group=LIMITS_GROUP,
    ),
    Option(
        "body_timeout_seconds",
        "--body-timeout",
        "BODY_TIMEOUT_SECONDS",
        30.0,
        "seconds for a request's body to arrive after its head (over it 408), and for a client to "
        "take an answer its socket buffers cannot hold (over it the connection is dropped)",
        kind="float",
        group=LIMITS_GROUP,
    ),
    Option(
        "max_connections",
        "--max-connections",
        "MAX_CONNECTIONS",
        1000,
        "open connections per worker; over it a new connection gets 503 and is closed",
        kind="int",
        group=LIMITS_GROUP,
    ),
    Option(
        "validate_responses",
        "--validate-responses",
        "VALIDATE_RESPONSES",
        False,
        "check every answer against the document (on in tests; it costs time)",
        kind="flag",
        lenient=True,
    ),
    Option(
        "metrics",
        "--metrics",
        "METRICS",
        True,
        "serve Prometheus metrics at /metrics (server/metrics.py)",
        kind="switch",
        group=METRICS_GROUP,
    ),
    Option(
        "metrics_require_token",
        "--metrics-require-token",
        "METRICS_REQUIRE_TOKEN",
        True,
        "/metrics needs the same bearer token as the operation",
        kind="switch",
        group=METRICS_GROUP,
    ),
    Option(
        "sessions_file",
        "--sessions-file",
        "SESSIONS_FILE",
        "data/sessions.json",
        "where to write the seeded sessions for the conformance suite",
        commands=("seed",),
        in_settings=False,
    ),
    Option(
        "if_empty",
        "--if-empty",
        None,
        False,
        "seed only when the session table is empty",
        kind="flag",
        commands=("seed",),
        in_settings=False,
    ),
)

_BY_NAME = {option.name: option for option in OPTIONS}
SERVER_ENVIRONMENT_VARIABLES = tuple(
    sorted(o.env for o in OPTIONS if o.env is not None and "serve" in o.commands)
)
"""Every variable `serve` reads (for launchers that must not inherit a developer's settings)."""


def option(name: str) -> Option:
    return _BY_NAME[name]


def _default(name: str) -> Any:
    return _BY_NAME[name].default


# For the modules that enforce the limits (server/http_protocol.py, server/body_limit.py).
DEFAULT_MAX_HEAD_BYTES: int = _default("max_head_bytes")
DEFAULT_HEAD_TIMEOUT_SECONDS: float = _default("head_timeout_seconds")
DEFAULT_MAX_BODY_BYTES: int = _default("max_body_bytes")
DEFAULT_BODY_TIMEOUT_SECONDS: float = _default("body_timeout_seconds")
DEFAULT_MAX_CONNECTIONS: int = _default("max_connections")


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    """One database the server may rename in; `tables` are its session tables (first: default)."""

    db_id: str
    url: str
    tables: tuple[str, ...] = (DEFAULT_SESSION_TABLE,)


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings of one `serve`; each field but `databases` is the OPTIONS entry of its name."""

    databases: tuple[DatabaseConfig, ...] = field(
        default=(DatabaseConfig(_default("db_id"), _default("database_url"), _default("tables")),)
    )
    security_key: str | None = _default("security_key")
    jwt_verification_key: str | None = _default("jwt_verification_key")
    jwt_jwks_file: str | None = _default("jwt_jwks_file")
    jwt_algorithm: str = _default("jwt_algorithm")
    jwt_audience: str | None = _default("jwt_audience")
    jwt_user_id_claim: str = _default("jwt_user_id_claim")
    jwt_scopes_claim: str = _default("jwt_scopes_claim")
    jwt_allow_no_exp: bool = _default("jwt_allow_no_exp")
    host: str = _default("host")
    port: int = _default("port")
    workers: int = _default("workers")
    log_level: str = _default("log_level")
    validate_responses: bool = _default("validate_responses")
    max_head_bytes: int = _default("max_head_bytes")
    head_timeout_seconds: float = _default("head_timeout_seconds")
    max_body_bytes: int = _default("max_body_bytes")
    body_timeout_seconds: float = _default("body_timeout_seconds")
    max_connections: int = _default("max_connections")
    metrics: bool = _default("metrics")
    metrics_require_token: bool = _default("metrics_require_token")

    @property
    def jwt_enabled(self) -> bool:
        return bool(self.jwt_verification_key or self.jwt_jwks_file)

    def to_json(self) -> str:
        """For handing the settings to worker processes (which read them back with from_json)."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Settings:
        raw = json.loads(text)
        databases = tuple(
            DatabaseConfig(d["db_id"], d["url"], tuple(d["tables"])) for d in raw.pop("databases")
        )
        return cls(databases=databases, **raw)
