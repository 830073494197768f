"""What counts as a valid session name.

The document only says "string"; the reference server stores anything, including names that
corrupt the session. We accept what a person could have typed as a title and reject the rest.
"""

from __future__ import annotations

import re

from domain.errors import InvalidSessionName

MAX_SESSION_NAME_LENGTH = 255
"""Characters (code points); a title, not a document."""

# Unicode category Cc (C0 and C1 controls: NUL, newline, tab, ESC, DEL, ...).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
# Category Cs: lone surrogates such as "\ud800" arrive from JSON escapes but cannot be encoded as
# UTF-8, so they could never be stored or sent back.
_SURROGATE = re.compile("[\ud800-\udfff]")


def validate_session_name(name: str) -> str:
    """Return the name exactly as sent (it is what the caller will read back) or raise."""
    if not name.strip():
        raise InvalidSessionName("must not be empty or only whitespace")
    if len(name) > MAX_SESSION_NAME_LENGTH:
        raise InvalidSessionName(f"must be at most {MAX_SESSION_NAME_LENGTH} characters")
    if _CONTROL.search(name):
        raise InvalidSessionName("must not contain control characters")
    if _SURROGATE.search(name):
        raise InvalidSessionName("must be valid Unicode (no lone surrogates)")
    return name
