"""Reading rows other writers stored, whatever they stored: decoding and shaping never fail, and
the 200 body always matches the document (store/rows.py, domain/detail.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.detail import render_timestamp, session_detail
from domain.session import SessionType
from store.rows import (
    COLUMNS,
    JSON_COLUMNS,
    UNREADABLE,
    load_json,
    renamed_session,
    session_from_row,
)

_DOCUMENT = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi.yaml").read_text())
_SCHEMAS = _DOCUMENT["components"]["schemas"]
VALIDATORS = {
    session_type: jsonschema_rs.validator_for(
        _SCHEMAS[f"{session_type.value.capitalize()}SessionDetailSchema"], validate_formats=True
    )
    for session_type in SessionType
}

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=30,
)
# Keys agno's readers look at, so the shaping code's paths are reached, with any value.
known_keys = st.sampled_from(
    ["session_name", "session_state", "session_metrics", "total_tokens", "messages", "role",
     "content", "status", "parent_run_id", "input", "agent_id", "metrics", "from_history",
     "created_at", "summary", "topics", "name", "id"]
)  # fmt: skip
agno_like = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(known_keys, inner, max_size=6),
    max_leaves=40,
)


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def _as_text(value: Any) -> str:
    return orjson.dumps(value).decode()


# A JSON column as a database may hand it back: absent, any text, a document's text, agno's
# double-encoded text, or (PostgreSQL) the decoded value itself.
json_column = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.sampled_from(['"\\ud800"', "1e400", _deep(300), _deep(1100), "{", "NaN"]),
    (json_values | agno_like).map(_as_text),
    (json_values | agno_like).map(lambda value: _as_text(_as_text(value))),
    json_values | agno_like,
)
# Scalar columns: SQLite keeps whatever type a writer gave it.
scalar_column = st.one_of(
    st.none(),
    st.text(max_size=10),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True),
    st.binary(max_size=4),
)


@st.composite
def raw_rows(draw: st.DrawFn) -> tuple[Any, ...]:
    values: dict[str, Any] = {}
    for column in COLUMNS:
        if column == "session_id":
            values[column] = draw(st.text(min_size=1, max_size=10))
        elif column == "session_type":
            values[column] = draw(st.sampled_from([t.value for t in SessionType]))
        elif column in JSON_COLUMNS:
            values[column] = draw(json_column)
        else:
            values[column] = draw(scalar_column)
    return tuple(values[column] for column in COLUMNS)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(row=raw_rows(), name=st.text(min_size=1, max_size=20))
def test_any_stored_row_shapes_into_a_body_the_document_allows(
    row: tuple[Any, ...], name: str
) -> None:
    session = renamed_session(row, name)
    body = session_detail(session)
    assert body["session_name"] == name
    encoded = orjson.dumps(body)  # what the server sends: must not fail either
    errors = [error.message for error in VALIDATORS[session.session_type].iter_errors(body)]
    assert errors == [], (row, body)
    assert orjson.loads(encoded) == body


def test_malformed_columns_read_as_absent_and_good_ones_as_they_are() -> None:
    row = dict.fromkeys(COLUMNS)
    row.update(
        session_id="s-1",
        session_type="agent",
        user_id=b"\x00",
        agent_id="agent-1",
        session_data=_as_text(_as_text({"session_name": "Kept", "session_state": {"a": 1}})),
        metadata="{{{",
        runs='{"not": "a list"}',
        agent_data=_deep(300),
        summary='"\\ud800"',
        created_at="yesterday",
        updated_at=1.5,
    )
    session = session_from_row(row)
    assert session.session_data == {"session_name": "Kept", "session_state": {"a": 1}}
    assert session.agent_id == "agent-1"
    assert (session.user_id, session.metadata, session.runs) == (None, None, None)
    assert (session.agent_data, session.summary) == (None, None)
    assert (session.created_at, session.updated_at) == (0, None)


def test_the_name_just_stored_is_answered_even_when_the_rest_of_session_data_is_unreadable() -> (
    None
):
    row = dict.fromkeys(COLUMNS)
    row.update(session_id="s-1", session_type="team", session_data='{"x": "\\ud800"}', created_at=1)
    assert renamed_session(row, "Stored").session_data == {"session_name": "Stored"}


def test_text_orjson_cannot_read_is_unreadable_not_an_error() -> None:
    for text in ('"\\ud800"', "1e400", _deep(1100), "{", b"\xff"):
        assert load_json(text) is UNREADABLE
    assert load_json(b'{"a": [1]}') == {"a": [1]}


def test_times_no_date_time_can_show_are_null_and_early_years_keep_four_digits() -> None:
    assert render_timestamp(10**18) is None
    assert render_timestamp(-(10**18)) is None
    assert render_timestamp(-62_000_000_000) == "0005-04-19T09:46:40Z"
