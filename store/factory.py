"""Open a store from a URL: `memory://`, `sqlite:///relative.db`, `sqlite:////abs.db`,
`postgresql://user:pass@host/db?schema=ai`."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

from store.base import DEFAULT_SESSION_TABLE, SessionStore


async def open_store(url: str, tables: Iterable[str] = (DEFAULT_SESSION_TABLE,)) -> SessionStore:
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    scheme = parts.scheme.lower()
    if scheme == "memory":
        from store.memory import MemoryStore

        return MemoryStore(tables)
    if scheme == "sqlite":
        from store.sqlite import SqliteStore

        # sqlite:///data/x.db -> "data/x.db" (relative); sqlite:////srv/x.db -> "/srv/x.db".
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        if not path:
            raise ValueError(f"sqlite URL needs a file path: {url!r}")
        return await SqliteStore.open(path, tables, synchronous=query.get("synchronous", "NORMAL"))
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        from store.postgres import PostgresStore

        return await PostgresStore.open(url, tables)
    raise ValueError(f"unsupported database URL scheme {parts.scheme!r} in {url!r}")
