"""Every use of Connexion's private names, in one place, for Connexion 3.3.0 only.

The server's per-request shortcuts (server/decorate_once.py, server/direct_arguments.py,
server/memoized_operation.py) and its validators (server/validation.py) need a few things
Connexion 3.3 has no public name for. They get them from here, under public names; ruff's
private-member rule (SLF001) keeps every other module off private names. A Connexion upgrade is
reviewed here: importing this module with any other version raises ConnexionVersionError, and
tests/server/test_connexion_internals.py fails loudly.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from connexion import AsyncApp
from connexion.apps.asynchronous import AsyncOperation
from connexion.decorators import StarletteDecorator
from connexion.decorators.parameter import (
    AsyncParameterDecorator,
)
from connexion.decorators.parameter import (
    _get_body_argument as get_body_argument,
)
from connexion.decorators.parameter import (
    _get_query_defaults as get_query_defaults,
)
from connexion.decorators.parameter import (
    _get_val_from_param as get_val_from_param,
)
from connexion.decorators.response import AsyncResponseDecorator
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.jsonifier import Jsonifier
from connexion.validators import JSONRequestBodyValidator
from starlette.types import Scope

CONNEXION_VERSION = "3.3.0"
"""The one Connexion release this module was written and checked against (pinned in
pyproject.toml)."""


class ConnexionVersionError(ImportError):
    """The installed Connexion is not the one this module's private names were checked for."""


def check_connexion_version(installed: str) -> None:
    if installed != CONNEXION_VERSION:
        raise ConnexionVersionError(
            f"server/connexion_internals.py uses private names of Connexion {CONNEXION_VERSION}, "
            f"but Connexion {installed} is installed: review every name in that module against "
            f"the new release, then update CONNEXION_VERSION"
        )


check_connexion_version(version("connexion"))

__all__ = [
    "CONNEXION_VERSION",
    "ConnexionVersionError",
    "DecoratorWithParameterDecorator",
    "JSONBodyValidatorHooks",
    "OperationView",
    "ResponseSteps",
    "check_connexion_version",
    "current_object",
    "get_body_argument",
    "get_query_defaults",
    "get_val_from_param",
    "operation_function",
    "use_api_class",
]


def current_object(proxy: Any) -> Any:
    """What one of connexion.context's proxies (operation, scope, receive) stands for in this
    request (werkzeug's LocalProxy._get_current_object)."""
    return proxy._get_current_object()


def operation_function(operation: AsyncOperation) -> Callable[..., Any]:
    """The handler an AsyncOperation was built with, undecorated."""
    return operation._fn  # type: ignore[no-any-return]


def use_api_class(app: AsyncApp, api_cls: type[Any]) -> None:
    """Make the app's inner (routing) application build its operations with `api_cls`:
    Connexion 3.3 has no option for it."""
    app._middleware_app.api_cls = api_cls


class DecoratorWithParameterDecorator(StarletteDecorator):  # type: ignore[misc]
    """StarletteDecorator whose parameter decorator is `parameter_decorator_cls`."""

    parameter_decorator_cls: type[AsyncParameterDecorator] = AsyncParameterDecorator

    @property
    def _parameter_decorator_cls(self) -> type[AsyncParameterDecorator]:
        return self.parameter_decorator_cls


class OperationView:
    """Base of an object standing in for a Connexion operation: Connexion's request validation
    reads `_uri_parser_class`, which is answered with the view's `uri_parser_class`."""

    @property
    def uri_parser_class(self) -> Callable[[Any, Any], Any]:
        raise NotImplementedError

    @property
    def _uri_parser_class(self) -> Callable[[Any, Any], Any]:
        return self.uri_parser_class


class ResponseSteps:
    """The steps of Connexion's response decorator, each callable on its own."""

    def __init__(self, jsonifier: Jsonifier) -> None:
        self._decorator = AsyncResponseDecorator(framework=StarletteFramework, jsonifier=jsonifier)

    def framework_response(self, answer: Any) -> Any:
        """The whole decorator: whatever a handler returned -> a Starlette response."""
        return self._decorator.build_framework_response(answer)

    def content_type(self, answer: Any) -> str | None:
        """The content type Connexion infers for a handler's answer without headers."""
        return self._decorator._infer_content_type(answer, {})  # type: ignore[no-any-return]

    def typed_response(self, answer: Any, content_type: str | None) -> Any:
        """build_framework_response for a body answer whose content type is known."""
        decorator = self._decorator
        body = decorator._serialize_data(answer, content_type=content_type)
        return StarletteFramework.build_response(
            body,
            content_type=content_type,
            status_code=decorator._infer_status_code(body),
            headers=decorator._update_headers({}, content_type=content_type),
        )


class JSONBodyValidatorHooks(JSONRequestBodyValidator):  # type: ignore[misc]
    """Connexion's JSON body validator with its private hooks under public names: subclasses
    override `schema_validator`, `parse_body` and `validate_body`."""

    @property
    def schema(self) -> Any:
        return self._schema

    @property
    def body_encoding(self) -> str:
        return self._encoding  # type: ignore[no-any-return]

    def connexion_validator(self) -> Any:
        """The compiled validator Connexion builds (anew on every call) for the schema."""
        return super()._validator

    def schema_validator(self) -> Any:
        return self.connexion_validator()

    @property
    def _validator(self) -> Any:
        return self.schema_validator()

    async def parse_body(self, stream: Any, scope: Scope) -> Any:
        return await super()._parse(stream, scope)

    async def _parse(self, stream: Any, scope: Scope) -> Any:
        return await self.parse_body(stream, scope)

    def validate_body(self, body: Any) -> Any:
        """Connexion's check of a parsed body (raises BadRequestProblem with its message)."""
        return super()._validate(body)

    def _validate(self, body: Any) -> Any:
        return self.validate_body(body)
