"""What the HTTP layer refuses before (or instead of) the operation: the request's head is too big
or too slow, the request is not HTTP, the body is over the limit, the client went away, the
server is not ready. Statuses and bodies for them are in the one error table (server/errors.py).
"""

from __future__ import annotations


class RequestHeadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The request line and headers exceed {limit} bytes")


class RequestHeadTimeout(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"The request line and headers did not arrive within {seconds:g} s")


class RequestBodyTimeout(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"The request body did not arrive within {seconds:g} s")


class TooManyConnections(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The server has {limit} connections open; try again later")


class MalformedRequest(Exception):
    def __init__(self) -> None:
        super().__init__("Invalid HTTP request received")


class UnsupportedTransferCoding(Exception):
    """A transfer coding other than chunked (RFC 9112 section 6.1: 501)."""

    def __init__(self, coding: str) -> None:
        super().__init__(f"Transfer coding {coding!r} is not implemented; only chunked is")


class TransferEncodingInHttp10(Exception):
    """RFC 9112 section 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing."""

    def __init__(self) -> None:
        super().__init__("Transfer-Encoding is not allowed in an HTTP/1.0 request")


class RequestBodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body exceeds {limit} bytes")


class ClientDisconnected(Exception):
    """The client closed the connection before its request was read; nobody gets the answer."""

    def __init__(self) -> None:
        super().__init__("The client disconnected before the request was complete")


class NotReady(Exception):
    """A configured database cannot be used now (readiness, not liveness)."""
