"""The benchmark-driven shortcuts (server/direct_arguments.py, decorate_once.py,
memoized_operation.py, swagger_ui_paths.py, validation.py) answer every request exactly as
Connexion 3.3 as shipped does (`create_reference_app`): same status, headers, body and stored
data, for ordinary and odd requests, with the shared key and with JWT, on the rename operation and
on every other path the app serves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from domain.session import SessionType
from server.app import create_app, create_reference_app
from server.settings import DatabaseConfig, Settings
from store.base import DEFAULT_SESSION_TABLE
from store.catalog import Databases
from store.memory import MemoryStore
from tests.factories import make_session
from tests.jwt_tokens import ADMIN, WRITE, claims, hmac_key

TOKEN = "equivalence-token-0123456789"
NOW = 1_800_000_000
KEY = hmac_key()

# (method, path and query, headers, body)
Request = tuple[str, str, dict[str, str], bytes | None]
JSON = {"content-type": "application/json"}
VALID = b'{"session_name": "New name"}'

PATHS = [
    "/sessions/agent-1/rename",
    "/sessions/agent-1/rename?type=agent",
    "/sessions/team-1/rename?type=team",
    "/sessions/flow-1/rename?type=workflow",
    "/sessions/team-1/rename",  # a team session addressed as agent (the default)
    "/sessions/agent-1/rename?type=agent&type=team",  # repeated: the last one counts
    "/sessions/agent-1/rename?type=team&type=agent",
    "/sessions/agent-1/rename?type=",
    "/sessions/agent-1/rename?type=AGENT",
    "/sessions/agent-1/rename?type=null",
    "/sessions/agent-1/rename?user_id=alice",
    "/sessions/agent-1/rename?user_id=bob",
    "/sessions/agent-1/rename?user_id=null",
    "/sessions/agent-1/rename?user_id=%20None%20",
    "/sessions/agent-1/rename?user_id=",
    "/sessions/agent-1/rename?user_id=bob&user_id=alice",
    "/sessions/agent-1/rename?db_id=default",
    "/sessions/agent-1/rename?db_id=archive",
    "/sessions/agent-1/rename?db_id=nowhere",
    "/sessions/agent-1/rename?db_id=null",
    "/sessions/agent-1/rename?table=agno_sessions",
    "/sessions/agent-1/rename?db_id=default&table=agno_sessions",
    "/sessions/agent-1/rename?db_id=default&table=other",
    "/sessions/agent-1/rename?foo=1&session_id=team-1&body=x&type_=team&token_info=x",
    "/sessions/agent-1/rename?user_id[x]=1",
    "/sessions/missing/rename",
    "/sessions/null/rename",
    "/sessions/caf%C3%A9%20%F0%9F%9A%80/rename",
    "/sessions/a%2Fb/rename",
    "/sessions/agent-1/rename/",
    "/sessions//rename",
]
BODIES: list[tuple[dict[str, str], bytes | None]] = [
    (JSON, VALID),
    ({"content-type": "application/json; charset=utf-8"}, VALID),
    ({"content-type": "Application/JSON"}, VALID),
    ({"content-type": "application/json; charset=latin-1"}, '{"session_name": "café"}'.encode()),
    ({"content-type": "application/json; charset=latin-1"}, b'{"session_name": "caf\xe9"}'),
    ({}, VALID),  # no content type at all
    ({"content-type": "text/plain"}, VALID),
    ({"content-type": "application/x-www-form-urlencoded"}, b"session_name=x"),
    (JSON, b""),
    (JSON, b"null"),
    (JSON, b"[]"),
    (JSON, b'"name"'),
    (JSON, b"{"),
    (JSON, b"{}"),
    (JSON, b'{"session_name": null}'),
    (JSON, b'{"session_name": 5}'),
    (JSON, b'{"session_name": ""}'),
    (JSON, b'{"session_name": "   "}'),
    (JSON, b'{"session_name": "tab\\there"}'),
    (JSON, b'{"session_name": "\\ud800"}'),
    (JSON, ('{"session_name": "' + "x" * 300 + '"}').encode()),
    (JSON, b'{"session_name": "a", "session_name": "b"}'),
    (JSON, b'{"session_name": "a", "extra": [1, {"b": null}]}'),
    (JSON, b'{"session_name": "a", "n": NaN}'),
    (JSON, b'{"session_name": "\xff"}'),
    (JSON, '{"session_name": "Résumé 旅行 🚀"}'.encode()),
]


def _corpus() -> list[Request]:
    auth = {"authorization": f"Bearer {TOKEN}"}
    requests: list[Request] = [("POST", path, {**auth, **JSON}, VALID) for path in PATHS]
    requests += [("POST", PATHS[0], {**auth, **headers}, body) for headers, body in BODIES]
    requests += [
        ("POST", PATHS[0], JSON, VALID),  # no credentials
        ("POST", PATHS[0], {"authorization": "Bearer wrong", **JSON}, b"{"),
        ("GET", PATHS[0], auth, None),
        ("PUT", PATHS[0], {**auth, **JSON}, VALID),
        ("POST", PATHS[2], {**auth, **JSON}, VALID),  # a second rename of another session
    ]
    # The other paths: Swagger UI and the documents (Connexion's Swagger UI middleware), and
    # whatever is neither.
    for target in (
        "/docs",
        "/docs/",
        "/docs/index.html",
        "/docs/swagger-ui-config.json",
        "/docs/swagger-ui.css",
        "/openapi-3.0.json",
        "/openapi-3.0.json/",
        "/openapi-3.0.yaml",
        "/openapi.json",
        "/health",
        "/nowhere",
        "/sessions/docs/rename",
        "/sessions/agent-1/rename/docs",
    ):
        requests.append(("GET", target, auth, None))
    requests.append(("POST", "/sessions/%2Fdocs/rename", {**auth, **JSON}, VALID))
    return requests


def _sessions() -> list[Any]:
    return [
        make_session(SessionType.AGENT, session_id="agent-1", user_id="alice"),
        make_session(SessionType.TEAM, session_id="team-1", user_id="alice"),
        make_session(SessionType.WORKFLOW, session_id="flow-1", user_id="bob"),
        make_session(SessionType.AGENT, session_id="café 🚀", user_id=None),
        make_session(SessionType.AGENT, session_id="null", user_id="alice"),
    ]


async def _databases(two: bool) -> Databases:
    stores: dict[str, MemoryStore] = {"default": MemoryStore()}
    if two:
        stores["archive"] = MemoryStore()
    for store in stores.values():
        await store.put(_sessions(), DEFAULT_SESSION_TABLE)
    return Databases(stores)


Observed = tuple[int, list[tuple[str, str]], bytes]


async def _run(
    reference: bool, settings: Settings, two_databases: bool, requests: list[Request]
) -> tuple[list[Observed], list[Any]]:
    databases = await _databases(two_databases)
    build = create_reference_app if reference else create_app
    app = build(databases, settings, clock=lambda: NOW)
    answers: list[Observed] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for method, target, headers, body in requests:
            response = await client.request(method, target, headers=headers, content=body)
            kept = [(k, v) for k, v in response.headers.items() if k != "x-request-id"]
            answers.append((response.status_code, kept, response.content))
    # What a rename may change; the rest of each session comes from the same factory call.
    stored = []
    for store in databases.stores.values():
        for session in _sessions():
            found = await store.get(session.session_id, DEFAULT_SESSION_TABLE)
            assert found is not None
            stored.append((found.session_id, found.session_data, found.updated_at))
    return answers, stored


def _settings(mode: str, validate: bool) -> Settings:
    two = mode == "two-databases"
    databases: tuple[DatabaseConfig, ...] = (DatabaseConfig("default", "memory://"),)
    if two:
        databases += (DatabaseConfig("archive", "memory://"),)
    if mode.startswith("jwt"):
        return Settings(
            databases=databases,
            jwt_verification_key=KEY.verification,
            jwt_algorithm="HS256",
            validate_responses=validate,
        )
    return Settings(databases=databases, security_key=TOKEN, validate_responses=validate)


def _jwt_corpus(subject: str | None, scopes: tuple[str, ...]) -> Callable[[], list[Request]]:
    def corpus() -> list[Request]:
        token = KEY.sign(claims(sub=subject, scopes=scopes))
        return [
            (method, target, {**headers, "authorization": f"Bearer {token}"}, body)
            if "authorization" in headers and headers["authorization"] == f"Bearer {TOKEN}"
            else (method, target, headers, body)
            for method, target, headers, body in _corpus()
        ]

    return corpus


CORPORA: dict[str, Callable[[], list[Request]]] = {
    "shared-key": _corpus,
    "two-databases": _corpus,
    "jwt-user": _jwt_corpus("alice", (WRITE,)),
    "jwt-admin": _jwt_corpus(None, (WRITE, ADMIN)),
}


@pytest.mark.anyio
@pytest.mark.parametrize("validate", [False, True], ids=["production", "validated"])
@pytest.mark.parametrize("mode", sorted(CORPORA))
async def test_shortcuts_answer_exactly_as_the_reference_app(mode: str, validate: bool) -> None:
    requests = CORPORA[mode]()
    settings = _settings(mode, validate)
    two = mode == "two-databases"
    reference, reference_stored = await _run(True, settings, two, requests)
    direct, direct_stored = await _run(False, settings, two, requests)

    for request, expected, got in zip(requests, reference, direct, strict=True):
        assert got == expected, request
    assert direct_stored == reference_stored
    # The corpus reaches the handler and its outcomes, not just the refusals in front of it.
    statuses = {status for status, _, _ in reference}
    assert {200, 400, 401, 404, 405, 422}.issubset(statuses)
