"""In-process cost per request of an ASGI app (no sockets, no HTTP parsing): for quick profiling
of the application stack alone.

    python -m benchmarks.inprocess [--requests 5000] [--app ours|ceiling] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message

from benchmarks.ceiling import ceiling_app
from benchmarks.sessions import bench_session, session_id
from server.app import create_app
from server.settings import Settings
from store.base import DEFAULT_SESSION_TABLE
from store.memory import MemoryStore

TOKEN = "in-process-token"
ROUNDS = 5


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


async def one_request(app: ASGIApp, number: int) -> int:
    body = orjson.dumps({"session_name": f"Name {number}"})
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/sessions/{session_id(number % 1000)}/rename",
        "raw_path": f"/sessions/{session_id(number % 1000)}/rename".encode(),
        "root_path": "",
        "query_string": b"",
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


async def measure(kind: str, requests: int, profile: bool) -> None:
    store = MemoryStore()
    await store.put((bench_session(n, 3) for n in range(1000)), DEFAULT_SESSION_TABLE)
    app: ASGIApp = (
        ceiling_app(store, TOKEN)
        if kind == "ceiling"
        else create_app(store, Settings(security_key=TOKEN))
    )
    await _lifespan_startup(app)
    for number in range(200):
        assert await one_request(app, number) == 200
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for number in range(requests):
            await one_request(app, number)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        return
    # CPU time, best of several rounds: other processes on the machine disturb wall time.
    rounds = []
    for _ in range(ROUNDS):
        started = time.process_time()
        for number in range(requests):
            await one_request(app, number)
        rounds.append((time.process_time() - started) / requests)
    print(f"{kind}: {1e6 * min(rounds):.1f} us CPU per request (best of {ROUNDS} x {requests})")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.inprocess")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--app", choices=["ours", "ceiling"], default="ours")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    asyncio.run(measure(args.app, args.requests, args.profile))


if __name__ == "__main__":
    main()
