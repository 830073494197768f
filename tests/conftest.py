from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from server.settings import Settings
from store.base import DEFAULT_SESSION_TABLE, SessionStore
from store.memory import MemoryStore
from store.postgres import PostgresStore
from store.sqlite import SqliteStore
from tests.postgres_server import postgres_server, postgres_url, shared_postgres_server

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FIXED_NOW = 1_800_000_000
TABLE = DEFAULT_SESSION_TABLE


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _open_memory(_tmp: Path) -> SessionStore:
    return MemoryStore()


async def _open_sqlite(tmp: Path) -> SessionStore:
    return await SqliteStore.open(tmp / "sessions.db")


async def _open_postgres(_tmp: Path) -> SessionStore:
    # A fresh database per test on the run's throwaway server (see tests/postgres_server.py).
    return await PostgresStore.open(shared_postgres_server().create_database())


STORE_BACKENDS = {"memory": _open_memory, "sqlite": _open_sqlite, "postgres": _open_postgres}
# Fixtures defined in tests/postgres_server.py, made visible to every test module.
__all__ = ["postgres_server", "postgres_url"]


@pytest.fixture(params=sorted(STORE_BACKENDS))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SessionStore]:
    """Every backend, so one contract test suite covers them all."""
    opened = await STORE_BACKENDS[request.param](tmp_path)
    yield opened
    await opened.close()


@pytest.fixture
async def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def settings() -> Settings:
    return Settings(security_key=TOKEN, validate_responses=True)


@pytest.fixture
async def client(memory_store: MemoryStore, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(memory_store, settings, clock=lambda: FIXED_NOW)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
