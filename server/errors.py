"""THE error table: every error body the server sends comes from here.

Domain errors carry no HTTP words; Connexion's own problems (validation, media type, routing) are
mapped here too, so that every answer is one of the document's JSON bodies
`{"detail": str, "error_code": str}` and never `application/problem+json`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import orjson
from connexion.exceptions import (
    BadRequestProblem,
    ProblemException,
    UnsupportedMediaTypeProblem,
)
from connexion.exceptions import Forbidden as ConnexionForbidden
from connexion.exceptions import Unauthorized as ConnexionUnauthorized
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from domain.errors import (
    DatabaseNotFound,
    DatabaseSelectionRequired,
    InvalidSessionName,
    SessionNotFound,
    StoreFailure,
    TableNotFound,
)
from server.auth import MISSING_CREDENTIALS, Forbidden, Unauthenticated
from server.http_failures import (
    ClientDisconnected,
    MalformedRequest,
    NotReady,
    RequestBodyTimeout,
    RequestBodyTooLarge,
    RequestHeadTimeout,
    RequestHeadTooLarge,
    TooManyConnections,
    TransferEncodingInHttp10,
    UnsupportedTransferCoding,
)
from server.large_body import UnreadableBody
from server.logs import current_request_id

logger = logging.getLogger("server.errors")

INTERNAL_ERROR_DETAIL = "Internal server error"
MAX_DETAIL_CHARACTERS = 500


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    status: int
    error_code: str
    detail: str | None = None
    """A fixed detail; None sends the error's own message (written for callers to read)."""


ERROR_TABLE: tuple[tuple[type[BaseException], ErrorAnswer], ...] = (
    (InvalidSessionName, ErrorAnswer(400, "BAD_REQUEST")),
    # The HTTP layer (server/http_protocol.py, server/body_limit.py), before the operation runs.
    (MalformedRequest, ErrorAnswer(400, "BAD_REQUEST")),
    (TransferEncodingInHttp10, ErrorAnswer(400, "BAD_REQUEST")),
    (RequestHeadTimeout, ErrorAnswer(408, "REQUEST_TIMEOUT")),
    (RequestBodyTimeout, ErrorAnswer(408, "REQUEST_TIMEOUT")),
    (RequestBodyTooLarge, ErrorAnswer(413, "PAYLOAD_TOO_LARGE")),
    (RequestHeadTooLarge, ErrorAnswer(431, "REQUEST_HEADER_FIELDS_TOO_LARGE")),
    (UnsupportedTransferCoding, ErrorAnswer(501, "NOT_IMPLEMENTED")),
    # Nobody reads this answer; the status is for the access log.
    (ClientDisconnected, ErrorAnswer(400, "CLIENT_DISCONNECTED")),
    (ClientDisconnect, ErrorAnswer(400, "CLIENT_DISCONNECTED", ClientDisconnected().args[0])),
    (NotReady, ErrorAnswer(503, "NOT_READY")),
    (TooManyConnections, ErrorAnswer(503, "SERVICE_UNAVAILABLE")),
    (DatabaseSelectionRequired, ErrorAnswer(400, "BAD_REQUEST")),
    (Unauthenticated, ErrorAnswer(401, "UNAUTHENTICATED")),
    (ConnexionUnauthorized, ErrorAnswer(401, "UNAUTHENTICATED", MISSING_CREDENTIALS)),
    (Forbidden, ErrorAnswer(403, "FORBIDDEN")),
    (ConnexionForbidden, ErrorAnswer(403, "FORBIDDEN", "Forbidden")),
    (SessionNotFound, ErrorAnswer(404, "NOT_FOUND")),
    (DatabaseNotFound, ErrorAnswer(404, "NOT_FOUND")),
    (TableNotFound, ErrorAnswer(404, "NOT_FOUND")),
    # Connexion's request validation: the document answers 422 for every malformed request.
    (BadRequestProblem, ErrorAnswer(422, "VALIDATION_ERROR")),
    (UnsupportedMediaTypeProblem, ErrorAnswer(422, "VALIDATION_ERROR")),
    (UnreadableBody, ErrorAnswer(422, "VALIDATION_ERROR")),
    (StoreFailure, ErrorAnswer(500, "INTERNAL_SERVER_ERROR", INTERNAL_ERROR_DETAIL)),
)
_ROUTING_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
_INTERNAL = ErrorAnswer(500, "INTERNAL_SERVER_ERROR", INTERNAL_ERROR_DETAIL)


def answer_for(error: BaseException) -> ErrorAnswer:
    for error_class, answer in ERROR_TABLE:
        if isinstance(error, error_class):
            return answer
    if isinstance(error, HTTPException) and not isinstance(error, ProblemException):
        # Starlette's routing: unknown path or method. Not part of the operation, still JSON.
        code = _ROUTING_CODES.get(error.status_code)
        if code is not None:
            return ErrorAnswer(error.status_code, code, error.detail)
    return _INTERNAL


def _detail(error: BaseException, answer: ErrorAnswer) -> str:
    if answer.detail is not None:
        return answer.detail
    own = getattr(error, "detail", None)
    text = own if isinstance(own, str) and own else str(error)
    # jsonschema appends the whole failing schema after a blank line: keep the readable part.
    text = text.split("\n\n", 1)[0]
    # jsonschema's message starts with the failing value itself ("[1, 1, ...] is not of type
    # 'object'"): a body of 64 KiB made a detail of 100 KB. The start says what is wrong.
    if len(text) > MAX_DETAIL_CHARACTERS:
        text = text[: MAX_DETAIL_CHARACTERS - 1] + "\u2026"
    return text


@dataclass(frozen=True, slots=True)
class RenderedError:
    """An error answer as status, headers and JSON body, for any layer that sends it."""

    status: int
    headers: dict[str, str]
    body: bytes


_DISCONNECTS = (ClientDisconnected, ClientDisconnect)


def render_error(error: BaseException) -> RenderedError:
    answer = answer_for(error)
    if isinstance(error, _DISCONNECTS):
        # Expected on any network: one line, no traceback.
        logger.info("client disconnected (request_id=%s)", current_request_id())
    elif answer.status >= 500 and answer.error_code == "INTERNAL_SERVER_ERROR":
        # The cause goes to the log only, tied to the request id the client got in its headers.
        logger.error("internal error (request_id=%s)", current_request_id(), exc_info=error)
    headers: dict[str, str] = {}
    if answer.status == 401:
        headers["WWW-Authenticate"] = getattr(error, "challenge", "Bearer")
    if answer.status == 405 and isinstance(error, HTTPException) and error.headers:
        headers.update(error.headers)
    if answer.status in (408, 413, 431):
        # The rest of what the client sends is not read: the connection cannot be reused.
        headers["Connection"] = "close"
    body = {"detail": _detail(error, answer), "error_code": answer.error_code}
    return RenderedError(answer.status, headers, orjson.dumps(body))


def error_response(error: BaseException) -> ConnexionResponse:
    rendered = render_error(error)
    return ConnexionResponse(
        status_code=rendered.status,
        mimetype="application/json",
        content_type="application/json",
        body=rendered.body,
        headers=rendered.headers,
    )


async def handle_error(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    return error_response(error)
