"""Request bodies: at most `limit` bytes held, chunked bodies read like any other, and a client
that goes away mid-body never mistaken for a complete request.

- A `Content-Length` over the limit is answered 413 at once, before anything reads the body.
- Bytes are counted as `receive()` hands them over, so a body can never grow past the limit
  whatever the headers said.
- A chunked body (no `Content-Length`) is read here, bounded by the limit, and passed on with its
  length: Connexion 3.3 decides from `Content-Length` alone whether a body was sent.
- `http.disconnect` before the last body byte raises ClientDisconnected: Connexion would take the
  bytes received so far for the whole body.
- A rename body over 64 KiB is read whole and replaced by the small body it amounts to
  (server/large_body.py), so that no large body holds the event loop.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import render_error
from server.http_failures import ClientDisconnected, RequestBodyTooLarge
from server.large_body import DIGEST_OVER, RENAME_OPERATION_ID, UnreadableBody, digest
from server.settings import DEFAULT_MAX_BODY_BYTES

_CONTENT_LENGTH = b"content-length"
_CONTENT_TYPE = b"content-type"
_TRANSFER_ENCODING = b"transfer-encoding"
_JSON = b"application/json"


def _digestible(scope: Scope) -> bool:
    """A JSON body of the rename operation (Connexion's routing has named the operation). The
    Content-Type is as server/content_type.py left it: a JSON one is exactly application/json
    (lower case, no parameters; given to a body without a type)."""
    routing = scope.get("extensions", {}).get("connexion_routing", {})
    if routing.get("operation_id") != RENAME_OPERATION_ID:
        return False
    for name, value in scope["headers"]:
        if name == _CONTENT_TYPE:
            return bool(value == _JSON)  # the first Content-Type, as Connexion reads it
    return False


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: bytes | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == _CONTENT_LENGTH:
                declared = value
            elif name == _TRANSFER_ENCODING:
                chunked = True
        if declared is not None:
            # The HTTP server has checked it is a number (it frames the body by it).
            length = int(declared)
            if length > self.limit:
                await _answer(RequestBodyTooLarge(self.limit), send)
                return
            if length > DIGEST_OVER and _digestible(scope):
                await self._whole_body(scope, receive, send, digestible=True)
                return
            counted = self._counting(receive) if declared.strip(b" 0") else receive
            await self.app(scope, counted, send)
        elif chunked:
            await self._whole_body(scope, receive, send, digestible=_digestible(scope))
        else:
            await self.app(scope, receive, send)

    def _counting(self, receive: Receive) -> Receive:
        received = 0
        complete = False

        async def counted() -> Message:
            nonlocal received, complete
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise RequestBodyTooLarge(self.limit)
                complete = not message.get("more_body", False)
            elif message["type"] == "http.disconnect" and not complete:
                raise ClientDisconnected()
            return message

        return counted

    async def _whole_body(
        self, scope: Scope, receive: Receive, send: Send, *, digestible: bool
    ) -> None:
        """Read the body (a chunked one, or a large one to digest) and hand it on with its
        length; a `digestible` one over DIGEST_OVER bytes digested."""
        parts: list[bytes] = []
        counted = self._counting(receive)
        try:
            while True:
                message = await counted()
                parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except (RequestBodyTooLarge, ClientDisconnected) as failure:
            await _answer(failure, send)
            return
        body = b"".join(parts)
        if digestible and len(body) > DIGEST_OVER:
            try:
                body = digest(body)
            except UnreadableBody as failure:
                await _answer(failure, send)
                return
        framing = (_TRANSFER_ENCODING, _CONTENT_LENGTH)
        headers = [(n, v) for n, v in scope["headers"] if n not in framing]
        headers.append((_CONTENT_LENGTH, str(len(body)).encode("ascii")))
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app({**scope, "headers": headers}, replay, send)


async def _answer(failure: Exception, send: Send) -> None:
    rendered = render_error(failure)
    headers = [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in rendered.headers.items()
    ]
    headers += [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(rendered.body)).encode("ascii")),
    ]
    await send({"type": "http.response.start", "status": rendered.status, "headers": headers})
    await send({"type": "http.response.body", "body": rendered.body})
