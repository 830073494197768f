"""A session id on the wire is one path segment that a server decodes back to the id."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from conformance.segments import decode_segment, encode_segment

# Text a URL can carry: any code point but lone surrogates (UTF-8 cannot encode them).
ids = st.text(st.characters(exclude_categories=["Cs"]), min_size=1)


@given(ids)
def test_a_segment_decodes_to_the_id_and_delimits_nothing(session_id: str) -> None:
    wire = encode_segment(session_id)
    assert decode_segment(wire) == session_id
    assert not set(wire) & set("/?#;&=+ ") and wire.isascii()
    assert wire not in (".", "..")


def test_dot_segments_and_escapes_are_kept_as_text() -> None:
    assert encode_segment(".") == "%2E" and encode_segment("..") == "%2E%2E"
    assert encode_segment("a%41") == "a%2541"
    assert encode_segment("a?b#c/d") == "a%3Fb%23c%2Fd"
