"""Which database and table a request's `db_id` / `table` select.

Each configured database has an id and a store; its session tables are the store's `tables`.
Table names are only ever compared with configured names, never placed into SQL from a request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from domain.errors import (
    DatabaseNotFound,
    DatabaseSelectionRequired,
    StoreFailure,
    TableNotFound,
)
from store.base import SessionStore


@dataclass(frozen=True, slots=True)
class Selection:
    store: SessionStore
    table: str


class Databases:
    """The configured databases by id, in configuration order."""

    def __init__(self, stores: Mapping[str, SessionStore]) -> None:
        if not stores:
            raise ValueError("at least one database must be configured")
        self._stores = dict(stores)

    @classmethod
    def single(cls, store: SessionStore, db_id: str = "default") -> Databases:
        return cls({db_id: store})

    @property
    def stores(self) -> Mapping[str, SessionStore]:
        return self._stores

    def select(self, db_id: str | None, table: str | None) -> Selection:
        """The store and table a request addresses (the same rules as AgentOS)."""
        if db_id is None:
            if table is not None:
                raise DatabaseSelectionRequired("`table` can only be given together with `db_id`")
            if len(self._stores) > 1:
                raise DatabaseSelectionRequired(
                    "Several databases are configured: choose one with `db_id`"
                )
            store = next(iter(self._stores.values()))
            return Selection(store, store.tables[0])
        store_or_none = self._stores.get(db_id)
        if store_or_none is None:
            raise DatabaseNotFound(db_id)
        if table is None:
            return Selection(store_or_none, store_or_none.tables[0])
        if table not in store_or_none.tables:
            raise TableNotFound(db_id, table)
        return Selection(store_or_none, table)

    async def check(self) -> None:
        """Every configured database is usable now (readiness); else StoreFailure naming each
        database that is not. The databases are checked at the same time, so this takes at most
        about CHECK_TIMEOUT_SECONDS whatever their number."""
        ids = list(self._stores)
        outcomes = await asyncio.gather(
            *(self._stores[db_id].check() for db_id in ids), return_exceptions=True
        )
        failures = []
        for db_id, outcome in zip(ids, outcomes, strict=True):
            if isinstance(outcome, StoreFailure):
                failures.append(f"database '{db_id}': {outcome}")
            elif isinstance(outcome, BaseException):
                raise outcome
        if failures:
            raise StoreFailure("; ".join(failures))

    async def close(self) -> None:
        for store in self._stores.values():
            await store.close()
