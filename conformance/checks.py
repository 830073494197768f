"""Domain invariants of a rename, as plain functions.

Each takes what came back (and what was sent) and raises `Violation(expected, got)` with a message
a person can act on; returning normally means the check passed. They know nothing about HTTP
clients, so they can be reused in any test.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
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
    if before.get("chat_history") != after.get("chat_history"):
        old, new = before.get("chat_history"), after.get("chat_history")
        raise Violation(
            f"chat_history unchanged by a rename ({_message_count(old)} before)",
            f"chat_history with {_message_count(new)}: {_short(new)}",
        )


def created_at_preserved(before: Body, after: Body) -> None:
    if before.get("created_at") != after.get("created_at"):
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


def same_answer(known: tuple[int, bytes], unknown: tuple[int, bytes], how: str) -> None:
    """A caller without a valid token must not learn whether a session exists."""
    if known != unknown:
        raise Violation(
            f"the same answer for a known and an unknown session id ({how})",
            f"known id: {known[0]} {_short(known[1].decode(errors='replace'))}; "
            f"unknown id: {unknown[0]} {_short(unknown[1].decode(errors='replace'))}",
        )


def error_code_present(body: object) -> None:
    if not isinstance(body, Mapping) or not isinstance(body.get("error_code"), str):
        raise Violation(
            'an error body with a string "error_code" (as in the document\'s examples)',
            f"body {_short(body)}",
        )
