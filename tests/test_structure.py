"""Imports run one way: the project wires the app, the app never reaches back into it."""

import ast

import pytest

from tests.emulator_support import REPO_ROOT


def imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            prefix = "." * node.level + (node.module or "")
            yield prefix
            yield from (
                f"{prefix}.{alias.name}" if node.module else prefix + alias.name for alias in node.names
            )


@pytest.mark.parametrize("path", sorted((REPO_ROOT / "images_app").rglob("*.py")), ids=lambda p: p.name)
def test_the_app_imports_nothing_from_the_project(path):
    assert not [m for m in imported_modules(path) if m == "portal" or m.startswith("portal.")]


def test_the_pipeline_does_not_import_its_tasks():
    modules = set(imported_modules(REPO_ROOT / "images_app" / "services.py"))
    assert not modules & {".tasks", "images_app.tasks", "..tasks"}
    assert not any(m.endswith(".tasks") or m == ".tasks" for m in modules)
