"""Domain invariants of a rename, as plain functions.

Each takes what came back (and what was sent) and raises `Violation(expected, got)` with a message
a person can act on; returning normally means the check passed. They know nothing about HTTP
clients, so they can be reused in any test.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from conformance.spec import TypeShape

Body = Mapping[str, Any]


class Violation(Exception):
    def __init__(self, expected: str, got: str | None = None) -> None:
        super().__init__(expected)
        self.expected = expected
        self.got = got
        """None: the report shows the response itself."""


def _short(value: object, limit: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def status_in(status: int, allowed: Collection[int], meaning: str) -> None:
    if status not in allowed:
        wanted = " or ".join(str(s) for s in sorted(allowed))
        raise Violation(f"{wanted} ({meaning})", None)


def json_object(body: object) -> None:
    if not isinstance(body, Mapping):
        raise Violation("a JSON object body", f"body {_short(body)}")


def session_id_echoed(body: Body, session_id: str) -> None:
    if body.get("session_id") != session_id:
        raise Violation(
            f"session_id {_short(session_id)} (the id in the path)",
            f"session_id {_short(body.get('session_id'))}",
        )


def session_name_echoed(body: Body, name: str) -> None:
    if body.get("session_name") != name:
        raise Violation(
            f"session_name {_short(name)} (exactly the name sent)",
            f"session_name {_short(body.get('session_name'))}",
        )
    data = body.get("session_data")
    if isinstance(data, Mapping) and "session_name" in data and data["session_name"] != name:
        # AgentOS keeps the name in session_data: a workflow's answer shows it there too.
        raise Violation(
            f"session_data.session_name {_short(name)} (the name sent, as session_name)",
            f"session_data.session_name {_short(data['session_name'])}",
        )


def answered_alone(status: int, body: object, session_id: str | None, name: str | None) -> None:
    """One of several requests sent at once gets the answer it would get alone: a rename of a
    listed session (`session_id`, to `name`) 200 with its own id and name, an unknown id 404."""
    if session_id is None:
        if status != 404:
            raise Violation("404 for the unknown id, as when it is sent alone", f"status {status}")
        return
    if status != 200:
        raise Violation(
            "200 for the rename of a listed session, as when it is sent alone", f"status {status}"
        )
    own = body if isinstance(body, Mapping) else {}
    if own.get("session_id") != session_id or own.get("session_name") != name:
        raise Violation(
            f"its own session_id {_short(session_id)} and session_name {_short(name)}",
            f"session_id {_short(own.get('session_id'))}, "
            f"session_name {_short(own.get('session_name'))}",
        )


def user_id_kept(body: Body, owner: str | None, where: str = "the 200 body") -> None:
    """A rename never changes whose session it is: the user_id shown is the listed owner (null
    for a session without one). A body without user_id says nothing (the document does not
    require the field; `body_complete` reports it)."""
    if "user_id" in body and not _same(body["user_id"], owner):
        raise Violation(
            f"{where} with user_id {_short(owner)} (the session's owner, as listed; a rename "
            "does not change it)",
            f"user_id {_short(body['user_id'])}",
        )


def body_matches_type(body: Body, session_type: str, shape: TypeShape) -> None:
    errors = [error.message for error in shape.validator.iter_errors(dict(body))]
    if errors:
        raise Violation(
            f"a body valid against the {session_type} session schema",
            "; ".join(errors[:3]),
        )
    foreign = sorted(shape.foreign_properties & set(body))
    if foreign:
        raise Violation(
            f"a {session_type} session body (only {session_type} properties)",
            f"properties of another session type: {', '.join(foreign)}",
        )
    if session_type == "agent" and body.get("agent_session_id") != body.get("session_id"):
        raise Violation(
            "agent_session_id equal to session_id",
            f"agent_session_id {_short(body.get('agent_session_id'))}",
        )


def _message_count(history: object) -> str:
    return f"{len(history)} messages" if isinstance(history, list) else f"{history!r}"


def chat_history_preserved(before: Body, after: Body) -> None:
    """Item by item, in order: the same messages with the same fields."""
    old, new = before.get("chat_history"), after.get("chat_history")
    if _same(old, new):
        return
    expected = f"chat_history unchanged by a rename ({_message_count(old)} before)"
    if isinstance(old, list) and isinstance(new, list):
        for index, (was, now) in enumerate(zip(old, new, strict=False)):
            if not _same(was, now):
                raise Violation(
                    expected, f"message {index} differs: {_short(was, 120)} -> {_short(now, 120)}"
                )
    raise Violation(expected, f"chat_history with {_message_count(new)}: {_short(new)}")


def _same_moment(left: object, right: object) -> bool:
    """Timestamps are equal when they name the same instant, however they are written."""
    if _same(left, right):
        return True
    old, new = _instant(left), _instant(right)
    if old is None or new is None or (old.tzinfo is None) != (new.tzinfo is None):
        return False
    return old == new


def created_at_preserved(before: Body, after: Body) -> None:
    if not _same_moment(before.get("created_at"), after.get("created_at")):
        raise Violation(
            f"created_at unchanged by a rename ({_short(before.get('created_at'))})",
            f"created_at {_short(after.get('created_at'))}",
        )


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def updated_at_monotonic(before: Body, after: Body) -> None:
    old, new = _instant(before.get("updated_at")), _instant(after.get("updated_at"))
    if old is None or new is None:
        return  # null or absent is allowed by the schema; format is the schema check's job
    if old.tzinfo is None or new.tzinfo is None:
        # Naive and aware values cannot be ordered; compare as written (UTC by convention).
        old, new = old.replace(tzinfo=None), new.replace(tzinfo=None)
    if new < old:
        raise Violation(
            f"updated_at at or after the previous answer's {before.get('updated_at')}",
            f"updated_at {after.get('updated_at')} (moved backwards)",
        )
    created = _instant(after.get("created_at"))
    if created is not None and (created.tzinfo is None) == (new.tzinfo is None) and new < created:
        raise Violation(
            f"updated_at not before created_at {after.get('created_at')}",
            f"updated_at {after.get('updated_at')}",
        )


CLOCK_TOLERANCE = timedelta(minutes=2)
"""How far a rename's updated_at may be from the Date of its answer (clocks and whole seconds)."""


