"""In-process cost per request of an ASGI app (no sockets, no HTTP parsing): for quick profiling
of the application stack alone.

    python -m benchmarks.inprocess [--requests 5000] [--app ours|ceiling] [--data ours|agno]
        [--profile]

`--data agno`: the sessions agno 2.5.6 writes (benchmarks/agno_data.py; 100 of each type, renamed
with ?type=) instead of our seeder's 3-message agent sessions, read into a memory store.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from starlette.types import ASGIApp, Message

from benchmarks.agno_data import TYPES, agno_session_id, write_agno_sqlite
from benchmarks.ceiling import ceiling_app
from benchmarks.sessions import bench_session, session_id
from server.app import create_app
from server.settings import Settings
from store.base import DEFAULT_SESSION_TABLE
from store.memory import MemoryStore
from store.sqlite import SqliteStore

TOKEN = "in-process-token"
ROUNDS = 5
AGNO_PER_TYPE = 100
Target = tuple[str, bytes]  # path, query string


def bench_targets() -> list[Target]:
    return [(f"/sessions/{session_id(n)}/rename", b"") for n in range(1000)]


def agno_targets() -> list[Target]:
    return [
        (f"/sessions/{agno_session_id(t, n)}/rename", f"type={t.value}".encode())
        for n in range(AGNO_PER_TYPE)
        for t in TYPES
    ]


async def agno_memory_store() -> MemoryStore:
    """agno's sessions as agno wrote them to SQLite, read through our SQLite store."""
    memory = MemoryStore()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "agno.db"
        await asyncio.to_thread(write_agno_sqlite, path, AGNO_PER_TYPE)
        sqlite = await SqliteStore.open(path)
        try:
            sessions = [
                await sqlite.get(agno_session_id(t, n), DEFAULT_SESSION_TABLE)
                for n in range(AGNO_PER_TYPE)
                for t in TYPES
            ]
        finally:
            await sqlite.close()
    await memory.put((s for s in sessions if s is not None), DEFAULT_SESSION_TABLE)
    return memory


_BENCH_TARGETS = bench_targets()


async def _lifespan_startup(app: ASGIApp) -> None:
    messages: list[Message] = [{"type": "lifespan.startup"}]
    sent: list[Message] = []

    async def receive() -> Message:
        if messages:
            return messages.pop()
        await asyncio.sleep(3600)
        return {"type": "lifespan.shutdown"}

    async def send(message: Message) -> None:
        sent.append(message)

    task = asyncio.ensure_future(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    )
    for _ in range(100):
        if sent:
            break
        await asyncio.sleep(0.01)
    task.cancel()


async def one_request(app: ASGIApp, number: int, targets: list[Target] | None = None) -> int:
    body = orjson.dumps({"session_name": f"Name {number}"})
    path, query = (targets or _BENCH_TARGETS)[number % len(targets or _BENCH_TARGETS)]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", f"Bearer {TOKEN}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    status = 0
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            await asyncio.sleep(3600)
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def measure(kind: str, requests: int, profile: bool, data: str = "ours") -> None:
    if data == "agno":
        store, targets = await agno_memory_store(), agno_targets()
    else:
        store, targets = MemoryStore(), bench_targets()
        await store.put((bench_session(n, 3) for n in range(1000)), DEFAULT_SESSION_TABLE)
    app: ASGIApp = (
        ceiling_app(store, TOKEN)
        if kind == "ceiling"
        else create_app(store, Settings(security_key=TOKEN))
    )
    await _lifespan_startup(app)
    for number in range(200):
        assert await one_request(app, number, targets) == 200
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for number in range(requests):
            await one_request(app, number, targets)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        return
    # CPU time, best of several rounds: other processes on the machine disturb wall time.
    rounds = []
    for _ in range(ROUNDS):
        started = time.process_time()
        for number in range(requests):
            await one_request(app, number, targets)
        rounds.append((time.process_time() - started) / requests)
    print(
        f"{kind}: {1e6 * min(rounds):.1f} us CPU per request (best of {ROUNDS} x {requests}, "
        f"{data} data)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inprocess")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--app", choices=["ours", "ceiling"], default="ours")
    parser.add_argument("--data", choices=["ours", "agno"], default="ours")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    asyncio.run(measure(args.app, args.requests, args.profile, args.data))


if __name__ == "__main__":
    main()
