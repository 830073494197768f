from __future__ import annotations

import hashlib
import os
from pathlib import Path

import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator

from server.spec import DOCUMENT_PATH, connexion_document, load_document

ROOT = Path(__file__).resolve().parents[2]
# SHA-256 of the seed document (AgentOS's extracted rename-session.openapi.yaml), recorded so that
# a clone anywhere proves the contract was not edited. The repository reads nothing outside
# itself; cross-check a copy of the seed with SEED_DOCUMENT=<path> pytest tests/system/test_spec.py.
SEED_SHA256 = "f2eb953011119dbc3a2ab99fade5f476a4a640ac75d28403567c51e1edff1d3e"


def _parse(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_document_is_valid_openapi_31() -> None:
    document = _parse(ROOT / "openapi.yaml")
    validate(document, cls=OpenAPIV31SpecValidator)  # type: ignore[arg-type]
    assert isinstance(document, dict) and document["openapi"] == "3.1.0"


def test_document_is_the_recorded_seed() -> None:
    assert hashlib.sha256((ROOT / "openapi.yaml").read_bytes()).hexdigest() == SEED_SHA256
    seed = os.environ.get("SEED_DOCUMENT")
    if seed:
        assert hashlib.sha256(Path(seed).read_bytes()).hexdigest() == SEED_SHA256


def test_bundled_copies_are_the_document() -> None:
    for bundled in (DOCUMENT_PATH, ROOT / "conformance" / "openapi.yaml"):
        assert bundled.read_bytes() == (ROOT / "openapi.yaml").read_bytes()


def test_connexion_rendering_keeps_meaning_and_leaves_original_alone() -> None:
    original = load_document()
    adapted = connexion_document(original)
    assert adapted["openapi"] == "3.0.3"
    assert original["openapi"] == "3.1.0"  # not mutated
    parameters = {
        p["name"]: p
        for p in adapted["paths"]["/sessions/{session_id}/rename"]["post"]["parameters"]
    }
    for name in ("user_id", "db_id", "table"):
        schema = parameters[name]["schema"]
        # Query values are text, never JSON null: not nullable, so "null" is a user named null.
        assert schema["type"] == "string" and "nullable" not in schema
        assert "anyOf" not in schema
    agent = adapted["components"]["schemas"]["AgentSessionDetailSchema"]["properties"]
    assert agent["chat_history"]["type"] == "array" and agent["chat_history"]["nullable"] is True
    assert agent["created_at"] == {
        "type": "string",
        "format": "date-time",
        "title": "Created At",
        "description": "Session creation timestamp",
        "nullable": True,
    }
    # A union without null stays a union.
    ok = adapted["paths"]["/sessions/{session_id}/rename"]["post"]["responses"]["200"]
    assert len(ok["content"]["application/json"]["schema"]["anyOf"]) == 3
    assert "'type': 'null'" not in repr(adapted)
