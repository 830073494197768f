"""Hand-written requests for what generated data cannot judge: authentication, scoping, the
rename invariants, validation errors and unusual names/parameters.

Each scenario sends a few requests through the probe (which runs Schemathesis's response checks on
every answer) and judges the answers with the plain functions in `conformance.checks`.
"""

from __future__ import annotations

import secrets
from typing import Any

from conformance import checks
from conformance.checks import Body
from conformance.probe import NO_BODY, Answer, Probe
from conformance.sessions import SESSION_TYPES, KnownSession

NAME_PREFIX = "conformance"
UNUSUAL_NAMES: tuple[tuple[str, str], ...] = (
    ("non-ASCII letters and emoji", "Résumé 名前 🎉"),
    ("right-to-left override", "\u202eevil.txt"),
    ("markup", "<script>alert(1)</script>"),
    ("SQL fragment", "' OR 1=1; --"),
    ("255 characters", "n" * 255),
    ("10,000 characters", "L" * 10_000),
    ("a tab and a newline", "tab\there\nnewline"),
    ("a NUL character", "nul\u0000byte"),
    ("an escape character", "esc\u001b[31mred"),
    ("a lone surrogate (not encodable as UTF-8)", "bad \ud800 surrogate"),
)
BLANK_NAMES: tuple[tuple[str, str], ...] = (("an empty name", ""), ("a whitespace name", "   "))
WRONG_TYPED_BODIES: tuple[tuple[str, Any], ...] = (
    ("session_name is a number", {"session_name": 123}),
    ("session_name is null", {"session_name": None}),
    ("session_name is a list", {"session_name": ["x"]}),
    ("empty object", {}),
    ("an array body", ["x"]),
    ("a string body", "just a string"),
)


def fresh_name(label: str) -> str:
    return f"{NAME_PREFIX} {label} {secrets.token_hex(3)}"


def unknown_session_id() -> str:
    return f"{NAME_PREFIX}-missing-{secrets.token_hex(8)}"


def other_user(session: KnownSession) -> str:
    return f"{session.user_id or 'nobody'}-not-the-owner"


def rename(probe: Probe, session: KnownSession, name: str, request: str) -> Answer:
    case = probe.case(session.session_id, query=session.scoped_query(), body={"session_name": name})
    return probe.send(case, request)


