"""The rename operation's fast path: the handler called with exactly the arguments Connexion's
parameter decorator would pass, and answered exactly as its response decorator would, without
their generic per-request work.

DirectArgumentsApi (what `create_app` uses) takes operations with plain string path and query
parameters and a JSON body; others get server/decorate_once.py's path.
tests/benchmarks/test_benchmarks_direct_arguments.py checks every request is answered exactly as by
Connexion as shipped (`create_reference_app`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connexion.apps.asynchronous import AsyncApi, AsyncOperation
from connexion.context import context, operation, receive, scope
from connexion.decorators.parameter import CONTEXT_NAME, pythonic, unwrap_decorators
from connexion.exceptions import BadRequestProblem
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.utils import (
    coerce_type,
    inspect_function_arguments,
    is_json_mimetype,
    is_nullable,
)
from starlette.datastructures import Headers, QueryParams
from starlette.types import Scope

from server.connexion_internals import (
    ResponseSteps,
    current_object,
    get_body_argument,
    get_query_defaults,
    get_val_from_param,
    operation_function,
)
from server.decorate_once import DecoratedOnceOperation, cached_pythonic
from server.remembered import rememberable
from server.validation import PARSED_BODY, TOO_DEEP


@dataclass(frozen=True, slots=True)
class _ScalarParameter:
    name: str  # as in the document
    argument: str  # the handler's (pythonic) name
    definition: dict[str, Any]
    # A text value is passed on as it is: `coerce_type` and `get_val_from_param` return a str
    # unchanged for a plain string parameter unless its schema is nullable (`null` -> None).
    verbatim: bool


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
            _ScalarParameter(p["name"], pythonic(p["name"]), p, not is_nullable(p.get("schema", p)))
            for p in spec_operation.parameters
            if p["in"] == location
        )

    query = scalars("query")
    raw_defaults = get_query_defaults({p.name: p.definition for p in query})
    query_defaults = {
        p.argument: get_val_from_param(raw_defaults[p.name], p.definition)
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
    `get_val_from_param` for parameter values (the last of repeated query values, `null` and
    `None` for nullable parameters), `get_query_defaults` for defaults, `ConnexionRequest.get_body`
    and `get_body_argument` for the body, the security context for context arguments, and the
    response decorator's steps for the answer (a dict's content type inferred once). The query
    arguments depend on the query string alone and the mimetype on the Content-Type header alone:
    both are remembered (a bounded number of them); a body the validator parsed is not parsed
    again (server/validation.py's PARSED_BODY).
    """

    def __init__(self, *args: Any, plan: _ArgumentPlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plan = plan
        self._handler = operation_function(self)
        self._responses = ResponseSteps(self.jsonifier)
        # The content type Connexion infers for a dict answer depends on the operation only.
        self._dict_content_type: str | None = None
        # query string -> the handler's query arguments (strings: immutable, safely shared).
        self._query_arguments: dict[bytes, dict[str, Any]] = {}
        # Content-Type header -> ConnexionRequest.mimetype.
        self._mimetypes: dict[str, str] = {}

    @property
    def fn(self) -> Callable[..., Any]:
        return self._call

    def _query_kwargs(self, query_string: bytes) -> dict[str, Any]:
        """The handler's query arguments: a function of the query string alone."""
        known = self._query_arguments.get(query_string)
        if known is None:
            plan = self._plan
            known = dict(plan.query_defaults)
            query = QueryParams(query_string)  # what Starlette's Request.query_params builds
            for parameter in plan.query:
                values = query.getlist(parameter.name)
                if values:
                    value = coerce_type(parameter.definition, values[-1], "parameter")
                    known[parameter.argument] = get_val_from_param(value, parameter.definition)
            if rememberable(query_string, len(self._query_arguments)):
                self._query_arguments[query_string] = known
        return known

    def _request(self, current: Any, current_scope: Scope) -> ConnexionRequest:
        return ConnexionRequest(
            current_scope,
            current_object(receive),
            uri_parser=current.uri_parser_class(current.parameters, current.body_definition()),
        )

    async def _call(self) -> Any:
        plan = self._plan
        current = current_object(operation)
        current_scope = current_object(scope)
        raw_path = current_scope.get("path_params", {})  # Starlette's Request.path_params
        kwargs: dict[str, Any] = {}
        for parameter in plan.path:
            raw = raw_path[parameter.name]
            if parameter.verbatim and type(raw) is str:
                kwargs[parameter.argument] = raw
                continue
            value = coerce_type(parameter.definition, raw, "parameter")
            kwargs[parameter.argument] = get_val_from_param(value, parameter.definition)
        kwargs.update(self._query_kwargs(current_scope["query_string"]))
        if plan.takes_body:
            parsed = current_scope.get(PARSED_BODY)
            # ConnexionRequest.content_type
            content_type = Headers(scope=current_scope).get(
                "content-type", "application/octet-stream"
            )
            mimetype = self._mimetypes.get(content_type)
            if mimetype is None:
                mimetype = self._request(current, current_scope).mimetype
                if rememberable(content_type, len(self._mimetypes)):
                    self._mimetypes[content_type] = mimetype
            try:
                # get_body's JSON branch, with the value the body validator already parsed.
                if parsed is not None and is_json_mimetype(content_type):
                    body = parsed.value
                else:
                    body = await self._request(current, current_scope).get_body()
            except RecursionError as error:
                # The validator parsed it higher up the stack; a body nested just deep enough
                # can still fail here, one call deeper.
                raise BadRequestProblem(detail=TOO_DEEP) from error
            kwargs.update(
                get_body_argument(
                    body,
                    operation=current,
                    arguments=plan.arguments,  # only len() and `in` are used
                    has_kwargs=False,
                    sanitize=cached_pythonic,
                    content_type=mimetype,
                )
            )
        for key, value in context.items():
            if key in plan.arguments:
                kwargs[key] = value
        if CONTEXT_NAME in plan.arguments:
            kwargs[CONTEXT_NAME] = context
        answer = await self._handler(**kwargs)
        if StarletteFramework.is_framework_response(answer):
            return answer
        if isinstance(answer, ConnexionResponse):
            return StarletteFramework.connexion_to_framework_response(answer)
        if isinstance(answer, dict):
            # build_framework_response's path for a dict, with its content type inferred once.
            if self._dict_content_type is None:
                self._dict_content_type = self._responses.content_type(answer)
            return self._responses.typed_response(answer, self._dict_content_type)
        return self._responses.framework_response(answer)


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
