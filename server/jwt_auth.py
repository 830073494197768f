"""HTTP Bearer authentication with JWTs, configured as AgentOS configures its JWT middleware.

The verification key(s) are parsed once, at construction; a request only costs one signature
check. The token's user replaces the `user_id` query parameter (see `handlers.sessions`), so a
caller can rename only its own sessions unless it holds the admin scope.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from jwt.algorithms import get_default_algorithms
from jwt.types import Options

from handlers.sessions import CALLER_ACTS_FOR_ANY_USER, CALLER_BOUND_USER
from server.auth import Forbidden, HasHeaders, Unauthenticated, bearer_token
from server.settings import Settings, option

logger = logging.getLogger("server.jwt_auth")

# AgentOS's names (agno/os/scopes.py, v2.5.6); its defaults are the settings' (server/settings.py).
ADMIN_SCOPE = "agent_os:admin"
RENAME_SCOPE = "sessions:write"
LEEWAY_SECONDS = 10
"""Clock skew tolerated on `exp` / `nbf`, as AgentOS's validator does."""

INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"'
INSUFFICIENT_SCOPE = "Insufficient permissions"

_PRIVATE_KEY_TYPES = (RSAPrivateKey, EllipticCurvePrivateKey, Ed25519PrivateKey, Ed448PrivateKey)
_NO_KID = object()
"""Stands for the one JWKS key without a `kid`, which tokens without a matching kid fall back to."""

# Most specific first: a message a caller can act on; anything else is "Invalid token".
_FAILURE_MESSAGES: tuple[tuple[type[Exception], str], ...] = (
    (jwt.ExpiredSignatureError, "Token has expired"),
    (jwt.ImmatureSignatureError, "Token is not yet valid"),
    (jwt.InvalidAudienceError, "Invalid token audience"),
    (jwt.InvalidSignatureError, "Token signature verification failed"),
    (jwt.InvalidAlgorithmError, "Token algorithm is not allowed"),
)


_NUMERIC_DATE_CLAIMS = ("exp", "nbf", "iat")
"""RFC 7519 section 2: a NumericDate is a JSON number. PyJWT reads them with int(), so it takes
`"exp": "1999999999"` (a string) and `"exp": true` for dates; they are refused here."""


def _require_numeric_dates(claims: Mapping[str, Any]) -> None:
    for name in _NUMERIC_DATE_CLAIMS:
        if name in claims:
            value = claims[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _invalid(f"Token claim {name!r} is not a NumericDate (a JSON number)")


def _invalid(detail: str) -> Unauthenticated:
    return Unauthenticated(detail, challenge=INVALID_TOKEN_CHALLENGE)


def _failure_detail(error: Exception) -> str:
    if isinstance(error, jwt.MissingRequiredClaimError) and error.claim == "aud":
        return "Invalid token audience"
    if isinstance(error, jwt.MissingRequiredClaimError) and error.claim == "exp":
        return "Token has no expiry (exp)"
    for error_class, message in _FAILURE_MESSAGES:
        if isinstance(error, error_class):
            return message
    return "Invalid token"


@dataclass(frozen=True, slots=True)
class JwtOptions:
    verification_key: str | None = None
    """A PEM public key (RS*, PS*, ES*, EdDSA) or the shared secret (HS*)."""
    jwks_file: str | None = None
    """A JWKS JSON file; a token's `kid` header picks the key."""
    algorithm: str = option("jwt_algorithm").default
    audience: str | None = None
    """When set, tokens must carry it in `aud`; when not, `aud` is not checked (as AgentOS)."""
    user_id_claim: str = option("jwt_user_id_claim").default
    scopes_claim: str = option("jwt_scopes_claim").default
    require_exp: bool = True
    """Refuse tokens without `exp`: one leaked would be valid forever. AgentOS accepts them;
    False (`--jwt-allow-no-exp`) does too. An `exp` that is present is always verified."""

    @classmethod
    def from_settings(cls, settings: Settings) -> JwtOptions:
        """Each field is the setting `jwt_<field>`; require_exp is `not jwt_allow_no_exp`."""
        values = {
            f.name: getattr(settings, f"jwt_{f.name}")
            for f in dataclasses.fields(cls)
            if f.name != "require_exp"
        }
        return cls(**values, require_exp=not settings.jwt_allow_no_exp)


def _algorithm(name: str) -> Any:
    algorithms = get_default_algorithms()
    if name.lower() == "none" or name not in algorithms:
        allowed = ", ".join(sorted(a for a in algorithms if a != "none"))
        raise ValueError(f"unsupported JWT algorithm {name!r}; use one of: {allowed}")
    return algorithms[name]


def _checked_key(algorithm: Any, key: Any, origin: str) -> Any:
    """A key fit to verify; refuses private keys and keys too short for the algorithm."""
    if isinstance(key, _PRIVATE_KEY_TYPES):
        raise ValueError(f"{origin} is a private key: configure the public key only")
    weakness = algorithm.check_key_length(key)
    if weakness:
        raise ValueError(f"{origin}: {weakness}")
    return key


def _static_key(algorithm_name: str, text: str) -> Any:
    algorithm = _algorithm(algorithm_name)
    try:
        # For HS* this refuses PEM and SSH public keys: a public key used as an HMAC secret is
        # the algorithm-confusion attack.
        key = algorithm.prepare_key(text)
    except jwt.InvalidKeyError as error:
        raise ValueError(f"JWT_VERIFICATION_KEY does not fit {algorithm_name}: {error}") from None
    return _checked_key(algorithm, key, "JWT_VERIFICATION_KEY")


def _jwks_keys(algorithm_name: str, path: str) -> dict[object, Any]:
    """kid -> key for every key of the file usable with the configured algorithm."""
    algorithm = _algorithm(algorithm_name)
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read JWKS file {path}: {error}") from None
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"JWKS file {path} has no `keys` list")
    keys: dict[object, Any] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if entry.get("alg", algorithm_name) != algorithm_name:
            logger.warning(
                "JWKS key %r is for %s, not %s: skipped", kid, entry["alg"], algorithm_name
            )
            continue
        try:
            key = jwt.PyJWK(entry, algorithm_name).key
        except jwt.PyJWTError as error:
            # An identity provider's JWKS may hold keys of other types; AgentOS skips them too.
            logger.warning("JWKS key %r is not a %s key (%s): skipped", kid, algorithm_name, error)
            continue
        keys[kid if isinstance(kid, str) and kid else _NO_KID] = _checked_key(
            algorithm, key, f"JWKS key {kid!r}"
        )
    if not keys:
        raise ValueError(f"JWKS file {path} has no {algorithm_name} signing key")
    return keys


