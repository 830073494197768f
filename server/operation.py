"""Connexion 3.3's per-request path, with the work that never changes done once per operation.

Connexion's AsyncOperation builds its decorator stack anew for every request: it inspects the
handler's signature, wraps the handler three times and converts every parameter name to its
pythonic form with several regular expressions. Its validation and context middlewares rebuild
URI parsers and re-derive the body definition from the document several times per request. None
of that depends on the request.

- MemoizedOperation (through `middlewares()`): the document lookups and URI parsers, once.
- SwaggerUIOnItsPaths (through `middlewares()`): Swagger UI's router only for its own paths.
- DecoratedOnceApi: Connexion's own decorators, built once (the reference behaviour).
- DirectArgumentsApi (what `create_app` uses): for operations with plain string parameters and a
  JSON body, the arguments and the answer worked out with Connexion's own functions but without
  its generic per-request machinery; other operations get DecoratedOnceApi's path.
  tests/test_benchmarks_direct_arguments.py checks both answer every request identically.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connexion.apps.asynchronous import AsyncApi, AsyncOperation
from connexion.context import context, operation, receive, scope
from connexion.decorators import StarletteDecorator
from connexion.decorators.parameter import (
    CONTEXT_NAME,
    AsyncParameterDecorator,
    _get_body_argument,
    _get_query_defaults,
    _get_val_from_param,
    pythonic,
    unwrap_decorators,
)
from connexion.decorators.response import AsyncResponseDecorator
from connexion.exceptions import BadRequestProblem
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.context import ContextAPI, ContextMiddleware, ContextOperation
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationMiddleware,
)
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.options import SwaggerUIConfig
from connexion.utils import coerce_type, inspect_function_arguments

from server.validation import TOO_DEEP

# Parameter names come from the request (unknown query parameters are passed through), so the
# cache of their pythonic forms is bounded.
_NAME_CACHE_SIZE = 256
_pythonic = functools.lru_cache(maxsize=_NAME_CACHE_SIZE)(pythonic)


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
    """Connexion's default middleware stack with the replacements in this module."""
    replacements = {
        SwaggerUIMiddleware: SwaggerUIOnItsPaths,
        RequestValidationMiddleware: MemoizedRequestValidationMiddleware,
        ContextMiddleware: MemoizedContextMiddleware,
    }
    return [replacements.get(m, m) for m in ConnexionMiddleware.default_middlewares]


@dataclass(frozen=True, slots=True)
class _ScalarParameter:
    name: str  # as in the document
    argument: str  # the handler's (pythonic) name
    definition: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _ArgumentPlan:
    """What Connexion's parameter decorator works out on every request, worked out once."""

    arguments: frozenset[str]
    path: tuple[_ScalarParameter, ...]
    query: tuple[_ScalarParameter, ...]
    query_defaults: dict[str, Any]  # handler argument -> converted default
    takes_body: bool


def _argument_plan(spec_operation: Any, function: Callable[..., Any]) -> _ArgumentPlan | None:
    """The plan for an operation whose parameters are all plain string path and query
    parameters, with a JSON body and a coroutine handler without **kwargs; None for anything
    else (those operations keep Connexion's decorators)."""
    handler = unwrap_decorators(function)
    arguments, has_kwargs = inspect_function_arguments(handler)
    if has_kwargs or not asyncio.iscoroutinefunction(handler):
        return None
    if any(p["in"] not in ("path", "query") for p in spec_operation.parameters):
        return None
    for parameter in spec_operation.parameters:
        schema = parameter.get("schema", {})
        if schema.get("type") != "string" or "format" in schema or "style" in parameter:
            return None
    if any(mime not in ("application/json",) for mime in spec_operation.consumes):
        return None

    def scalars(location: str) -> tuple[_ScalarParameter, ...]:
        return tuple(
            _ScalarParameter(p["name"], pythonic(p["name"]), p)
            for p in spec_operation.parameters
            if p["in"] == location
        )

    query = scalars("query")
    raw_defaults = _get_query_defaults({p.name: p.definition for p in query})
    query_defaults = {
        p.argument: _get_val_from_param(raw_defaults[p.name], p.definition)
        for p in query
        if p.name in raw_defaults and p.argument in arguments
    }
    return _ArgumentPlan(
        arguments=frozenset(arguments),
        path=scalars("path"),
        query=tuple(p for p in query if p.argument in arguments),
        query_defaults=query_defaults,
        takes_body=pythonic(spec_operation.body_name(None)) in arguments,
    )


