"""server/settings.py's OPTIONS is the one definition of every setting: Settings, the command
line, JwtOptions and README.md's configuration tables all agree with it."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from server.cli import build_parser, settings_from_arguments
from server.jwt_auth import JwtOptions
from server.settings import (
    OPTIONS,
    SERVER_ENVIRONMENT_VARIABLES,
    DatabaseConfig,
    Option,
    Settings,
    option,
)

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SETTING_OPTIONS = [o for o in OPTIONS if o.in_settings]
SERVE_OPTIONS = [o for o in OPTIONS if "serve" in o.commands]


def test_settings_fields_are_the_options() -> None:
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert fields == {o.name for o in SETTING_OPTIONS} | {"databases"}
    defaults = Settings()
    for entry in SETTING_OPTIONS:
        assert getattr(defaults, entry.name) == entry.default, entry.name
    assert defaults.databases == (
        DatabaseConfig(
            option("db_id").default, option("database_url").default, option("tables").default
        ),
    )


def test_every_flag_and_variable_is_unique() -> None:
    flags = [o.flag for o in OPTIONS]
    assert len(flags) == len(set(flags))
    variables = [o.env for o in OPTIONS if o.env is not None]
    assert len(variables) == len(set(variables))
    assert set(SERVER_ENVIRONMENT_VARIABLES) == {o.env for o in SERVE_OPTIONS if o.env}


def _other_value(entry: Option) -> tuple[str, Any]:
    """A value unlike the default: (as written in a variable or flag, as read)."""
    if entry.kind in ("switch", "flag"):
        return ("false", False) if entry.default else ("true", True)
    if entry.kind == "int":
        return str(entry.default + 3), entry.default + 3
    if entry.kind == "float":
        return str(entry.default + 1.5), entry.default + 1.5
    if entry.kind == "choice":
        other = next(c for c in entry.choices if c != entry.default)
        return other, other
    return f"given-{entry.name}", f"given-{entry.name}"


def _serve(argv: list[str], env: dict[str, str]) -> Settings:
    return settings_from_arguments(build_parser(env).parse_args(["serve", *argv]), env)


@pytest.mark.parametrize("entry", SETTING_OPTIONS, ids=lambda o: o.name)
def test_each_setting_is_read_from_its_variable_and_its_flag(entry: Option) -> None:
    written, read = _other_value(entry)
    assert entry.env is not None
    assert getattr(_serve([], {}), entry.name) == entry.default
    assert getattr(_serve([], {entry.env: written}), entry.name) == read
    if entry.kind == "switch":
        flag = entry.flag if read else "--no-" + entry.flag.removeprefix("--")
        argv = [flag]
    elif entry.kind == "flag":
        argv = [entry.flag]
    else:
        argv = [entry.flag, written]
    assert getattr(_serve(argv, {}), entry.name) == read
    if entry.kind not in ("switch", "flag"):
        # The flag wins over the variable.
        assert getattr(_serve(argv, {entry.env: str(entry.default)}), entry.name) == read


def test_jwt_options_are_the_jwt_settings() -> None:
    jwt_settings = {f.name for f in dataclasses.fields(Settings) if f.name.startswith("jwt_")}
    jwt_fields = {f"jwt_{f.name}" for f in dataclasses.fields(JwtOptions)}
    assert jwt_settings == (jwt_fields - {"jwt_require_exp"}) | {"jwt_allow_no_exp"}
    settings = Settings(
        jwt_verification_key="key",
        jwt_jwks_file="keys.json",
        jwt_algorithm="ES256",
        jwt_audience="os",
        jwt_user_id_claim="uid",
        jwt_scopes_claim="scp",
        jwt_allow_no_exp=True,
    )
    assert JwtOptions.from_settings(settings) == JwtOptions(
        verification_key="key",
        jwks_file="keys.json",
        algorithm="ES256",
        audience="os",
        user_id_claim="uid",
        scopes_claim="scp",
        require_exp=False,
    )
    defaults = JwtOptions.from_settings(Settings())
    assert defaults == JwtOptions()
    assert defaults.require_exp


_CODE = re.compile(r"`([^`]+)`")
_TABLE_HEADER = "| flag | environment | default | meaning |"


def readme_settings(text: str) -> dict[str, tuple[str, str]]:
    """flag -> (variable, default) from the settings tables of the README's "Configuration"
    and "Authentication" sections; pointer rows (`--jwt-*`) are left out."""
    rows: dict[str, tuple[str, str]] = {}
    for heading in ("## Configuration\n", "## Authentication\n"):
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        table = section.split(_TABLE_HEADER + "\n", 1)[1].split("\n\n", 1)[0]
        for line in table.splitlines()[1:]:  # after the |---| line
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            flag_cell, env_cell, default_cell = cells[0], cells[1], cells[2]
            flag = _CODE.findall(flag_cell)[0].split()[0]
            if "*" in flag:
                continue
            env = _CODE.findall(env_cell)[0]
            if default_cell.startswith("`"):
                default = _CODE.findall(default_cell)[0]
            else:
                default = default_cell.split()[0]
            assert flag not in rows, f"{flag} is listed twice"
            rows[flag] = (env, default)
    return rows


def _expected() -> dict[str, tuple[str, str]]:
    return {o.flag: (o.env or "", o.default_text) for o in SERVE_OPTIONS}


def test_readme_tables_list_exactly_the_serve_settings() -> None:
    listed = readme_settings(README.read_text(encoding="utf-8"))
    expected = _expected()
    assert sorted(listed) == sorted(expected), "README rows missing or extra"
    for flag, (env, default) in expected.items():
        assert listed[flag] == (env, default), flag


def test_the_readme_check_sees_a_wrong_or_missing_row() -> None:
    text = README.read_text(encoding="utf-8")
    assert "| `--port` | `PORT` | `7777` |" in text
    wrong = text.replace("| `--port` | `PORT` | `7777` |", "| `--port` | `PORT` | `8000` |")
    assert readme_settings(wrong)["--port"] == ("PORT", "8000") != _expected()["--port"]
    missing = "\n".join(line for line in text.splitlines() if "`--jwt-audience`" not in line)
    assert "--jwt-audience" not in readme_settings(missing)


def _shipped_sources() -> list[Path]:
    packages = ("server", "handlers", "domain", "store")
    return [path for package in packages for path in sorted((ROOT / package).rglob("*.py"))]


def test_defaults_that_were_repeated_are_written_once() -> None:
    literals: dict[str, list[str]] = {"RS256": [], "agno_sessions": []}
    assignments: list[str] = []
    for path in _shipped_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in literals:
                literals[node.value].append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(
                    isinstance(t, ast.Name) and t.id == "DEFAULT_SESSION_TABLE" for t in targets
                ):
                    assignments.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    files = {value: [where.split(":")[0] for where in found] for value, found in literals.items()}
    assert files == {"RS256": ["server/settings.py"], "agno_sessions": ["store/base.py"]}
    assert [where.split(":")[0] for where in assignments] == ["store/base.py"]
