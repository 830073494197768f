"""Hand-written requests for what generated data cannot judge: the rename invariants, the exact
identity of a session, validation errors and unusual parameters. Authentication, media types and
names have modules of their own (`credentials`, `media`, `names`); the helpers here serve them all.

Each scenario sends a few requests through the probe (which runs Schemathesis's response checks on
every answer and compares every rename with the previous one, `conformance.tracking`) and judges
the answers with the plain functions in `conformance.checks`.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from conformance import checks
from conformance.checks import Body
from conformance.probe import NO_BODY, Answer, Probe
from conformance.readback import baseline, checkpoint
from conformance.sessions import SESSION_TYPES, KnownSession
from conformance.tracking import ADVANCE_AFTER_SECONDS

NAME_PREFIX = "conformance"
WRONG_TYPED_BODIES: tuple[tuple[str, Any], ...] = (
    ("session_name is true", {"session_name": True}),
    ("session_name is false", {"session_name": False}),
    ("session_name is null", {"session_name": None}),
    ("session_name is a number", {"session_name": 123}),
    ("session_name is a list", {"session_name": ["x"]}),
    ("session_name is an object", {"session_name": {"text": "x"}}),
    ("empty object", {}),
    ("an array body", ["x"]),
    ("a string body", "just a string"),
)
INVALID_TYPES = ("bogus", "", "Agent", "TEAM", "Workflow", "agent ")
"""Outside the enum: other cases and padding of the valid values included."""
OTHER_OWNERS_AT_MOST = 10
"""`_other_owners`: another user_id, another listed owner, the owner's in another case, empty,
after and before a space, 'null', '%', the owner's with SQL LIKE's `_`, an SQL injection."""
NEAR_MISSES_AT_MOST = 11
"""`_near_misses`: an extension, a prefix, another case, after and before a space, three
wildcards, a prefix and `%`, an SQL injection, a character percent-encoded as text."""
_INJECTION = "' OR '1'='1"
"""Closes a quoted SQL literal and makes the condition true for every row."""

# Upper bounds of what the scenarios below send (the run's request bound adds them up).
INVARIANT_REQUESTS_PER_SESSION = (
    1 + 2 + 1 + 1 + 3 + OTHER_OWNERS_AT_MOST + NEAR_MISSES_AT_MOST + 1 + 1
)
"""A read, two renames, one without user_id, a read, other types (and none), other owners,
near-miss ids, a read, a rename (for each session of `sessions.in_depth`)."""
NOT_FOUND_REQUESTS = 1
VALIDATION_REQUESTS = len(INVALID_TYPES) + 2 + 2 + len(WRONG_TYPED_BODIES) + 1
UNUSUAL_PARAMETER_REQUESTS = 5


def fresh_name(label: str) -> str:
    return f"{NAME_PREFIX} {label} {secrets.token_hex(3)}"


def unknown_session_id() -> str:
    return f"{NAME_PREFIX}-missing-{secrets.token_hex(8)}"


def other_user(session: KnownSession) -> str:
    return f"{session.user_id or 'nobody'}-not-the-owner"


def send_to(
    probe: Probe,
    session: KnownSession,
    request: str,
    *,
    body: Any = NO_BODY,
    headers: dict[str, str] | None = None,
    media_type: str | None = None,
    authorized: bool = True,
    without_content_type: bool = False,
) -> Answer:
    """One request about a listed session, with its own type and owner: only what the caller
    varies (body, headers, media type, credentials) decides the answer."""
    case = probe.case(
        session.session_id,
        query=session.scoped_query(),
        headers=headers,
        body=body,
        media_type=media_type,
        authorized=authorized,
    )
    return probe.send(case, request, without_content_type=without_content_type)


def rename(
    probe: Probe,
    session: KnownSession,
    name: str,
    request: str,
    headers: dict[str, str] | None = None,
) -> Answer:
    return send_to(probe, session, request, body={"session_name": name}, headers=headers)


def expect_success(
    probe: Probe, answer: Answer, session: KnownSession, name: str, check: str | None = None
) -> Body | None:
    """The checks every 200 rename answer must pass; the body when there is one to compare.
    `check` names the check that owns the expectation of a 200 (default known_session_renamed)."""
    body = answer.json()
    if not probe.verify(
        check or "known_session_renamed",
        answer,
        checks.status_in,
        answer.status,
        {200},
        "the owner renaming a listed session with its type",
    ):
        return None
    if not probe.verify("body_matches_type", answer, checks.json_object, body):
        return None
    assert isinstance(body, dict)
    probe.verify("session_id_echoed", answer, checks.session_id_echoed, body, session.session_id)
    probe.verify("session_name_echoed", answer, checks.session_name_echoed, body, name)
    shape = probe.contract.shapes[session.type]
    probe.verify("body_matches_type", answer, checks.body_matches_type, body, session.type, shape)
    probe.verify("body_complete", answer, checks.body_complete, body, session.type, shape)
    return body


def check_error_code(probe: Probe, answer: Answer) -> None:
    if answer.status >= 400:
        probe.verify("error_code_present", answer, checks.error_code_present, answer.json())


def expect_404(probe: Probe, check: str, answer: Answer, meaning: str) -> None:
    probe.verify(check, answer, checks.status_in, answer.status, {404}, meaning)
    check_error_code(probe, answer)


def _wait_for_a_later_second(probe: Probe, session: KnownSession) -> None:
    """The run's one short wait: the next rename comes over a second after the previous one."""
    ledger = probe.tracker.ledger(session.session_id)
    if ledger is None or not ledger.stamps:
        return
    remaining = ledger.stamps[-1][0] + ADVANCE_AFTER_SECONDS + 0.02 - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)


