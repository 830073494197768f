"""The ceiling app does the same rename as our server (benchmarks/ceiling.py): same store calls,
same 200 body, so the benchmark compares only what surrounds the rename."""

from __future__ import annotations

import httpx
import orjson
import pytest

from benchmarks.ceiling import ceiling_app
from benchmarks.sessions import bench_session, session_id
from server.app import create_app
from server.settings import Settings
from store.base import DEFAULT_SESSION_TABLE
from store.memory import MemoryStore

TOKEN = "ceiling-token"


async def _rename(app: object, number: int, name: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.post(
            f"/sessions/{session_id(number)}/rename",
            json={"session_name": name},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )


@pytest.mark.anyio
async def test_ceiling_answers_the_same_body_as_our_server() -> None:
    ours_store, ceiling_store = MemoryStore(), MemoryStore()
    for store in (ours_store, ceiling_store):
        await store.put([bench_session(n, 3) for n in range(3)], DEFAULT_SESSION_TABLE)
    ours = create_app(ours_store, Settings(security_key=TOKEN, validate_responses=True))
    ceiling = ceiling_app(ceiling_store, TOKEN)

    ours_answer = await _rename(ours, 1, "Résumé 🚀")
    ceiling_answer = await _rename(ceiling, 1, "Résumé 🚀")

    assert ours_answer.status_code == ceiling_answer.status_code == 200
    ours_body, ceiling_body = (
        orjson.loads(ours_answer.content),
        orjson.loads(ceiling_answer.content),
    )
    # updated_at is "now": our app's clock and the ceiling's may fall in different seconds.
    ours_body.pop("updated_at")
    ceiling_body.pop("updated_at")
    assert ceiling_body == ours_body
    assert ours_body["session_name"] == "Résumé 🚀"


@pytest.mark.anyio
async def test_ceiling_refuses_a_wrong_token_and_unknown_sessions() -> None:
    store = MemoryStore()
    await store.put([bench_session(0, 3)], DEFAULT_SESSION_TABLE)
    app = ceiling_app(store, TOKEN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        wrong = await client.post(
            f"/sessions/{session_id(0)}/rename",
            json={"session_name": "x"},
            headers={"Authorization": "Bearer nope"},
        )
    assert wrong.status_code == 401
    assert (await _rename(app, 5, "x")).status_code == 404
    stored = await store.get(session_id(0), DEFAULT_SESSION_TABLE)
    assert stored is not None and stored.session_name == "Unnamed"
