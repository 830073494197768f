"""HTTP Bearer authentication with the static `OS_SECURITY_KEY` (as AgentOS does).

Connexion runs this before routing the request to validation or the handler, so an
unauthenticated caller learns nothing about which sessions exist, nor about its body's validity.
"""

from __future__ import annotations

import hmac
from typing import Any, Protocol


class Unauthenticated(Exception):
    """No usable credentials. `challenge` is sent as the WWW-Authenticate header."""

    def __init__(self, detail: str, challenge: str = "Bearer") -> None:
        super().__init__(detail)
        self.detail = detail
        self.challenge = challenge


class Forbidden(Exception):
    """Valid credentials without the right to do this."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class HasHeaders(Protocol):
    @property
    def headers(self) -> Any: ...


MISSING_CREDENTIALS = "Authorization header required"
INVALID_TOKEN = "Invalid authentication token"


def bearer_token(request: HasHeaders) -> str:
    """The token of an `Authorization: Bearer <token>` header, or Unauthenticated."""
    scheme, _, token = (request.headers.get("authorization") or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(MISSING_CREDENTIALS)
    return token


class StaticKeyAuthenticator:
    """Accepts exactly one shared key; the comparison takes the same time wherever it differs."""

    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError("the security key must not be empty")
        self._key = key.encode("utf-8")

    def __call__(self, request: HasHeaders) -> dict[str, Any]:
        token = bearer_token(request)
        # Header values arrive as latin-1 text; their bytes are what the client sent.
        if not hmac.compare_digest(token.encode("latin-1", "replace"), self._key):
            raise Unauthenticated(INVALID_TOKEN)
        return {"sub": None}
