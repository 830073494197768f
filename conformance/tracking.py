"""What the suite knows about each listed session between requests, so every rename answer is
compared with the previous one: a rename changes the name and `updated_at` and nothing else, and
requests that were refused in between changed nothing at all.

Every answer about a listed session passes through `Tracker.observe` (the probe calls it), the
hand-written and the generated ones alike. A 200 to a request that names the session exactly
(its id, type, owner, the token, a JSON body with a string name) is a rename: it is compared with
the previous rename's body and becomes the new reference. Any other answer, or a 200 to a request
that should have been refused, is remembered as a refusal until the next rename is compared.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance import checks
from conformance.checks import Body
from conformance.segments import decode_segment
from conformance.sessions import KnownSession

if TYPE_CHECKING:
    from conformance.probe import Answer

ADVANCE_AFTER_SECONDS = 1.05
"""A rename sent this long after an earlier one's answer must show a strictly later updated_at
(more than a second: a server storing whole seconds still moves on)."""
STAMPS_KEPT = 8
REFUSALS_KEPT = 20

Verify = Callable[..., bool]
"""`Probe.verify(check, answer, function, *args) -> passed`."""


@dataclass(slots=True)
class Ledger:
    session: KnownSession
    body: Body | None = None
    """The body of the last rename answered 200 (the reference for the next comparison)."""
    name: str | None = None
    """The name last answered 200; None when unknown (e.g. after a write that was not ours)."""
    refused: list[str] = field(default_factory=list)
    """Requests about this session since `body` that were (or should have been) refused."""
    stamps: list[tuple[float, Body]] = field(default_factory=list)
    """(when the answer arrived, its body) of recent renames, for the updated_at advance."""
    from_read: bool = False
    """`body` was read with GET /sessions/{id} (another endpoint: compare the fields both have)."""

    def note_refusal(self, request: str) -> None:
        if len(self.refused) < REFUSALS_KEPT:
            self.refused.append(request)


def sent_name(body: Any) -> str | None:
    """The session_name a request carried, when its body is a JSON object with a string name."""
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if isinstance(body, dict) and isinstance(body.get("session_name"), str):
        return str(body["session_name"])
    return None


def _json_media(media_type: str | None) -> bool:
    return media_type is None or media_type.split(";")[0].strip().lower() == "application/json"


class Tracker:
    def __init__(self, sessions: tuple[KnownSession, ...], token: str, verify: Verify) -> None:
        self._ledgers = {s.session_id: Ledger(s) for s in sessions}
        self._token = token
        self._verify = verify

    def ledger(self, session_id: str) -> Ledger | None:
        return self._ledgers.get(session_id)

    def refused(self, session_id: str, request: str) -> None:
        """A request aimed elsewhere (e.g. at a near-miss of the id) that must not touch it."""
        ledger = self._ledgers.get(session_id)
        if ledger is not None:
            ledger.note_refusal(request)

    def _names_exactly(self, answer: Answer, session: KnownSession) -> bool:
        case = answer.case
        query = dict(case.query or {})
        headers: dict[str, Any] = dict(case.headers or {})
        scheme, _, credentials = str(headers.get("Authorization", "")).partition(" ")
        return (
            query.get("type", "agent") == session.type
            and query.get("user_id", session.user_id) == session.user_id
            and not {"db_id", "table"} & query.keys()
            and scheme.lower() == "bearer"
            and credentials == self._token
            and _json_media(case.media_type)
            and sent_name(case.body) is not None
        )

    def observe(self, answer: Answer, sent_at: float, received_at: float) -> None:
        # Hand-written and generated cases alike carry the id percent-encoded.
        wire = (answer.case.path_parameters or {}).get("session_id")
        ledger = self._ledgers.get(decode_segment(str(wire))) if wire is not None else None
        if ledger is None:
            return
        if answer.status != 200:
            ledger.note_refusal(f"{answer.request} (answered {answer.status})")
            return
        if not self._names_exactly(answer, ledger.session):
            ledger.note_refusal(f"{answer.request} (answered 200)")
            ledger.name = None
            return
        body = answer.json()
        if not isinstance(body, dict):
            return
        self._compare(ledger, answer, body, sent_at)
        self._verify("user_id_kept", answer, checks.user_id_kept, body, ledger.session.user_id)
        # A rename to the name the session already has may be a no-op: its time is not judged.
        if ledger.name is None or sent_name(answer.case.body) != ledger.name:
            date = next(iter(answer.response.headers.get("date", [])), None)
            self._verify(
                "updated_at_current", answer, checks.updated_at_current, body, date, ledger.body
            )
        ledger.body = body
        ledger.from_read = False
        ledger.name = sent_name(answer.case.body)
        ledger.refused.clear()
        ledger.stamps = [*ledger.stamps[-(STAMPS_KEPT - 1) :], (received_at, body)]

    def _compare(self, ledger: Ledger, answer: Answer, body: Body, sent_at: float) -> None:
        previous = ledger.body
        if previous is not None and ledger.from_read:
            previous = {key: value for key, value in previous.items() if key in body}
            body = {key: value for key, value in body.items() if key in previous}
        if previous is not None:
            if ledger.refused:
                self._verify(
                    "refused_requests_write_nothing",
                    answer,
                    checks.unchanged_after_refusals,
                    previous,
                    body,
                    tuple(ledger.refused),
                )
            else:
                self._verify(
                    "chat_history_preserved", answer, checks.chat_history_preserved, previous, body
                )
                self._verify(
                    "created_at_preserved", answer, checks.created_at_preserved, previous, body
                )
                self._verify("fields_preserved", answer, checks.fields_preserved, previous, body)
            self._verify(
                "updated_at_monotonic", answer, checks.updated_at_monotonic, previous, body
            )
        earlier = [(at, old) for at, old in ledger.stamps if at <= sent_at - ADVANCE_AFTER_SECONDS]
        # A rename to the name the session already has may be a no-op: not judged here.
        same_name = ledger.name is not None and sent_name(answer.case.body) == ledger.name
        if earlier and not same_name:
            at, old = earlier[-1]
            self._verify(
                "updated_at_advances", answer, checks.updated_at_advanced, old, body, sent_at - at
            )
