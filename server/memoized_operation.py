"""Connexion's request validation and context middlewares over an operation that remembers its
document lookups and URI parsers.

Connexion 3.3's validation and context middlewares rebuild URI parsers and re-derive the body
definition from the document several times per request; none of that depends on the request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connexion.middleware.context import ContextAPI, ContextMiddleware, ContextOperation
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationMiddleware,
    RequestValidationOperation,
)

from server.connexion_internals import OperationView
from server.remembered import rememberable


class MemoizedOperation(OperationView):
    """A Connexion operation that remembers the answers of its body lookups and its URI parsers.

    `body_definition`, `body_schema` and `body_name` only read the loaded document, yet Connexion
    3.3 recomputes them (media-type matching included) six times per request. The answers are
    the document's own dicts, so remembering them changes nothing but the time. Content types
    come from requests, so only a few distinct ones are remembered.
    """

    _MAX_REMEMBERED = 16

    def __init__(self, spec_operation: Any) -> None:
        self._operation = spec_operation
        self._remembered: dict[tuple[str, str | None], Any] = {}
        # (parameters, body definition, parser): the definitions are kept so ids stay unique.
        self._parsers: dict[tuple[int, int], tuple[Any, Any, Any]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._operation, name)

    def _remember(self, method: str, content_type: str | None) -> Any:
        key = (method, content_type)
        try:
            return self._remembered[key]
        except KeyError:
            pass
        answer = getattr(self._operation, method)(content_type)
        if len(self._remembered) < self._MAX_REMEMBERED:
            self._remembered[key] = answer
        return answer

    def body_definition(self, content_type: str | None = None) -> Any:
        return self._remember("body_definition", content_type)

    def body_schema(self, content_type: str | None = None) -> Any:
        return self._remember("body_schema", content_type)

    def body_name(self, content_type: str | None) -> Any:
        return self._remember("body_name", content_type)

    def _parser(self, parameters: Any, body_definition: Any) -> Any:
        """The operation's URI parser for these definitions, built once: parsers only hold the
        definitions they are built from (Connexion builds three per request)."""
        key = (id(parameters), id(body_definition))
        kept = self._parsers.get(key)
        if kept is None or kept[0] is not parameters or kept[1] is not body_definition:
            parser = self._operation.uri_parser_class(parameters, body_definition)
            kept = (parameters, body_definition, parser)
            if len(self._parsers) < self._MAX_REMEMBERED:
                self._parsers[key] = kept
        return kept[2]

    @property
    def uri_parser_class(self) -> Callable[[Any, Any], Any]:
        return self._parser


_CONTENT_TYPE = b"content-type"


class _MemoizedValidationOperation(RequestValidationOperation):  # type: ignore[misc]
    """Connexion's request validation, remembering the answers of its two content-type steps:
    the (mime type, encoding) it extracts depends only on the first Content-Type header's value
    and the operation, and a mime type it accepted once it accepts again. Refusals are always
    worked out anew (so their messages are Connexion's); only so many answers are remembered."""

    _MAX_REMEMBERED = 64

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._content_types: dict[bytes | None, tuple[str, str]] = {}
        self._accepted: set[str] = set()

    def extract_content_type(self, headers: Any) -> tuple[str, str]:
        value: bytes | None = None
        for name, header_value in headers:
            if not isinstance(name, bytes) or not isinstance(header_value, bytes):
                return super().extract_content_type(headers)  # type: ignore[no-any-return]
            # connexion.utils.extract_content_type compares the latin-1 decoded name in lower
            # case: no latin-1 character but ASCII ones lower-cases to ASCII, so this is the same.
            if name.lower() == _CONTENT_TYPE:
                value = header_value
                break
        known = self._content_types.get(value)
        if known is None:
            known = super().extract_content_type(headers)
            if rememberable(value, len(self._content_types), self._MAX_REMEMBERED):
                self._content_types[value] = known
        return known

    def validate_mime_type(self, mime_type: str) -> None:
        if mime_type in self._accepted:
            return
        super().validate_mime_type(mime_type)  # raises for a refused one
        if rememberable(mime_type, len(self._accepted), self._MAX_REMEMBERED):
            self._accepted.add(mime_type)


class _MemoizedValidationApi(RequestValidationAPI):  # type: ignore[misc]
    def make_operation(self, spec_operation: Any) -> Any:
        return _MemoizedValidationOperation(
            self.next_app,
            operation=MemoizedOperation(spec_operation),
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )


class MemoizedRequestValidationMiddleware(RequestValidationMiddleware):  # type: ignore[misc]
    """Connexion's request validation, over a MemoizedOperation."""

    api_cls = _MemoizedValidationApi


class _MemoizedContextApi(ContextAPI):  # type: ignore[misc]
    def make_operation(self, spec_operation: Any) -> ContextOperation:
        return ContextOperation(self.next_app, operation=MemoizedOperation(spec_operation))


class MemoizedContextMiddleware(ContextMiddleware):  # type: ignore[misc]
    """Connexion's context middleware; the operation it exposes to the parameter and response
    decorators is a MemoizedOperation."""

    api_cls = _MemoizedContextApi
