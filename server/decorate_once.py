"""Connexion's own parameter and response decorators, built once per operation instead of on
every request.

Connexion 3.3's AsyncOperation builds its decorator stack anew for every request: it inspects
the handler's signature, wraps the handler three times and converts every parameter name to its
pythonic form with several regular expressions. None of that depends on the request. This is the
reference behaviour, kept for the operations server/direct_arguments.py does not take.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from connexion.apps.asynchronous import AsyncOperation
from connexion.context import receive, scope
from connexion.decorators.parameter import AsyncParameterDecorator, pythonic

from server.connexion_internals import DecoratorWithParameterDecorator, operation_function

# Parameter names come from the request (unknown query parameters are passed through), so the
# cache of their pythonic forms is bounded.
_NAME_CACHE_SIZE = 256
cached_pythonic = functools.lru_cache(maxsize=_NAME_CACHE_SIZE)(pythonic)


class _NameCachingParameterDecorator(AsyncParameterDecorator):  # type: ignore[misc]
    sanitize_fn: Callable[[str], str]

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.sanitize_fn = functools.lru_cache(maxsize=_NAME_CACHE_SIZE)(self.sanitize_fn)


class _DecorateOnce(DecoratorWithParameterDecorator):
    """StarletteDecorator that decorates the handler when it is built, not on every call."""

    parameter_decorator_cls = _NameCachingParameterDecorator

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
        return decorator(operation_function(self))
