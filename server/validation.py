"""Connexion's JSON body validator, with two fixes.

- A body that is not UTF-8 is a validation error (422), not an unhandled UnicodeDecodeError (500).
- The compiled JSON Schema validator is built once per schema instead of on every request
  (Connexion 3.3 builds a new validator object per request and compiles the schema each time).
"""

from __future__ import annotations

from typing import Any, ClassVar

from connexion.exceptions import BadRequestProblem
from connexion.validators import JSONRequestBodyValidator
from starlette.types import Scope


class CachedJSONBodyValidator(JSONRequestBodyValidator):  # type: ignore[misc]
    # id(schema) -> (schema, compiled validator); the schema is kept so its id stays unique.
    _compiled: ClassVar[dict[int, tuple[Any, Any]]] = {}

    @property
    def _validator(self) -> Any:
        cached = self._compiled.get(id(self._schema))
        if cached is None or cached[0] is not self._schema:
            cached = (self._schema, super()._validator)
            self._compiled[id(self._schema)] = cached
        return cached[1]

    async def _parse(self, stream: Any, scope: Scope) -> Any:
        try:
            return await super()._parse(stream, scope)
        except UnicodeDecodeError as error:
            raise BadRequestProblem(
                detail=f"Request body is not valid UTF-8: {error.reason}"
            ) from error
