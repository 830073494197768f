"""Connexion's request validators, with the same verdicts and messages and less work per request.

- Body: a body that is not UTF-8 is a validation error (422), not an unhandled UnicodeDecodeError
  (500); so is JSON nested too deeply for the parser (RecursionError) or holding an integer too
  long to convert (Python refuses more than 4,300 digits with a ValueError), both 500 before.
- Body and parameters: each compiled JSON Schema validator is built once per schema instead of on
  every request (Connexion 3.3 deep-copies each parameter's schema and compiles a new validator
  for every parameter of every request, and compiles the body schema every time too).

The schemas are the operation's own dicts, which live as long as the application; they are keyed
by identity and kept in the cache, so an id can never be reused for another schema.
"""

from __future__ import annotations

import copy
import json
from typing import Any, ClassVar

from connexion.exceptions import BadRequestProblem
from connexion.utils import is_null, is_nullable
from connexion.validators import ParameterValidator
from jsonschema import Draft4Validator, ValidationError
from starlette.types import Scope

from server.connexion_internals import JSONBodyValidatorHooks

TOO_DEEP = "Request body is nested too deeply"
TOO_LONG_NUMBER = "Request body has a number too long to read"


def _not_json(constant: str) -> Any:
    """Python's json reads NaN and Infinity, which JSON does not have: a 200 for such a body
    echoed it back as invalid JSON."""
    raise BadRequestProblem(
        detail=f"Request body is not valid JSON: {constant} is not a JSON value"
    )


class CachedJSONBodyValidator(JSONBodyValidatorHooks):
    # id(schema) -> (schema, compiled validator); the schema is kept so its id stays unique.
    _compiled: ClassVar[dict[int, tuple[Any, Any]]] = {}

    def schema_validator(self) -> Any:
        schema = self.schema
        cached = self._compiled.get(id(schema))
        if cached is None or cached[0] is not schema:
            cached = (schema, self.connexion_validator())
            self._compiled[id(schema)] = cached
        return cached[1]

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
            return None
        try:
            return json.loads(text, parse_constant=_not_json)
        except json.JSONDecodeError as error:
            raise BadRequestProblem(detail=str(error)) from error
        except RecursionError as error:
            raise BadRequestProblem(detail=TOO_DEEP) from error
        except ValueError as error:  # an integer with more digits than Python converts
            raise BadRequestProblem(detail=TOO_LONG_NUMBER) from error


class CachedParameterValidator(ParameterValidator):  # type: ignore[misc]
    """Path, query, header and cookie parameters, checked exactly as Connexion 3.3's
    ParameterValidator.validate_parameter does, with each parameter's validator compiled once."""

    # id(parameter definition) -> (definition, compiled validator of its schema).
    _compiled: ClassVar[dict[int, tuple[Any, Any]]] = {}

    @classmethod
    def _schema_validator(cls, param: dict[str, Any]) -> Any:
        cached = cls._compiled.get(id(param))
        if cached is None or cached[0] is not param:
            # Connexion validates a deep copy; the copy keeps the compiled validator independent
            # of anything that might later modify the document's dicts.
            definition = copy.deepcopy(param)
            schema = definition.get("schema", definition)
            compiled = Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
            cached = (param, compiled)
            cls._compiled[id(param)] = cached
        return cached[1]

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
            try:
                cls._schema_validator(param).validate(value)
            except ValidationError as exception:
                return str(exception)
            return None
        if param.get("required"):
            return f"Missing {parameter_type} parameter '{param['name']}'"
        return None
