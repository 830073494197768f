"""Keys generated for the tests and tokens minted with them, as an identity provider would."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm, get_default_algorithms

WRITE = "sessions:write"
ADMIN = "agent_os:admin"


@dataclass(frozen=True)
class SigningKey:
    algorithm: str
    signing: Any
    """What the identity provider signs with: a private key object or the shared secret."""
    verification: str
    """What the server is configured with: a PEM public key or the shared secret."""
    kid: str | None = None

    def sign(self, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        extra = dict(headers or {})
        if self.kid is not None:
            extra.setdefault("kid", self.kid)
        return jwt.encode(claims, self.signing, algorithm=self.algorithm, headers=extra or None)

    def sign_anything(self, header: dict[str, Any], payload: Any) -> str:
        """Signed, but with a header and payload PyJWT's encoder would refuse to produce."""
        algorithm = get_default_algorithms()[self.algorithm]
        signing_input = _segments({"alg": self.algorithm, **header}, payload)
        signature = algorithm.sign(signing_input.encode(), algorithm.prepare_key(self.signing))
        return f"{signing_input}.{_b64(signature)}"

    def public_jwk(self) -> dict[str, Any]:
        public = self.signing.public_key()
        tool = RSAAlgorithm if isinstance(public, rsa.RSAPublicKey) else ECAlgorithm
        jwk: dict[str, Any] = tool.to_jwk(public, as_dict=True)
        jwk.update(use="sig", alg=self.algorithm)
        if self.kid is not None:
            jwk["kid"] = self.kid
        return jwk


def _public_pem(private: Any) -> str:
    pem: bytes = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode()


@functools.cache
def _rsa_private(number: int) -> rsa.RSAPrivateKey:
    del number  # one generated key per number, shared by the whole test run
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def rsa_key(number: int = 1, kid: str | None = None) -> SigningKey:
    private = _rsa_private(number)
    return SigningKey("RS256", private, _public_pem(private), kid)


def ec_key(kid: str | None = None) -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    return SigningKey("ES256", private, _public_pem(private), kid)


def hmac_key() -> SigningKey:
    secret = secrets.token_urlsafe(48)
    return SigningKey("HS256", secret, secret)


def write_jwks(path: Path, keys: Iterable[SigningKey]) -> Path:
    path.write_text(json.dumps({"keys": [key.public_jwk() for key in keys]}), encoding="utf-8")
    return path


def claims(
    sub: str | None = "alice",
    scopes: object = (WRITE,),
    *,
    lifetime: int = 600,
    **extra: Any,
) -> dict[str, Any]:
    now = int(time.time())
    values: dict[str, Any] = {"iat": now, "exp": now + lifetime}
    if sub is not None:
        values["sub"] = sub
    if scopes is not None:
        values["scopes"] = list(scopes) if isinstance(scopes, tuple) else scopes
    values.update(extra)
    return values


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: dict[str, Any], payload: Any) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"


def unsigned_token(payload: dict[str, Any]) -> str:
    """`alg: none`: no signature at all."""
    return _segments({"alg": "none", "typ": "JWT"}, payload) + "."


def key_confusion_token(public_pem: str, payload: dict[str, Any]) -> str:
    """An HS256 token whose HMAC secret is the server's RSA/EC public key: what an attacker who
    knows the (public) key forges against servers that let the token choose the algorithm.
    PyJWT refuses to build it, so the HMAC is computed here."""
    signing_input = _segments({"alg": "HS256", "typ": "JWT"}, payload)
    mac = hmac.new(public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"