def _scopes(value: object) -> frozenset[str]:
    """A list of scopes, or one space-separated string of them (OAuth 2's `scope` format)."""
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list):
        return frozenset(item for item in value if isinstance(item, str))
    return frozenset()


class JwtAuthenticator:
    """request -> token info, raising Unauthenticated (bad or missing token) or Forbidden."""

    def __init__(self, options: JwtOptions) -> None:
        if not options.verification_key and not options.jwks_file:
            raise ValueError("JWT mode needs JWT_VERIFICATION_KEY or JWT_JWKS_FILE")
        self._options = options
        self._algorithms = [options.algorithm]
        self._jwks = _jwks_keys(options.algorithm, options.jwks_file) if options.jwks_file else {}
        self._static = (
            _static_key(options.algorithm, options.verification_key)
            if options.verification_key
            else None
        )
        # PyJWT rejects any `aud` when no audience is expected; AgentOS then ignores `aud`.
        self._decode_options: Options = {
            "verify_aud": options.audience is not None,
            "enforce_minimum_key_length": True,
            "require": ["exp"] if options.require_exp else [],
        }

    def __call__(self, request: HasHeaders) -> dict[str, Any]:
        claims = self.verify(bearer_token(request))
        scopes = _scopes(claims.get(self._options.scopes_claim))
        user = claims.get(self._options.user_id_claim)
        user = user if isinstance(user, str) and user else None
        admin = ADMIN_SCOPE in scopes
        if user is None and not admin:
            raise _invalid(f"Token has no {self._options.user_id_claim!r} claim naming its user")
        if not admin and RENAME_SCOPE not in scopes:
            raise Forbidden(INSUFFICIENT_SCOPE)
        return {
            "sub": user,
            "scopes": sorted(scopes),
            CALLER_BOUND_USER: user,
            CALLER_ACTS_FOR_ANY_USER: admin,
        }

    def verify(self, token: str) -> Mapping[str, Any]:
        """The claims of a token signed by a configured key, valid now, for our audience."""
        failure: Exception | None = None
        for key in self._candidate_keys(token):
            try:
                claims: Mapping[str, Any] = jwt.decode(
                    token,
                    key,
                    algorithms=self._algorithms,
                    audience=self._options.audience,
                    leeway=LEEWAY_SECONDS,
                    options=self._decode_options,
                )
            except jwt.InvalidSignatureError as error:
                failure = error  # another configured key may have signed it
                continue
            except jwt.PyJWTError as error:
                # Every way a token can be wrong, malformed included (the Hypothesis tests in
                # tests/server/test_jwt_auth.py look for others): a 401, never a 500.
                raise _invalid(_failure_detail(error)) from error
            _require_numeric_dates(claims)
            return claims
        raise _invalid(_failure_detail(failure) if failure else "Token signed by an unknown key")

    def _candidate_keys(self, token: str) -> Sequence[Any]:
        """The JWKS key named by the token's `kid` (or the one without a kid), then the static
        key: the order AgentOS tries them in."""
        candidates = []
        if self._jwks:
            try:
                kid = jwt.get_unverified_header(token).get("kid")
            except jwt.PyJWTError as error:
                raise _invalid(_failure_detail(error)) from error
            key = self._jwks.get(kid if isinstance(kid, str) else _NO_KID)
            if key is None:
                key = self._jwks.get(_NO_KID)
            if key is not None:
                candidates.append(key)
        if self._static is not None:
            candidates.append(self._static)
        return candidates
