"""JWT mode over HTTP: the token's user replaces `user_id`, scopes gate the rename, bad tokens 401.

In-process (ASGI transport) for every key kind, then the real console script and uvicorn process
configured through the environment as an AgentOS deployment would be.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.session import StoredSession
from harness.conformance_command import conformance_command
from server.app import create_app
from server.cli import build_parser, settings_from_arguments
from server.settings import Settings
from store.memory import MemoryStore
from tests.conftest import FIXED_NOW, TABLE, TOKEN
from tests.factories import make_session
from tests.jwt_tokens import (
    ADMIN,
    WRITE,
    SigningKey,
    claims,
    ec_key,
    hmac_key,
    key_confusion_token,
    rsa_key,
    unsigned_token,
    write_jwks,
)
from tests.server_process import running_server, seed

JSON = "application/json"
INVALID_TOKEN = 'Bearer error="invalid_token"'
AUDIENCE = "rename-api"


@dataclass(frozen=True)
class JwtSetup:
    settings: Settings
    key: SigningKey

    def token(self, sub: str | None = "alice", scopes: object = (WRITE,), **extra: Any) -> str:
        extra.setdefault("aud", AUDIENCE)
        return self.key.sign(claims(sub, scopes, **extra))


def _static(key: SigningKey, _tmp: Path) -> JwtSetup:
    return JwtSetup(
        Settings(
            jwt_verification_key=key.verification,
            jwt_algorithm=key.algorithm,
            jwt_audience=AUDIENCE,
            validate_responses=True,
        ),
        key,
    )


def _jwks(key: SigningKey, tmp: Path) -> JwtSetup:
    other = rsa_key(3, kid="other")
    path = write_jwks(tmp / "jwks.json", [other, key])
    settings = Settings(
        jwt_jwks_file=str(path),
        jwt_algorithm=key.algorithm,
        jwt_audience=AUDIENCE,
        validate_responses=True,
    )
    return JwtSetup(settings, key)


SETUPS = {
    "RS256-pem": lambda tmp: _static(rsa_key(), tmp),
    "ES256-pem": lambda tmp: _static(ec_key(), tmp),
    "HS256-secret": lambda tmp: _static(hmac_key(), tmp),
    "RS256-jwks": lambda tmp: _jwks(rsa_key(2, kid="current"), tmp),
    "ES256-jwks": lambda tmp: _jwks(ec_key("ec-current"), tmp),
}


@pytest.fixture(params=sorted(SETUPS))
def jwt_setup(request: pytest.FixtureRequest, tmp_path: Path) -> JwtSetup:
    setup: JwtSetup = SETUPS[request.param](tmp_path)
    return setup


@pytest.fixture
async def jwt_client(
    memory_store: MemoryStore, jwt_setup: JwtSetup
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(memory_store, jwt_setup.settings, clock=lambda: FIXED_NOW)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _seed(store: MemoryStore, user_id: str | None, name: str = "Original") -> StoredSession:
    session = make_session(user_id=user_id, name=name)
    await store.put([session], TABLE)
    return session


async def _rename(
    client: httpx.AsyncClient, session_id: str, token: str, query: str = "", name: str = "New"
) -> httpx.Response:
    return await client.post(
        f"/sessions/{session_id}/rename" + (f"?{query}" if query else ""),
        json={"session_name": name},
        headers={"Authorization": f"Bearer {token}"},
    )


async def _name(store: MemoryStore, session_id: str) -> str | None:
    stored = await store.get(session_id, TABLE)
    assert stored is not None
    return stored.session_name


def _assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSON
    body: dict[str, Any] = response.json()
    assert set(body) == {"detail", "error_code"} and body["error_code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


pytestmark = pytest.mark.anyio


async def test_own_session_200(
    jwt_client: httpx.AsyncClient, jwt_setup: JwtSetup, memory_store: MemoryStore
) -> None:
    session = await _seed(memory_store, "alice")
    response = await _rename(jwt_client, session.session_id, jwt_setup.token("alice"))
    assert response.status_code == 200, response.text
    assert response.json()["session_name"] == "New"
    assert response.json()["user_id"] == "alice"
    assert await _name(memory_store, session.session_id) == "New"


async def test_own_session_200_even_when_user_id_names_someone_else(
    jwt_client: httpx.AsyncClient, jwt_setup: JwtSetup, memory_store: MemoryStore
) -> None:
    """The token's user REPLACES user_id: naming another user changes nothing."""
    session = await _seed(memory_store, "alice")
    token = jwt_setup.token("alice")
    response = await _rename(jwt_client, session.session_id, token, "user_id=bob")
    assert response.status_code == 200, response.text
    assert await _name(memory_store, session.session_id) == "New"


