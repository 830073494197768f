"""A session id as one URL path segment, and back.

Ids are compared as the server stores them, and an id may hold any character: `/ ? # % ;` and
spaces included. On the wire each of them must be percent-encoded (RFC 3986 section 3.3), and an
id of `.` or `..` alone would be read as a dot segment and removed. Schemathesis encodes the path
parameters of the cases it generates this way (its `quote_all`), but a Case built by hand is sent
as given, so the probes encode their ids here; the tracker decodes either kind back to the id.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

_DOT_SEGMENTS = {".": "%2E", "..": "%2E%2E"}


def encode_segment(value: str) -> str:
    """`value` percent-encoded as a single path segment: every byte but the unreserved ones."""
    return _DOT_SEGMENTS.get(value) or quote(value, safe="")


def decode_segment(wire: str) -> str:
    """What a server reads from the segment (the inverse of encode_segment)."""
    return unquote(wire)
