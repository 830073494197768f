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


class RequestBodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body exceeds {limit} bytes")


class ClientDisconnected(Exception):
    """The client closed the connection before its request was read; nobody gets the answer."""

    def __init__(self) -> None:
        super().__init__("The client disconnected before the request was complete")


class NotReady(Exception):
    """A configured database cannot be used now (readiness, not liveness)."""