@pytest.mark.parametrize("query", ["", "user_id=bob", "user_id=", "type=agent&user_id=bob"])
async def test_someone_elses_session_is_404_like_a_missing_one(
    jwt_client: httpx.AsyncClient, jwt_setup: JwtSetup, memory_store: MemoryStore, query: str
) -> None:
    bobs = await _seed(memory_store, "bob")
    unowned = await _seed(memory_store, None)
    token = jwt_setup.token("alice")
    for session_id in (bobs.session_id, unowned.session_id, "no-such-session"):
        response = await _rename(jwt_client, session_id, token, query)
        body = _assert_error(response, 404, "NOT_FOUND")
        assert body["detail"] == f"Session with id '{session_id}' not found"
    assert await _name(memory_store, bobs.session_id) == "Original"
    assert await _name(memory_store, unowned.session_id) == "Original"


async def test_admin_acts_for_the_user_named_in_the_query(
    jwt_client: httpx.AsyncClient, jwt_setup: JwtSetup, memory_store: MemoryStore
) -> None:
    bobs = await _seed(memory_store, "bob")
    admin = jwt_setup.token("root", scopes=[ADMIN])
    response = await _rename(jwt_client, bobs.session_id, admin, "user_id=bob", name="By admin")
    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == "bob"
    assert await _name(memory_store, bobs.session_id) == "By admin"
    # Scoped to the named user: naming another user finds nothing.
    response = await _rename(jwt_client, bobs.session_id, admin, "user_id=carol")
    _assert_error(response, 404, "NOT_FOUND")
    # Without user_id an administrator is not scoped at all, as the shared key is not.
    service = jwt_setup.token(None, scopes=ADMIN)
    response = await _rename(jwt_client, bobs.session_id, service, name="By service")
    assert response.status_code == 200, response.text
    assert await _name(memory_store, bobs.session_id) == "By service"


@pytest.mark.parametrize("scopes", [None, [], ["sessions:read"], "agents:run teams:run"])
async def test_valid_token_without_the_scope_is_403(
    jwt_client: httpx.AsyncClient, jwt_setup: JwtSetup, memory_store: MemoryStore, scopes: object
) -> None:
    session = await _seed(memory_store, "alice")
    response = await _rename(jwt_client, session.session_id, jwt_setup.token("alice", scopes))
    body = _assert_error(response, 403, "FORBIDDEN")
    assert body["detail"] == "Insufficient permissions"
    assert "www-authenticate" not in response.headers
    assert await _name(memory_store, session.session_id) == "Original"


def _refused_tokens(setup: JwtSetup) -> dict[str, str]:
    stranger = rsa_key(4) if setup.key.algorithm != "RS256" else rsa_key(5)
    tokens = {
        "expired": setup.token(lifetime=-3600),
        "not-yet-valid": setup.token(nbf=2_000_000_000 * 2),
        "wrong-audience": setup.token(aud="another-api"),
        "no-audience": setup.key.sign(claims("alice")),
        "bad-signature": _flip_signature(setup.token()),
        "other-key": stranger.sign(claims("alice", aud=AUDIENCE)),
        "alg-none": unsigned_token(claims("alice", scopes=[ADMIN], aud=AUDIENCE)),
        "no-user": setup.token(None),
        "garbage": "not.a.jwt",
    }
    if setup.key.algorithm != "HS256":
        tokens["hs256-with-public-key"] = key_confusion_token(
            setup.key.verification, claims("alice", scopes=[ADMIN], aud=AUDIENCE)
        )
    return tokens


