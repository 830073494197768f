"""The handler as a plain function over the in-memory store (no HTTP)."""

from __future__ import annotations

import pytest

from domain.errors import (
    DatabaseNotFound,
    DatabaseSelectionRequired,
    InvalidSessionName,
    SessionNotFound,
    TableNotFound,
)
from domain.session import SessionType
from handlers.sessions import rename_session
from store.catalog import Databases
from store.memory import MemoryStore
from tests.conftest import TABLE
from tests.factories import make_session

pytestmark = pytest.mark.anyio
NOW = 1_900_000_000


@pytest.fixture
async def setup() -> tuple[Databases, MemoryStore]:
    store = MemoryStore()
    return Databases.single(store, "main"), store


async def test_renames_and_answers_with_the_body_of_the_type(
    setup: tuple[Databases, MemoryStore],
) -> None:
    databases, store = setup
    for session_type in SessionType:
        session = make_session(session_type)
        await store.put([session], TABLE)
        body = await rename_session(
            databases,
            lambda: NOW,
            session.session_id,
            {"session_name": "Fresh"},
            type_=session_type.value,
        )
        assert body["session_id"] == session.session_id
        assert body["session_name"] == "Fresh"
        assert body["updated_at"] == "2030-03-17T17:46:40Z"
        assert ("agent_session_id" in body) is (session_type is SessionType.AGENT)
        assert ("team_id" in body) is (session_type is SessionType.TEAM)
        assert ("workflow_name" in body) is (session_type is SessionType.WORKFLOW)


async def test_invalid_name_is_rejected_before_touching_the_store(
    setup: tuple[Databases, MemoryStore],
) -> None:
    databases, store = setup
    session = make_session()
    await store.put([session], TABLE)
    with pytest.raises(InvalidSessionName):
        await rename_session(databases, lambda: NOW, session.session_id, {"session_name": " "})
    assert await store.get(session.session_id, TABLE) == session


async def test_not_found_cases(setup: tuple[Databases, MemoryStore]) -> None:
    databases, store = setup
    session = make_session(user_id="owner")
    await store.put([session], TABLE)
    body = {"session_name": "x"}
    with pytest.raises(SessionNotFound, match="'nope'"):
        await rename_session(databases, lambda: NOW, "nope", body)
    with pytest.raises(SessionNotFound):
        await rename_session(databases, lambda: NOW, session.session_id, body, type_="team")
    with pytest.raises(SessionNotFound):
        await rename_session(databases, lambda: NOW, session.session_id, body, user_id="intruder")
    with pytest.raises(DatabaseNotFound):
        await rename_session(databases, lambda: NOW, session.session_id, body, db_id="other")
    with pytest.raises(TableNotFound):
        await rename_session(
            databases, lambda: NOW, session.session_id, body, db_id="main", table="agno_memories"
        )
    with pytest.raises(DatabaseSelectionRequired):
        await rename_session(databases, lambda: NOW, session.session_id, body, table=TABLE)
    assert await store.get(session.session_id, TABLE) == session
