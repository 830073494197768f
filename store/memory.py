"""In-memory backend: for unit tests and throwaway demos. Not shared between processes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from domain.session import RenameRequest, StoredSession
from store.base import DEFAULT_SESSION_TABLE


class MemoryStore:
    def __init__(self, tables: Iterable[str] = (DEFAULT_SESSION_TABLE,)) -> None:
        self._tables = tuple(tables)
        self._rows: dict[str, dict[str, StoredSession]] = {table: {} for table in self._tables}

    @property
    def tables(self) -> tuple[str, ...]:
        return self._tables

    async def rename(self, request: RenameRequest, table: str) -> StoredSession | None:
        # No await between the read and the write: on one event loop this is atomic.
        rows = self._rows[table]
        current = rows.get(request.session_id)
        if current is None or current.session_type is not request.session_type:
            return None
        if request.user_id is not None and current.user_id != request.user_id:
            return None
        renamed = dataclasses.replace(
            current,
            session_data={**(current.session_data or {}), "session_name": request.new_name},
            updated_at=max(request.now, current.updated_at or 0),
        )
        rows[request.session_id] = renamed
        return renamed

    async def get(self, session_id: str, table: str) -> StoredSession | None:
        return self._rows[table].get(session_id)

    async def put(self, sessions: Iterable[StoredSession], table: str) -> None:
        rows = self._rows[table]
        for session in sessions:
            rows[session.session_id] = session

    async def count(self, table: str) -> int:
        return len(self._rows[table])

    async def check(self) -> None:
        return None  # a dict in this process is always usable

    async def close(self) -> None:
        return None
