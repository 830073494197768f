"""server/connexion_internals.py is the one home of Connexion's private names, and it refuses any
Connexion but the release it was written for."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from server.connexion_internals import (
    CONNEXION_VERSION,
    ConnexionVersionError,
    check_connexion_version,
)

ROOT = Path(__file__).resolve().parents[2]
INTERNALS = ROOT / "server" / "connexion_internals.py"
UVICORN_INTERNALS = ROOT / "server" / "http_protocol.py"  # the one module on uvicorn's
OUR_PACKAGES = ("server", "handlers", "domain", "store")


def test_the_installed_connexion_is_the_one_the_internals_were_written_for() -> None:
    assert version("connexion") == CONNEXION_VERSION, (
        f"Connexion {version('connexion')} is installed; server/connexion_internals.py was "
        f"checked against {CONNEXION_VERSION} only: review it before changing the pin"
    )


@pytest.mark.parametrize("other", ["3.3.1", "3.2.0", "4.0.0", ""])
def test_another_version_is_refused_with_a_clear_error(other: str) -> None:
    with pytest.raises(ConnexionVersionError, match=r"review every name in that module"):
        check_connexion_version(other)
    check_connexion_version(CONNEXION_VERSION)  # the pinned one passes


def test_importing_the_server_with_another_connexion_fails_at_import() -> None:
    """The guard runs when the module is imported, so the server cannot start on another
    release (here importlib.metadata is made to report 3.4.0)."""
    program = (
        "import importlib.metadata as m\n"
        "real = m.version\n"
        "m.version = lambda name: '3.4.0' if name == 'connexion' else real(name)\n"
        "import server.app\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "ConnexionVersionError" in result.stderr
    assert "Connexion 3.4.0 is installed" in result.stderr


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _connexion_private_names() -> set[str]:
    """Private names the internals module imports, reads or overrides, less its own."""
    tree = ast.parse(INTERNALS.read_text(encoding="utf-8"))
    used: set[str] = set()
    own: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            used.update(alias.name for alias in node.names if _private(alias.name))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _private(node.name):
            used.add(node.name)
        elif isinstance(node, ast.Attribute) and _private(node.attr):
            used.add(node.attr)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if not isinstance(target, ast.Attribute):
                    continue
                if isinstance(target.value, ast.Name) and target.value.id == "self":
                    own.add(target.attr)
    return used - own


def test_the_internals_module_finds_connexion_names() -> None:
    """The next test would pass vacuously if the collection found nothing."""
    found = _connexion_private_names()
    assert {"_get_body_argument", "_validator", "_fn"} <= found
    assert "_decorator" not in found  # an attribute of its own


def test_no_other_module_touches_connexion_private_names() -> None:
    names = _connexion_private_names()
    offenders = []
    for package in OUR_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path in (INTERNALS, UVICORN_INTERNALS):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            # Names like `_schema` are also our own elsewhere: attributes count only in modules
            # that build on Connexion.
            on_connexion = any(
                isinstance(node, ast.ImportFrom)
                and (node.module or "").split(".")[0] in ("connexion", "server")
                for node in ast.walk(tree)
            )
            for node in ast.walk(tree):
                touched: set[str] = set()
                if isinstance(node, ast.ImportFrom):
                    imported = {alias.name for alias in node.names}
                    ours = node.module is not None and node.module.split(".")[0] in OUR_PACKAGES
                    # Any dependency's private name, or one of Connexion's re-imported.
                    touched = imported & names if ours else {n for n in imported if _private(n)}
                elif not on_connexion:
                    continue
                elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    touched = {node.name} & names
                elif isinstance(node, ast.Attribute):
                    touched = {node.attr} & names
                for name in sorted(touched):
                    where = path.relative_to(ROOT)
                    offenders.append(f"{where}:{getattr(node, 'lineno', '?')}: {name}")
    assert not offenders, "Connexion internals outside server/connexion_internals.py"
