"""The request's Content-Type, said once at the edge in the form Connexion understands.

- No Content-Type: the body is read as JSON. Connexion 3.3 validates such a body as JSON (its
  "best guess" is the operation's one media type) but then handed the handler the raw bytes,
  which failed with a 500 (FastAPI, and so AgentOS, also read it as JSON).
- Media types are case-insensitive (RFC 9110 8.3.1) but Connexion compares them as written:
  `Application/JSON` passed validation and then failed in the handler with a 500. The type is
  lower-cased here.
- JSON has no charset parameter (RFC 8259: JSON between systems is UTF-8). Connexion decoded the
  body with the declared charset for validation and the handler read it as UTF-8, so the two
  could disagree; a JSON media type is passed on without parameters and the body is always UTF-8
  (anything else is a 422).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

_CONTENT_TYPE = b"content-type"
_JSON_TYPE = b"application/json"
_JSON = (_CONTENT_TYPE, _JSON_TYPE)


def normalized(value: bytes) -> bytes:
    """The media type in lower case; a JSON type without its parameters."""
    media_type, separator, parameters = value.partition(b";")
    media_type = media_type.strip().lower()
    if media_type == _JSON_TYPE or media_type.endswith(b"+json") or not separator:
        return media_type
    return media_type + b";" + parameters


class DefaultJsonContentType:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = _with_content_type(scope)
        await self.app(scope, receive, send)


def _with_content_type(scope: Scope) -> Scope:
    headers = scope["headers"]
    for index, (name, value) in enumerate(headers):
        if name.lower() == _CONTENT_TYPE:
            if value == _JSON_TYPE:
                return scope  # the usual case: nothing to change
            rewritten = list(headers)
            rewritten[index] = (_CONTENT_TYPE, normalized(value))
            return {**scope, "headers": rewritten}
    return {**scope, "headers": [*headers, _JSON]}
