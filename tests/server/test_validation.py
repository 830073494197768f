"""server/validation.py's compiled checks: jsonschema_rs decides only where it cannot disagree
with Connexion's own jsonschema validator, and what it accepts Connexion accepts; parameters get
Connexion's verdicts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.lifecycle import ConnexionRequest
from connexion.uri_parsing import OpenAPIURIParser
from connexion.validators import ParameterValidator
from jsonschema import Draft4Validator
from starlette.types import Scope

from server.validation import (
    PARSED_BODY,
    CachedJSONBodyValidator,
    CachedParameterValidator,
    compiled_check,
)

BODY = {
    "type": "object",
    "properties": {"session_name": {"type": "string", "title": "Session Name"}},
    "required": ["session_name"],
    "title": "Body_rename_session",
    "components": {"schemas": {}},
}
ENUM = {"type": "string", "enum": ["agent", "team", "workflow"], "default": "agent"}
VALUES: list[Any] = [
    None, True, False, 0, 1, 1.0, -3, 2**70, "", "agent", "AGENT", "team", "\ud800", "café",
    [], ["agent"], {}, {"session_name": "x"}, {"session_name": 1}, {"session_name": None},
    {"session_name": "x", "other": 1}, {"other": "x"}, {"session_name": ["x"]},
]  # fmt: skip


@pytest.mark.parametrize("schema", [BODY, ENUM, {"type": "string"}, {"type": "array"}])
@pytest.mark.parametrize("value", VALUES)
def test_accepted_only_what_connexion_accepts(schema: dict[str, Any], value: Any) -> None:
    check = compiled_check(schema)
    assert check is not None
    reference = Draft4RequestValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    if check(value):
        assert reference.is_valid(value)
    elif value != "\ud800":  # a value jsonschema_rs cannot convert: jsonschema is asked
        assert not reference.is_valid(value)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer"},
        {"type": "number"},
        {"type": "string", "pattern": "^a$"},
        {"type": "string", "format": "date-time"},
        {"$ref": "#/components/schemas/X"},
        {"type": "string", "nullable": True},
        {"type": "object", "properties": {"n": {"type": "integer"}}},
        {"type": "object", "properties": {"s": {"type": "string", "readOnly": True}}},
        {"type": "string", "enum": ["a", 1]},
        {"type": ["string", "null"]},
        {"type": "object", "additionalProperties": {"type": "number"}},
        {"type": "array", "items": {"type": "string", "maxLength": 3}},
    ],
)
def test_left_to_jsonschema(schema: dict[str, Any]) -> None:
    assert compiled_check(schema) is None


def _body_validator(encoding: str) -> CachedJSONBodyValidator:
    return CachedJSONBodyValidator(
        schema={"type": "object"}, required=True, encoding=encoding, strict_validation=False
    )


async def _wrapped(encoding: str, body: bytes) -> Scope:
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    scope = {"type": "http", "headers": [(b"content-length", str(len(body)).encode())]}
    _, wrapped = await _body_validator(encoding).wrap_receive(receive, scope=scope)
    return wrapped


@pytest.mark.parametrize("encoding", ["utf-8", "UTF-8", "utf8"])
def test_a_utf8_body_is_parsed_once(encoding: str) -> None:
    scope = asyncio.run(_wrapped(encoding, '{"session_name": "café"}'.encode()))
    assert scope[PARSED_BODY].value == {"session_name": "café"}


def test_another_encoding_is_left_to_the_handler() -> None:
    """Decoded as latin-1, UTF-8 bytes read differently than json.loads(bytes) reads them."""
    scope = asyncio.run(_wrapped("latin-1", '{"session_name": "café"}'.encode()))
    assert PARSED_BODY not in scope


PATH_SCHEMAS: list[dict[str, Any]] = [
    {"type": "string", "title": "Session Id", "description": "any text"},
    {"type": "string", "maxLength": 3},
    {"type": "string", "pattern": "^[a-z]+$"},
    {"type": "string", "enum": ["abc"]},
    {"type": "string", "nullable": True},
    {"type": "integer"},
]


def _verdict(validator: ParameterValidator, value: str) -> str | None:
    parameters = validator.parameters["path"]
    uri_parser = OpenAPIURIParser(parameters, {})
    scope = {"type": "http", "query_string": b"", "headers": [], "path_params": {"id": value}}
    try:
        validator.validate_request(ConnexionRequest(scope, uri_parser=uri_parser))
    except BadRequestProblem as problem:
        return str(problem.detail)
    return None


@pytest.mark.parametrize("schema", PATH_SCHEMAS)
@pytest.mark.parametrize("value", ["abc", "abcd", "ABC", "null", "12", "", "café"])
def test_path_parameters_get_connexions_verdict(schema: dict[str, Any], value: str) -> None:
    """The shortcut for path parameters every text passes changes no verdict."""
    parameters = [{"name": "id", "in": "path", "required": True, "schema": schema}]
    ours = CachedParameterValidator(parameters, uri_parser=OpenAPIURIParser(parameters, {}))
    reference = ParameterValidator(parameters, uri_parser=OpenAPIURIParser(parameters, {}))
    assert _verdict(ours, value) == _verdict(reference, value)
