"""The import direction of ../shared/DESIGN.md: an app imports only apps of its own layer or below."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CRM = Path(__file__).resolve().parent.parent / "crm"
LAYERS = {
    "core": 1,
    "users": 2,
    "customers": 3,
    "sales": 4,
    "wallets": 4,
    "payments": 5,
    "affiliates": 5,
    "trading": 5,
    "communications": 5,
    "engagement": 6,
    "reports": 6,
    "support": 6,
}


def imported_apps(path: Path) -> set[tuple[str, int]]:
    """(app, line) for every `crm.<app>` a module imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "crm" and len(parts) > 1:
                found.add((parts[1], node.lineno))
    return found


def upward_imports(app: str) -> list[str]:
    layer = LAYERS[app]
    return sorted(
        f"{path.relative_to(CRM.parent)}:{line} imports crm.{other}"
        for path in (CRM / app).rglob("*.py")
        for other, line in imported_apps(path)
        if LAYERS.get(other, 0) > layer
    )


def test_every_app_has_a_layer():
    apps = {path.parent.name for path in CRM.glob("*/apps.py")}

    assert apps <= set(LAYERS)


def test_core_imports_no_higher_app():
    assert upward_imports("core") == []


@pytest.mark.parametrize("app", sorted({path.parent.name for path in CRM.glob("*/apps.py")}))
def test_no_app_imports_a_higher_layer(app):
    assert upward_imports(app) == []