def _answer_date(date_header: str | None) -> datetime | None:
    if not date_header:
        return None
    try:
        moment = parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


def updated_at_current(body: Body, date_header: str | None, previous: Body | None) -> None:
    """A rename sets updated_at to the time of the rename: the instant it names is within
    `CLOCK_TOLERANCE` of the answer's own Date header (RFC 9110 section 6.6.1; its clock is the
    server's). Skipped when the answer has no parseable Date, or no updated_at to judge (the
    schema allows null; `updated_at_advances` wants one). A value without an offset names no
    instant (the document's own example is one: the server's local time, AgentOS's form on a
    machine not on UTC), so it is taken in whichever real time zone fits best (UTC-12 to UTC+14,
    in quarter hours). The one exception: an updated_at already later than the Date (another
    writer's clock) may be kept, since updated_at never moves backwards."""
    answered = _answer_date(date_header)
    new = _instant(body.get("updated_at"))
    if answered is None or new is None:
        return
    if new.tzinfo is None:
        new = new.replace(tzinfo=UTC) - _zone_offset(new.replace(tzinfo=UTC) - answered)
    if abs(new - answered) <= CLOCK_TOLERANCE:
        return
    old = _instant(previous.get("updated_at")) if previous is not None else None
    if old is not None:
        old = old if old.tzinfo is not None else old.replace(tzinfo=UTC)
        if old > answered and new == old:
            return
    raise Violation(
        f"updated_at the time of the rename: within {int(CLOCK_TOLERANCE.total_seconds())} s of "
        f"the answer's Date header ({date_header})",
        f"updated_at {_short(body.get('updated_at'))} ({_offset(new - answered)})",
    )


_ZONE_STEP = timedelta(minutes=15)
_ZONES = (timedelta(hours=-12), timedelta(hours=14))