class DirectArgumentsOperation(AsyncOperation):  # type: ignore[misc]
    """Calls the handler with exactly the arguments Connexion's parameter decorator would pass,
    and answers exactly as its response decorator would, without their per-request generic work.

    Only for operations `_argument_plan` accepts; Connexion's request middlewares (security,
    validation) have already run. Each step uses Connexion's own functions: `coerce_type` and
    `_get_val_from_param` for parameter values (the last of repeated query values, `null` and
    `None` for nullable parameters), `_get_query_defaults` for defaults, `ConnexionRequest.get_body`
    and `_get_body_argument` for the body, the security context for context arguments, and the
    response decorator's steps for the answer (a dict's content type inferred once).
    """

    def __init__(self, *args: Any, plan: _ArgumentPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plan = plan
        self._responses = AsyncResponseDecorator(
            framework=StarletteFramework, jsonifier=self.jsonifier
        )
        # The content type Connexion infers for a dict answer depends on the operation only.
        self._dict_content_type: str | None = None

    @property
    def fn(self) -> Callable[..., Any]:
        return self._call

    async def _call(self) -> Any:
        plan = self._plan
        current = operation._get_current_object()
        request = ConnexionRequest(
            scope._get_current_object(),
            receive._get_current_object(),
            uri_parser=current.uri_parser_class(current.parameters, current.body_definition()),
        )
        raw_path = request._starlette_request.path_params
        kwargs: dict[str, Any] = {}
        for parameter in plan.path:
            value = coerce_type(parameter.definition, raw_path[parameter.name], "parameter")
            kwargs[parameter.argument] = _get_val_from_param(value, parameter.definition)
        kwargs.update(plan.query_defaults)
        query = request._starlette_request.query_params
        for parameter in plan.query:
            values = query.getlist(parameter.name)
            if values:
                value = coerce_type(parameter.definition, values[-1], "parameter")
                kwargs[parameter.argument] = _get_val_from_param(value, parameter.definition)
        if plan.takes_body:
            try:
                body = await request.get_body()
            except RecursionError as error:
                # The validator parsed it higher up the stack; a body nested just deep enough
                # can still fail here, one call deeper.
                raise BadRequestProblem(detail=TOO_DEEP) from error
            kwargs.update(
                _get_body_argument(
                    body,
                    operation=current,
                    arguments=plan.arguments,  # only len() and `in` are used
                    has_kwargs=False,
                    sanitize=_pythonic,
                    content_type=request.mimetype,
                )
            )
        for key, value in context.items():
            if key in plan.arguments:
                kwargs[key] = value
        if CONTEXT_NAME in plan.arguments:
            kwargs[CONTEXT_NAME] = context
        answer = await self._fn(**kwargs)
        if StarletteFramework.is_framework_response(answer):
            return answer
        if isinstance(answer, ConnexionResponse):
            return StarletteFramework.connexion_to_framework_response(answer)
        if isinstance(answer, dict):
            return self._dict_response(answer)
        return self._responses.build_framework_response(answer)

    def _dict_response(self, answer: dict[str, Any]) -> Any:
        """build_framework_response's path for a dict, with its content type inferred once."""
        if self._dict_content_type is None:
            self._dict_content_type = self._responses._infer_content_type(answer, {})
        content_type = self._dict_content_type
        body = self._responses._serialize_data(answer, content_type=content_type)
        return StarletteFramework.build_response(
            body,
            content_type=content_type,
            status_code=self._responses._infer_status_code(body),
            headers=self._responses._update_headers({}, content_type=content_type),
        )


class DirectArgumentsApi(AsyncApi):  # type: ignore[misc]
    """DirectArgumentsOperation where `_argument_plan` allows, DecoratedOnceOperation elsewhere."""

    def make_operation(self, spec_operation: Any) -> AsyncOperation:
        plan = _argument_plan(spec_operation, spec_operation.function)
        if not self.pythonic_params:
            plan = None  # the plan's argument names are the pythonic ones
        if plan is None:
            return DecoratedOnceOperation.from_operation(
                spec_operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
            )
        return DirectArgumentsOperation(
            spec_operation.function,
            jsonifier=self.jsonifier,
            operation_id=spec_operation.operation_id,
            pythonic_params=self.pythonic_params,
            plan=plan,
        )


class SwaggerUIOnItsPaths(SwaggerUIMiddleware):  # type: ignore[misc]
    """Connexion's Swagger UI middleware, whose router runs only for paths that contain one of
    its own (the UI's folder, the 3.0 document's name without its extension).

    For every other path that router can only fall through to the next app, with a copy of the
    scope taken before routing; this passes the same copy straight on. The check is a substring
    test, so a prefix (root_path) or a trailing-slash variant still reaches the router.
    """

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self._own_paths: list[str] = []

    def add_api(self, specification: Any, base_path: Any = None, **kwargs: Any) -> None:
        super().add_api(specification, base_path=base_path, **kwargs)
        config = SwaggerUIConfig(
            kwargs.get("swagger_ui_options"), oas_version=specification.version
        )
        if config.openapi_spec_available:
            self._own_paths.append(config.openapi_spec_path.removesuffix("json"))
        if config.swagger_ui_available:
            self._own_paths.append(config.swagger_ui_path.strip().rstrip("/"))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not any(own in scope["path"] for own in self._own_paths):
            await self.app(scope.copy(), receive, send)
            return
        await super().__call__(scope, receive, send)
