"""Connexion's request validators, with the same verdicts and messages and less work per request.

- Body: a body that is not UTF-8 is a validation error (422), not an unhandled UnicodeDecodeError
  (500); so is JSON nested too deeply for the parser (RecursionError) or holding an integer too
  long to convert (Python refuses more than 4,300 digits with a ValueError), both 500 before.
- Body and parameters: each compiled JSON Schema validator is built once per schema instead of on
  every request (Connexion 3.3 deep-copies each parameter's schema and compiles a new validator
  for every parameter of every request, and compiles the body schema every time too).
- Body and parameters: a value is first checked by jsonschema_rs (compiled Rust, about 20 times
  faster here); only a value it rejects is checked by Connexion's own jsonschema validator, which
  gives the verdict and the message. jsonschema_rs is asked only about schemas made of keywords
  on which the two cannot disagree (`_FAST_KEYWORDS`: no numbers, patterns, formats, references
  or OpenAPI extensions), so every verdict and every 422 message is Connexion's.

The schemas are the operation's own dicts, which live as long as the application; they are keyed
by identity and kept in the cache, so an id can never be reused for another schema.
"""

from __future__ import annotations

import codecs
import copy
import json
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

import jsonschema_rs
from connexion.exceptions import BadRequestProblem
from connexion.utils import is_null, is_nullable
from connexion.validators import ParameterValidator
from jsonschema import Draft4Validator, ValidationError
from starlette.types import Receive, Scope

from server.connexion_internals import JSONBodyValidatorHooks
from server.remembered import rememberable

TOO_DEEP = "Request body is nested too deeply"
TOO_LONG_NUMBER = "Request body has a number too long to read"
PARSED_BODY = "agno_rename.parsed_body"
"""Scope key of the JSON body the validator parsed (a ParsedBody), when the handler would read
the same value: UTF-8, the one encoding where the validator's decode-then-parse and the
handler's `json.loads(bytes)` cannot differ for a body the validator could parse."""


class ParsedBody:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


_NOT_PARSED = object()


# The schema keywords jsonschema_rs may judge: for these, with the value types below, Draft 4 is
# unambiguous and the two implementations agree. Anything else (numbers: 1.0 as an integer and
# True as a number differ between drafts; `pattern`: Rust's regex is not Python's; `format`;
# `$ref`; `nullable`, readOnly and other OpenAPI words Connexion's validator interprets) leaves
# the schema to jsonschema alone.
_ANNOTATIONS = frozenset({"title", "description", "default", "example"})
_FAST_KEYWORDS = frozenset(
    {"type", "properties", "required", "enum", "items", "additionalProperties"}
    | _ANNOTATIONS  # ignored by both
)
_FAST_TYPES = frozenset({"string", "object", "array", "boolean", "null"})
Check = Callable[[Any], bool]


def _fast_schema(schema: Any) -> bool:
    """Whether `schema` uses only keywords and values on which jsonschema_rs and jsonschema
    agree."""
    if not isinstance(schema, dict) or not set(schema) <= _FAST_KEYWORDS:
        return False
    kind = schema.get("type", "object")
    if not isinstance(kind, str) or kind not in _FAST_TYPES:
        return False
    enum = schema.get("enum", [])
    if not isinstance(enum, list) or not all(isinstance(v, str) for v in enum):
        return False
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(v, str) for v in required):
        return False
    properties = schema.get("properties", {})
    if not isinstance(properties, dict) or not all(_fast_schema(v) for v in properties.values()):
        return False
    if "items" in schema and not _fast_schema(schema["items"]):
        return False
    extra = schema.get("additionalProperties", True)
    return isinstance(extra, bool) or _fast_schema(extra)


def _accepts_any_text(schema: Any) -> bool:
    """Whether every string is valid for `schema`: `type: string` and annotations only."""
    return (
        isinstance(schema, dict)
        and schema.get("type") == "string"
        and set(schema) <= {"type"} | _ANNOTATIONS
    )


def compiled_check(schema: Any) -> Check | None:
    """jsonschema_rs's Draft 4 verdict for `schema` as a function, or None when only jsonschema
    may judge it. Its True is final (jsonschema agrees); its False is only a reason to ask
    jsonschema, which gives the verdict and the message."""
    if isinstance(schema, dict):
        # Connexion attaches the document's components to a body schema for resolving $ref;
        # a schema that passes _fast_schema refers to none of them.
        schema = {k: v for k, v in schema.items() if k != "components"}
    if not _fast_schema(schema):
        return None
    validator = jsonschema_rs.Draft4Validator(schema)

    def is_valid(value: Any) -> bool:
        try:
            return bool(validator.is_valid(value))
        except (ValueError, TypeError, OverflowError):  # a value it cannot convert
            return False

    return is_valid


def _not_json(constant: str) -> Any:
    """Python's json reads NaN and Infinity, which JSON does not have: a 200 for such a body
    echoed it back as invalid JSON."""
    raise BadRequestProblem(
        detail=f"Request body is not valid JSON: {constant} is not a JSON value"
    )


_Built = TypeVar("_Built")


class PerSchema(Generic[_Built]):
    """What is built once per schema dict of the loaded document (see the module docstring):
    keyed by identity, with the dict kept so that its id is never reused for another."""

    def __init__(self) -> None:
        self._built: dict[int, tuple[Any, _Built]] = {}

    def get(self, schema: Any, build: Callable[[], _Built]) -> _Built:
        kept = self._built.get(id(schema))
        if kept is None or kept[0] is not schema:
            kept = (schema, build())
            self._built[id(schema)] = kept
        return kept[1]


