"""Connexion 3.3's per-request path, with the work that never changes done once per operation.

Connexion's AsyncOperation builds its decorator stack anew for every request: it inspects the
handler's signature, wraps the handler three times and converts every parameter name to its
pythonic form with several regular expressions. Its validation and context middlewares rebuild
URI parsers and re-derive the body definition from the document several times per request. None
of that depends on the request. Here Connexion's own classes do all of it (so validation,
arguments, defaults, conversions and responses are exactly Connexion's), built or looked up once;
the per-request part is unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from connexion.apps.asynchronous import AsyncApi, AsyncOperation
from connexion.context import receive, scope
from connexion.decorators import StarletteDecorator
from connexion.decorators.parameter import AsyncParameterDecorator
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.context import ContextAPI, ContextMiddleware, ContextOperation
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationMiddleware,
)

# Parameter names come from the request (unknown query parameters are passed through), so the
# cache of their pythonic forms is bounded.
_NAME_CACHE_SIZE = 256


class _NameCachingParameterDecorator(AsyncParameterDecorator):  # type: ignore[misc]
    sanitize_fn: Callable[[str], str]

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.sanitize_fn = functools.lru_cache(maxsize=_NAME_CACHE_SIZE)(self.sanitize_fn)


class _DecorateOnce(StarletteDecorator):  # type: ignore[misc]
    """StarletteDecorator that decorates the handler when it is built, not on every call."""

    @property
    def _parameter_decorator_cls(self) -> type[AsyncParameterDecorator]:
        return _NameCachingParameterDecorator

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        decorated = self.decorate(function)

        @functools.wraps(function)
        async def wrapper(*_args: Any, **_kwargs: Any) -> Any:
            request = self.framework.get_request(
                uri_parser=self.uri_parser, scope=scope, receive=receive
            )
            return await decorated(request)

        return wrapper


class DecoratedOnceOperation(AsyncOperation):  # type: ignore[misc]
    @functools.cached_property
    def fn(self) -> Callable[..., Any]:
        decorator = _DecorateOnce(pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)
        return decorator(self._fn)


class DecoratedOnceApi(AsyncApi):  # type: ignore[misc]
    def make_operation(self, spec_operation: Any) -> DecoratedOnceOperation:
        return DecoratedOnceOperation.from_operation(  # type: ignore[no-any-return]
            spec_operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )


class MemoizedOperation:
    """A Connexion operation that remembers the answers of its body lookups and its URI parsers.

    `body_definition`, `body_schema` and `body_name` only read the loaded document, yet Connexion
    3.3 recomputes them (media-type matching included) six times per request. The answers are
    the document's own dicts, so remembering them changes nothing but the time. Content types
    come from requests, so only a few distinct ones are remembered.
    """

    _MAX_REMEMBERED = 16

    def __init__(self, operation: Any) -> None:
        self._operation = operation
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

    @property
    def _uri_parser_class(self) -> Callable[[Any, Any], Any]:
        return self._parser


class _MemoizedValidationApi(RequestValidationAPI):  # type: ignore[misc]
    def make_operation(self, spec_operation: Any) -> Any:
        return super().make_operation(MemoizedOperation(spec_operation))


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


def middlewares() -> list[Any]:
    """Connexion's default middleware stack with the two memoizing replacements above."""
    replacements = {
        RequestValidationMiddleware: MemoizedRequestValidationMiddleware,
        ContextMiddleware: MemoizedContextMiddleware,
    }
    return [replacements.get(m, m) for m in ConnexionMiddleware.default_middlewares]
