"""JWTs without `exp` are refused by default (a leaked one would never expire); the switch
`--jwt-allow-no-exp` / `JWT_ALLOW_NO_EXP=true` accepts them, as AgentOS does. Both against the
real server process, and the authenticator and the configuration on their own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.auth import Unauthenticated
from server.cli import build_parser, settings_from_arguments
from server.jwt_auth import JwtAuthenticator, JwtOptions
from server.settings import Settings
from tests.jwt_tokens import ADMIN, WRITE, claims, hmac_key
from tests.server_process import running_server, seed

INVALID_TOKEN = 'Bearer error="invalid_token"'
NO_EXPIRY = "Token has no expiry (exp)"
KEY = hmac_key()


def _without_exp(sub: str | None = "alice", scopes: object = (WRITE,)) -> str:
    values = claims(sub, scopes)
    del values["exp"]
    return KEY.sign(values)


class _Request:
    def __init__(self, token: str) -> None:
        self.headers = {"authorization": f"Bearer {token}"}


def _authenticator(require_exp: bool) -> JwtAuthenticator:
    options = JwtOptions(
        verification_key=KEY.verification, algorithm=KEY.algorithm, require_exp=require_exp
    )
    return JwtAuthenticator(options)


def test_a_token_without_exp_is_invalid_by_default() -> None:
    with pytest.raises(Unauthenticated) as refused:
        _authenticator(require_exp=True)(_Request(_without_exp()))
    assert str(refused.value) == NO_EXPIRY
    assert refused.value.challenge == INVALID_TOKEN
    assert JwtOptions().require_exp


def test_the_switch_accepts_it_and_still_verifies_an_exp_that_is_there() -> None:
    lenient = _authenticator(require_exp=False)
    assert lenient(_Request(_without_exp()))["sub"] == "alice"
    with pytest.raises(Unauthenticated, match="Token has expired"):
        lenient(_Request(KEY.sign(claims("alice", lifetime=-3600))))


def _settings(arguments: list[str], env: dict[str, str]) -> Settings:
    return settings_from_arguments(build_parser(env).parse_args(["serve", *arguments]), env)


def test_flag_and_environment_variable() -> None:
    assert _settings([], {}).jwt_allow_no_exp is False
    assert _settings(["--jwt-allow-no-exp"], {}).jwt_allow_no_exp is True
    assert _settings([], {"JWT_ALLOW_NO_EXP": "true"}).jwt_allow_no_exp is True
    assert _settings([], {"JWT_ALLOW_NO_EXP": "false"}).jwt_allow_no_exp is False
    with pytest.raises(SystemExit, match="JWT_ALLOW_NO_EXP must be true or false"):
        _settings([], {"JWT_ALLOW_NO_EXP": "maybe"})
    lenient = _settings([], {"JWT_ALLOW_NO_EXP": "1"})
    assert Settings.from_json(lenient.to_json()) == lenient  # reaches the worker processes


def _rename(base_url: str, listed: dict[str, Any], token: str) -> httpx.Response:
    return httpx.post(
        f"{base_url}/sessions/{listed['session_id']}/rename",
        params={"type": listed["type"]},
        json={"session_name": "Renamed without exp"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10.0,
    )


@pytest.mark.parametrize("allow", [False, True], ids=["default", "allow-no-exp"])
def test_served_process(tmp_path: Path, allow: bool) -> None:
    url = f"sqlite:///{tmp_path / 'agno.db'}"
    sessions_file = tmp_path / "sessions.json"
    seed(url, sessions_file)
    listed = json.loads(sessions_file.read_text())["sessions"][0]
    env = {"JWT_VERIFICATION_KEY": KEY.verification, "JWT_ALGORITHM": KEY.algorithm}
    if allow:
        env["JWT_ALLOW_NO_EXP"] = "true"
    with running_server(url, tmp_path, token="unused-shared-key", env=env) as server:
        own = _rename(server.base_url, listed, _without_exp(listed["user_id"]))
        admin = _rename(server.base_url, listed, _without_exp("ops", [ADMIN]))
        with_exp = _rename(server.base_url, listed, KEY.sign(claims(listed["user_id"])))
    assert with_exp.status_code == 200, with_exp.text
    for response in (own, admin):
        if allow:
            assert response.status_code == 200, response.text
            assert response.json()["session_name"] == "Renamed without exp"
        else:
            assert response.status_code == 401, response.text
            assert response.json() == {"detail": NO_EXPIRY, "error_code": "UNAUTHENTICATED"}
            assert response.headers["www-authenticate"] == INVALID_TOKEN


NOT_NUMERIC: list[tuple[str, object]] = [
    ("exp", "1999999999"),  # a string of digits: PyJWT's int() reads it as a date
    ("exp", True),  # int(True) == 1 is in the past; also refused for not being a number
    ("nbf", "0"),
    ("iat", "0"),
    ("nbf", False),
]


def test_a_numeric_date_must_be_a_json_number() -> None:
    """RFC 7519 section 2: NumericDate is a JSON number; a string (or a boolean) is an invalid
    token, and a fractional date is still a number."""
    strict = _authenticator(require_exp=True)
    for name, value in NOT_NUMERIC:
        with pytest.raises(Unauthenticated) as refused:
            strict(_Request(KEY.sign({**claims("alice"), name: value})))
        assert refused.value.challenge == INVALID_TOKEN, (name, value)
    fractional = claims("alice")
    fractional["exp"] += 0.5
    assert strict(_Request(KEY.sign(fractional)))["sub"] == "alice"


def test_served_process_refuses_string_dates(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'agno.db'}"
    sessions_file = tmp_path / "sessions.json"
    seed(url, sessions_file)
    listed = json.loads(sessions_file.read_text())["sessions"][0]
    env = {"JWT_VERIFICATION_KEY": KEY.verification, "JWT_ALGORITHM": KEY.algorithm}
    user = listed["user_id"]
    with running_server(url, tmp_path, token="unused-shared-key", env=env) as server:
        refused = {
            (name, repr(value)): _rename(
                server.base_url, listed, KEY.sign({**claims(user), name: value})
            )
            for name, value in NOT_NUMERIC
        }
        # Leniency about a missing exp is not leniency about its type.
        env_lenient = {**env, "JWT_ALLOW_NO_EXP": "true"}
    with running_server(url, tmp_path, token="unused-shared-key", env=env_lenient) as lenient:
        lenient_string = _rename(lenient.base_url, listed, KEY.sign(claims(user, exp="1999999999")))
        accepted = _rename(lenient.base_url, listed, KEY.sign(claims(user)))
    assert accepted.status_code == 200, accepted.text
    for case, response in [*refused.items(), (("exp lenient", "'1999999999'"), lenient_string)]:
        assert response.status_code == 401, (case, response.text)
        body = response.json()
        assert body["error_code"] == "UNAUTHENTICATED", (case, body)
        assert "NumericDate" in body["detail"] or body["detail"] == "Token has expired", (
            case,
            body,
        )
        assert response.headers["www-authenticate"] == INVALID_TOKEN, case