class CachedJSONBodyValidator(JSONBodyValidatorHooks):
    _compiled: ClassVar[PerSchema[Any]] = PerSchema()  # Connexion's jsonschema validator
    _checks: ClassVar[PerSchema[Check | None]] = PerSchema()  # jsonschema_rs's, where it may

    def fast_check(self) -> Check | None:
        schema = self.schema
        return self._checks.get(schema, lambda: compiled_check(schema))

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        """Connexion's wrap_receive; a body it parsed and accepted is kept in the scope
        (PARSED_BODY) so the handler's arguments need not parse it again."""
        self._parsed: Any = _NOT_PARSED
        receive, scope = await super().wrap_receive(receive, scope=scope)
        if self._parsed is not _NOT_PARSED and codecs.lookup(self.body_encoding).name == "utf-8":
            scope = {**scope, PARSED_BODY: ParsedBody(self._parsed)}
        return receive, scope

    def validate_body(self, body: Any) -> Any:
        if body is not None:
            check = self.fast_check()
            if check is not None and check(body):
                return None  # what Connexion's _validate returns for a valid body
        return super().validate_body(body)

    def schema_validator(self) -> Any:
        return self._compiled.get(self.schema, self.connexion_validator)

    async def parse_body(self, stream: Any, scope: Scope) -> Any:
        """Connexion's JSONRequestBodyValidator._parse, with every way the body can fail to be
        read answered as a validation error."""
        raw = b"".join([part async for part in stream])
        try:
            text = raw.decode(self.body_encoding)
        except UnicodeDecodeError as error:
            raise BadRequestProblem(
                detail=f"Request body is not valid UTF-8: {error.reason}"
            ) from error
        if not text:
            self._parsed = None
            return None
        try:
            self._parsed = json.loads(text, parse_constant=_not_json)
        except json.JSONDecodeError as error:
            raise BadRequestProblem(detail=str(error)) from error
        except RecursionError as error:
            raise BadRequestProblem(detail=TOO_DEEP) from error
        except ValueError as error:  # an integer with more digits than Python converts
            raise BadRequestProblem(detail=TOO_LONG_NUMBER) from error
        return self._parsed


class CachedParameterValidator(ParameterValidator):  # type: ignore[misc]
    """Path, query, header and cookie parameters, checked exactly as Connexion 3.3's
    ParameterValidator.validate_parameter does, with each parameter's validator compiled once.

    The query parameters' verdict depends only on the query string (and the operation's
    definitions and URI parser): a query string whose every parameter passed is remembered (up
    to server/remembered.py's bounds) and not parsed and checked again. A failing one is always
    checked, so its message is Connexion's.
    """

    # (id(definitions), parser class, query string) -> definitions (kept so the id stays unique).
    _valid_queries: ClassVar[dict[tuple[int, type, bytes], Any]] = {}

    # Per parameter definition: its schema's compiled jsonschema validator, and jsonschema_rs's
    # check of it where jsonschema_rs may judge it.
    _compiled: ClassVar[PerSchema[tuple[Any, Check | None]]] = PerSchema()

    # Per operation's parameter definitions: the path parameters every text passes (Starlette's
    # path values are text), whose values need no resolving and checking when they are text.
    _any_text_paths: ClassVar[PerSchema[frozenset[str]]] = PerSchema()

    def __init__(
        self,
        parameters: list[dict[str, Any]],
        uri_parser: Any,
        strict_validation: bool = False,
        security_query_params: list[str] | None = None,
    ) -> None:
        super().__init__(parameters, uri_parser, strict_validation, security_query_params)
        self._definitions = parameters
        self._any_text = self._any_text_paths.get(
            parameters,
            lambda: frozenset(
                p["name"].replace("-", "_")
                for p in parameters
                if p.get("in") == "path" and _accepts_any_text(p.get("schema", p))
            ),
        )

    def validate_request(self, request: Any) -> None:
        """Connexion's validate_request: query, then path, header and cookie parameters, the
        first error raised as BadRequestProblem."""
        if self.strict_validation:
            super().validate_request(request)
            return
        definitions = self._definitions
        key = (id(definitions), type(self.uri_parser), request.scope.get("query_string", b""))
        if self._valid_queries.get(key) is not definitions:
            for param in self.parameters.get("query", []):
                error = self.validate_query_parameter(param, request)
                if error:
                    raise BadRequestProblem(detail=error)
            if rememberable(key[2], len(self._valid_queries)):
                self._valid_queries[key] = definitions
        for location, validate in (
            ("path", self._validate_path_parameter),
            ("header", self.validate_header_parameter),
            ("cookie", self.validate_cookie_parameter),
        ):
            for param in self.parameters.get(location, []):
                error = validate(param, request)
                if error:
                    raise BadRequestProblem(detail=error)

    def _validate_path_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        name = param["name"].replace("-", "_")
        if name in self._any_text and type(request.scope.get("path_params", {}).get(name)) is str:
            return None
        return self.validate_path_parameter(param, request)  # type: ignore[no-any-return]

    @staticmethod
    def _compile(param: dict[str, Any]) -> tuple[Any, Check | None]:
        # Connexion validates a deep copy; the copy keeps the compiled validators independent
        # of anything that might later modify the document's dicts.
        definition = copy.deepcopy(param)
        schema = definition.get("schema", definition)
        compiled = Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
        return compiled, compiled_check(schema)

    @classmethod
    def validate_parameter(
        cls,
        parameter_type: str,
        value: Any,
        param: dict[str, Any],
        param_name: str | None = None,
    ) -> str | None:
        if is_nullable(param) and is_null(value):
            return None
        if value is not None:
            validator, check = cls._compiled.get(param, lambda: cls._compile(param))
            if check is not None and check(value):
                return None
            try:
                validator.validate(value)
            except ValidationError as exception:
                return str(exception)
            return None
        if param.get("required"):
            return f"Missing {parameter_type} parameter '{param['name']}'"
        return None