def _zone_offset(delta: timedelta) -> timedelta:
    """The real UTC offset (a whole number of quarter hours, UTC-12 to UTC+14) nearest to
    `delta`, the gap between a local time read as UTC and the instant it should name."""
    nearest = _ZONE_STEP * round(delta / _ZONE_STEP)
    return min(max(nearest, _ZONES[0]), _ZONES[1])


def _offset(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    direction = "after" if seconds > 0 else "before"
    return f"{abs(seconds):,.0f} s {direction} the Date header"


ErrorShape = tuple[int, str, str, str]
"""What a 401 may tell a caller: status, media type, detail and error_code."""

ID_PLACEHOLDER = "<session id>"


def error_shape(status: int, media_type: str, body: object, ids: Collection[str]) -> ErrorShape:
    """The parts of an error answer that must not depend on whether the session exists.

    Fields that differ on every request (a request_id, an RFC 9457 `instance`, a timestamp) are
    left out, and the session id asked for is replaced in `detail`, so only a difference the
    session's existence causes remains."""
    media = media_type.split(";")[0].strip().lower()
    if not isinstance(body, Mapping):
        return status, media, _short(body), ""
    detail = body.get("detail")
    text = detail if isinstance(detail, str) else json.dumps(detail, sort_keys=True)
    for session_id in sorted(ids, key=len, reverse=True):
        if session_id:
            text = text.replace(session_id, ID_PLACEHOLDER)
    code = body.get("error_code")
    return status, media, text, code if isinstance(code, str) else json.dumps(code)


def same_answer(known: ErrorShape, unknown: ErrorShape, how: str) -> None:
    """A caller without a valid token must not learn whether a session exists."""
    if known != unknown:
        raise Violation(
            f"the same status, media type, detail and error_code for a known and an unknown "
            f"session id ({how})",
            f"known id: {known[0]} {known[1]} detail {_short(known[2])} error_code "
            f"{_short(known[3])}; unknown id: {unknown[0]} {unknown[1]} detail "
            f"{_short(unknown[2])} error_code {_short(unknown[3])}",
        )


def challenge_present(challenges: Collection[str]) -> None:
    """RFC 9110 section 11.6.1: a 401 MUST carry at least one challenge in WWW-Authenticate."""
    if not any(value.strip() for value in challenges):
        raise Violation(
            "a WWW-Authenticate header with a challenge (RFC 9110 section 11.6.1: a 401 MUST "
            "send one), e.g. WWW-Authenticate: Bearer",
            "no WWW-Authenticate header" if not challenges else "an empty WWW-Authenticate",
        )


def error_code_present(body: object) -> None:
    if not isinstance(body, Mapping) or not isinstance(body.get("error_code"), str):
        raise Violation(
            'an error body with a string "error_code" (as in the document\'s examples)',
            f"body {_short(body)}",
        )


# Whole-body comparisons ------------------------------------------------------------------------
RENAMED_FIELDS = frozenset({"session_name", "updated_at"})
"""What a rename may change; everything else in the body stays as it was."""
_OWN_CHECKS = frozenset({"chat_history", "created_at"})
"""Fields with a check of their own (reported separately for a clearer report)."""
_ABSENT = object()
STORED_PRECISION = timedelta(seconds=1)


def _comparable(body: Body, skip: frozenset[str]) -> dict[str, Any]:
    fields = {key: value for key, value in body.items() if key not in skip}
    data = fields.get("session_data")
    if isinstance(data, Mapping):
        # A workflow's session_data carries the name too: renaming changes that key only.
        fields["session_data"] = {k: v for k, v in data.items() if k != "session_name"}
    return fields


def _same(left: object, right: object) -> bool:
    """JSON equality: unlike Python's, true is not 1 (numbers compare by value)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        pairs = zip(left, right, strict=False)
        return len(left) == len(right) and all(_same(a, b) for a, b in pairs)
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and left == right


def changed_fields(
    before: Body, after: Body, skip: frozenset[str], *, common_only: bool = False
) -> list[str]:
    old, new = _comparable(before, skip), _comparable(after, skip)
    keys = old.keys() & new.keys() if common_only else old.keys() | new.keys()
    return sorted(k for k in keys if not _same_field(k, old.get(k, _ABSENT), new.get(k, _ABSENT)))


def _same_field(key: str, left: object, right: object) -> bool:
    return _same_moment(left, right) if key.endswith("_at") else _same(left, right)


def _describe_changes(before: Body, after: Body, fields: list[str]) -> str:
    old, new = _comparable(before, frozenset()), _comparable(after, frozenset())
    parts = [
        f"{key}: {_short(old.get(key, '<absent>'), 80)} -> {_short(new.get(key, '<absent>'), 80)}"
        for key in fields[:4]
    ]
    more = f" (and {len(fields) - 4} more)" if len(fields) > 4 else ""
    return "changed " + "; ".join(parts) + more


def fields_preserved(before: Body, after: Body) -> None:
    changed = changed_fields(before, after, RENAMED_FIELDS | _OWN_CHECKS)
    if changed:
        raise Violation(
            "a rename changes session_name and updated_at only (every other field of the "
            "previous answer unchanged; session_data apart from its session_name)",
            _describe_changes(before, after, changed),
        )


def body_complete(body: Body, session_type: str, shape: TypeShape) -> None:
    missing = sorted(shape.properties - set(body))
    if missing:
        raise Violation(
            f"every field of the {session_type} session schema in the body (null when empty)",
            f"missing: {', '.join(missing)}",
        )


def unchanged_after_refusals(before: Body, after: Body, refused: tuple[str, ...]) -> None:
    changed = changed_fields(before, after, RENAMED_FIELDS)
    if changed:
        shown = "; ".join(refused[:3]) + (
            f" (and {len(refused) - 3} more)" if len(refused) > 3 else ""
        )
        raise Violation(
            f"the session as the previous rename left it, after refused requests ({shown})",
            _describe_changes(before, after, changed),
        )


def stored_as_answered(
    stored: Body, name: str | None, answered: Body, refused: tuple[str, ...]
) -> None:
    """A read of the session shows the name last answered and the fields as answered."""
    after = f" after refused requests ({'; '.join(refused[:3])})" if refused else ""
    if name is not None and stored.get("session_name") != name:
        raise Violation(
            f"the stored session_name {_short(name)} (the name last answered 200){after}",
            f"GET shows session_name {_short(stored.get('session_name'))}",
        )
    changed = changed_fields(answered, stored, RENAMED_FIELDS, common_only=True)
    if changed:
        raise Violation(
            f"the stored session as the last rename answered it{after}",
            "GET shows " + _describe_changes(answered, stored, changed),
        )
    if _stored_earlier(stored.get("updated_at"), answered.get("updated_at")):
        raise Violation(
            f"the stored updated_at {answered.get('updated_at')} (as the last rename answered)"
            f"{after}",
            f"GET shows updated_at {stored.get('updated_at')}",
        )


def _stored_earlier(stored: object, answered: object) -> bool:
    """A store may keep coarser time than it answers: up to a second earlier is the same."""
    kept, said = _instant(stored), _instant(answered)
    if kept is None or said is None or (kept.tzinfo is None) != (said.tzinfo is None):
        return False
    return kept < said - STORED_PRECISION


def updated_at_advanced(before: Body, after: Body, waited: float) -> None:
    old, new = _instant(before.get("updated_at")), _instant(after.get("updated_at"))
    if new is None:
        raise Violation(
            "updated_at set to the time of the rename",
            f"updated_at {_short(after.get('updated_at'))}",
        )
    if old is None:
        return
    if (old.tzinfo is None) != (new.tzinfo is None):
        old, new = old.replace(tzinfo=None), new.replace(tzinfo=None)
    if new <= old:
        raise Violation(
            f"updated_at later than {before.get('updated_at')} (the answer of a rename "
            f"{waited:.1f} s earlier)",
            f"updated_at {after.get('updated_at')}",
        )


def allows_post(status: int, allow: str | None) -> None:
    if status != 405:
        raise Violation("405 (the path only takes POST)", None)
    methods = {m.strip() for m in (allow or "").split(",")}
    if "POST" not in methods:
        raise Violation("an Allow header listing POST with the 405", f"Allow: {allow!r}")