def _flip_signature(token: str) -> str:
    head, _, signature = token.rpartition(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{head}.{flipped}"


async def test_invalid_tokens_are_401_with_the_invalid_token_challenge(
    jwt_client: httpx.AsyncClient, jwt_setup: JwtSetup, memory_store: MemoryStore
) -> None:
    session = await _seed(memory_store, "alice")
    for case, token in _refused_tokens(jwt_setup).items():
        response = await _rename(jwt_client, session.session_id, token)
        _assert_error(response, 401, "UNAUTHENTICATED")
        assert response.headers["www-authenticate"] == INVALID_TOKEN, case
    assert await _name(memory_store, session.session_id) == "Original"


async def test_missing_credentials_are_401_with_a_bare_challenge(
    jwt_client: httpx.AsyncClient, memory_store: MemoryStore
) -> None:
    session = await _seed(memory_store, "alice")
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic YTpi"}):
        response = await jwt_client.post(
            f"/sessions/{session.session_id}/rename", json={"session_name": "x"}, headers=headers
        )
        body = _assert_error(response, 401, "UNAUTHENTICATED")
        assert body["detail"] == "Authorization header required"
        assert response.headers["www-authenticate"] == "Bearer"


async def test_the_shared_key_is_not_accepted_in_jwt_mode(memory_store: MemoryStore) -> None:
    key = rsa_key()
    settings = Settings(security_key=TOKEN, jwt_verification_key=key.verification)
    app = create_app(memory_store, settings, clock=lambda: FIXED_NOW)
    session = await _seed(memory_store, "alice")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        refused = await _rename(client, session.session_id, TOKEN)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == INVALID_TOKEN
        accepted = await _rename(client, session.session_id, key.sign(claims("alice")))
        assert accepted.status_code == 200


async def test_static_key_mode_is_unchanged_without_jwt_settings(
    client: httpx.AsyncClient, memory_store: MemoryStore
) -> None:
    """The conftest client: OS_SECURITY_KEY only. user_id scopes as given; JWTs are refused."""
    bobs = await _seed(memory_store, "bob")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    url = f"/sessions/{bobs.session_id}/rename"
    response = await client.post(url, json={"session_name": "Shared"}, headers=auth)
    assert response.status_code == 200
    response = await client.post(f"{url}?user_id=alice", json={"session_name": "x"}, headers=auth)
    assert response.status_code == 404
    jwt_token = rsa_key().sign(claims("bob", scopes=[ADMIN]))
    response = await _rename(client, bobs.session_id, jwt_token)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert await _name(memory_store, bobs.session_id) == "Shared"


def test_cli_reads_agentos_jwt_variables(tmp_path: Path) -> None:
    jwks = write_jwks(tmp_path / "jwks.json", [rsa_key(1, kid="k1")])
    env = {
        "JWT_VERIFICATION_KEY": "pem-text",
        "JWT_JWKS_FILE": str(jwks),
        "JWT_ALGORITHM": "ES256",
        "JWT_AUDIENCE": AUDIENCE,
        "JWT_USER_ID_CLAIM": "uid",
        "JWT_SCOPES_CLAIM": "scp",
    }
    args = build_parser(env).parse_args(["serve"])
    settings = settings_from_arguments(args, env)
    assert settings.jwt_enabled
    assert (settings.jwt_verification_key, settings.jwt_jwks_file) == ("pem-text", str(jwks))
    assert (settings.jwt_algorithm, settings.jwt_audience) == ("ES256", AUDIENCE)
    assert (settings.jwt_user_id_claim, settings.jwt_scopes_claim) == ("uid", "scp")
    assert Settings.from_json(settings.to_json()) == settings
    flags = ["serve", "--jwt-jwks-file", "other.json", "--jwt-algorithm", "RS384"]
    from_flags = settings_from_arguments(build_parser(env).parse_args(flags), env)
    assert (from_flags.jwt_jwks_file, from_flags.jwt_algorithm) == ("other.json", "RS384")
    plain = settings_from_arguments(build_parser({}).parse_args(["serve"]), {})
    assert not plain.jwt_enabled and plain.jwt_algorithm == "RS256"
    assert plain.jwt_user_id_claim == "sub" and plain.jwt_scopes_claim == "scopes"


def test_misconfiguration_fails_at_start() -> None:
    with pytest.raises(ValueError, match="does not fit HS256"):
        create_app(
            MemoryStore(),
            Settings(jwt_verification_key=rsa_key().verification, jwt_algorithm="HS256"),
        )
    with pytest.raises(ValueError, match="unsupported JWT algorithm 'none'"):
        create_app(
            MemoryStore(),
            Settings(jwt_verification_key=hmac_key().verification, jwt_algorithm="none"),
        )


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


# --- the real server process, configured through the environment as AgentOS is ----------------


def _post(
    base_url: str, listed: dict[str, Any], token: str, query: dict[str, str]
) -> httpx.Response:
    return httpx.post(
        f"{base_url}/sessions/{listed['session_id']}/rename",
        params={"type": listed["type"], **query},
        json={"session_name": f"Renamed by {listed['user_id']}"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10.0,
    )


def test_served_process_in_jwt_mode_with_a_jwks_file(tmp_path: Path) -> None:
    signing = ec_key("idp-2026")
    jwks = write_jwks(tmp_path / "jwks.json", [rsa_key(1, kid="idp-2025"), signing])
    url = f"sqlite:///{tmp_path / 'agno.db'}"
    sessions_file = tmp_path / "sessions.json"
    seed(url, sessions_file)
    sessions = json.loads(sessions_file.read_text())["sessions"]
    users = sorted({s["user_id"] for s in sessions})
    assert len(users) == 2
    env = {"JWT_JWKS_FILE": str(jwks), "JWT_ALGORITHM": "ES256", "JWT_AUDIENCE": AUDIENCE}

    sent: list[str] = []

    def token(user: str | None, scopes: object = (WRITE,)) -> str:
        sent.append(signing.sign(claims(user, scopes, aud=AUDIENCE)))
        return sent[-1]

    # running_server also sets OS_SECURITY_KEY: JWT mode must win over it, as in AgentOS.
    with running_server(url, tmp_path, token=TOKEN, env=env) as server:
        for listed in sessions:
            owner = listed["user_id"]
            stranger = next(u for u in users if u != owner)
            own = _post(server.base_url, listed, token(owner), {"user_id": stranger})
            assert own.status_code == 200, own.text
            assert own.json()["user_id"] == owner
            theirs = _post(server.base_url, listed, token(stranger), {"user_id": owner})
            assert theirs.status_code == 404, theirs.text
            admin = _post(server.base_url, listed, token("ops", [ADMIN]), {"user_id": owner})
            assert admin.status_code == 200, admin.text
        shared_key = _post(server.base_url, sessions[0], TOKEN, {})
        assert shared_key.status_code == 401
        assert shared_key.headers["www-authenticate"] == INVALID_TOKEN
        no_scope = _post(server.base_url, sessions[0], token(sessions[0]["user_id"], []), {})
        assert no_scope.status_code == 403
        assert no_scope.json()["error_code"] == "FORBIDDEN"
    # Read once the server has stopped: access lines may be written after the response is sent.
    log = server.log()
    assert "OS_SECURITY_KEY is ignored" in log
    access = [e for e in _json_lines(log) if e.get("logger") == "server.access"]
    assert sorted(e["status"] for e in access if e["path"].startswith("/sessions/")) == sorted(
        [200, 404, 200] * len(sessions) + [401, 403]
    )
    assert sent and not any(sent_token in log for sent_token in sent)


def test_served_process_refuses_to_start_with_a_confusable_key(tmp_path: Path) -> None:
    """HS256 with an RSA public key as the secret: the server does not come up at all."""
    env = {"JWT_VERIFICATION_KEY": rsa_key().verification, "JWT_ALGORITHM": "HS256"}
    url = f"sqlite:///{tmp_path / 'agno.db'}"
    with (
        pytest.raises(RuntimeError, match="does not fit HS256"),
        running_server(url, tmp_path, token=TOKEN, env=env),
    ):
        pass


def test_conformance_suite_passes_in_jwt_mode_with_an_admin_token(tmp_path: Path) -> None:
    """The suite scopes by `user_id` (expects another user's id to be 404), which an admin
    token honours; a per-user token replaces `user_id` with its own user instead."""
    signing = rsa_key(1, kid="idp")
    jwks = write_jwks(tmp_path / "jwks.json", [signing])
    url = f"sqlite:///{tmp_path / 'agno.db'}"
    sessions_file = tmp_path / "sessions.json"
    seed(url, sessions_file)
    admin = signing.sign(claims("conformance-runner", [ADMIN], aud=AUDIENCE, lifetime=1800))
    env = {"JWT_JWKS_FILE": str(jwks), "JWT_AUDIENCE": AUDIENCE}
    with running_server(url, tmp_path, token=TOKEN, env=env) as server:
        run = subprocess.run(
            conformance_command(server.base_url, admin, sessions_file, "--seed", "8"),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Result: CONFORMANT" in run.stdout
    for check in ("auth_required", "known_session_renamed", "user_scoping", "type_scoping"):
        assert re.search(rf"PASS\s+{check}\s+[1-9]\d* passed\s+0 failed", run.stdout), check
