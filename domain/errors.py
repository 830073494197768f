"""Domain errors. They say what went wrong, never how HTTP reports it (see server/errors.py)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain, the handlers and the stores raise on purpose."""


class SessionNotFound(DomainError):
    """No session with that id, of that type, for that owner. Deliberately one error for all three,
    so that a caller cannot learn which part did not match."""

    def __init__(self, session_id: str) -> None:
        super().__init__(f"Session with id '{session_id}' not found")
        self.session_id = session_id


class InvalidSessionName(DomainError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"Invalid session name: {reason}")
        self.reason = reason


class DatabaseNotFound(DomainError):
    def __init__(self, db_id: str) -> None:
        super().__init__(f"No database found with id '{db_id}'")


class TableNotFound(DomainError):
    def __init__(self, db_id: str, table: str) -> None:
        super().__init__(f"No database with id '{db_id}' has table '{table}'")


class DatabaseSelectionRequired(DomainError):
    """The request is ambiguous: several databases and no `db_id`, or a `table` without `db_id`."""


class StoreFailure(DomainError):
    """The database could not be reached or failed; the detail stays in the logs."""
