"""Authentication: no, wrong or malformed credentials are 401 and hide whether a session exists;
the token is compared exactly (near misses of it are wrong tokens); the scheme name `Bearer` is
case-insensitive (RFC 9110 section 11.1), so `bearer <token>` is a valid credential."""

from __future__ import annotations

import base64
import secrets

from conformance import checks
from conformance.probe import Answer, Probe
from conformance.readback import checkpoint
from conformance.scenarios import (
    check_error_code,
    expect_success,
    fresh_name,
    rename,
    send_to,
    unknown_session_id,
)
from conformance.sessions import KnownSession

ATTEMPTS = 6
"""Credentials that are not a bearer token at all (`authentication` below)."""
MAX_REQUESTS = ATTEMPTS + 2 + 5 + 1 + 1 + 1
"""Attempts, two unknown-id twins, near-miss tokens, a malformed body, a read, a rename."""


def _shape(answer: Answer, ids: tuple[str, str]) -> checks.ErrorShape:
    return checks.error_shape(answer.status, answer.media_type(), answer.json(), ids)


def _near_miss_tokens(token: str) -> list[tuple[str, str]]:
    misses = [
        ("the token with a character appended", f"{token}x"),
        ("the token with a character prepended", f"x{token}"),
        ("the token followed by a space and another word", f"{token} junk"),
    ]
    if len(token) > 1:
        misses.append(("a prefix of the token", token[:-1]))
    if token.swapcase() != token:
        misses.append(("the token in another case", token.swapcase()))
    return misses


def authentication(probe: Probe, session: KnownSession) -> None:
    body = {"session_name": fresh_name("auth")}
    basic = base64.b64encode(f"x:{probe.token}".encode()).decode("ascii")
    attempts: tuple[tuple[str, dict[str, str]], ...] = (
        ("no Authorization header", {}),
        ("a wrong token", {"Authorization": f"Bearer wrong-{secrets.token_hex(8)}"}),
        ('"Bearer" without a token', {"Authorization": "Bearer"}),
        ("Basic credentials", {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}),
        ("the token without a scheme", {"Authorization": probe.token}),
        ("Basic credentials with the token as password", {"Authorization": f"Basic {basic}"}),
    )
    for how, headers in attempts:
        answer = send_to(
            probe, session, f"rename with {how}", headers=headers, body=body, authorized=False
        )
        probe.verify("auth_required", answer, checks.status_in, answer.status, {401}, how)
        if answer.status == 401:
            challenge = answer.response.headers.get("www-authenticate", [])
            probe.verify("auth_required", answer, checks.challenge_present, challenge)
        check_error_code(probe, answer)
        if how in ("no Authorization header", "a wrong token"):
            unknown_id = unknown_session_id()
            missing = probe.case(
                unknown_id,
                query=session.scoped_query(),
                headers=headers,
                body=body,
                authorized=False,
            )
            unknown = probe.send(missing, f"rename an unknown id with {how}")
            ids = (session.session_id, unknown_id)
            probe.verify(
                "auth_hides_existence",
                unknown,
                checks.same_answer,
                _shape(answer, ids),
                _shape(unknown, ids),
                how,
            )
    for how, token in _near_miss_tokens(probe.token):
        answer = send_to(
            probe,
            session,
            f"rename with {how}",
            headers={"Authorization": f"Bearer {token}"},
            body={"session_name": fresh_name("near-miss token")},
            authorized=False,
        )
        probe.verify(
            "token_exact", answer, checks.status_in, answer.status, {401}, f"{how} is wrong"
        )
    answer = send_to(
        probe,
        session,
        "rename with a malformed body and no credentials",
        body=b"{not json",
        media_type="application/json",
        authorized=False,
    )
    probe.verify(
        "auth_before_validation", answer, checks.status_in, answer.status, {401}, "no credentials"
    )
    checkpoint(probe, session, "after requests with wrong credentials")

    name = fresh_name("lower-case scheme")
    answer = rename(
        probe,
        session,
        name,
        "rename with the scheme written 'bearer' (scheme names are case-insensitive)",
        headers={"Authorization": f"bearer {probe.token}"},
    )
    expect_success(probe, answer, session, name, check="bearer_case_insensitive")
