"""The same tokens, sent to the real AgentOS 2.5.6 (JWT authorization on) and to our server, both
configured with the same JWT_VERIFICATION_KEY and audience, over the same SQLite file.

Tokens an identity provider issues for AgentOS must work unchanged: each case gets the same status
from both servers, except for the two documented extensions tested at the end.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.ports import free_port
from tests.jwt_tokens import ADMIN, WRITE, claims, key_confusion_token, rsa_key, unsigned_token
from tests.server_process import running_process, running_server

OS_ID = "rename-os"
"""The AgentOS id, which AgentOS verifies as the audience; our JWT_AUDIENCE is set to it."""
ROOT = Path(__file__).resolve().parents[2]
ALICE = "alice@example.com"
BOB = "bob@example.com"


@dataclass(frozen=True)
class Deployments:
    agentos: str
    ours: str
    sessions: dict[str, str]
    """user -> the id of one of the user's agent sessions."""


@pytest.fixture(scope="module")
def public_pem() -> str:
    return rsa_key(1).verification


@pytest.fixture(scope="module")
def deployments(tmp_path_factory: pytest.TempPathFactory, public_pem: str) -> Iterator[Deployments]:
    tmp = tmp_path_factory.mktemp("agentos-jwt")
    database, sessions_file = tmp / "agno.db", tmp / "sessions.json"
    port = free_port()
    log_path = tmp / "agentos.log"
    environment = {**os.environ, "JWT_VERIFICATION_KEY": public_pem}
    environment.pop("OS_SECURITY_KEY", None)
    command = [
        sys.executable, "-m", "tests.apps.agentos_jwt_app", "--port", str(port),
        "--db-file", str(database), "--sessions-file", str(sessions_file), "--os-id", OS_ID,
    ]  # fmt: skip
    with running_process(command, log_path, environment, port, cwd=ROOT) as (agentos_url, _):
        listed = json.loads(sessions_file.read_text())["sessions"]
        sessions = {s["user_id"]: s["session_id"] for s in listed if s["type"] == "agent"}
        env = {"JWT_VERIFICATION_KEY": public_pem, "JWT_AUDIENCE": OS_ID}
        with running_server(f"sqlite:///{database}", tmp, token="unused", env=env) as ours:
            yield Deployments(agentos_url, ours.base_url, sessions)


def _statuses(deployments: Deployments, owner: str, token: str, query: str) -> tuple[int, int]:
    """(AgentOS's status, ours) for renaming `owner`'s agent session with `token`."""
    answers = []
    for base_url in (deployments.agentos, deployments.ours):
        response = httpx.post(
            f"{base_url}/sessions/{deployments.sessions[owner]}/rename{query}",
            json={"session_name": "Renamed by a token"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10.0,
        )
        answers.append(response.status_code)
    return answers[0], answers[1]


def _sign(sub: str | None = ALICE, scopes: object = (WRITE,), **extra: Any) -> str:
    extra.setdefault("aud", OS_ID)
    return rsa_key(1).sign(claims(sub, scopes, **extra))


SAME_ANSWER_CASES: dict[str, tuple[str, Callable[[], str], str, int]] = {
    # name: (owner of the session, token, query, status both must give)
    "own session": (ALICE, lambda: _sign(), "", 200),
    "own session, user_id of another user": (ALICE, lambda: _sign(), f"?user_id={BOB}", 200),
    "another user's session": (BOB, lambda: _sign(), "", 404),
    "another user's session, forged user_id": (BOB, lambda: _sign(), f"?user_id={BOB}", 404),
    "scope as one string": (ALICE, lambda: _sign(scopes=WRITE), "", 200),
    "no scopes claim": (ALICE, lambda: _sign(scopes=None), "", 403),
    "another scope only": (ALICE, lambda: _sign(scopes=["sessions:read"]), "", 403),
    "admin renaming its own session": (ALICE, lambda: _sign(ALICE, [ADMIN]), "", 200),
    "expired": (ALICE, lambda: _sign(lifetime=-3600), "", 401),
    "not yet valid": (ALICE, lambda: _sign(nbf=4_000_000_000), "", 401),
    "wrong audience": (ALICE, lambda: _sign(aud="another-os"), "", 401),
    "no audience": (ALICE, lambda: rsa_key(1).sign(claims(ALICE)), "", 401),
    "signed by another key": (ALICE, lambda: rsa_key(2).sign(claims(ALICE, aud=OS_ID)), "", 401),
    "alg none": (ALICE, lambda: unsigned_token(claims(ALICE, [ADMIN], aud=OS_ID)), "", 401),
    "not a JWT": (ALICE, lambda: "definitely-not-a-jwt", "", 401),
}


@pytest.mark.parametrize("case", sorted(SAME_ANSWER_CASES))
def test_agentos_and_we_answer_the_same(deployments: Deployments, case: str) -> None:
    owner, make_token, query, status = SAME_ANSWER_CASES[case]
    assert _statuses(deployments, owner, make_token(), query) == (status, status)


def test_hs256_signed_with_the_public_key_is_refused_by_both(
    deployments: Deployments, public_pem: str
) -> None:
    forged = key_confusion_token(public_pem, claims(ALICE, [ADMIN], aud=OS_ID))
    assert _statuses(deployments, ALICE, forged, "") == (401, 401)


def test_extension_an_admin_acts_for_the_user_named_in_the_query(
    deployments: Deployments,
) -> None:
    """AgentOS replaces user_id with the admin's own `sub` even for admins (404 here); we let
    an `agent_os:admin` token scope by the user_id it names, as the issue asks."""
    admin = _sign("operator", [ADMIN])
    assert _statuses(deployments, BOB, admin, f"?user_id={BOB}") == (404, 200)


def test_extension_scopes_as_a_space_separated_string(deployments: Deployments) -> None:
    """AgentOS reads a string `scopes` claim as ONE scope; we also accept OAuth 2's
    space-separated form, so a token AgentOS accepts is never refused by us."""
    token = _sign(scopes=f"openid {WRITE}")
    assert _statuses(deployments, ALICE, token, "") == (403, 200)


def _sign_without_exp(sub: str = ALICE) -> str:
    values = claims(sub, aud=OS_ID)
    del values["exp"]
    return rsa_key(1).sign(values)


def test_difference_a_token_without_exp_is_refused_unless_allowed(
    deployments: Deployments,
) -> None:
    """AgentOS accepts a token that never expires; we refuse it by default (401), and accept it
    with JWT_ALLOW_NO_EXP=true (tests/server/test_jwt_exp.py)."""
    assert _statuses(deployments, ALICE, _sign_without_exp(), "") == (200, 401)
