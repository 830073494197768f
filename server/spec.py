"""The contract document, and the in-memory adaptation Connexion 3.3 needs to load it.

The file on disk stays byte-for-byte the seed (OpenAPI 3.1). Connexion 3.3 only accepts 3.0
documents and cannot parse query parameters whose schema is `anyOf: [string, null]` (no top-level
`type`), so we hand it an equivalent 3.0 rendering: `anyOf: [X, {type: 'null'}]` becomes X with
`nullable: true`. The meaning is unchanged; clients still get the 3.1 original at /openapi.json.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

DOCUMENT_PATH = Path(__file__).with_name("openapi.yaml")
CONNEXION_OPENAPI_VERSION = "3.0.3"


@functools.cache
def load_document(path: Path = DOCUMENT_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.safe_load(handle)
    return document


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null" and len(schema) == 1


def _to_openapi_30(node: Any) -> Any:
    if isinstance(node, list):
        return [_to_openapi_30(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _to_openapi_30(value) for key, value in node.items()}
    branches = converted.get("anyOf")
    if isinstance(branches, list) and any(_is_null_schema(b) for b in branches):
        others = [b for b in branches if not _is_null_schema(b)]
        del converted["anyOf"]
        if len(others) == 1 and "$ref" not in others[0]:
            converted = {**others[0], **converted}
        else:
            converted["anyOf"] = others
        converted["nullable"] = True
    return converted


def connexion_document(document: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3.0 rendering of the 3.1 `document` with the same meaning, for Connexion."""
    adapted: dict[str, Any] = _to_openapi_30(copy.deepcopy(document))
    adapted["openapi"] = CONNEXION_OPENAPI_VERSION
    for path_item in adapted.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                # A query or path value is always text: it can be absent but never JSON null.
                # Left nullable, Connexion reads the TEXT "null" or "None" as absent, so
                # `?user_id=null` would drop the owner scoping instead of naming user "null".
                parameter.get("schema", {}).pop("nullable", None)
    return adapted