def expect_success(probe: Probe, answer: Answer, session: KnownSession, name: str) -> Body | None:
    """The checks every 200 rename answer must pass; the body when there is one to compare."""
    body = answer.json()
    if not probe.verify(
        "known_session_renamed",
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
    probe.verify(
        "body_matches_type",
        answer,
        checks.body_matches_type,
        body,
        session.type,
        probe.contract.shapes[session.type],
    )
    return body


def compare(probe: Probe, answer: Answer, before: Body, after: Body) -> None:
    probe.verify("chat_history_preserved", answer, checks.chat_history_preserved, before, after)
    probe.verify("created_at_preserved", answer, checks.created_at_preserved, before, after)
    probe.verify("updated_at_monotonic", answer, checks.updated_at_monotonic, before, after)


def check_error_code(probe: Probe, answer: Answer) -> None:
    if answer.status >= 400:
        probe.verify("error_code_present", answer, checks.error_code_present, answer.json())


def authentication(probe: Probe, session: KnownSession) -> None:
    body = {"session_name": fresh_name("auth")}
    attempts: tuple[tuple[str, dict[str, str]], ...] = (
        ("no Authorization header", {}),
        ("a wrong token", {"Authorization": f"Bearer wrong-{secrets.token_hex(8)}"}),
        ('"Bearer" without a token', {"Authorization": "Bearer"}),
        ("Basic credentials", {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}),
        ("the token without a scheme", {"Authorization": probe.token}),
    )
    for how, headers in attempts:
        known = probe.case(
            session.session_id,
            query=session.scoped_query(),
            headers=headers,
            body=body,
            authorized=False,
        )
        answer = probe.send(known, f"rename with {how}")
        probe.verify("auth_required", answer, checks.status_in, answer.status, {401}, how)
        check_error_code(probe, answer)
        if how in ("no Authorization header", "a wrong token"):
            missing = probe.case(
                unknown_session_id(),
                query=session.scoped_query(),
                headers=headers,
                body=body,
                authorized=False,
            )
            unknown = probe.send(missing, f"rename an unknown id with {how}")
            probe.verify(
                "auth_hides_existence",
                unknown,
                checks.same_answer,
                answer.identity(),
                unknown.identity(),
                how,
            )
    malformed = probe.case(
        session.session_id,
        query=session.scoped_query(),
        body=b"{not json",
        media_type="application/json",
        authorized=False,
    )
    answer = probe.send(malformed, "rename with a malformed body and no credentials")
    probe.verify(
        "auth_before_validation", answer, checks.status_in, answer.status, {401}, "no credentials"
    )


def rename_invariants(probe: Probe, session: KnownSession) -> None:
    """Two renames, then attempts under another type and another user, then a third rename."""
    first_name = fresh_name(f"{session.type} first")
    first = rename(probe, session, first_name, f"rename a known {session.type} session")
    before = expect_success(probe, first, session, first_name)
    second_name = fresh_name(f"{session.type} second")
    second = rename(probe, session, second_name, f"rename the same {session.type} session again")
    after = expect_success(probe, second, session, second_name)
    if before is not None and after is not None:
        compare(probe, second, before, after)

    for other_type in (t for t in SESSION_TYPES if t != session.type):
        case = probe.case(
            session.session_id,
            query={**session.scoped_query(), "type": other_type},
            body={"session_name": fresh_name("wrong type")},
        )
        answer = probe.send(case, f"rename the {session.type} session as type={other_type}")
        probe.verify(
            "type_scoping",
            answer,
            checks.status_in,
            answer.status,
            {404},
            f"the session's type is {session.type}, not {other_type}",
        )
    case = probe.case(
        session.session_id,
        query={**session.scoped_query(), "user_id": other_user(session)},
        body={"session_name": fresh_name("wrong user")},
    )
    answer = probe.send(case, f"rename the {session.type} session as another user")
    probe.verify(
        "user_scoping", answer, checks.status_in, answer.status, {404}, "the session is not theirs"
    )
    check_error_code(probe, answer)

    # The refused attempts must have written nothing: history and timestamps still stand.
    third_name = fresh_name(f"{session.type} third")
    third = rename(probe, session, third_name, f"rename the {session.type} session after refusals")
    latest = expect_success(probe, third, session, third_name)
    if after is not None and latest is not None:
        compare(probe, third, after, latest)


def not_found(probe: Probe, session: KnownSession) -> None:
    case = probe.case(
        unknown_session_id(),
        query=session.scoped_query(),
        body={"session_name": fresh_name("unknown")},
    )
    answer = probe.send(case, "rename an id that does not exist")
    probe.verify(
        "unknown_session_404", answer, checks.status_in, answer.status, {404}, "no such session"
    )
    check_error_code(probe, answer)


def validation(probe: Probe, session: KnownSession) -> None:
    for bad_type in ("bogus", "Agent"):
        case = probe.case(
            session.session_id,
            query={**session.scoped_query(), "type": bad_type},
            body={"session_name": fresh_name("bad type")},
        )
        answer = probe.send(case, f"rename with type={bad_type}")
        probe.verify(
            "invalid_type_422", answer, checks.status_in, answer.status, {422}, "invalid type"
        )
        check_error_code(probe, answer)
    bodies: list[tuple[str, Any, str | None]] = [
        ("no body", NO_BODY, None),
        ("a non-JSON body", b"{not json", "application/json"),
        ("a text/plain body", "session_name=x", "text/plain"),
    ]
    bodies += [(how, value, "application/json") for how, value in WRONG_TYPED_BODIES]
    for how, value, media_type in bodies:
        case = probe.case(
            session.session_id, query=session.scoped_query(), body=value, media_type=media_type
        )
        answer = probe.send(case, f"rename with {how}")
        probe.verify("invalid_body_422", answer, checks.status_in, answer.status, {422}, how)
        check_error_code(probe, answer)


def unusual_parameters(probe: Probe, session: KnownSession) -> None:
    """Odd but possible parameters: judged only by the response checks (no 5xx, documented)."""
    scoped = session.scoped_query()
    attempts: tuple[tuple[str, str, dict[str, str]], ...] = (
        ("an empty user_id", session.session_id, {**scoped, "user_id": ""}),
        ("an unknown db_id", session.session_id, {**scoped, "db_id": "conformance-no-such-db"}),
        ("a table that is SQL", session.session_id, {**scoped, "table": "x; DROP TABLE y --"}),
        ("an unknown parameter", session.session_id, {**scoped, "conformance": "1"}),
        ("a non-ASCII session id", "séance-✓-" + secrets.token_hex(4), scoped),
        ("a 2,000 character session id", "i" * 2000, scoped),
        ("a session id with quotes", "a'b\"c", scoped),
    )
    for how, session_id, query in attempts:
        case = probe.case(session_id, query=query, body={"session_name": fresh_name("params")})
        probe.send(case, f"rename with {how}")


def unusual_names(probe: Probe, session: KnownSession) -> None:
    """A name answered 200 must come back exactly and leave the session usable; 400 is fine."""
    baseline: Body | None = None
    for how, name in (*BLANK_NAMES, *UNUSUAL_NAMES):
        answer = rename(probe, session, name, f"rename to {how}")
        blank = (how, name) in BLANK_NAMES
        if blank:
            probe.verify(
                "blank_name_rejected",
                answer,
                checks.status_in,
                answer.status,
                {400},
                "a name a person cannot see",
            )
        if answer.status != 200:
            probe.verify(
                "name_round_trip",
                answer,
                checks.status_in,
                answer.status,
                {200, 400},
                f"{how}: stored and echoed, or refused as an invalid name",
            )
            if answer.status == 400:
                check_error_code(probe, answer)
            continue
        body = expect_success(probe, answer, session, name)
        if body is None:
            continue
        probe.verify("name_round_trip", answer, checks.session_name_echoed, body, name)
        # The session must still work after accepting the name.
        follow_name = fresh_name("after unusual name")
        follow = rename(probe, session, follow_name, f"rename again after {how}")
        ok = probe.verify(
            "name_round_trip",
            follow,
            checks.status_in,
            follow.status,
            {200},
            f"the session still renamable after accepting {how}",
        )
        if ok:
            latest = expect_success(probe, follow, session, follow_name)
            if latest is not None:
                compare(probe, follow, baseline or body, latest)
                baseline = latest
        else:
            return  # the session is broken; more names would only repeat the same finding
