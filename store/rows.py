"""Turning rows of Agno's session table into StoredSession, shared by the SQL backends."""

from __future__ import annotations

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


def decode_json(value: Any) -> Any:
    """A JSON column's value, whichever way it was written.

    agno double-encodes JSON columns on SQLite (a JSON string holding the document); its own reader
    decodes once more whenever it gets a string back, and so do we.
    """
    if isinstance(value, bytes | str):
        value = orjson.loads(value)
    if isinstance(value, str):
        value = orjson.loads(value)
    return value


def session_from_row(
    row: Mapping[str, Any] | tuple[Any, ...], *, decode: bool = True
) -> StoredSession:
    values = dict(zip(COLUMNS, row, strict=True)) if isinstance(row, tuple) else dict(row)
    if decode:
        for column in JSON_COLUMNS:
            if values[column] is not None:
                values[column] = decode_json(values[column])
    values["session_type"] = SessionType(values["session_type"])
    return StoredSession(**values)
