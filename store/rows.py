"""Turning rows of Agno's session table into StoredSession, shared by the SQL backends."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

import orjson

from domain.session import RenameRequest, SessionType, StoredSession

COLUMNS = (
    "session_id",
    "session_type",
    "agent_id",
    "team_id",
    "workflow_id",
    "user_id",
    "session_data",
    "agent_data",
    "team_data",
    "workflow_data",
    "metadata",
    "runs",
    "summary",
    "created_at",
    "updated_at",
)
JSON_COLUMNS = (
    "session_data",
    "agent_data",
    "team_data",
    "workflow_data",
    "metadata",
    "runs",
    "summary",
)
COLUMN_LIST = ", ".join(COLUMNS)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# NUL cannot be stored in PostgreSQL text, lone surrogates cannot be encoded as UTF-8 for either
# database: no stored session has them in its id or owner, but a request may (`%00` in the path).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable_key(value: str) -> bool:
    return _UNSTORABLE.search(value) is None


def can_match_a_row(request: RenameRequest) -> bool:
    """False when the id or owner could never be in a row: the lookup is then simply empty,
    rather than a driver error that would surface as a 500."""
    return is_storable_key(request.session_id) and (
        request.user_id is None or is_storable_key(request.user_id)
    )


def rename_parameters(request: RenameRequest) -> dict[str, object]:
    """The named parameters of both SQL backends' rename statements."""
    return {
        "name": request.new_name,
        "now": request.now,
        "session_id": request.session_id,
        "session_type": request.session_type.value,
        "user_id": request.user_id,
    }


def checked_identifier(name: str) -> str:
    """A configured table or schema name, safe to place in SQL text (it is never from a request)."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a valid SQL identifier: {name!r}")
    return name


class _Unreadable:
    """The value of a JSON column that cannot be decoded (see `load_json`)."""

    def __repr__(self) -> str:
        return "UNREADABLE"


UNREADABLE: Any = _Unreadable()
# Which JSON type each JSON column must decode to; anything else is read as absent (None).
_OBJECT_COLUMNS = frozenset(JSON_COLUMNS) - {"runs"}


def load_json(data: bytes | bytearray | memoryview | str) -> Any:
    """orjson.loads, but text that is not JSON orjson can read (malformed, lone surrogates,
    1e400, nested deeper than 1024) is UNREADABLE instead of an error. The psycopg JSON loader
    too: an error there would surface only after the rename was committed."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return UNREADABLE


def decode_json(value: Any) -> Any:
    """A JSON column's value, whichever way it was written; UNREADABLE when it cannot be read.

    agno double-encodes JSON columns on SQLite (a JSON string holding the document); its own reader
    decodes once more whenever it gets a string back, and so do we.
    """
    if isinstance(value, bytes | str):
        value = load_json(value)
    if isinstance(value, str):
        value = load_json(value)
    return value


def _of_its_type(column: str, value: Any) -> Any:
    """The column's decoded value when it has the column's JSON type, else None: another
    writer's malformed column reads as absent rather than failing the answer."""
    expected = dict if column in _OBJECT_COLUMNS else list
    return value if isinstance(value, expected) else None


def _writable(value: Any) -> bool:
    """orjson can write it back (it writes at most 254 levels of nesting, and reads 1024)."""
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return False
    return True


def _readable_columns(values: dict[str, Any]) -> None:
    for column in JSON_COLUMNS:
        values[column] = _of_its_type(column, decode_json(values[column]))
    # Each column wrapped once more, as the answer nests it; one call for all in the usual case.
    if not _writable([[values[column]] for column in JSON_COLUMNS]):
        for column in JSON_COLUMNS:
            if not _writable([values[column]]):
                values[column] = None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _epoch(value: Any) -> int | None:
    # SQLite keeps whatever another writer put in an integer column (text, a real).
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def session_from_row(row: Mapping[str, Any] | tuple[Any, ...]) -> StoredSession:
    """A row as a StoredSession. Total over what other writers may have stored: a column that is
    malformed or of the wrong type reads as absent (None), so shaping an answer from it cannot
    fail after the rename was committed. Only `session_type` must be valid (renames match it)."""
    values = dict(zip(COLUMNS, row, strict=True)) if isinstance(row, tuple) else dict(row)
    _readable_columns(values)
    for column in ("user_id", "agent_id", "team_id", "workflow_id"):
        values[column] = _text(values[column])
    values["session_type"] = SessionType(values["session_type"])
    values["created_at"] = _epoch(values["created_at"]) or 0
    values["updated_at"] = _epoch(values["updated_at"])
    return StoredSession(**values)


def renamed_session(row: Mapping[str, Any] | tuple[Any, ...], new_name: str) -> StoredSession:
    """The row a rename statement returned. The statement stored `new_name` in session_data; when
    the rest of session_data cannot be read, the answer still carries the name that was stored."""
    session = session_from_row(row)
    if session.session_name == new_name:
        return session
    return dataclasses.replace(session, session_data={"session_name": new_name})


UNNAMEABLE_SESSION_DATA = (
    "the session's session_data is neither a JSON object nor empty, so no name can be stored in it"
)
