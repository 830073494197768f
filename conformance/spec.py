"""The contract: the bundled (or given) OpenAPI document, loaded for Schemathesis and for the
per-type body checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import schemathesis
import yaml
from schemathesis.errors import OperationNotFound, SchemathesisError
from schemathesis.schemas import APIOperation

from conformance import defaults
from conformance.sessions import UsageError

BUNDLED_SPEC = defaults.BUNDLED_SPEC
RENAME_PATH = "/sessions/{session_id}/rename"
_DETAIL_SCHEMAS = {
    "agent": "AgentSessionDetailSchema",
    "team": "TeamSessionDetailSchema",
    "workflow": "WorkflowSessionDetailSchema",
}
# 400 is the document's answer for an invalid name and 404 for an id, db_id or table that does
# not exist: both are legitimate answers to a schema-valid request.
_POSITIVE_EXPECTED_STATUSES = ["2XX", "400", "401", "404"]


@dataclass(frozen=True, slots=True)
class TypeShape:
    """What a 200 body of one session type must look like."""

    validator: Any
    foreign_properties: frozenset[str]
    """Properties only the other types' schemas declare."""
    properties: frozenset[str] = frozenset()
    """Every property the type's schema declares: a 200 body carries each (null allowed)."""


@dataclass(frozen=True, slots=True)
class Contract:
    path: Path
    title: str
    operation: APIOperation[Any, Any, Any, Any]
    shapes: dict[str, TypeShape]


def _read_document(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"cannot read spec {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"spec {path} is not UTF-8 text") from None
    except yaml.YAMLError as error:
        raise UsageError(f"spec {path} is not YAML/JSON: {error}") from None
    if not isinstance(document, dict):
        raise UsageError(f"spec {path} is not an OpenAPI document")
    return document


def _shapes(document: dict[str, Any]) -> dict[str, TypeShape]:
    schemas = document.get("components", {}).get("schemas", {})
    missing = [name for name in _DETAIL_SCHEMAS.values() if name not in schemas]
    if missing:
        raise UsageError(f"spec lacks the session detail schemas: {', '.join(missing)}")
    declared = {t: set(schemas[n].get("properties", {})) for t, n in _DETAIL_SCHEMAS.items()}
    shapes = {}
    for session_type, name in _DETAIL_SCHEMAS.items():
        others = set().union(*(props for t, props in declared.items() if t != session_type))
        shapes[session_type] = TypeShape(
            validator=jsonschema_rs.validator_for(schemas[name], validate_formats=True),
            foreign_properties=frozenset(others - declared[session_type]),
            properties=frozenset(declared[session_type]),
        )
    return shapes


def load_contract(path: Path = BUNDLED_SPEC) -> Contract:
    document = _read_document(path)
    config = schemathesis.Config.from_dict(
        {
            "checks": {
                "positive_data_acceptance": {"expected-statuses": _POSITIVE_EXPECTED_STATUSES}
            },
            # Reports must show the names and ids that were sent; the token is masked by us.
            "output": {"sanitization": {"enabled": False}},
        }
    )
    try:
        schema = schemathesis.openapi.from_dict(document, config=config)
        operation = schema[RENAME_PATH]["POST"]
    except (LookupError, OperationNotFound):
        raise UsageError(f"spec {path} has no POST {RENAME_PATH}") from None
    except SchemathesisError as error:
        raise UsageError(f"spec {path} cannot be used: {error}") from None
    info = document.get("info", {})
    title = f"{info.get('title', '?')} {info.get('version', '')}"
    return Contract(path, title.strip(), operation, _shapes(document))
