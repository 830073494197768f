"""Reading a session back with AgentOS's `GET /sessions/{session_id}` (same `type` and `user_id`
query parameters), when the target offers it: the stored name is the one last answered, the
stored fields are the ones answered, and refused requests wrote nothing.

The operation under test does not need this endpoint; a target without it is told so in the
report's notes, and the suite then judges persistence through consecutive rename answers only.
"""

from __future__ import annotations

import shlex
from urllib.parse import quote, urlencode

from conformance import checks
from conformance.probe import Probe
from conformance.sessions import KnownSession


def _describe(status: int, content_type: str, text: str) -> str:
    shown = text if len(text) <= 300 else f"{text[:300]}... ({len(text)} characters)"
    return f"{status} ({content_type or 'no Content-Type'}) {shown}"


def checkpoint(probe: Probe, session: KnownSession, why: str) -> None:
    """Read the session back (when the target can) and compare it with what was answered."""
    if probe.read_offered is False:
        return
    ledger = probe.tracker.ledger(session.session_id)
    if ledger is None or ledger.body is None:
        return
    path = f"/sessions/{quote(session.session_id, safe='')}"
    query = session.scoped_query()
    response = probe.raw("GET", path, params=query, headers=probe.authorized())
    try:
        body = response.json()
    except ValueError:
        body = None
    readable = isinstance(body, dict) and body.get("session_id") == session.session_id
    if probe.read_offered is None:
        probe.read_offered = response.status_code == 200 and readable
        if not probe.read_offered:
            probe.result.notes.append(
                f"the target has no GET /sessions/{{session_id}} (it answered "
                f"{response.status_code}): stored names and fields were judged through the "
                "rename answers only, not read back"
            )
            return
    url = f"{probe.base_url}{path}?{urlencode(query)}"
    curl = f"curl -X GET -H 'Authorization: Bearer {probe.token}' {shlex.quote(url)}"
    got = _describe(response.status_code, response.headers.get("content-type", ""), response.text)
    request = f"read the {session.type} session back {why}"
    if not probe.verify_raw(
        "persisted_on_read",
        request,
        curl,
        got,
        checks.status_in,
        response.status_code,
        {200},
        "GET /sessions/{session_id} of a listed session, as it answered before",
    ):
        return
    if not isinstance(body, dict):
        probe.verify_raw("persisted_on_read", request, curl, got, checks.json_object, body)
        return
    refused = tuple(ledger.refused)
    check = "refused_requests_write_nothing" if refused else "persisted_on_read"
    probe.verify_raw(
        check,
        request,
        curl,
        got,
        checks.stored_as_answered,
        body,
        ledger.name,
        ledger.body,
        refused,
    )
