"""The whole operation over HTTP (ASGI transport): every documented status, exact bodies."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from domain.errors import StoreFailure
from domain.session import RenameRequest, StoredSession
from server.app import create_app
from server.settings import Settings
from server.spec import load_document
from store.memory import MemoryStore
from tests.conftest import AUTH, FIXED_NOW, TABLE, TOKEN
from tests.factories import make_session

pytestmark = pytest.mark.anyio
JSON = "application/json"


async def _seed(store: MemoryStore, **kwargs: Any) -> StoredSession:
    session = make_session(**kwargs)
    await store.put([session], TABLE)
    return session


def _url(session_id: str, query: str = "") -> str:
    return f"/sessions/{session_id}/rename" + (f"?{query}" if query else "")


def _assert_error(
    response: httpx.Response, status: int, code: str, detail: str | None = None
) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSON
    body = response.json()
    assert set(body) == {"detail", "error_code"}
    assert body["error_code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    if detail is not None:
        assert body["detail"] == detail


async def test_200_returns_the_renamed_session(
    client: httpx.AsyncClient, memory_store: MemoryStore
) -> None:
    session = await _seed(memory_store, user_id="u1")
    response = await client.post(
        _url(session.session_id), json={"session_name": "Trip plans"}, headers=AUTH
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    body = response.json()
    assert body["session_id"] == body["agent_session_id"] == session.session_id
    assert body["session_name"] == "Trip plans"
    assert body["created_at"] == "2025-09-05T16:02:09Z"
    assert body["updated_at"] == "2027-01-15T08:00:00Z"  # FIXED_NOW
    assert [m["role"] for m in body["chat_history"]] == ["user", "assistant", "user", "assistant"]
    stored = await memory_store.get(session.session_id, TABLE)
    assert stored is not None and stored.session_name == "Trip plans"
    assert stored.updated_at == FIXED_NOW and stored.runs == session.runs


@pytest.mark.parametrize("session_type", ["team", "workflow"])
async def test_200_for_team_and_workflow(
    client: httpx.AsyncClient, memory_store: MemoryStore, session_type: str
) -> None:
    from domain.session import SessionType

    session = await _seed(memory_store, session_type=SessionType(session_type))
    response = await client.post(
        _url(session.session_id, f"type={session_type}"), json={"session_name": "N"}, headers=AUTH
    )
    assert response.status_code == 200
    assert response.json()["session_name"] == "N"
    assert "agent_session_id" not in response.json()


@pytest.mark.parametrize("name", ["", "   ", "a" * 256, "two\nlines", "nul\u0000", "esc\u001b[31m"])
async def test_400_invalid_names_store_nothing(
    client: httpx.AsyncClient, memory_store: MemoryStore, name: str
) -> None:
    session = await _seed(memory_store)
    response = await client.post(
        _url(session.session_id), json={"session_name": name}, headers=AUTH
    )
    _assert_error(response, 400, "BAD_REQUEST")
    assert response.json()["detail"].startswith("Invalid session name")
    assert await memory_store.get(session.session_id, TABLE) == session


async def test_400_lone_surrogate_name(
    client: httpx.AsyncClient, memory_store: MemoryStore
) -> None:
    session = await _seed(memory_store)
    response = await client.post(
        _url(session.session_id),
        content=b'{"session_name": "\\ud800"}',
        headers={**AUTH, "content-type": JSON},
    )
    _assert_error(response, 400, "BAD_REQUEST")
    assert await memory_store.get(session.session_id, TABLE) == session


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
    ],
    ids=["none", "bearer-alone", "bearer-space", "basic", "bare-key", "wrong", "longer", "shorter"],
)
async def test_401_without_valid_credentials(
    client: httpx.AsyncClient, memory_store: MemoryStore, headers: dict[str, str]
) -> None:
    session = await _seed(memory_store)
    response = await client.post(
        _url(session.session_id), json={"session_name": "x"}, headers=headers
    )
    _assert_error(response, 401, "UNAUTHENTICATED")
    assert response.headers["www-authenticate"] == "Bearer"
    assert await memory_store.get(session.session_id, TABLE) == session


async def test_401_comes_before_everything_else(
    client: httpx.AsyncClient, memory_store: MemoryStore
) -> None:
    """Without credentials, existing and missing sessions and bad bodies all look the same."""
    session = await _seed(memory_store)
    answers = [
        await client.post(_url(session.session_id), json={"session_name": "x"}),
        await client.post(_url("no-such-session"), json={"session_name": "x"}),
        await client.post(
            _url(session.session_id), content=b"{not json", headers={"content-type": JSON}
        ),
        await client.post(_url(session.session_id, "type=bogus"), json=[]),
        await client.post(_url(session.session_id), json={"session_name": ""}),
    ]
    assert {(a.status_code, a.text) for a in answers} == {(401, answers[0].text)}


async def test_404_unknown_wrong_type_wrong_owner(
    client: httpx.AsyncClient, memory_store: MemoryStore
) -> None:
    session = await _seed(memory_store, user_id="owner")
    cases = [
        _url("does-not-exist"),
        _url(session.session_id, "type=team"),
        _url(session.session_id, "type=workflow"),
        _url(session.session_id, "user_id=intruder"),
        _url(session.session_id, "user_id="),
    ]
    details = set()
    for url in cases:
        response = await client.post(url, json={"session_name": "x"}, headers=AUTH)
        _assert_error(response, 404, "NOT_FOUND")
        details.add(response.json()["detail"].replace("does-not-exist", session.session_id))
    assert details == {f"Session with id '{session.session_id}' not found"}  # indistinguishable
    assert await memory_store.get(session.session_id, TABLE) == session


@pytest.mark.parametrize("text", ["null", "None", "none", "NULL"])
async def test_query_text_null_is_a_value_not_an_absent_parameter(
    client: httpx.AsyncClient, memory_store: MemoryStore, text: str
) -> None:
    session = await _seed(memory_store, user_id="owner")
    response = await client.post(
        _url(session.session_id, f"user_id={text}"), json={"session_name": "x"}, headers=AUTH
    )
    _assert_error(response, 404, "NOT_FOUND")
    response = await client.post(
        _url(session.session_id, f"db_id={text}"), json={"session_name": "x"}, headers=AUTH
    )
    _assert_error(response, 404, "NOT_FOUND", f"No database found with id '{text}'")
    assert await memory_store.get(session.session_id, TABLE) == session


async def test_a_body_without_content_type_is_read_as_json(
    client: httpx.AsyncClient, memory_store: MemoryStore
) -> None:
    session = await _seed(memory_store)
    response = await client.post(
        _url(session.session_id), content=b'{"session_name": "No header"}', headers=AUTH
    )
    assert "content-type" not in response.request.headers
    assert response.status_code == 200 and response.json()["session_name"] == "No header"
    response = await client.post(_url(session.session_id), content=b"{not json", headers=AUTH)
    _assert_error(response, 422, "VALIDATION_ERROR")


async def test_404_unknown_database_or_table(
    client: httpx.AsyncClient, memory_store: MemoryStore
) -> None:
    session = await _seed(memory_store)
    response = await client.post(
        _url(session.session_id, "db_id=elsewhere"), json={"session_name": "x"}, headers=AUTH
    )
    _assert_error(response, 404, "NOT_FOUND", "No database found with id 'elsewhere'")
    response = await client.post(
        _url(session.session_id, "db_id=default&table=agno_memories"),
        json={"session_name": "x"},
        headers=AUTH,
    )
    _assert_error(
        response, 404, "NOT_FOUND", "No database with id 'default' has table 'agno_memories'"
    )
    response = await client.post(
        _url(session.session_id, "db_id=default&table=agno_sessions"),
        json={"session_name": "ok"},
        headers=AUTH,
    )
    assert response.status_code == 200


async def test_400_table_without_db_id(
    client: httpx.AsyncClient, memory_store: MemoryStore
) -> None:
    session = await _seed(memory_store)
    response = await client.post(
        _url(session.session_id, "table=agno_sessions"), json={"session_name": "x"}, headers=AUTH
    )
    _assert_error(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    ("query", "content", "content_type"),
    [
        ("type=bogus", b'{"session_name": "x"}', JSON),
        ("type=", b'{"session_name": "x"}', JSON),
        ("", b"", JSON),
        ("", b"{not json", JSON),
        ("", b"[]", JSON),
        ("", b'"just a string"', JSON),
        ("", b"null", JSON),
        ("", b"{}", JSON),
        ("", b'{"session_name": 42}', JSON),
        ("", b'{"session_name": null}', JSON),
        ("", b'{"session_name": ["a"]}', JSON),
        ("", b"\xff\xfe\x00", JSON),
        ("", b"session_name=x", "application/x-www-form-urlencoded"),
        ("", b"x", "text/plain"),
    ],
)
async def test_422_malformed_requests(
    client: httpx.AsyncClient,
    memory_store: MemoryStore,
    query: str,
    content: bytes,
    content_type: str,
) -> None:
    session = await _seed(memory_store)
    response = await client.post(
        _url(session.session_id, query),
        content=content,
        headers={**AUTH, "content-type": content_type},
    )
    _assert_error(response, 422, "VALIDATION_ERROR")
    assert "Failed validating" not in response.json()["detail"]  # readable, no schema dump
    assert await memory_store.get(session.session_id, TABLE) == session


class _BrokenStore(MemoryStore):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    async def rename(self, request: RenameRequest, table: str) -> StoredSession | None:
        raise self.error


@pytest.mark.parametrize(
    "error", [StoreFailure("disk I/O error at /secret/path"), RuntimeError("boom secret")]
)
async def test_500_never_leaks_and_is_logged_with_request_id(
    caplog: pytest.LogCaptureFixture, error: Exception
) -> None:
    app = create_app(_BrokenStore(error), Settings(security_key=TOKEN, validate_responses=True))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        with caplog.at_level(logging.ERROR):
            response = await http.post(_url("s"), json={"session_name": "x"}, headers=AUTH)
    _assert_error(response, 500, "INTERNAL_SERVER_ERROR", "Internal server error")
    assert "secret" not in response.text
    request_id = response.headers["x-request-id"]
    records = [r for r in caplog.records if r.name == "server.errors"]
    assert records and request_id in records[0].getMessage()
    assert records[0].exc_info is not None and records[0].exc_info[1] is error


async def test_request_id_is_echoed_when_sane(client: httpx.AsyncClient) -> None:
    response = await client.post(
        _url("x"), json={"session_name": "x"}, headers={"X-Request-ID": "abc-123"}
    )
    assert response.headers["x-request-id"] == "abc-123"
    response = await client.post(
        _url("x"), json={"session_name": "x"}, headers={"X-Request-ID": "bad id\x01"}
    )
    assert (
        response.headers["x-request-id"] != "bad id\x01"
        and len(response.headers["x-request-id"]) == 32
    )


async def test_serves_the_original_document_docs_and_health(client: httpx.AsyncClient) -> None:
    document = await client.get("/openapi.json")
    assert document.status_code == 200 and document.json() == load_document()
    docs = await client.get("/docs/")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    health = await client.get("/health")
    assert health.status_code == 200 and health.json() == {"status": "ok"}


async def test_unknown_routes_and_methods_answer_json(client: httpx.AsyncClient) -> None:
    _assert_error(await client.post("/nope", headers=AUTH), 404, "NOT_FOUND")
    response = await client.get(_url("x"), headers=AUTH)
    _assert_error(response, 405, "METHOD_NOT_ALLOWED")


def test_refuses_to_start_without_authentication() -> None:
    with pytest.raises(ValueError, match="OS_SECURITY_KEY"):
        create_app(MemoryStore(), Settings(security_key=None))
