"""Swagger UI as a person uses it, in a real headless Chromium against a real server process:
the page renders the rename operation from our OpenAPI 3.1 document, "Authorize" takes the
bearer key, and "Try it out" on a seeded session answers 200 and renames it in the database.
The page must not reach past our server for anything (the test blocks and records such
requests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.browser import headless_chromium
from tests.direct_db import SqliteDirect
from tests.server_process import running_server, seed

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

TOKEN = "swagger-ui-token-31"
NEW_NAME = "Renamed from Swagger UI"
OPERATION = "#operations-Sessions-rename_session"
# Playwright waits for each element up to this long (milliseconds); a generous bound, not a
# timed assertion: on a loaded 2-core machine the 1.5 MB bundle takes a while to start.
STEP_TIMEOUT_MS = 60_000


def _seeded_session(tmp_path: Path) -> tuple[SqliteDirect, dict[str, Any]]:
    database = SqliteDirect(tmp_path / "agno.db")
    sessions_file = tmp_path / "sessions.json"
    seed(database.url, sessions_file)
    agent_sessions = [
        s for s in json.loads(sessions_file.read_text())["sessions"] if s["type"] == "agent"
    ]
    return database, agent_sessions[0]


def _open_docs(page: Page, base_url: str) -> None:
    """Open /docs/ and wait until it shows the operation, or what stopped Swagger UI from
    rendering it (an unreadable document gives "Unable to render this definition")."""
    page.set_default_timeout(STEP_TIMEOUT_MS)
    page.goto(f"{base_url}/docs/")
    trouble = page.locator(".swagger-ui .version-pragma, .swagger-ui .errors-wrapper")
    page.locator(
        f"{OPERATION}, .swagger-ui .version-pragma, .swagger-ui .errors-wrapper"
    ).first.wait_for()
    assert trouble.count() == 0, trouble.first.inner_text()


def _authorize(page: Page, key: str) -> None:
    page.click("button.authorize")
    page.fill("#auth-bearer-value", key)
    page.click(".auth-btn-wrapper button[type=submit]")
    page.click(".auth-btn-wrapper .btn-done")


def _try_rename(page: Page, session_id: str, name: str) -> tuple[str, str]:
    """Try it out -> session id and body -> Execute; the rendered status and response body."""
    operation = page.locator(OPERATION)
    operation.locator(".opblock-summary").first.click()
    operation.locator("button.try-out__btn").click()
    operation.locator('tr[data-param-name="session_id"] input').fill(session_id)
    operation.locator("textarea.body-param__text").fill(json.dumps({"session_name": name}))
    operation.locator("button.execute").click()
    answer = operation.locator(".live-responses-table .response").first
    status = answer.locator(".response-col_status").first.inner_text()
    body = answer.locator(".response-col_description pre").first.inner_text()
    return status.strip(), body


def test_swagger_ui_renames_a_seeded_session(tmp_path: Path) -> None:
    database, session = _seeded_session(tmp_path)
    assert database.stored_name(session["session_id"]) != NEW_NAME

    with (
        running_server(database.url, tmp_path, token=TOKEN) as server,
        headless_chromium() as browser,
    ):
        page = browser.new_page()
        outside: list[str] = []
        renames: list[dict[str, str]] = []

        def only_our_server(route: Route) -> None:
            if route.request.url.startswith(server.base_url + "/"):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_our_server)
        page.on(
            "request",
            lambda request: renames.append(request.headers) if "/rename" in request.url else None,
        )
        _open_docs(page, server.base_url)
        # The 3.1 original, as written (Swagger UI 4 refused it: "no valid version field").
        assert "OAS 3.1" in page.locator(".info").inner_text()
        assert "/sessions/{session_id}/rename" in page.locator(OPERATION).inner_text()

        _authorize(page, TOKEN)
        status, body = _try_rename(page, session["session_id"], NEW_NAME)

    assert status == "200", body
    answered = json.loads(body)
    assert answered["session_id"] == session["session_id"]
    assert answered["session_name"] == NEW_NAME
    # The browser sent the key it was given, and the rename is stored.
    assert [headers.get("authorization") for headers in renames] == [f"Bearer {TOKEN}"]
    assert database.stored_name(session["session_id"]) == NEW_NAME
    assert outside == []


def test_swagger_ui_without_the_key_shows_the_401(tmp_path: Path) -> None:
    """The same steps without "Authorize": the page shows our 401 and nothing is renamed (so the
    first test's 200 depends on the key Swagger UI was given)."""
    database, session = _seeded_session(tmp_path)
    before = database.stored_name(session["session_id"])

    with (
        running_server(database.url, tmp_path, token=TOKEN) as server,
        headless_chromium() as browser,
    ):
        page = browser.new_page()
        _open_docs(page, server.base_url)
        status, body = _try_rename(page, session["session_id"], NEW_NAME)

    assert status == "401", body
    assert json.loads(body)["error_code"] == "UNAUTHENTICATED"
    assert database.stored_name(session["session_id"]) == before
