"""The sessions file: sessions that exist on the target, so generated requests can reach 200."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SESSION_TYPES = ("agent", "team", "workflow")


class UsageError(Exception):
    """Bad arguments or input files: reported as one line, exit code 2."""


@dataclass(frozen=True, slots=True)
class KnownSession:
    session_id: str
    type: str
    user_id: str | None
    session_name: str | None = None
    """Optional original name, used by --restore-names when the target cannot tell us."""

    def scoped_query(self) -> dict[str, str]:
        """The query that identifies this session to its owner."""
        query = {"type": self.type}
        if self.user_id is not None:
            query["user_id"] = self.user_id
        return query


def _parse_entry(entry: object, index: int) -> KnownSession:
    where = f"sessions[{index}]"
    if not isinstance(entry, dict):
        raise UsageError(f"{where} must be an object")
    session_id = entry.get("session_id")
    if not isinstance(session_id, str) or not session_id:
        raise UsageError(f"{where}.session_id must be a non-empty string")
    session_type = entry.get("type")
    if session_type not in SESSION_TYPES:
        raise UsageError(f"{where}.type must be one of {', '.join(SESSION_TYPES)}")
    user_id = entry.get("user_id")
    if user_id is not None and not isinstance(user_id, str):
        raise UsageError(f"{where}.user_id must be a string or null")
    name = entry.get("session_name")
    if name is not None and not isinstance(name, str):
        raise UsageError(f"{where}.session_name must be a string when given")
    return KnownSession(session_id, str(session_type), user_id, name)


def parse_sessions(document: object) -> tuple[KnownSession, ...]:
    if not isinstance(document, dict) or not isinstance(document.get("sessions"), list):
        raise UsageError('the sessions file must be {"sessions": [...]}')
    sessions = tuple(_parse_entry(e, i) for i, e in enumerate(document["sessions"]))
    if not sessions:
        raise UsageError("the sessions file lists no sessions; at least one is needed")
    if len({s.session_id for s in sessions}) != len(sessions):
        raise UsageError("the sessions file lists a session_id more than once")
    return sessions


def load_sessions(path: Path) -> tuple[KnownSession, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read sessions file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"sessions file {path} is not UTF-8 text") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"sessions file {path} is not JSON: {error}") from None
    return parse_sessions(document)


def representatives(sessions: tuple[KnownSession, ...]) -> tuple[KnownSession, ...]:
    """One session per type present (the first listed): enough to check every body shape."""
    chosen: dict[str, KnownSession] = {}
    for session in sessions:
        chosen.setdefault(session.type, session)
    return tuple(chosen[t] for t in SESSION_TYPES if t in chosen)


def in_depth(sessions: tuple[KnownSession, ...]) -> tuple[KnownSession, ...]:
    """The sessions the rename invariants run on: one per type (`representatives`), and, when
    none of those is of that kind, the first listed session without an owner and the first with
    one. A session without an owner is matched only when no `user_id` is given (a filter
    `user_id = X` never matches a NULL owner), so it is its own case to check."""
    chosen = list(representatives(sessions))
    for ownerless in (True, False):
        if any((s.user_id is None) is ownerless for s in chosen):
            continue
        extra = next((s for s in sessions if (s.user_id is None) is ownerless), None)
        if extra is not None:
            chosen.append(extra)
    return tuple(chosen)