def rename_invariants(
    probe: Probe, session: KnownSession, sessions: tuple[KnownSession, ...], *, wait: bool
) -> None:
    """A read (when the target offers it), two renames (each compared with what came before),
    for an owned session one without user_id, a read back, requests that must be refused
    (another type, another owner, near misses of the id), a read back, then a third rename
    (compared)."""
    baseline(probe, session)
    for label in ("first", "second"):
        name = fresh_name(f"{session.type} {label}")
        answer = rename(probe, session, name, f"rename a known {session.type} session ({label})")
        expect_success(probe, answer, session, name)
    if session.user_id is not None:
        _rename_without_user_id(probe, session)
    checkpoint(probe, session, "after two renames")

    scoped = session.scoped_query()
    for other_type in (t for t in SESSION_TYPES if t != session.type):
        case = probe.case(
            session.session_id,
            query={**scoped, "type": other_type},
            body={"session_name": fresh_name("wrong type")},
        )
        answer = probe.send(case, f"rename the {session.type} session as type={other_type}")
        expect_404(probe, "type_scoping", answer, f"the session's type is {session.type}")
    if session.type != "agent":
        untyped = {k: v for k, v in scoped.items() if k != "type"}
        case = probe.case(
            session.session_id, query=untyped, body={"session_name": fresh_name("no type")}
        )
        answer = probe.send(case, f"rename the {session.type} session without type (agent)")
        expect_404(probe, "type_scoping", answer, f"no type means agent; it is a {session.type}")
    for how, user in _other_owners(session, sessions):
        case = probe.case(
            session.session_id,
            query={**scoped, "user_id": user},
            body={"session_name": fresh_name("wrong user")},
        )
        answer = probe.send(case, f"rename the {session.type} session with {how}")
        expect_404(probe, "user_scoping", answer, "the session is not that user's")
    for how, near_miss in _near_misses(session.session_id):
        if probe.tracker.ledger(near_miss) is not None:
            continue  # another listed session: not a near miss
        case = probe.case(near_miss, query=scoped, body={"session_name": fresh_name("near miss")})
        answer = probe.send(case, f"rename {how} of a listed {session.type} session id")
        # A % goes out as %25, which a strict URL decoder may refuse outright (400): nothing is
        # renamed either way.
        allowed = {400, 404} if "%" in near_miss else {404}
        meaning = "ids match exactly; no such session"
        probe.verify("session_id_exact", answer, checks.status_in, answer.status, allowed, meaning)
        check_error_code(probe, answer)
        probe.tracker.refused(session.session_id, f"rename {how} of its id")
    checkpoint(probe, session, "after refused requests")

    if wait:
        _wait_for_a_later_second(probe, session)
    name = fresh_name(f"{session.type} third")
    answer = rename(probe, session, name, f"rename the {session.type} session after refusals")
    expect_success(probe, answer, session, name)


def _rename_without_user_id(probe: Probe, session: KnownSession) -> None:
    """Without user_id AgentOS filters on no owner, so the shared key may rename any user's
    session. A server may refuse that; when it answers 200 the owner must still be the owner (a
    write of user_id taken from the query would wipe it), and the next scoped requests find it."""
    name = fresh_name(f"{session.type} without user_id")
    case = probe.case(session.session_id, query={"type": session.type}, body={"session_name": name})
    answer = probe.send(case, f"rename the {session.type} session without user_id")
    if answer.status == 200:
        expect_success(probe, answer, session, name)


def _other_owners(
    session: KnownSession, sessions: tuple[KnownSession, ...]
) -> list[tuple[str, str]]:
    """user_ids that are not the session's owner. A session without an owner is found only
    without a user_id: a filter `user_id = X` never matches a missing owner, whatever X is."""
    owners = [("another user_id", other_user(session))]
    listed = next((s.user_id for s in sessions if s.user_id not in (None, session.user_id)), None)
    if listed is not None:
        owners.append(("the owner of another listed session", listed))
    owner = session.user_id
    if owner is not None and owner.swapcase() != owner:
        owners.append(("the owner's user_id in another case", owner.swapcase()))
    if owner != "":
        owners.append(("an empty user_id", ""))
    if owner is not None:
        owners.append(("the owner's user_id after a space", f" {owner}"))
        owners.append(("the owner's user_id before a space", f"{owner} "))
    if owner != "null":
        owners.append(("user_id 'null' (a name, not the absence of one)", "null"))
    # A user_id matched as a pattern, or spliced into the SQL, finds sessions it does not own.
    if owner != "%":
        owners.append(("user_id '%' (SQL LIKE's any text)", "%"))
    if owner and owner[-1] != "_":
        owners.append(
            ("the owner's user_id with its last character as SQL LIKE's _", f"{owner[:-1]}_")
        )
    owners.append(
        ("another user_id with an SQL injection after it", f"{other_user(session)}{_INJECTION}")
    )
    return owners


