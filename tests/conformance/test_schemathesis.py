"""Schemathesis + Hypothesis over the whole operation, through the ASGI app.

Generated cases are pointed at real sessions (with their type and owner) and carry real or broken
credentials, so that they reach every documented status, not only 401 and 404.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from domain.session import SessionType
from server.app import create_app
from server.settings import Settings
from store.memory import MemoryStore
from tests.conftest import TABLE, TOKEN
from tests.factories import make_session

SESSIONS = [make_session(t, user_id=f"owner-{t.value}") for t in SessionType]
STORE = MemoryStore()
asyncio.run(STORE.put(SESSIONS, TABLE))
APP = create_app(STORE, Settings(security_key=TOKEN, validate_responses=True))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
OPERATION = schema["/sessions/{session_id}/rename"]["POST"]
CONFORMANCE_CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

AUTH_VARIANTS = {
    "valid": f"Bearer {TOKEN}",
    "wrong": "Bearer not-the-token",
    "scheme": f"Basic {TOKEN}",
    "missing": None,
}


def _point_at(case: Any, target: int | None, owner: str) -> None:
    """Aim a generated case at a known session (keeping the generated values otherwise)."""
    if target is None:
        return
    session = SESSIONS[target]
    case.path_parameters = {"session_id": session.session_id}
    query = dict(case.query or {})
    if owner == "owner":
        query["user_id"] = session.user_id
    elif owner == "absent":
        query.pop("user_id", None)
    if "type" not in query or owner != "generated":
        query["type"] = session.session_type.value
    for key in ("db_id", "table"):
        if owner != "generated":
            query.pop(key, None)
    case.query = query


def _with_auth(case: Any, auth: str) -> dict[str, str]:
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    value = AUTH_VARIANTS[auth]
    if value is not None:
        headers["Authorization"] = value
    case.headers = headers
    return headers


OBSERVED: Counter[int] = Counter()


def _exercise(case: Any, target: int | None, owner: str, auth: str, name: str | None) -> None:
    _point_at(case, target, owner)
    if name is not None and isinstance(case.body, dict):
        case.body = {**case.body, "session_name": name}
    _with_auth(case, auth)
    response = case.call()
    OBSERVED[response.status_code] += 1
    case.validate_response(response, checks=CONFORMANCE_CHECKS)
    assert response.status_code != 500
    if auth != "valid":
        assert response.status_code == 401


targets = st.one_of(st.none(), st.integers(0, len(SESSIONS) - 1))
owners = st.sampled_from(["owner", "absent", "generated"])
auths = st.sampled_from(list(AUTH_VARIANTS))
# Generated names are mostly empty or full of control characters (-> 400); half of the cases
# get a title a person might type instead, so that the 200 path is exercised as much.
titles = st.one_of(
    st.none(),
    st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=60).filter(
        str.strip
    ),
)
common_settings = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@common_settings
@given(case=OPERATION.as_strategy(), target=targets, owner=owners, auth=auths, name=titles)
def test_positive_cases_conform(
    case: Any, target: int | None, owner: str, auth: str, name: str | None
) -> None:
    _exercise(case, target, owner, auth, name)


@common_settings
@given(case=OPERATION.as_strategy(generation_mode=GenerationMode.NEGATIVE), target=targets)
def test_negative_cases_are_rejected_and_conform(case: Any, target: int | None) -> None:
    # Only the path is aimed at a real session: the generated (invalid) query and body stay, and
    # Schemathesis's negative_data_rejection decides whether they had to be refused.
    if target is not None:
        case.path_parameters = {"session_id": SESSIONS[target].session_id}
    _with_auth(case, "valid")
    response = case.call()
    OBSERVED[response.status_code] += 1
    case.validate_response(response, checks=[*CONFORMANCE_CHECKS, negative_data_rejection])


def test_every_documented_client_status_was_observed() -> None:
    # Runs after the two property tests above (file order); it re-runs them if run alone.
    if not OBSERVED:
        test_positive_cases_conform()
        test_negative_cases_are_rejected_and_conform()
    assert {200, 400, 401, 404, 422} <= set(OBSERVED), OBSERVED
    assert 500 not in OBSERVED
