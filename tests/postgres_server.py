"""The tests' PostgreSQL: fixtures over harness/postgres.py's throwaway cluster.

No system service is needed: `initdb` makes a cluster in a temporary folder and `pg_ctl` runs it on
a free 127.0.0.1 port (as the `postgres` user when the tests run as root; PostgreSQL refuses root).

API for test modules (import the fixtures into conftest.py, or use the class directly):

- `postgres_server` (session-scoped fixture): the `PostgresServer` shared by the whole run, started
  on first use and stopped at exit.
- `postgres_url` (fixture): the URL of a fresh, empty database on that server, one per test, e.g.
  `postgresql://postgres@127.0.0.1:54321/test_3`.
- `shared_postgres_server()`: the same shared server, for code that is not a fixture.
- `PostgresServer.create()` / `.start()` / `.stop()`: a private server a test may stop and start
  (fault tests), so that stopping it disturbs no other test.

Where PostgreSQL cannot run, tests that need it skip on a developer machine but FAIL when the
environment variable CI is true, so CI can never pass without running them.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator

import pytest

from harness.postgres import PostgresServer, PostgresUnavailable

__all__ = [
    "PostgresServer",
    "in_ci",
    "postgres_server",
    "postgres_url",
    "private_postgres_server",
    "shared_postgres_server",
]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _create() -> PostgresServer:
    """A new server, not started; skips (or, in CI, fails) the calling test if it cannot run."""
    try:
        return PostgresServer.create()
    except PostgresUnavailable as unavailable:
        if in_ci():
            pytest.fail(f"PostgreSQL is required in CI: {unavailable}")
        pytest.skip(str(unavailable))


_shared: PostgresServer | None = None


def shared_postgres_server() -> PostgresServer:
    """The run's shared server, started on first use."""
    global _shared
    if _shared is None:
        server = _create()
        server.start()
        atexit.register(server.destroy)
        _shared = server
    return _shared


def private_postgres_server() -> Iterator[PostgresServer]:
    """A started server of its own, destroyed afterwards (wrap in a fixture)."""
    server = _create()
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    return shared_postgres_server()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    return postgres_server.create_database()