def _near_misses(session_id: str) -> list[tuple[str, str]]:
    misses = [("an extension", f"{session_id}0")]
    if len(session_id) > 1:
        misses.append(("a prefix", session_id[:-1]))
    if session_id.swapcase() != session_id:
        misses.append(("another case", session_id.swapcase()))
    misses.append(("the id after a space", f" {session_id}"))
    misses.append(("the id before a space", f"{session_id} "))
    # An id matched as a pattern (SQL LIKE, a regular expression, a glob) instead of compared.
    head, last = session_id[:-1], session_id[-1:]
    for wildcard, what in (
        ("_", "SQL LIKE's _"),
        (".", "a regular expression's ."),
        ("?", "a glob's ?"),
    ):
        if last != wildcard:
            misses.append((f"the id with its last character as {what}", f"{head}{wildcard}"))
    misses.append(("the id's prefix and SQL LIKE's %", f"{head}%"))
    misses.append(("the id with an SQL injection after it", f"{session_id}{_INJECTION}"))
    if last.isascii() and last.isalnum():
        # Sent as %25XX: a server that decodes the path twice reads the listed id.
        misses.append(
            ("the id with its last character percent-encoded as text", f"{head}%{ord(last):02X}")
        )
    return misses


def not_found(probe: Probe, session: KnownSession) -> None:
    case = probe.case(
        unknown_session_id(),
        query=session.scoped_query(),
        body={"session_name": fresh_name("unknown")},
    )
    answer = probe.send(case, "rename an id that does not exist")
    expect_404(probe, "unknown_session_404", answer, "no such session")


def validation(probe: Probe, session: KnownSession) -> None:
    """Invalid parameters and bodies, all aimed at a listed session (which must not change)."""
    scoped = session.scoped_query()
    for bad_type in INVALID_TYPES:
        case = probe.case(
            session.session_id,
            query={**scoped, "type": bad_type},
            body={"session_name": fresh_name("bad type")},
        )
        answer = probe.send(case, f"rename with type={bad_type!r}")
        probe.verify(
            "invalid_type_422", answer, checks.status_in, answer.status, {422}, "invalid type"
        )
        check_error_code(probe, answer)
    case = probe.case(
        session.session_id,
        query={**scoped, "db_id": f"{NAME_PREFIX}-no-such-db-{secrets.token_hex(3)}"},
        body={"session_name": fresh_name("unknown db")},
    )
    expect_404(probe, "unknown_db_id_404", probe.send(case, "rename in an unknown db_id"), "no db")
    case = probe.case(
        session.session_id,
        query={**scoped, "table": "agno_sessions"},
        body={"session_name": fresh_name("table only")},
    )
    answer = probe.send(case, "rename with a table but no db_id")
    probe.verify(
        "table_requires_db_id",
        answer,
        checks.status_in,
        answer.status,
        {400},
        "a table only means something within a db_id",
    )
    bodies: list[tuple[str, Any, str | None]] = [
        ("no body", NO_BODY, None),
        ("a non-JSON body", b"{not json", "application/json"),
    ]
    bodies += [(how, value, "application/json") for how, value in WRONG_TYPED_BODIES]
    for how, value, media_type in bodies:
        case = probe.case(session.session_id, query=scoped, body=value, media_type=media_type)
        answer = probe.send(case, f"rename with {how}")
        probe.verify("invalid_body_422", answer, checks.status_in, answer.status, {422}, how)
        check_error_code(probe, answer)
    checkpoint(probe, session, "after invalid parameters and bodies")


def unusual_parameters(probe: Probe, session: KnownSession) -> None:
    """Odd but possible parameters: judged only by the response checks (no 5xx, documented)."""
    scoped = session.scoped_query()
    attempts: tuple[tuple[str, str, dict[str, str]], ...] = (
        ("a table that is SQL", session.session_id, {**scoped, "table": "x; DROP TABLE y --"}),
        ("an unknown parameter", session.session_id, {**scoped, "conformance": "1"}),
        ("a non-ASCII session id", "séance-✓-" + secrets.token_hex(4), scoped),
        ("a 2,000 character session id", "i" * 2000, scoped),
        ("a session id with quotes", "a'b\"c", scoped),
    )
    for how, session_id, query in attempts:
        case = probe.case(session_id, query=query, body={"session_name": fresh_name("params")})
        probe.send(case, f"rename with {how}")
