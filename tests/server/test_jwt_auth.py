"""server/jwt_auth.py on its own: key loading at start, token checks, scopes, claims."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.requests import Request

from handlers.sessions import CALLER_ACTS_FOR_ANY_USER, CALLER_BOUND_USER
from server.auth import Forbidden, Unauthenticated
from server.jwt_auth import INVALID_TOKEN_CHALLENGE, JwtAuthenticator, JwtOptions
from tests.jwt_tokens import (
    ADMIN,
    WRITE,
    claims,
    ec_key,
    hmac_key,
    key_confusion_token,
    rsa_key,
    unsigned_token,
    write_jwks,
)


def _request(token: str | None = None, header: str | None = None) -> Request:
    value = header if header is not None else (f"Bearer {token}" if token is not None else None)
    headers = [] if value is None else [(b"authorization", value.encode("latin-1"))]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers})


def _refusal(authenticator: JwtAuthenticator, token: str) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as refused:
        authenticator(_request(token))
    return refused.value


# --- configuration, checked once at start ------------------------------------------------------


def test_requires_a_key_or_a_jwks_file() -> None:
    with pytest.raises(ValueError, match="JWT_VERIFICATION_KEY or JWT_JWKS_FILE"):
        JwtAuthenticator(JwtOptions())


@pytest.mark.parametrize("algorithm", ["none", "None", "XS256", ""])
def test_refuses_algorithm_none_and_unknown_algorithms(algorithm: str) -> None:
    with pytest.raises(ValueError, match="unsupported JWT algorithm"):
        JwtAuthenticator(JwtOptions(verification_key=hmac_key().verification, algorithm=algorithm))


def test_refuses_a_public_key_as_hmac_secret() -> None:
    """Algorithm confusion, configuration side: HS256 with an RSA public key as the secret."""
    with pytest.raises(ValueError, match="does not fit HS256"):
        JwtAuthenticator(JwtOptions(verification_key=rsa_key().verification, algorithm="HS256"))


def test_refuses_a_key_of_another_family() -> None:
    with pytest.raises(ValueError, match="does not fit ES256"):
        JwtAuthenticator(JwtOptions(verification_key=rsa_key().verification, algorithm="ES256"))
    with pytest.raises(ValueError, match="does not fit RS256"):
        JwtAuthenticator(JwtOptions(verification_key="not a pem key", algorithm="RS256"))


def test_refuses_a_private_key() -> None:
    private_pem = rsa_key().signing.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError, match="private key"):
        JwtAuthenticator(JwtOptions(verification_key=private_pem.decode()))


def test_refuses_a_short_hmac_secret() -> None:
    with pytest.raises(ValueError, match="below the minimum"):
        JwtAuthenticator(JwtOptions(verification_key="short-secret", algorithm="HS256"))


def test_refuses_an_rsa_key_under_2048_bits() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    pem = weak.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ValueError, match="1024 bits"):
        JwtAuthenticator(JwtOptions(verification_key=pem.decode()))


def test_keys_are_loaded_once_at_start(tmp_path: Path) -> None:
    """After start the JWKS file is not read again: per request only the token is checked."""
    key = rsa_key(1, kid="k1")
    path = write_jwks(tmp_path / "jwks.json", [key])
    authenticator = JwtAuthenticator(JwtOptions(jwks_file=str(path)))
    path.unlink()
    assert authenticator(_request(key.sign(claims("alice"))))[CALLER_BOUND_USER] == "alice"


def test_refuses_unreadable_or_empty_jwks_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read JWKS file"):
        JwtAuthenticator(JwtOptions(jwks_file=str(tmp_path / "missing.json")))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot read JWKS file"):
        JwtAuthenticator(JwtOptions(jwks_file=str(broken)))
    no_list = tmp_path / "no-list.json"
    no_list.write_text('{"keys": {}}', encoding="utf-8")
    with pytest.raises(ValueError, match="no `keys` list"):
        JwtAuthenticator(JwtOptions(jwks_file=str(no_list)))
    only_ec = write_jwks(tmp_path / "ec.json", [ec_key("ec-1")])
    with pytest.raises(ValueError, match="no RS256 signing key"):
        JwtAuthenticator(JwtOptions(jwks_file=str(only_ec), algorithm="RS256"))


def test_jwks_keys_of_other_algorithms_or_uses_are_skipped(tmp_path: Path) -> None:
    rsa, ec = rsa_key(1, kid="rsa-1"), ec_key("ec-1")
    encryption = {**rsa_key(2, kid="enc-1").public_jwk(), "use": "enc"}
    path = tmp_path / "jwks.json"
    document = {"keys": [ec.public_jwk(), encryption, {"kty": "nope"}, rsa.public_jwk()]}
    path.write_text(json.dumps(document), encoding="utf-8")
    authenticator = JwtAuthenticator(JwtOptions(jwks_file=str(path)))
    assert authenticator(_request(rsa.sign(claims())))[CALLER_BOUND_USER] == "alice"
    # The encryption key is not a signing key even though its kid is in the file.
    encrypted_kid = rsa_key(2, kid="enc-1").sign(claims())
    assert _refusal(authenticator, encrypted_kid).detail == "Token signed by an unknown key"


# --- what a valid token yields -------------------------------------------------------------------


@pytest.mark.parametrize("make_key", [rsa_key, ec_key, hmac_key], ids=["RS256", "ES256", "HS256"])
def test_a_valid_token_names_its_user(make_key: Any) -> None:
    key = make_key()
    authenticator = JwtAuthenticator(
        JwtOptions(verification_key=key.verification, algorithm=key.algorithm)
    )
    info = authenticator(_request(key.sign(claims("alice"))))
    assert info["sub"] == info[CALLER_BOUND_USER] == "alice"
    assert info[CALLER_ACTS_FOR_ANY_USER] is False
    assert info["scopes"] == [WRITE]


@pytest.mark.parametrize(
    "scopes",
    [
        [WRITE],
        ["agents:read", WRITE],
        WRITE,
        f"agents:read {WRITE}  teams:run",
    ],
    ids=["list", "list-of-two", "one-string", "space-separated"],
)
def test_scopes_as_a_list_or_space_separated_string(scopes: object) -> None:
    key = rsa_key()
    authenticator = JwtAuthenticator(JwtOptions(verification_key=key.verification))
    info = authenticator(_request(key.sign(claims(scopes=scopes))))
    assert WRITE in info["scopes"]


@pytest.mark.parametrize(
    "scopes",
    [None, [], ["sessions:read"], "sessions:read agents:run", 42, [7, None], "sessions:writer"],
    ids=["absent", "empty", "read-only", "string-without", "number", "non-strings", "prefix"],
)
def test_without_the_write_scope_a_valid_token_is_forbidden(scopes: object) -> None:
    key = rsa_key()
    authenticator = JwtAuthenticator(JwtOptions(verification_key=key.verification))
    with pytest.raises(Forbidden, match="Insufficient permissions"):
        authenticator(_request(key.sign(claims(scopes=scopes))))


def test_admin_scope_acts_for_any_user_and_needs_no_user() -> None:
    key = rsa_key()
    authenticator = JwtAuthenticator(JwtOptions(verification_key=key.verification))
    info = authenticator(_request(key.sign(claims("root", scopes=[ADMIN]))))
    assert info[CALLER_ACTS_FOR_ANY_USER] is True and info[CALLER_BOUND_USER] == "root"
    service = authenticator(_request(key.sign(claims(None, scopes=ADMIN))))
    assert service[CALLER_ACTS_FOR_ANY_USER] is True and service[CALLER_BOUND_USER] is None


@pytest.mark.parametrize("user", [None, "", 42, ["alice"]], ids=["absent", "empty", "int", "list"])
def test_a_non_admin_token_without_a_user_is_invalid(user: object) -> None:
    key = rsa_key()
    authenticator = JwtAuthenticator(
        JwtOptions(verification_key=key.verification, user_id_claim="uid")
    )
    payload = claims("a-sub-is-not-the-configured-claim")
    if user is not None:
        payload["uid"] = user
    refused = _refusal(authenticator, key.sign(payload))
    assert refused.challenge == INVALID_TOKEN_CHALLENGE
    assert refused.detail == "Token has no 'uid' claim naming its user"


def test_user_and_scopes_claims_are_configurable() -> None:
    key = rsa_key()
    authenticator = JwtAuthenticator(
        JwtOptions(verification_key=key.verification, user_id_claim="uid", scopes_claim="scp")
    )
    payload = claims("ignored-sub", scopes=None, uid="bob", scp=f"openid {WRITE}")
    info = authenticator(_request(key.sign(payload)))
    assert info[CALLER_BOUND_USER] == "bob"
    with pytest.raises(Forbidden):
        authenticator(_request(key.sign(claims("x", uid="bob"))))  # `scopes`, not `scp`


# --- refused tokens ------------------------------------------------------------------------------


def test_missing_credentials_get_a_plain_bearer_challenge() -> None:
    authenticator = JwtAuthenticator(JwtOptions(verification_key=rsa_key().verification))
    for header in (None, "Bearer", "Basic abc", "token-without-scheme"):
        with pytest.raises(Unauthenticated) as refused:
            authenticator(_request(header=header))
        assert refused.value.challenge == "Bearer"
        assert refused.value.detail == "Authorization header required"


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (claims(lifetime=-60), "Token has expired"),
        (claims(nbf=10**10), "Token is not yet valid"),
        (claims(aud="someone-else"), "Invalid token audience"),
        (claims(aud=["x", "y"]), "Invalid token audience"),
        (claims(), "Invalid token audience"),  # audience configured, `aud` missing
        (claims(exp="tomorrow"), "Invalid token"),
        ({**claims(aud="rename-api"), "sub": 12}, "Invalid token"),
    ],
    ids=["expired", "not-yet-valid", "wrong-aud", "wrong-aud-list", "no-aud", "bad-exp", "int-sub"],
)
def test_claims_that_make_a_token_invalid(payload: dict[str, Any], detail: str) -> None:
    key = rsa_key()
    authenticator = JwtAuthenticator(
        JwtOptions(verification_key=key.verification, audience="rename-api")
    )
    refused = _refusal(authenticator, key.sign(payload))
    assert (refused.detail, refused.challenge) == (detail, INVALID_TOKEN_CHALLENGE)


def test_leeway_of_ten_seconds_as_agentos() -> None:
    key = rsa_key()
    authenticator = JwtAuthenticator(JwtOptions(verification_key=key.verification))
    assert authenticator(_request(key.sign(claims(lifetime=-5))))[CALLER_BOUND_USER] == "alice"
    assert _refusal(authenticator, key.sign(claims(lifetime=-30))).detail == "Token has expired"


def test_audience_is_checked_only_when_configured() -> None:
    key = rsa_key()
    unchecked = JwtAuthenticator(JwtOptions(verification_key=key.verification))
    assert unchecked(_request(key.sign(claims(aud="anything"))))[CALLER_BOUND_USER] == "alice"
    checked = JwtAuthenticator(JwtOptions(verification_key=key.verification, audience="api"))
    assert checked(_request(key.sign(claims(aud=["other", "api"]))))[CALLER_BOUND_USER] == "alice"


def test_signature_by_another_key_is_refused() -> None:
    authenticator = JwtAuthenticator(JwtOptions(verification_key=rsa_key(1).verification))
    refused = _refusal(authenticator, rsa_key(2).sign(claims()))
    assert refused.detail == "Token signature verification failed"
    assert refused.challenge == INVALID_TOKEN_CHALLENGE


def test_tampered_payload_is_refused() -> None:
    key = rsa_key()
    authenticator = JwtAuthenticator(JwtOptions(verification_key=key.verification))
    header, _, signature = key.sign(claims("alice")).split(".")
    forged = base64.urlsafe_b64encode(json.dumps(claims("bob")).encode()).rstrip(b"=").decode()
    refused = _refusal(authenticator, f"{header}.{forged}.{signature}")
    assert refused.detail == "Token signature verification failed"


@pytest.mark.parametrize("make_key", [rsa_key, ec_key, hmac_key], ids=["RS256", "ES256", "HS256"])
def test_alg_none_is_refused(make_key: Any) -> None:
    key = make_key()
    authenticator = JwtAuthenticator(
        JwtOptions(verification_key=key.verification, algorithm=key.algorithm)
    )
    refused = _refusal(authenticator, unsigned_token(claims(scopes=[ADMIN])))
    assert refused.challenge == INVALID_TOKEN_CHALLENGE


@pytest.mark.parametrize("make_key", [rsa_key, ec_key], ids=["RS256", "ES256"])
def test_hs256_signed_with_the_public_key_is_refused(make_key: Any) -> None:
    key = make_key()
    authenticator = JwtAuthenticator(
        JwtOptions(verification_key=key.verification, algorithm=key.algorithm)
    )
    forged = key_confusion_token(key.verification, claims(scopes=[ADMIN]))
    refused = _refusal(authenticator, forged)
    assert (refused.detail, refused.challenge) == (
        "Token algorithm is not allowed",
        INVALID_TOKEN_CHALLENGE,
    )


def test_a_token_of_another_algorithm_family_is_refused() -> None:
    rsa, hs = rsa_key(), hmac_key()
    authenticator = JwtAuthenticator(JwtOptions(verification_key=rsa.verification))
    assert _refusal(authenticator, hs.sign(claims())).detail == "Token algorithm is not allowed"


# --- JWKS: the token's kid picks the key ---------------------------------------------------------


def test_jwks_picks_the_key_by_kid(tmp_path: Path) -> None:
    first, second = rsa_key(1, kid="k1"), rsa_key(2, kid="k2")
    path = write_jwks(tmp_path / "jwks.json", [first, second])
    authenticator = JwtAuthenticator(JwtOptions(jwks_file=str(path)))
    assert authenticator(_request(first.sign(claims("a"))))[CALLER_BOUND_USER] == "a"
    assert authenticator(_request(second.sign(claims("b"))))[CALLER_BOUND_USER] == "b"
    # Signed by the first key but naming the second: the second key does not verify it.
    mislabelled = first.sign(claims(), headers={"kid": "k2"})
    assert _refusal(authenticator, mislabelled).detail == "Token signature verification failed"
    for unknown in ({"kid": "k3"}, {}):
        token = rsa_key(1).sign(claims(), headers=unknown)
        assert _refusal(authenticator, token).detail == "Token signed by an unknown key"
    not_a_string = first.sign_anything({"kid": ["k1"]}, claims())
    assert _refusal(authenticator, not_a_string).challenge == INVALID_TOKEN_CHALLENGE


def test_jwks_key_without_kid_serves_tokens_without_a_known_kid(tmp_path: Path) -> None:
    anonymous, named = rsa_key(1), rsa_key(2, kid="named")
    path = write_jwks(tmp_path / "jwks.json", [anonymous, named])
    authenticator = JwtAuthenticator(JwtOptions(jwks_file=str(path)))
    assert authenticator(_request(anonymous.sign(claims("a"))))[CALLER_BOUND_USER] == "a"
    relabelled = anonymous.sign(claims("a"), headers={"kid": "rotated-away"})
    assert authenticator(_request(relabelled))[CALLER_BOUND_USER] == "a"
    assert authenticator(_request(named.sign(claims("n"))))[CALLER_BOUND_USER] == "n"


def test_jwks_then_the_static_key_as_agentos_tries_them(tmp_path: Path) -> None:
    from_jwks, static = rsa_key(1, kid="k1"), rsa_key(2)
    path = write_jwks(tmp_path / "jwks.json", [from_jwks])
    authenticator = JwtAuthenticator(
        JwtOptions(jwks_file=str(path), verification_key=static.verification)
    )
    assert authenticator(_request(from_jwks.sign(claims("a"))))[CALLER_BOUND_USER] == "a"
    assert authenticator(_request(static.sign(claims("s"))))[CALLER_BOUND_USER] == "s"
    labelled = static.sign(claims("s"), headers={"kid": "k1"})
    assert authenticator(_request(labelled))[CALLER_BOUND_USER] == "s"


def test_hs256_jwks_with_an_oct_key(tmp_path: Path) -> None:
    key = hmac_key()
    secret = base64.urlsafe_b64encode(key.verification.encode()).rstrip(b"=").decode()
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{"kty": "oct", "k": secret, "kid": "s1"}]}), "utf-8")
    authenticator = JwtAuthenticator(JwtOptions(jwks_file=str(path), algorithm="HS256"))
    token = key.sign(claims("h"), headers={"kid": "s1"})
    assert authenticator(_request(token))[CALLER_BOUND_USER] == "h"


# --- malformed input never escapes as anything but Unauthenticated -------------------------------


@pytest.fixture(scope="module")
def verifiers(tmp_path_factory: pytest.TempPathFactory) -> list[JwtAuthenticator]:
    """Every way of holding keys: a static PEM key, a JWKS file (kid lookup), an HMAC secret."""
    jwks = write_jwks(tmp_path_factory.mktemp("jwks") / "jwks.json", [rsa_key(1, kid="k1")])
    return [
        JwtAuthenticator(JwtOptions(verification_key=rsa_key().verification, audience="api")),
        JwtAuthenticator(JwtOptions(jwks_file=str(jwks))),
        JwtAuthenticator(JwtOptions(verification_key=hmac_key().verification, algorithm="HS256")),
    ]


def _b64_json(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
_segments = st.one_of(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=", max_size=40
    ),
    st.binary(max_size=40).map(lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")),
    _json_values.map(_b64_json),
)
_headers = st.fixed_dictionaries(
    {"alg": st.sampled_from(["RS256", "HS256", "none", "ES256", "", "RS512"]) | st.integers()},
    optional={
        "kid": st.none()
        | st.text(max_size=5)
        | st.lists(st.integers(), max_size=2)
        | st.just("k1"),
        "crit": st.lists(st.text(max_size=5), max_size=2) | st.integers(),
        "b64": st.booleans() | st.text(max_size=3),
        "typ": st.integers() | st.text(max_size=3),
    },
).map(_b64_json)
_tokens = st.one_of(
    st.text(max_size=80),
    st.tuples(_segments, _segments, _segments).map(".".join),
    st.tuples(_headers, _segments, _segments).map(".".join),
    st.tuples(_headers, _json_values.map(_b64_json), _segments).map(".".join),
    st.lists(_segments, min_size=1, max_size=6).map(".".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(token=_tokens)
def test_garbage_tokens_are_only_ever_unauthenticated(
    verifiers: list[JwtAuthenticator], token: str
) -> None:
    """A token is attacker input: whatever it holds, the answer is a 401, never a crash."""
    # Header values travel as bytes; the server sees them decoded as latin-1.
    header = "Bearer " + token.encode("utf-8").decode("latin-1")
    for authenticator in verifiers:
        with pytest.raises(Unauthenticated):
            authenticator(_request(header=header))


_claim_values = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=8)
    | st.lists(st.text(max_size=4), max_size=2)
)


@settings(max_examples=200, deadline=None)
@given(
    payload=st.dictionaries(
        st.sampled_from(["sub", "exp", "nbf", "iat", "aud", "scopes", "iss", "jti"]), _claim_values
    )
)
def test_signed_tokens_with_any_claims_never_crash(payload: dict[str, Any]) -> None:
    """Correctly signed, but claims of any type: refused (401/403) or a token info, nothing else."""
    authenticator = _AUDIENCE_CHECKING
    try:
        info = authenticator(_request(_RSA.sign_anything({}, payload)))
    except (Unauthenticated, Forbidden):
        return
    assert isinstance(info[CALLER_BOUND_USER], str | None)
    assert payload.get("aud") == "api" or "api" in (payload.get("aud") or [])


_RSA = rsa_key()
_AUDIENCE_CHECKING = JwtAuthenticator(
    JwtOptions(verification_key=_RSA.verification, audience="api")
)
