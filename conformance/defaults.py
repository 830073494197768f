"""Defaults the command line needs before anything heavy is imported (standard library only)."""

from __future__ import annotations

from pathlib import Path

DEFAULT_MAX_EXAMPLES = 50
BUNDLED_SPEC = Path(__file__).parent / "openapi.yaml"
DISTRIBUTION = "agno-rename-conformance"
