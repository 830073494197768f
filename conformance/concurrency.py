"""Renames sent at once. A server that keeps a request's state where another request reaches it
(a module-level variable, one database connection or cursor shared without a lock) answers one
request with another's session, or fails while two overlap; requests sent one after another, as
the rest of the suite sends them, never show it.

The first listed sessions (at most MAX_SESSIONS) each get one rename, and as many renames of
unknown ids go with them, all released together. Every answer goes through the response checks
and the tracker as any other; `concurrent_renames_isolated` asks of each what it would get
alone: 200 with its own id and name for a listed session, 404 for an unknown id.
"""

from __future__ import annotations

from conformance import checks
from conformance.probe import Probe
from conformance.scenarios import check_error_code, fresh_name, unknown_session_id
from conformance.sessions import KnownSession

MAX_SESSIONS = 6
MAX_REQUESTS = 2 * MAX_SESSIONS


def concurrent_renames(probe: Probe, sessions: tuple[KnownSession, ...]) -> None:
    planned: list[tuple[str | None, str | None]] = []  # (listed id, name) per request
    cases = []
    for session in sessions[:MAX_SESSIONS]:
        name = fresh_name(f"{session.type} at once")
        body = {"session_name": name}
        request = f"rename the {session.type} session {session.session_id!r} with others at once"
        cases.append(
            (probe.case(session.session_id, query=session.scoped_query(), body=body), request)
        )
        planned.append((session.session_id, name))
        unknown = probe.case(
            unknown_session_id(),
            query=session.scoped_query(),
            body={"session_name": fresh_name("unknown at once")},
        )
        cases.append((unknown, "rename an unknown id with others at once"))
        planned.append((None, None))
    if not cases:
        return
    answers = probe.send_together(cases)
    for (listed_id, sent_name), answer in zip(planned, answers, strict=True):
        if answer is None:
            continue  # already failed as no answer
        probe.verify(
            "concurrent_renames_isolated",
            answer,
            checks.answered_alone,
            answer.status,
            answer.json(),
            listed_id,
            sent_name,
        )
        check_error_code(probe, answer)
