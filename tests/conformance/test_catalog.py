from __future__ import annotations

import pytest

from domain.errors import DatabaseNotFound, DatabaseSelectionRequired, TableNotFound
from store.catalog import Databases
from store.memory import MemoryStore


def test_single_database_defaults() -> None:
    store = MemoryStore(("agno_sessions", "archive_sessions"))
    databases = Databases.single(store, "main")
    assert databases.select(None, None).store is store
    assert databases.select(None, None).table == "agno_sessions"
    assert databases.select("main", None).table == "agno_sessions"
    assert databases.select("main", "archive_sessions").table == "archive_sessions"


def test_unknown_database_and_table_are_not_found() -> None:
    databases = Databases.single(MemoryStore(), "main")
    with pytest.raises(DatabaseNotFound, match="'other'"):
        databases.select("other", None)
    with pytest.raises(TableNotFound, match="agno_memories"):
        databases.select("main", "agno_memories")


def test_ambiguous_selections_are_refused() -> None:
    single = Databases.single(MemoryStore(), "main")
    with pytest.raises(DatabaseSelectionRequired, match="db_id"):
        single.select(None, "agno_sessions")
    several = Databases({"a": MemoryStore(), "b": MemoryStore()})
    with pytest.raises(DatabaseSelectionRequired, match="Several"):
        several.select(None, None)
    assert several.select("b", None).store is several.stores["b"]


def test_needs_a_database() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Databases({})
