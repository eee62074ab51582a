"""The dependency rule: the core is pure, and adapters depend inwards only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "fangkong"
FORBIDDEN_IN_CORE = {
    "fastapi",
    "starlette",
    "sqlalchemy",
    "alembic",
    "jinja2",
    "httpx",
    "requests",
    "uvicorn",
    "typer",
    "click",
    "rich",
    "psycopg",
    "psycopg2",
    "pydantic",
    "pydantic_settings",
}
ADAPTERS = {
    "fangkong.store",
    "fangkong.services",
    "fangkong.api",
    "fangkong.web",
    "fangkong.cli",
    "fangkong.settings",
}
#: Which package may import which (outer layers may import inner ones).
ALLOWED = {
    "store": {"fangkong.core", "fangkong.store"},
    "services": {"fangkong.core", "fangkong.store", "fangkong.services", "fangkong.settings"},
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_core_imports_no_framework_and_no_adapter() -> None:
    offenders = []
    for path in sorted((SRC / "core").rglob("*.py")):
        for line, name in imports_of(path):
            top = name.split(".")[0]
            if top in FORBIDDEN_IN_CORE or any(
                name == a or name.startswith(a + ".") for a in ADAPTERS
            ):
                offenders.append(f"{path.relative_to(SRC)}:{line} imports {name}")
    assert offenders == []


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_depends_inwards(layer: str) -> None:
    offenders = []
    for path in sorted((SRC / layer).rglob("*.py")):
        for line, name in imports_of(path):
            if name.startswith("fangkong.") and not any(
                name == a or name.startswith(a + ".") for a in ALLOWED[layer]
            ):
                offenders.append(f"{path.relative_to(SRC)}:{line} imports {name}")
    assert offenders == []


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from sqlalchemy import select\nimport fangkong.api.app\n")
    assert [n for _, n in imports_of(bad)] == ["sqlalchemy", "fangkong.api.app"]
