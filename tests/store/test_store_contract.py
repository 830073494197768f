"""The one contract every store backend must meet (the `store` fixture runs each backend)."""

from __future__ import annotations

import dataclasses

import pytest

from domain.errors import StoreFailure
from domain.session import RenameRequest, SessionType, StoredSession
from store.base import SessionStore
from store.catalog import Databases
from store.memory import MemoryStore
from tests.conftest import TABLE
from tests.factories import CREATED_AT, make_session

pytestmark = pytest.mark.anyio
NOW = CREATED_AT + 1000


def _request(session: StoredSession, **changes: object) -> RenameRequest:
    values: dict[str, object] = {
        "session_id": session.session_id,
        "session_type": session.session_type,
        "new_name": "Renamed",
        "user_id": None,
        "now": NOW,
    }
    values.update(changes)
    return RenameRequest(**values)  # type: ignore[arg-type]


async def test_satisfies_the_protocol(store: SessionStore) -> None:
    assert isinstance(store, SessionStore)
    assert store.tables == (TABLE,)


@pytest.mark.parametrize("session_type", list(SessionType))
async def test_rename_changes_only_the_name_and_updated_at(
    store: SessionStore, session_type: SessionType
) -> None:
    original = make_session(session_type)
    await store.put([original], TABLE)
    renamed = await store.rename(_request(original), TABLE)
    expected = dataclasses.replace(
        original,
        session_data={**(original.session_data or {}), "session_name": "Renamed"},
        updated_at=NOW,
    )
    assert renamed == expected
    assert await store.get(original.session_id, TABLE) == expected


async def test_put_get_round_trip_and_count(store: SessionStore) -> None:
    sessions = [make_session(t) for t in SessionType]
    await store.put(sessions, TABLE)
    assert await store.count(TABLE) == 3
    for session in sessions:
        assert await store.get(session.session_id, TABLE) == session
    assert await store.get("missing", TABLE) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"session_id": "does-not-exist"},
        {"session_type": SessionType.TEAM},
        {"session_type": SessionType.WORKFLOW},
        {"user_id": "someone-else"},
        {"user_id": ""},
    ],
    ids=["unknown-id", "other-type-team", "other-type-workflow", "other-owner", "empty-owner"],
)
async def test_no_match_writes_nothing(store: SessionStore, changes: dict[str, object]) -> None:
    original = make_session(SessionType.AGENT, user_id="owner")
    await store.put([original], TABLE)
    assert await store.rename(_request(original, **changes), TABLE) is None
    assert await store.get(original.session_id, TABLE) == original


async def test_owner_scoped_rename_matches_the_owner(store: SessionStore) -> None:
    original = make_session(user_id="owner")
    await store.put([original], TABLE)
    renamed = await store.rename(_request(original, user_id="owner"), TABLE)
    assert renamed is not None and renamed.session_name == "Renamed"


async def test_updated_at_never_moves_backwards(store: SessionStore) -> None:
    original = make_session(updated_at=NOW + 500)
    await store.put([original], TABLE)
    renamed = await store.rename(_request(original, now=NOW), TABLE)
    assert renamed is not None and renamed.updated_at == NOW + 500


async def test_session_without_data_or_updated_at_gets_both(store: SessionStore) -> None:
    original = make_session(session_data=None, updated_at=None, runs=None, metadata=None)
    await store.put([original], TABLE)
    renamed = await store.rename(_request(original), TABLE)
    assert renamed is not None
    assert renamed.session_data == {"session_name": "Renamed"}
    assert renamed.updated_at == NOW and renamed.runs is None


async def test_unusual_but_valid_names_round_trip(store: SessionStore) -> None:
    original = make_session()
    await store.put([original], TABLE)
    for name in ['quote " and \\ backslash', "日本語 🎉", "$.session_name", "'; DROP TABLE x; --"]:
        renamed = await store.rename(_request(original, new_name=name), TABLE)
        assert renamed is not None and renamed.session_name == name
        stored = await store.get(original.session_id, TABLE)
        assert stored is not None and stored.session_name == name


@pytest.mark.parametrize(
    "changes",
    [{"session_id": "nul\x00id"}, {"user_id": "nul\x00user"}, {"session_id": "\udc80"}],
    ids=["nul-in-id", "nul-in-owner", "surrogate-in-id"],
)
async def test_ids_no_session_can_have_are_simply_not_found(
    store: SessionStore, changes: dict[str, object]
) -> None:
    """Path and query values arrive as any text; none of them may make the store fail (500)."""
    original = make_session(user_id="owner")
    await store.put([original], TABLE)
    assert await store.rename(_request(original, **changes), TABLE) is None
    assert await store.get(str(changes.get("session_id", "x")), TABLE) is None
    assert await store.get(original.session_id, TABLE) == original


async def test_check_passes_on_a_usable_store_and_writes_nothing(store: SessionStore) -> None:
    await store.check()  # an empty table is usable
    original = make_session()
    await store.put([original], TABLE)
    await store.check()
    assert await store.count(TABLE) == 1
    assert await store.get(original.session_id, TABLE) == original


class _Unusable(MemoryStore):
    async def check(self) -> None:
        raise StoreFailure("cannot be reached")


async def test_databases_check_every_store_and_name_each_unusable_one(
    store: SessionStore,
) -> None:
    await Databases({"main": store, "other": MemoryStore()}).check()
    with pytest.raises(StoreFailure) as failure:
        await Databases({"main": store, "down": _Unusable(), "gone": _Unusable()}).check()
    message = str(failure.value)
    assert "database 'down': cannot be reached" in message
    assert "database 'gone': cannot be reached" in message
    assert "'main'" not in message
