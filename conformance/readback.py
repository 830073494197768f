"""Reading a session back with AgentOS's `GET /sessions/{session_id}` (same `type` and `user_id`
query parameters), when the target offers it: before the first rename, as the reference the
first rename answer is compared with (a rename that resets a field shows there); afterwards, to
check that the stored name is the one last answered, the stored fields are the ones answered,
and refused requests wrote nothing. Every listed session is read before the first rename and
again at the end of the run, so a rename that also wrote another session (an UPDATE without the
id) shows as that session's name changing without any rename of it answered.

The operation under test does not need this endpoint; a target without it is told so in the
report's notes, and the suite then judges persistence through consecutive rename answers only.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from conformance import checks
from conformance.probe import Probe
from conformance.segments import encode_segment
from conformance.sessions import KnownSession


@dataclass(frozen=True, slots=True)
class Read:
    status: int
    body: Any
    request: str
    curl: str
    got: str


def _read(probe: Probe, session: KnownSession, why: str) -> Read | None:
    """One GET of the session; None when the target does not offer it (said once in the notes)."""
    if probe.read_offered is False:
        return None
    path = f"/sessions/{encode_segment(session.session_id)}"
    query = session.scoped_query()
    response = probe.raw("GET", path, params=query, headers=probe.authorized())
    try:
        body = response.json()
    except ValueError:
        body = None
    if probe.read_offered is None:
        readable = isinstance(body, dict) and body.get("session_id") == session.session_id
        probe.read_offered = response.status_code == 200 and readable
        if not probe.read_offered:
            probe.result.notes.append(
                f"the target has no GET /sessions/{{session_id}} (it answered "
                f"{response.status_code}): sessions were not read back, so a field that the "
                "first rename resets, or a name stored otherwise than answered, goes unseen"
            )
            return None
    url = f"{probe.base_url}{path}?{urlencode(query)}"
    text = response.text
    shown = text if len(text) <= 300 else f"{text[:300]}... ({len(text)} characters)"
    content_type = response.headers.get("content-type") or "no Content-Type"
    return Read(
        response.status_code,
        body,
        f"read the {session.type} session back {why}",
        f"curl -X GET -H 'Authorization: Bearer {probe.token}' {shlex.quote(url)}",
        f"{response.status_code} ({content_type}) {shown}",
    )


def _readable(probe: Probe, read: Read, session: KnownSession) -> bool:
    if not probe.verify_raw(
        "persisted_on_read",
        read.request,
        read.curl,
        read.got,
        checks.status_in,
        read.status,
        {200},
        "GET /sessions/{session_id} of a listed session, as it answered before",
    ):
        return False
    if not probe.verify_raw(
        "persisted_on_read", read.request, read.curl, read.got, checks.json_object, read.body
    ):
        return False
    probe.verify_raw(
        "user_id_kept",
        read.request,
        read.curl,
        read.got,
        checks.user_id_kept,
        read.body,
        session.user_id,
        "the stored session",
    )
    return True


def baseline(probe: Probe, session: KnownSession) -> None:
    """The stored session before the suite renames it: the first rename is compared with it."""
    ledger = probe.tracker.ledger(session.session_id)
    if ledger is None or ledger.body is not None:
        return
    read = _read(probe, session, "before renaming it")
    if read is None or not _readable(probe, read, session):
        return
    ledger.body = read.body
    ledger.from_read = True
    name = read.body.get("session_name")
    ledger.name = name if isinstance(name, str) else None


def checkpoint(probe: Probe, session: KnownSession, why: str) -> None:
    """Read the session back (when the target can) and compare it with what was answered."""
    ledger = probe.tracker.ledger(session.session_id)
    if ledger is None or ledger.body is None:
        return
    read = _read(probe, session, why)
    if read is None or not _readable(probe, read, session):
        return
    refused = tuple(ledger.refused)
    check = "refused_requests_write_nothing" if refused else "persisted_on_read"
    probe.verify_raw(
        check,
        read.request,
        read.curl,
        read.got,
        checks.stored_as_answered,
        read.body,
        ledger.name,
        ledger.body,
        refused,
    )


READS_PER_LISTED_SESSION = 2
"""`baseline_all` and `checkpoint_all`: one read each per listed session."""


def baseline_all(probe: Probe, sessions: tuple[KnownSession, ...]) -> None:
    for session in sessions:
        baseline(probe, session)


def checkpoint_all(probe: Probe, sessions: tuple[KnownSession, ...]) -> None:
    for session in sessions:
        checkpoint(probe, session, "at the end of the run")
