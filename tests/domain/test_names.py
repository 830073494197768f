from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidSessionName
from domain.names import MAX_SESSION_NAME_LENGTH, validate_session_name


@pytest.mark.parametrize(
    "name",
    [
        "My session",
        "  padded  ",
        "日本語のセッション",
        "emoji 🎉",
        "a" * MAX_SESSION_NAME_LENGTH,
        "x",
    ],
)
def test_accepts_titles_and_returns_them_unchanged(name: str) -> None:
    assert validate_session_name(name) == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\u00a0\u2003", "empty"),
        ("a" * (MAX_SESSION_NAME_LENGTH + 1), "at most"),
        ("line\nbreak", "control"),
        ("tab\there", "control"),
        ("nul\x00", "control"),
        ("del\x7f", "control"),
        ("c1\x85", "control"),
        ("\ud800", "surrogates"),
        ("ok\udfffok", "surrogates"),
    ],
)
def test_rejects_unusable_names(name: str, reason: str) -> None:
    with pytest.raises(InvalidSessionName, match=reason):
        validate_session_name(name)


@given(st.text())
def test_accepted_names_can_always_be_stored_as_utf8(name: str) -> None:
    try:
        accepted = validate_session_name(name)
    except InvalidSessionName:
        return
    assert accepted.strip()
    accepted.encode("utf-8")  # raises for anything unstorable
    assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F for c in accepted)
