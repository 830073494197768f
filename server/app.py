"""`create_app(store, settings)`: the one place where Connexion, the document, the handler, the
store, auth and the error table are put together. `create_reference_app` builds the same
application on Connexion 3.3 as shipped, the reference the fast path must answer exactly like."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

import orjson
from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.jsonifier import Jsonifier
from connexion.middleware import ConnexionMiddleware, MiddlewarePosition
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from connexion.security import BearerSecurityHandler
from connexion.validators import ParameterValidator
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from handlers.sessions import rename_session
from server.auth import StaticKeyAuthenticator
from server.body_limit import BodyLimit
from server.connexion_internals import use_api_class
from server.content_type import DefaultJsonContentType
from server.direct_arguments import DirectArgumentsApi
from server.docs import DOCS_PATH, SwaggerUI
from server.errors import handle_error
from server.jwt_auth import JwtAuthenticator, JwtOptions
from server.logs import RequestIdMiddleware
from server.memoized_operation import (
    MemoizedContextMiddleware,
    MemoizedRequestValidationMiddleware,
)
from server.metrics import (
    METRICS_PATH,
    Metrics,
    MetricsMiddleware,
    RouteTemplates,
    metrics_endpoint,
)
from server.readiness import readiness_endpoint
from server.routing import NoSlashRedirects
from server.settings import Settings
from server.spec import connexion_document, load_document
from server.swagger_ui_paths import SwaggerUIOnItsPaths
from server.validation import CachedJSONBodyValidator, CachedParameterValidator
from store.base import SessionStore
from store.catalog import Databases

Authenticator = Callable[[Any], dict[str, Any]]
logger = logging.getLogger("server.app")


class _OrjsonModule:
    """The `json`-module shape Connexion's Jsonifier expects, backed by orjson (several times
    faster on chat histories than the standard library)."""

    @staticmethod
    def dumps(data: Any, **_: Any) -> str:
        return orjson.dumps(data).decode()

    @staticmethod
    def loads(data: str | bytes) -> Any:
        return orjson.loads(data)


def _bearer_handler(authenticator: Authenticator) -> type[BearerSecurityHandler]:
    """Connexion instantiates security handlers itself, so the configured check is bound into a
    class here (the document stays free of `x-bearerInfoFunc`)."""

    class ConfiguredBearer(BearerSecurityHandler):  # type: ignore[misc]
        def get_fn(self, security_scheme: Any, required_scopes: Any) -> Authenticator:
            return authenticator

    return ConfiguredBearer


def _epoch_seconds() -> int:
    return int(time.time())


def _authenticator(settings: Settings) -> Authenticator:
    if settings.jwt_enabled:
        if settings.security_key:
            # AgentOS does the same: with JWT configured the shared key is not accepted.
            logger.warning("JWT authentication is configured: OS_SECURITY_KEY is ignored")
        return JwtAuthenticator(JwtOptions.from_settings(settings))
    if settings.security_key:
        return StaticKeyAuthenticator(settings.security_key)
    raise ValueError(
        "no authentication configured: set OS_SECURITY_KEY (or --security-key), or "
        "JWT_VERIFICATION_KEY / JWT_JWKS_FILE for JWT mode"
    )


def _middlewares(settings: Settings, *, shortcuts: bool) -> list[Any]:
    """Connexion's default middleware stack, with shortcuts the per-request work that never
    changes done once (server/memoized_operation.py, server/swagger_ui_paths.py) and without the
    response validation layer when responses are not validated; BodyLimit right
    after the security check, so no body is read for a request without valid credentials
    (Connexion's MiddlewarePosition has no place after the security check)."""
    replacements: dict[Any, Any] = {
        SwaggerUIMiddleware: SwaggerUIOnItsPaths,
        RequestValidationMiddleware: MemoizedRequestValidationMiddleware,
        ContextMiddleware: MemoizedContextMiddleware,
    }
    stack = [
        replacements.get(m, m) if shortcuts else m
        for m in ConnexionMiddleware.default_middlewares
        # Without response validation Connexion's layer only looks the operation up on every
        # request and passes it on (its operations are the next app): one layer less.
        if not (shortcuts and m is ResponseValidationMiddleware and not settings.validate_responses)
    ]
    body_limit = functools.partial(BodyLimit, limit=settings.max_body_bytes)
    stack.insert(stack.index(SecurityMiddleware) + 1, body_limit)
    return stack


def create_app(
    store: SessionStore | Databases,
    settings: Settings,
    *,
    clock: Callable[[], int] = _epoch_seconds,
) -> AsyncApp:
    """The ASGI application. `store` is one store (served as the only database, under the id of
    the first configured database) or the full set of configured databases. The caller opened
    them and closes them."""
    return _build_app(store, settings, clock, shortcuts=True)


def create_reference_app(
    store: SessionStore | Databases,
    settings: Settings,
    *,
    clock: Callable[[], int] = _epoch_seconds,
) -> AsyncApp:
    """create_app's application without its per-request shortcuts (server/direct_arguments.py,
    memoized_operation.py, swagger_ui_paths.py and validation.py's parameter validator):
    Connexion 3.3 as shipped, the reference tests compare the fast path with."""
    return _build_app(store, settings, clock, shortcuts=False)


def _build_app(
    store: SessionStore | Databases,
    settings: Settings,
    clock: Callable[[], int],
    *,
    shortcuts: bool,
) -> AsyncApp:
    databases = (
        store
        if isinstance(store, Databases)
        else Databases.single(store, settings.databases[0].db_id)
    )

    authenticator = _authenticator(settings)
    app = AsyncApp(
        __name__,
        jsonifier=Jsonifier(_OrjsonModule),
        pythonic_params=True,
        middlewares=_middlewares(settings, shortcuts=shortcuts),
        validate_responses=settings.validate_responses,
        validator_map={
            "parameter": CachedParameterValidator if shortcuts else ParameterValidator,
            "body": {"application/json": CachedJSONBodyValidator},
        },
        security_map={"bearer": _bearer_handler(authenticator)},
        # Connexion's Swagger UI (4.x) cannot read OpenAPI 3.1: ours is server/docs.py.
        swagger_ui_options=SwaggerUIOptions(spec_path="/openapi-3.0.json", swagger_ui=False),
    )
    if shortcuts:
        # Call the handler without Connexion's per-request decorator work.
        use_api_class(app, DirectArgumentsApi)
    handler = functools.partial(rename_session, databases, clock)
    app.add_api(
        connexion_document(load_document()),
        resolver=Resolver(lambda _operation_id: handler),
    )
    metrics = Metrics() if settings.metrics else None
    error_handler = (
        handle_error if metrics is None else metrics.counting_store_failures(handle_error)
    )
    for error_class in (Exception, HTTPException, ProblemException):
        app.add_error_handler(error_class, error_handler)
    if metrics is not None:
        # First, so it is the outermost of ours: its latency includes everything we do.
        app.add_middleware(
            MetricsMiddleware,
            position=MiddlewarePosition.BEFORE_EXCEPTION,
            metrics=metrics,
            routes=_route_templates(),
        )
    app.add_middleware(RequestIdMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(DefaultJsonContentType, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(NoSlashRedirects, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_url_rule("/openapi.json", "openapi", _serve_document, methods=["GET"])
    app.add_url_rule("/health", "health", _health, methods=["GET"])
    app.add_url_rule("/ready", "ready", readiness_endpoint(databases), methods=["GET"])
    app.add_middleware(SwaggerUI, position=MiddlewarePosition.BEFORE_ROUTING)
    if metrics is not None:
        authenticate = authenticator if settings.metrics_require_token else None
        app.add_url_rule(
            METRICS_PATH, "metrics", metrics_endpoint(metrics, authenticate), methods=["GET"]
        )
    return app


def _route_templates() -> RouteTemplates:
    own = (
        "/openapi.json", "/openapi-3.0.json", "/openapi-3.0.yaml", "/health", "/ready", METRICS_PATH
    )  # fmt: skip
    return RouteTemplates([*load_document()["paths"], *own, DOCS_PATH], [DOCS_PATH + "/"])


_DOCUMENT_JSON = orjson.dumps(load_document())


async def _serve_document(_request: Request) -> Response:
    """The contract exactly as written (OpenAPI 3.1), not Connexion's 3.0 rendering of it."""
    return Response(_DOCUMENT_JSON, media_type="application/json")


async def _health(_request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")
