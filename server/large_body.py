"""A large rename body read once, fast, and handed on as the small body it amounts to.

A rename body is `{"session_name": "..."}`; the document allows other members and the handler
never reads them. Connexion reads a body with the standard library's json twice (its validator,
then the handler's arguments) and builds every member: a 1 MiB body of small numbers cost about
200 ms of the event loop, during which no other request on that worker was answered.

Over DIGEST_OVER bytes, msgspec reads the body instead: its JSON syntax is checked throughout
(about 3 ms for 1 MiB of numbers) but only `session_name` is built, and the body handed on is
`{"session_name": <it>}` (or `{}` without it), which the validator and the handler read in no
time and judge exactly as they would the original. What msgspec cannot read (malformed JSON, a
lone surrogate escape, nesting over its limit), a body that is not an object, or a
`session_name` that is not a string, is refused here with the usual 422.

Hand-written because no library offers "validate this JSON without building it": msgspec's
Struct decoding skips unknown members without building them, which is the whole trick.
"""

from __future__ import annotations

from typing import Any

import msgspec

DIGEST_OVER = 64 * 1024
"""Bodies larger than this are digested; smaller ones take Connexion's path unchanged."""
RENAME_OPERATION_ID = "rename_session"
"""The document's one operation with a body; its handler reads only `session_name`."""


class UnreadableBody(Exception):
    """A large body that cannot be a rename (the error table answers 422)."""


class _RenameBody(msgspec.Struct):
    session_name: Any = msgspec.UNSET


_DECODER = msgspec.json.Decoder(_RenameBody)


def digest(body: bytes) -> bytes:
    """The small body that `body` amounts to for a rename, or UnreadableBody."""
    try:
        decoded = _DECODER.decode(body)
    except msgspec.ValidationError as error:  # valid JSON, but not an object
        raise UnreadableBody("Request body is not a JSON object") from error
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError) as error:
        raise UnreadableBody(f"Request body is not valid JSON: {error}") from error
    name = decoded.session_name
    if name is msgspec.UNSET:
        return b"{}"  # Connexion's own message: 'session_name' is a required property
    if not isinstance(name, str):
        raise UnreadableBody("'session_name' is not of type 'string'")
    encoded: bytes = msgspec.json.encode({"session_name": name})
    return encoded
