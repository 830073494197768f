"""The one interface every session store backend implements (httpx's Transport, in spirit)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from domain.session import RenameRequest, StoredSession

DEFAULT_SESSION_TABLE = "agno_sessions"
CHECK_TIMEOUT_SECONDS = 2.0
"""How long `check()` waits for a database before calling it unusable."""


@runtime_checkable
class SessionStore(Protocol):
    """Agno session tables in one database.

    `tables` are the session tables this store was opened with; the first is the default. Every
    method's `table` must be one of them: table names come from configuration, never a request.
    """

    @property
    def tables(self) -> tuple[str, ...]: ...

    async def rename(self, request: RenameRequest, table: str) -> StoredSession | None:
        """Atomically set the name and `updated_at` of the session matching id, type and (when
        given) owner; return it as stored afterwards, or None (and write nothing) if none matches.
        Nothing else in the session changes, whatever other writers do meanwhile."""
        ...

    async def get(self, session_id: str, table: str) -> StoredSession | None: ...

    async def put(self, sessions: Iterable[StoredSession], table: str) -> None:
        """Insert or replace whole sessions (seeding and tests; renames never use this)."""
        ...

    async def count(self, table: str) -> int: ...

    async def check(self) -> None:
        """Return when the database can serve renames now (within CHECK_TIMEOUT_SECONDS);
        raise StoreFailure when it cannot. Cheap enough for a readiness probe, writes nothing."""
        ...

    async def close(self) -> None: ...
