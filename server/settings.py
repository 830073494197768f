"""One frozen settings object, built once at start from flags and environment variables."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

DEFAULT_PORT = 7777
DEFAULT_DATABASE_URL = "sqlite:///data/agno.db"
DEFAULT_DB_ID = "default"
DEFAULT_SESSION_TABLE = "agno_sessions"
DEFAULT_MAX_HEAD_BYTES = 64 * 1024
DEFAULT_HEAD_TIMEOUT_SECONDS = 20.0
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    """One database the server may rename in; `tables` are its session tables (first: default)."""

    db_id: str
    url: str
    tables: tuple[str, ...] = (DEFAULT_SESSION_TABLE,)


@dataclass(frozen=True, slots=True)
class Settings:
    databases: tuple[DatabaseConfig, ...] = field(
        default=(DatabaseConfig(DEFAULT_DB_ID, DEFAULT_DATABASE_URL),)
    )
    security_key: str | None = None
    # JWT mode (as AgentOS): on when a verification key or a JWKS file is given; it then takes
    # precedence over security_key.
    jwt_verification_key: str | None = None
    """A PEM public key (RS*/PS*/ES*/EdDSA) or the shared secret (HS*)."""
    jwt_jwks_file: str | None = None
    jwt_algorithm: str = "RS256"
    jwt_audience: str | None = None
    jwt_user_id_claim: str = "sub"
    jwt_scopes_claim: str = "scopes"
    jwt_allow_no_exp: bool = False
    """Accept JWTs without `exp` (AgentOS does); by default they are refused."""
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    workers: int = 1
    log_level: str = "info"
    validate_responses: bool = False
    """Check every answer against the document (on in tests; off by default: it costs time)."""
    # Limits on what a client can make the server hold (server/http_protocol.py, body_limit.py).
    max_head_bytes: int = DEFAULT_MAX_HEAD_BYTES
    """Request line + headers of one request; over it: 431 and the connection closed."""
    head_timeout_seconds: float = DEFAULT_HEAD_TIMEOUT_SECONDS
    """Time for a request's line + headers to arrive; over it: 408 and the connection closed."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """A request body over it: 413, without reading it."""
    metrics: bool = True
    """Serve Prometheus metrics at /metrics (server/metrics.py)."""
    metrics_require_token: bool = True
    """/metrics asks for the same bearer token as the operation."""

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
